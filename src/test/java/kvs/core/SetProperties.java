package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import kvs.core.ReplicaHarness.Node;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

/**
 * Sets (Sets, Replica.sadd, srem, setMembers, setContains, copySet, deletion) against the
 * observed-remove model, with replicas that add and remove members, delete the key, overwrite
 * it with a string, and exchange random, possibly cut-off deltas in any order, with crashes.
 *
 * <p>The model keeps every add as an event (member, dot) and every remove as an event with the
 * set of adds its replica held when it ran (an add is held once the replica's register of that
 * member and origin is at the add's sequence or later). A replica shows under a set head exactly
 * the members with an add it holds that no remove it holds observed and that the winning head's
 * recorded vector does not cover; no key when there is none. Nothing in the model looks at
 * clocks: an add concurrent with a remove survives whatever their versions.
 */
class SetProperties {
  static final int N = 3;
  static final byte[] KEY = b("s");
  static final String[] MEMBERS = {"a", "b", "c"};

  /** kind: 0-3 SADD, 4-6 SREM, 7 DEL, 8 SET, 9-11 sync, 12 partial sync, 13 restart. */
  record Op(int kind, int a, int b, int member, int wallStep, int cut) {}

  record HeadWrite(Entry entry, VersionVector seen) {}

  record Add(String member, long origin, long seq) {}

  /** A remove held by a replica whose register (member, origin) is at seq or later. */
  record Remove(String member, long origin, long seq, Set<Add> observed) {}

  @Provide
  Arbitrary<List<Op>> runs() {
    return Combinators.combine(Arbitraries.integers().between(0, 13),
        Arbitraries.integers().between(0, N - 1), Arbitraries.integers().between(1, N - 1),
        Arbitraries.integers().between(0, MEMBERS.length - 1),
        Arbitraries.integers().between(-30, 60), Arbitraries.integers().between(0, 9))
        .as(Op::new).list().ofMaxSize(60).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 400)
  void everyReplicaShowsTheObservedRemoveModel(@ForAll("runs") List<Op> run) {
    List<Node> nodes = new ArrayList<>();
    long[] wall = new long[N];
    for (int i = 0; i < N; i++) {
      nodes.add(new Node(i + 1));
      wall[i] = 10_000 + 13L * i;
    }
    List<HeadWrite> heads = new ArrayList<>();
    List<Add> adds = new ArrayList<>();
    List<Remove> removes = new ArrayList<>();
    for (Op op : run) {
      Node a = nodes.get(op.a());
      Node b = nodes.get((op.a() + op.b()) % N);
      wall[op.a()] += op.wallStep();
      long now = wall[op.a()];
      Entry head = a.replica.liveEntry(KEY);
      boolean string = head != null && head.kind() == Entry.KIND_STRING;
      String m = MEMBERS[op.member()];
      switch (op.kind()) {
        case 0, 1, 2, 3 -> {
          if (string) break; // WRONGTYPE
          VersionVector seen = a.replica.vv();
          for (Entry e : a.replica.sadd(new SessionToken(), KEY, List.of(b(m)), now).written()) {
            if (e.kind() == Entry.KIND_SET) {
              heads.add(new HeadWrite(e, seen));
            } else {
              adds.add(new Add(m, e.origin(), e.seq()));
            }
          }
        }
        case 4, 5, 6 -> {
          if (string) break;
          Set<Add> observed = new java.util.HashSet<>();
          for (Add x : adds) {
            if (x.member().equals(m) && held(a.replica, x.member(), x.origin(), x.seq())) {
              observed.add(x);
            }
          }
          for (Entry e : a.replica.srem(new SessionToken(), KEY, List.of(b(m)), now).written()) {
            removes.add(new Remove(m, e.origin(), e.seq(), observed));
          }
        }
        case 7 -> {
          VersionVector seen = a.replica.vv();
          Replica.Deletion d = a.replica.deletion(KEY);
          Entry e = a.replica.write(new SessionToken(), List.of(KEY),
              java.util.Collections.singletonList(d.value()), new byte[] {d.kind()}, null, now)
              .get(0);
          heads.add(new HeadWrite(e, seen));
        }
        case 8 -> heads.add(new HeadWrite(a.replica.put(new SessionToken(), KEY, b("s"), now),
            new VersionVector()));
        case 9, 10, 11 -> ReplicaHarness.sync(a.replica, b.replica, 1 + op.cut() * 40);
        case 12 -> {
          List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 60);
          ReplicaHarness.applyAll(b.replica, chunks.subList(0, op.cut() % chunks.size()));
        }
        default -> a.restart();
      }
      assertThat(shown(a.replica)).as("after %s on replica %d", op, op.a())
          .isEqualTo(expected(a.replica, heads, adds, removes));
    }
    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);
    String first = shown(replicas.get(0));
    for (Replica r : replicas) {
      assertThat(r.digest()).isEqualTo(replicas.get(0).digest());
      assertThat(live(r)).isEqualTo(live(replicas.get(0)));
      assertThat(shown(r)).isEqualTo(first).isEqualTo(expected(r, heads, adds, removes));
    }
  }

  static boolean held(Replica r, String member, long origin, long seq) {
    Entry e = r.peek(Elements.key(KEY, Entry.KIND_SET, Sets.subKey(b(member), origin)));
    return e != null && e.seq() >= seq;
  }

  /** What reads show: null (no key), "string:VALUE", or the members (SMEMBERS, SISMEMBER agree). */
  static String shown(Replica r) {
    Replica.ReadResult res = r.read(new SessionToken(), KEY);
    if (res.status() != Replica.ReadStatus.FOUND) return null;
    if (res.entry().kind() != Entry.KIND_SET) return "string:" + s(res.entry().value());
    Set<String> members = new TreeSet<>();
    for (byte[] m : r.setMembers(new SessionToken(), KEY)) {
      assertThat(members.add(s(m))).as("listed once").isTrue();
    }
    for (String m : MEMBERS) {
      assertThat(r.setContains(new SessionToken(), KEY, b(m))).as(m)
          .isEqualTo(members.contains(m));
    }
    assertThat(members).as("a set that reads as present has a member").isNotEmpty();
    return members.toString();
  }

  static String expected(Replica r, List<HeadWrite> heads, List<Add> adds, List<Remove> removes) {
    Entry head = r.peek(KEY);
    if (head == null || head.isTombstone()) return null;
    HeadWrite w = heads.stream().filter(h -> h.entry().sameDot(head)).findFirst().orElseThrow();
    assertThat(w.entry()).isEqualTo(head);
    if (head.kind() == Entry.KIND_STRING) return "string:" + s(head.value());
    Set<String> members = new TreeSet<>();
    for (Add x : adds) {
      if (!held(r, x.member(), x.origin(), x.seq()) || w.seen().covers(x.origin(), x.seq())) {
        continue;
      }
      boolean removed = removes.stream().anyMatch(rm -> rm.observed().contains(x)
          && held(r, rm.member(), rm.origin(), rm.seq()));
      if (!removed) members.add(x.member());
    }
    return members.isEmpty() ? null : members.toString();
  }

  // ---- the merge of register states: a join ------------------------------------------------

  /** A replica's registers of one member: register key (origin) to its entry. */
  record State(Map<Long, Entry> registers) {
    /** The merge replication performs per entry: the later version of each register. */
    State merge(State o) {
      Map<Long, Entry> out = new HashMap<>(registers);
      o.registers.forEach((k, e) -> out.merge(k, e,
          (x, y) -> Long.compare(x.clock(), y.clock()) != 0
              ? (x.clock() > y.clock() ? x : y) : (x.origin() >= y.origin() ? x : y)));
      return new State(out);
    }

    boolean present() {
      return Sets.present(new ArrayList<>(registers.values()), new VersionVector());
    }
  }

  @Provide
  Arbitrary<State> states() {
    // Register of origin o at sequence q: the clock grows with q (one origin's writes are
    // ordered), and its content is a function of the dot, since a dot names one write.
    Arbitrary<Entry> reg = Combinators.combine(Arbitraries.longs().between(1, 3),
        Arbitraries.longs().between(1, 6))
        .as((o, q) -> {
          Map<Long, Long> rm = new HashMap<>();
          for (long p = 1; p <= 3; p++) {
            if (p != o && (o + q + p) % 2 == 0) rm.put(p, (q * p) % 6 + 1);
          }
          return new Entry(Elements.key(KEY, Entry.KIND_SET, Sets.subKey(b("m"), o)),
              new Sets.Register((o * 7 + q) % 3 != 0, rm).encode(), q * 10 + o, o, q, 0);
        });
    return reg.list().ofMaxSize(4).map(l -> {
      State s = new State(Map.of());
      for (Entry e : l) s = s.merge(new State(Map.of(e.origin(), e)));
      return s;
    });
  }

  @Property(tries = 300)
  void mergeIsCommutativeAssociativeIdempotent(@ForAll("states") State x,
      @ForAll("states") State y, @ForAll("states") State z) {
    assertThat(x.merge(y)).isEqualTo(y.merge(x));
    assertThat(x.merge(y).merge(z)).isEqualTo(x.merge(y.merge(z)));
    assertThat(x.merge(x)).isEqualTo(x);
    assertThat(x.merge(y).present()).isEqualTo(y.merge(x).present());
  }

  @Property(tries = 200)
  void registersRoundTrip(@ForAll boolean added,
      @ForAll("removedMaps") Map<Long, Long> removed) {
    Sets.Register r = new Sets.Register(added, removed);
    assertThat(Sets.Register.decode(r.encode())).isEqualTo(r);
  }

  @Provide
  Arbitrary<Map<Long, Long>> removedMaps() {
    return Arbitraries.maps(Arbitraries.longs(), Arbitraries.longs().greaterOrEqual(1))
        .ofMaxSize(5);
  }

  /** A copied set holds the source's members and nothing the destination held before. */
  @Property(tries = 100)
  void copyTakesExactlyTheSourcesMembers(@ForAll("runs") List<Op> run) {
    Node n = new Node(1);
    long wall = 1_000;
    byte[] dst = b("dst");
    for (Op op : run) {
      wall += Math.abs(op.wallStep()) + 1;
      byte[] key = op.a() == 0 ? dst : KEY;
      List<byte[]> m = List.of(b(MEMBERS[op.member()]));
      if (op.kind() < 9) {
        n.replica.sadd(new SessionToken(), key, m, wall);
      } else {
        n.replica.srem(new SessionToken(), key, m, wall);
      }
    }
    if (n.replica.liveEntry(KEY) == null) return;
    String source = shown(n.replica);
    n.replica.copySet(new SessionToken(), KEY, dst, true, wall + 1);
    assertThat(shown(n.replica)).isNull();
    Set<String> members = new TreeSet<>();
    for (byte[] m : n.replica.setMembers(new SessionToken(), dst)) members.add(s(m));
    assertThat(members.toString()).isEqualTo(source);
  }
}
