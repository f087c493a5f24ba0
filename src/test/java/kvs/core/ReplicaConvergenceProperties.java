package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.entries;
import static kvs.core.ReplicaHarness.live;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvs.core.ReplicaHarness.Node;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.IntRange;

/**
 * Eventual consistency: three replicas take random writes and exchange random (possibly chunked,
 * possibly cut-off) deltas in random order, with crashes; after a full exchange they hold the
 * same data, digests and vectors, and each key holds the highest version ever written.
 */
class ReplicaConvergenceProperties {
  static final int N = 3;
  static final String[] KEYS = {"k0", "k1", "k2", "k3", "k4"};

  /** kind: 0-5 write, 6 delete, 7-9 complete sync, 10 sync cut after some chunks, 11 restart. */
  record Op(int kind, int a, int b, int key, int wallStep, int maxBytes) {}

  @Provide
  Arbitrary<List<Op>> runs() {
    return Combinators.combine(Arbitraries.integers().between(0, 11),
        Arbitraries.integers().between(0, N - 1), Arbitraries.integers().between(1, N - 1),
        Arbitraries.integers().between(0, KEYS.length - 1),
        Arbitraries.integers().between(-30, 60), Arbitraries.integers().between(1, 150))
        .as(Op::new).list().ofMaxSize(70).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 400)
  void anyExchangeOrderConvergesAfterAFullExchange(@ForAll("runs") List<Op> run) {
    List<Node> nodes = new ArrayList<>();
    long[] wall = new long[N];
    for (int i = 0; i < N; i++) {
      nodes.add(new Node(i + 1));
      wall[i] = 10_000 + 13L * i;
    }
    List<Entry> written = new ArrayList<>();
    for (Op op : run) {
      Node a = nodes.get(op.a());
      Node b = nodes.get((op.a() + op.b()) % N);
      switch (op.kind()) {
        case 0, 1, 2, 3, 4, 5, 6 -> {
          wall[op.a()] += op.wallStep();
          written.add(a.replica.put(new SessionToken(), b(KEYS[op.key()]),
              op.kind() == 6 ? null : b("v" + written.size()), wall[op.a()]));
        }
        case 7, 8, 9 -> ReplicaHarness.sync(a.replica, b.replica, op.maxBytes());
        case 10 -> {
          List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), op.maxBytes());
          ReplicaHarness.applyAll(b.replica, chunks.subList(0, op.key() % chunks.size()));
        }
        default -> a.restart();
      }
    }

    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);

    Replica first = replicas.get(0);
    for (Replica r : replicas) {
      assertThat(r.vv()).isEqualTo(first.vv());
      assertThat(r.digest()).isEqualTo(first.digest());
      assertThat(live(r)).isEqualTo(live(first));
      for (Replica other : replicas) assertThat(r.hasNewerThan(other.vv())).isFalse();
    }
    // every write is accounted for, no dot is reused, the highest version of each key wins
    Set<List<Long>> dots = new HashSet<>();
    Map<Long, Long> perOrigin = new HashMap<>();
    for (Entry e : written) {
      assertThat(dots.add(List.of(e.origin(), e.seq()))).as("dot reused: %s", e).isTrue();
      perOrigin.merge(e.origin(), 1L, Long::sum);
    }
    assertThat(first.vv().asMap()).isEqualTo(perOrigin);
    long digest = 0;
    for (String key : KEYS) {
      Entry winner = null;
      for (Entry e : written) if (Arrays.equals(e.key(), b(key)) && e.supersedes(winner)) winner = e;
      for (Replica r : replicas) assertThat(r.peek(b(key))).as("key %s", key).isEqualTo(winner);
      if (winner != null) digest += winner.fingerprint();
    }
    assertThat(first.digest()).as("incremental digest equals the recomputed one").isEqualTo(digest);
  }

  /** Cutting a delta into chunks of any size changes neither what is sent nor the outcome. */
  @Property(tries = 300)
  void chunkedDeltasEqualOneBigDelta(@ForAll("runs") List<Op> run,
      @ForAll @IntRange(min = 1, max = 300) int maxBytes) {
    Node a = new Node(1);
    Node c = new Node(3);
    long wall = 1_000;
    for (Op op : run) {
      Node target = op.a() == 0 ? c : a;
      wall += op.wallStep();
      target.replica.put(new SessionToken(), b(KEYS[op.key()]),
          op.kind() == 6 ? null : b("v" + op.maxBytes()), wall);
      if (op.kind() == 7) ReplicaHarness.sync(c.replica, a.replica);
    }
    Node partial = new Node(2);
    ReplicaHarness.sync(c.replica, partial.replica); // the peer already holds some of it
    VersionVector peerHas = partial.replica.vv();

    List<DeltaChunk> big = drain(a.replica, peerHas, Integer.MAX_VALUE);
    List<DeltaChunk> small = drain(a.replica, peerHas, maxBytes);
    assertThat(big).hasSize(1);
    assertThat(entries(small)).isEqualTo(entries(big));
    assertThat(small.get(small.size() - 1).completes()).isEqualTo(big.get(0).completes());
    assertThat(small.subList(0, small.size() - 1)).noneMatch(DeltaChunk::isLast);
    for (Entry e : entries(big)) {
      assertThat(peerHas.covers(e.origin(), e.seq())).as("sent only what the peer lacks").isFalse();
    }

    Node viaBig = new Node(2);
    Node viaSmall = new Node(2);
    ReplicaHarness.sync(c.replica, viaBig.replica);
    ReplicaHarness.sync(c.replica, viaSmall.replica);
    ReplicaHarness.applyAll(viaBig.replica, big);
    ReplicaHarness.applyAll(viaSmall.replica, small);
    assertThat(viaSmall.replica.vv()).isEqualTo(viaBig.replica.vv());
    assertThat(viaSmall.replica.digest()).isEqualTo(viaBig.replica.digest());
    assertThat(live(viaSmall.replica)).isEqualTo(live(viaBig.replica));
    assertThat(viaBig.replica.covers(a.replica.vv())).isTrue();
    for (String key : KEYS) {
      Entry mine = a.replica.peek(b(key));
      Entry theirs = viaBig.replica.peek(b(key));
      // the receiver holds a's entry or a newer one that came from c
      if (mine != null) assertThat(theirs.sameDot(mine) || theirs.supersedes(mine)).isTrue();
    }
  }

  /** Applying a delta again, whole or in part, in any state, changes nothing. */
  @Property(tries = 300)
  void duplicateDeltasChangeNothing(@ForAll("runs") List<Op> run,
      @ForAll @IntRange(min = 1, max = 300) int maxBytes) {
    Node a = new Node(1);
    Node b = new Node(2);
    long wall = 1_000;
    for (Op op : run) {
      Node target = op.a() == 0 ? b : a;
      wall += op.wallStep();
      target.replica.put(new SessionToken(), b(KEYS[op.key()]),
          op.kind() == 6 ? null : b("v" + op.maxBytes()), wall);
    }
    List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), maxBytes);
    ReplicaHarness.applyAll(b.replica, chunks);
    VersionVector vv = b.replica.vv();
    long digest = b.replica.digest();
    List<Entry> live = live(b.replica);
    for (DeltaChunk c : chunks) assertThat(b.replica.applyDelta(c)).isFalse();
    assertThat(b.replica.vv()).isEqualTo(vv);
    assertThat(b.replica.digest()).isEqualTo(digest);
    assertThat(live(b.replica)).isEqualTo(live);
  }
}
