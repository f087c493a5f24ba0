package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvs.core.ReplicaHarness.Node;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

/**
 * Hashes (Hashes, Replica.hset, hdel, hincrement, hashFields, copyHash, deletion) against a
 * reference model, with replicas that set, delete and increment fields, delete the key,
 * overwrite it with a string, and exchange random, possibly cut-off deltas in any order (so the
 * merge of the same writes in any order, any grouping and with repeats must give the same
 * view: commutative, associative, idempotent), with crashes.
 *
 * <p>The model knows nothing of cancel maps. It keeps every increment as an event (origin,
 * sequence, field, amount) and says a replica holds an event when it holds that origin's
 * increment element of the field at that sequence or later (an element is a running total).
 * For every write of a field's register it records the base written (HSET's value, none for
 * HDEL) and the events its writer held of that field; for every write of the hash's head, the
 * version vector its writer held and every event it held. A replica must show, under a hash
 * head: per field, the winning register's base if it has one that the head's vector does not
 * cover, plus every event the replica holds that neither the register's writer nor the head's
 * writer held (a base that is not a number shows as it is when such events exist); a field with
 * neither is absent, and a hash with no field is no key. Checked on the replica that ran each
 * operation right after it, and on every replica after a full exchange (which must agree).
 */
class HashProperties {
  static final int N = 3;
  static final byte[] KEY = b("h");
  static final String[] FIELDS = {"a", "b", "c", "d"};

  /**
   * kind: 0-3 HSET, 4-6 HINCRBY, 7 HDEL, 8 DEL, 9 SET, 10-12 sync, 13 partial sync, 14 restart.
   */
  record Op(int kind, int a, int b, int field, int wallStep, int cut) {}

  record Inc(long origin, long seq, String field, long amount) {}

  record HeadWrite(Entry entry, VersionVector seen, java.util.Set<Inc> held) {}

  record RegisterWrite(Entry entry, String base, java.util.Set<Inc> held) {}

  /** What the model records, shared by the checks. */
  static final class History {
    final List<HeadWrite> heads = new ArrayList<>();
    final List<RegisterWrite> registers = new ArrayList<>();
    final List<Inc> incs = new ArrayList<>();

    /** The events {@code r} holds, of {@code field} (null: of every field). */
    java.util.Set<Inc> held(Replica r, String field) {
      java.util.Set<Inc> out = new java.util.HashSet<>();
      for (Inc i : incs) {
        if (field != null && !field.equals(i.field())) continue;
        Entry e = r.peek(incrementKey(i.field(), i.origin()));
        if (e != null && e.seq() >= i.seq()) out.add(i);
      }
      return out;
    }
  }

  static byte[] incrementKey(String field, long origin) {
    return Elements.key(KEY, Hashes.INCREMENTS, Hashes.incrementSubKey(b(field), origin));
  }

  @Provide
  Arbitrary<List<Op>> runs() {
    return Combinators.combine(Arbitraries.integers().between(0, 14),
        Arbitraries.integers().between(0, N - 1), Arbitraries.integers().between(1, N - 1),
        Arbitraries.integers().between(0, FIELDS.length - 1),
        Arbitraries.integers().between(-30, 60), Arbitraries.integers().between(0, 9))
        .as(Op::new).list().ofMaxSize(60).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 400)
  void everyReplicaShowsTheModelsFields(@ForAll("runs") List<Op> run) {
    List<Node> nodes = new ArrayList<>();
    long[] wall = new long[N];
    for (int i = 0; i < N; i++) {
      nodes.add(new Node(i + 1));
      wall[i] = 10_000 + 13L * i;
    }
    History h = new History();
    int values = 0;
    for (Op op : run) {
      Node a = nodes.get(op.a());
      Node b = nodes.get((op.a() + op.b()) % N);
      wall[op.a()] += op.wallStep();
      long now = wall[op.a()];
      Entry head = a.replica.liveEntry(KEY);
      boolean string = head != null && head.kind() == Entry.KIND_STRING;
      String field = FIELDS[op.field()];
      switch (op.kind()) {
        case 0, 1, 2, 3 -> {
          if (string) break; // WRONGTYPE
          // numbers half the time, so that increments add to a base
          String value = op.cut() % 2 == 0 ? "v" + values++ : Integer.toString(values++);
          VersionVector seen = a.replica.vv();
          java.util.Set<Inc> all = h.held(a.replica, null);
          java.util.Set<Inc> mine = h.held(a.replica, field);
          for (Entry e : a.replica.hset(new SessionToken(), KEY, List.of(b(field)),
              List.of(b(value)), now)) {
            if (e.kind() == Entry.KIND_HASH) {
              h.heads.add(new HeadWrite(e, seen, all));
            } else {
              h.registers.add(new RegisterWrite(e, value, mine));
            }
          }
        }
        case 4, 5, 6 -> {
          if (string) break;
          byte[] old = a.replica.hashField(new SessionToken(), KEY, b(field));
          if (old != null && Counters.parse(old) == null) break; // not a number
          VersionVector seen = a.replica.vv();
          java.util.Set<Inc> all = h.held(a.replica, null);
          long amount = op.wallStep() % 7;
          for (Entry e : a.replica.hincrement(new SessionToken(), KEY, b(field),
              java.math.BigDecimal.valueOf(amount), now)) {
            if (e.kind() == Entry.KIND_HASH) {
              h.heads.add(new HeadWrite(e, seen, all));
            } else {
              h.incs.add(new Inc(e.origin(), e.seq(), field, amount));
            }
          }
        }
        case 7 -> {
          if (string) break;
          java.util.Set<Inc> mine = h.held(a.replica, field);
          for (Entry e : a.replica.hdel(new SessionToken(), KEY, List.of(b(field)), now)) {
            h.registers.add(new RegisterWrite(e, null, mine));
          }
        }
        case 8 -> {
          VersionVector seen = a.replica.vv();
          java.util.Set<Inc> all = h.held(a.replica, null);
          Replica.Deletion d = a.replica.deletion(KEY);
          Entry e = a.replica.write(new SessionToken(), List.of(KEY),
              java.util.Collections.singletonList(d.value()), new byte[] {d.kind()}, null, now)
              .get(0);
          h.heads.add(new HeadWrite(e, seen, all));
        }
        case 9 -> h.heads.add(new HeadWrite(a.replica.put(new SessionToken(), KEY, b("s"), now),
            new VersionVector(), java.util.Set.of()));
        case 10, 11, 12 -> ReplicaHarness.sync(a.replica, b.replica, 1 + op.cut() * 40);
        case 13 -> {
          List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 60);
          ReplicaHarness.applyAll(b.replica, chunks.subList(0, op.cut() % chunks.size()));
        }
        default -> a.restart();
      }
      assertThat(shown(a.replica)).as("after %s on replica %d", op, op.a())
          .isEqualTo(expected(a.replica, h));
    }
    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);
    String first = shown(replicas.get(0));
    for (Replica r : replicas) {
      assertThat(r.digest()).isEqualTo(replicas.get(0).digest());
      assertThat(live(r)).isEqualTo(live(replicas.get(0)));
      assertThat(shown(r)).isEqualTo(first).isEqualTo(expected(r, h));
    }
  }

  /** What a read shows: null (no key), "string:VALUE", or the hash's fields. */
  static String shown(Replica r) {
    return shown(r, KEY);
  }

  static String shown(Replica r, byte[] key) {
    Replica.ReadResult res = r.read(new SessionToken(), key);
    if (res.status() != Replica.ReadStatus.FOUND) return null;
    if (res.entry().kind() != Entry.KIND_HASH) return "string:" + s(res.entry().value());
    Map<String, String> fields = new TreeMap<>();
    for (Replica.HashField f : r.hashFields(new SessionToken(), key)) {
      fields.put(s(f.name()), s(f.value()));
      assertThat(r.hashField(new SessionToken(), key, f.name())).isEqualTo(f.value());
    }
    assertThat(fields).as("a hash that reads as present has a field").isNotEmpty();
    return fields.toString();
  }

  static String expected(Replica r, History h) {
    Entry head = r.peek(KEY);
    if (head == null || head.isTombstone()) return null;
    HeadWrite w = h.heads.stream().filter(x -> x.entry().sameDot(head)).findFirst().orElseThrow();
    assertThat(w.entry()).isEqualTo(head);
    if (head.kind() == Entry.KIND_STRING) return "string:" + s(head.value());
    Map<String, String> fields = new TreeMap<>();
    for (String f : FIELDS) {
      Entry e = r.peek(Elements.key(KEY, Entry.KIND_HASH, b(f)));
      RegisterWrite reg = null;
      if (e != null) {
        reg = h.registers.stream().filter(x -> x.entry().sameDot(e)).findFirst().orElseThrow();
      }
      String base = reg != null && reg.base() != null
          && !w.seen().covers(e.origin(), e.seq()) ? reg.base() : null;
      long sum = 0;
      boolean counted = false;
      for (Inc i : h.held(r, f)) {
        if (w.held().contains(i) || reg != null && reg.held().contains(i)) continue;
        sum += i.amount();
        counted = true;
      }
      String value = base;
      if (counted && (base == null || !base.startsWith("v"))) {
        value = Long.toString((base == null ? 0 : Long.parseLong(base)) + sum);
      }
      if (value != null) fields.put(f, value);
    }
    return fields.isEmpty() ? null : fields.toString();
  }

  /** A copied hash holds the source's fields and nothing the destination held before. */
  @Property(tries = 100)
  void copyTakesExactlyTheSourcesFields(@ForAll("runs") List<Op> run) {
    Node n = new Node(1);
    long wall = 1_000;
    byte[] dst = b("dst");
    for (Op op : run) {
      wall += Math.abs(op.wallStep()) + 1;
      byte[] key = op.a() == 0 ? dst : KEY;
      n.replica.hset(new SessionToken(), key, List.of(b(FIELDS[op.field()])),
          List.of(b("v" + op.cut())), wall);
    }
    if (n.replica.liveEntry(KEY) == null) return;
    String source = shown(n.replica);
    n.replica.copyHash(new SessionToken(), KEY, dst, true, wall + 1);
    assertThat(shown(n.replica)).isNull();
    assertThat(shown(n.replica, dst)).isEqualTo(source);
  }

  // ---- the merge of a field's entries: a join ----------------------------------------------

  /**
   * A replica's entries of one field: its register and each origin's increment element, by
   * storage key. Replication merges them one by one, keeping the later version of each key.
   */
  record FieldState(Map<String, Entry> entries) {
    FieldState merge(FieldState o) {
      Map<String, Entry> out = new TreeMap<>(entries);
      o.entries.forEach((k, e) -> out.merge(k, e, (x, y) -> x.supersedes(y) ? x : y));
      return new FieldState(out);
    }

    /**
     * The field's value under a head that hides and cancels nothing, summing the increments in
     * key order or in reverse (replicas list them in whatever order they hold them).
     */
    String value() {
      return value(false);
    }

    String value(boolean reversed) {
      Entry register = null;
      List<Entry> incs = new ArrayList<>();
      for (Entry e : entries.values()) {
        if (e.key()[e.key().length - 1] == 'f') {
          register = e;
        } else {
          incs.add(e);
        }
      }
      if (reversed) java.util.Collections.reverse(incs);
      return s(Hashes.value(b("f"), register, incs,
          Hashes.decodeHead(Hashes.head(new VersionVector()))));
    }
  }

  @Provide
  Arbitrary<FieldState> fieldStates() {
    // An entry of origin o at sequence q: its clock grows with q (one origin's writes are
    // ordered) and its content is a function of the dot, since a dot names one write: an
    // increment element holds total o * q, a register (dots with q even) a base or none and the
    // cancels of what its writer might have held.
    Arbitrary<Entry> entry = Combinators.combine(Arbitraries.longs().between(1, 3),
        Arbitraries.longs().between(1, 8))
        .as((o, q) -> {
          if (q % 2 == 1) {
            return new Entry(Elements.key(KEY, Hashes.INCREMENTS, Hashes.incrementSubKey(b("f"),
                o)), Counters.encodeTotal(java.math.BigDecimal.valueOf(o * q)), q * 10 + o, o, q,
                0);
          }
          java.util.SortedMap<Long, Counters.Cancel> cancels = new java.util.TreeMap<>();
          for (long p = 1; p <= 3; p++) {
            long seen = (q + p * o) % 8;
            if (seen % 2 == 1) cancels.put(p, new Counters.Cancel(seen,
                java.math.BigDecimal.valueOf(p * seen)));
          }
          Hashes.Register r = new Hashes.Register(q % 4 == 0 ? null : b(Long.toString(q * o)),
              cancels);
          return new Entry(Elements.key(KEY, Entry.KIND_HASH, b("f")), r.encode(), q * 10 + o,
              o, q, 0, r.kind());
        });
    return entry.filter(e -> e.value() != null).list().ofMaxSize(5).map(l -> {
      FieldState st = new FieldState(Map.of());
      for (Entry e : l) st = st.merge(new FieldState(Map.of(s(e.key()), e)));
      return st;
    });
  }

  @Property(tries = 300)
  void fieldMergeIsCommutativeAssociativeIdempotent(@ForAll("fieldStates") FieldState x,
      @ForAll("fieldStates") FieldState y, @ForAll("fieldStates") FieldState z) {
    assertThat(x.merge(y)).isEqualTo(y.merge(x));
    assertThat(x.merge(y).merge(z)).isEqualTo(x.merge(y.merge(z)));
    assertThat(x.merge(x)).isEqualTo(x);
    assertThat(x.merge(y).value()).isEqualTo(y.merge(x).value());
    assertThat(x.merge(y).merge(z).value()).isEqualTo(x.merge(y.merge(z)).value());
    FieldState all = x.merge(y).merge(z);
    assertThat(all.value(true)).as("the value of a set of entries, in any order")
        .isEqualTo(all.value(false));
  }

  @Property(tries = 200)
  void registersAndHeadsRoundTrip(@ForAll("fieldStates") FieldState x) {
    java.util.SortedMap<java.nio.ByteBuffer, java.util.SortedMap<Long, Counters.Cancel>> all =
        new java.util.TreeMap<>();
    for (Entry e : x.entries().values()) {
      if (e.kind() == Entry.KIND_COUNTER) {
        Hashes.Register r = Hashes.Register.of(e);
        assertThat(Hashes.Register.of(e.withValue(r.encode())).cancelled())
            .isEqualTo(r.cancelled());
        all.put(java.nio.ByteBuffer.wrap(b("f" + all.size())), r.cancelled());
      }
    }
    VersionVector v = new VersionVector();
    v.raise(7, 3);
    Hashes.Head h = Hashes.decodeHead(Hashes.head(v, all));
    assertThat(h.hidden()).isEqualTo(v);
    assertThat(h.cancelled()).isEqualTo(all);
  }
}
