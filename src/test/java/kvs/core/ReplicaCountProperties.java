package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import kvs.core.ReplicaHarness.Node;
import kvs.storage.MemoryStore;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The value counts a replica keeps with its metadata (DBSIZE, INFO's keyspace line) equal a full
 * count of its store after any history of writes, deletes, expiring writes, sweeps, partial and
 * complete deltas, and crashes; and a store from before the counts is counted at its first open.
 */
class ReplicaCountProperties {
  private static final String[] KEYS = {"a", "b", "c", "d", "e"};

  /** One step on one of three replicas. */
  record Op(int kind, int replica, int key, int other, long expiry) {}

  @Provide
  Arbitrary<List<Op>> histories() {
    return Combinators.combine(Arbitraries.integers().between(0, 6),
        Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, KEYS.length - 1),
        Arbitraries.integers().between(0, 2), Arbitraries.of(0L, 0L, 1_050L, 1_200L, 5_000L))
        .as(Op::new).list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 300)
  void countsEqualAFullCountAfterAnyHistory(@ForAll("histories") List<Op> history) {
    Node[] nodes = {new Node(0), new Node(1), new Node(2)};
    long wall = 1_000;
    for (Op op : history) {
      wall += 10;
      Node n = nodes[op.replica()];
      Replica r = n.replica;
      byte[] key = b(KEYS[op.key()]);
      switch (op.kind()) {
        case 0, 1 -> r.write(new SessionToken(), List.of(key), List.of(b("v" + wall)),
            new long[] {op.expiry()}, wall);
        case 2 -> r.write(new SessionToken(), List.of(key), Collections.singletonList(null),
            wall);
        case 3 -> ReplicaHarness.sync(nodes[op.other()].replica, r);
        case 4 -> {
          // a delta cut short: only its first chunk arrives
          List<DeltaChunk> chunks = ReplicaHarness.drain(nodes[op.other()].replica, r.vv(), 20);
          if (!chunks.isEmpty()) r.applyDelta(DeltaChunk.decode(chunks.get(0).encode()));
        }
        case 5 -> r.sweepExpired(null, 3, wall + op.expiry());
        default -> { // a crash (SIGKILL): what was committed survives, a fresh incarnation
          n.store = n.store.durableCopy();
          n.replica = Replica.open(n.store, n.id, (int) wall, false);
        }
      }
      assertCountsExact(n.replica);
    }
    for (Node n : nodes) assertCountsExact(n.replica);
  }

  @Example
  void aStoreWithoutCountsIsCountedAtItsFirstOpen() {
    Node n = new Node(0);
    SessionToken s = new SessionToken();
    n.replica.write(s, List.of(b("a"), b("b"), b("c")), List.of(b("1"), b("2"), b("3")),
        new long[] {0, 9_000, 0}, 1_000);
    n.replica.write(s, List.of(b("c")), Collections.singletonList(null), 1_001);
    MemoryStore store = n.store.durableCopy();
    ReplicaMeta m = store.loadMeta();
    Mutation old = new Mutation();
    old.meta = new ReplicaMeta(m.serverId(), m.incarnation(), m.vv(), m.clock(), m.digest(),
        ReplicaMeta.COUNTS_UNKNOWN, ReplicaMeta.COUNTS_UNKNOWN); // as format 2 reads
    store.commit(old);
    Replica reopened = Replica.open(store, 0, 5, true);
    assertThat(reopened.valueCount()).isEqualTo(2);
    assertThat(reopened.expiringValueCount()).isEqualTo(1);
    assertThat(store.loadMeta().values()).as("committed at once").isEqualTo(2);
    assertThat(reopened.digest()).isEqualTo(m.digest());
  }

  private static void assertCountsExact(Replica r) {
    List<Entry> stored = new ArrayList<>();
    r.forEachStored(stored::add);
    assertThat(r.valueCount()).as("values of " + stored).isEqualTo(stored.size());
    assertThat(r.expiringValueCount()).as("expiring values of " + stored)
        .isEqualTo(stored.stream().filter(Entry::hasExpiry).count());
  }
}
