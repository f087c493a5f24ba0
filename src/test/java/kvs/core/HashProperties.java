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
 * Hashes (Hashes, Replica.hset, hashFields, copyHash, deletion) against a reference model, with
 * replicas that set and delete fields, delete the key, overwrite it with a string, and exchange
 * random, possibly cut-off deltas in any order, with crashes.
 *
 * <p>The model: each field key's entry is whatever the replication layer's last-writer-wins
 * left there ({@code peek}); for every write of the hash's head the model records the version
 * vector its writer held when it wrote it. A replica must show, under a hash head, exactly the
 * fields whose entry has a value and was not covered by the winning head's recorded vector,
 * and no key at all when there is none. Checked on the replica that ran each operation right
 * after it, and on every replica after a full exchange (which must agree).
 */
class HashProperties {
  static final int N = 3;
  static final byte[] KEY = b("h");
  static final String[] FIELDS = {"a", "b", "c", "d"};

  /** kind: 0-4 HSET, 5-6 HDEL, 7 DEL, 8 SET, 9-11 sync, 12 partial sync, 13 restart. */
  record Op(int kind, int a, int b, int field, int wallStep, int cut) {}

  record HeadWrite(Entry entry, VersionVector seen) {}

  @Provide
  Arbitrary<List<Op>> runs() {
    return Combinators.combine(Arbitraries.integers().between(0, 13),
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
    List<HeadWrite> heads = new ArrayList<>();
    int values = 0;
    for (Op op : run) {
      Node a = nodes.get(op.a());
      Node b = nodes.get((op.a() + op.b()) % N);
      wall[op.a()] += op.wallStep();
      long now = wall[op.a()];
      Entry head = a.replica.liveEntry(KEY);
      boolean string = head != null && head.kind() == Entry.KIND_STRING;
      switch (op.kind()) {
        case 0, 1, 2, 3, 4 -> {
          if (string) break; // WRONGTYPE
          VersionVector seen = a.replica.vv();
          for (Entry e : a.replica.hset(new SessionToken(), KEY, List.of(b(FIELDS[op.field()])),
              List.of(b("v" + values++)), now)) {
            if (e.kind() == Entry.KIND_HASH) heads.add(new HeadWrite(e, seen));
          }
        }
        case 5, 6 -> {
          if (string) break;
          a.replica.write(new SessionToken(),
              List.of(Elements.key(KEY, Entry.KIND_HASH, b(FIELDS[op.field()]))),
              java.util.Collections.singletonList(null), now);
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
          .isEqualTo(expected(a.replica, heads));
    }
    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);
    String first = shown(replicas.get(0));
    for (Replica r : replicas) {
      assertThat(r.digest()).isEqualTo(replicas.get(0).digest());
      assertThat(live(r)).isEqualTo(live(replicas.get(0)));
      assertThat(shown(r)).isEqualTo(first).isEqualTo(expected(r, heads));
    }
  }

  /** What a read shows: null (no key), "string:VALUE", or the hash's fields. */
  static String shown(Replica r) {
    Replica.ReadResult res = r.read(new SessionToken(), KEY);
    if (res.status() != Replica.ReadStatus.FOUND) return null;
    if (res.entry().kind() != Entry.KIND_HASH) return "string:" + s(res.entry().value());
    Map<String, String> fields = new TreeMap<>();
    byte[] prefix = Elements.prefix(KEY, Entry.KIND_HASH);
    for (Entry e : r.hashFields(new SessionToken(), KEY)) {
      fields.put(s(Elements.subKey(prefix, e.key())), s(e.value()));
    }
    assertThat(fields).as("a hash that reads as present has a field").isNotEmpty();
    return fields.toString();
  }

  static String expected(Replica r, List<HeadWrite> heads) {
    Entry head = r.peek(KEY);
    if (head == null || head.isTombstone()) return null;
    HeadWrite w = heads.stream().filter(h -> h.entry().sameDot(head)).findFirst().orElseThrow();
    assertThat(w.entry()).isEqualTo(head);
    if (head.kind() == Entry.KIND_STRING) return "string:" + s(head.value());
    Map<String, String> fields = new TreeMap<>();
    for (String f : FIELDS) {
      Entry e = r.peek(Elements.key(KEY, Entry.KIND_HASH, b(f)));
      if (e != null && e.value() != null && !w.seen().covers(e.origin(), e.seq())) {
        fields.put(f, s(e.value()));
      }
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
    Replica.ReadResult res = n.replica.read(new SessionToken(), dst);
    assertThat(res.status()).isEqualTo(Replica.ReadStatus.FOUND);
    Map<String, String> fields = new TreeMap<>();
    byte[] prefix = Elements.prefix(dst, Entry.KIND_HASH);
    for (Entry e : n.replica.hashFields(new SessionToken(), dst)) {
      fields.put(s(Elements.subKey(prefix, e.key())), s(e.value()));
    }
    assertThat(fields.toString()).isEqualTo(source);
  }
}
