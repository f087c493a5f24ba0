package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.hearAll;
import static kvs.core.ReplicaHarness.sync;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * Collection of removed sorted-set members' registers (Replica.collectStable,
 * SortedSets.garbage): what goes, what stays, and that no read or score changes.
 */
class ReplicaSortedSetCollectTest {
  private static final long WALL = 1_000;
  private static final byte[] ZSET = b("z");

  private static List<Entry> collect(Replica r, Stability st) {
    return ReplicaHarness.collectAll(r, st.stableVector(), st.clockBound(), 3);
  }

  private static int stored(Replica r) {
    return ReplicaHarness.storedCount(r);
  }

  /** Member to score, as ZRANGE WITHSCORES reads it. */
  private static TreeMap<String, Double> scores(Replica r) {
    TreeMap<String, Double> out = new TreeMap<>();
    for (Replica.ZMember m : r.zsetMembers(new SessionToken(), ZSET)) {
      out.put(ReplicaHarness.s(m.member()), m.score());
    }
    return out;
  }

  private static void zadd(Replica r, String member, double score, long wall) {
    r.zadd(new SessionToken(), ZSET, List.of(new Replica.ZUpdate(b(member), score, null)), wall);
  }

  private static void zincrby(Replica r, String member, String delta, long wall) {
    r.zadd(new SessionToken(), ZSET,
        List.of(new Replica.ZUpdate(b(member), null, new BigDecimal(delta))), wall);
  }

  private static void zrem(Replica r, String member, long wall) {
    r.zrem(new SessionToken(), ZSET, List.of(b(member)), wall);
  }


  @Test
  void theRegistersOfRemovedMembersGoOnceStableAndTheScoresStayAsTheyWere() {
    Node a = new Node(0);
    Node c = new Node(1);
    Stability st = new Stability(List.of(0, 1));
    zadd(a.replica, "keep", 1.5, WALL);
    zincrby(a.replica, "keep", "2", WALL);
    // Churn on one server: each member's only register is its removal, marking itself alone.
    for (int i = 0; i < 200; i++) {
      zadd(a.replica, "own" + i, i, WALL + i);
      zrem(a.replica, "own" + i, WALL + i);
    }
    // Added on a, removed on c: a's add, hidden by c's removal, which marks it.
    for (int i = 0; i < 100; i++) {
      zadd(a.replica, "m" + i, i, WALL + i);
      sync(a.replica, c.replica);
      zrem(c.replica, "m" + i, WALL + i);
      sync(c.replica, a.replica);
    }
    // Incremented, then removed: the total its origin's later increments count from stays.
    zincrby(a.replica, "inc", "3", WALL);
    zrem(a.replica, "inc", WALL);
    sync(a.replica, c.replica);
    assertThat(stored(a.replica)).as("head, kept member, the registers of removed members")
        .isEqualTo(2 + 200 + 200 + 1);
    hearAll(st, a, c);
    for (Node n : List.of(a, c)) {
      List<Entry> out = collect(n.replica, st);
      assertThat(out).hasSize(200 + 100);
      assertThat(stored(n.replica)).isEqualTo(2 + 100 + 1);
      assertThat(scores(n.replica)).containsExactly(java.util.Map.entry("keep", 3.5));
      assertThat(n.replica.digest()).isEqualTo(ReplicaHarness.storedFingerprintSum(n.replica));
    }
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
    a.restart();
    assertThat(stored(a.replica)).isEqualTo(2 + 100 + 1);
    // Written again after collection, members count from where they were.
    zincrby(a.replica, "own7", "4", WALL + 900);
    zincrby(a.replica, "inc", "1", WALL + 900);
    zadd(c.replica, "m3", 9, WALL + 900);
    sync(a.replica, c.replica);
    sync(c.replica, a.replica);
    for (Node n : List.of(a, c)) {
      assertThat(scores(n.replica)).containsExactly(java.util.Map.entry("inc", 1.0),
          java.util.Map.entry("keep", 3.5), java.util.Map.entry("m3", 9.0),
          java.util.Map.entry("own7", 4.0));
    }
  }

  @Test
  void nothingGoesThatTheStableVectorDoesNotCover() {
    Node a = new Node(0);
    Node c = new Node(1);
    Stability st = new Stability(List.of(0, 1));
    zadd(a.replica, "x", 1, WALL);
    zadd(a.replica, "y", 2, WALL);
    sync(a.replica, c.replica);
    hearAll(st, a, c);
    zrem(a.replica, "x", WALL + 1); // c has not seen it
    assertThat(collect(a.replica, st)).isEmpty();
    // Collected by its own vector alone, a's delta to c carries nothing for the removal and
    // raises c's vector past it: c shows x for ever.
    Node rogue = new Node(2);
    sync(a.replica, rogue.replica);
    Node lagging = new Node(3);
    sync(c.replica, lagging.replica);
    assertThat(ReplicaHarness.collectAll(rogue.replica, rogue.replica.vv(), Long.MAX_VALUE, 3))
        .isNotEmpty();
    sync(rogue.replica, lagging.replica);
    assertThat(scores(rogue.replica)).containsOnlyKeys("y");
    assertThat(scores(lagging.replica)).containsOnlyKeys("x", "y");
    sync(a.replica, c.replica);
    hearAll(st, a, c);
    assertThat(collect(a.replica, st)).hasSize(1);
    assertThat(collect(c.replica, st)).hasSize(1);
    assertThat(scores(c.replica)).containsOnlyKeys("y");
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
  }

  @Test
  void anAddConcurrentWithAStableRemoveSurvivesWithItsScore() {
    Node a = new Node(0);
    Node b = new Node(1);
    Node c = new Node(2);
    Stability st = new Stability(List.of(0, 1, 2));
    zadd(a.replica, "m", 10, WALL);
    zadd(a.replica, "n", 1, WALL);
    sync(a.replica, b.replica);
    sync(a.replica, c.replica);
    // b removes m, seeing a's add; c increments m at the same time, unseen by b.
    zrem(b.replica, "m", WALL + 1);
    zincrby(c.replica, "m", "2.5", WALL + 2);
    List<DeltaChunk> cAdd = ReplicaHarness.drain(c.replica, a.replica.vv(), 1 << 20);
    sync(b.replica, a.replica);
    sync(b.replica, c.replica);
    hearAll(st, a, b, c);
    assertThat(collect(a.replica, st)).as("a's add of m; b's removal stays").hasSize(1);
    assertThat(scores(a.replica)).containsOnlyKeys("n");
    ReplicaHarness.applyAll(a.replica, cAdd);
    ReplicaHarness.applyAll(b.replica, cAdd);
    TreeMap<String, Double> expected = new TreeMap<>(java.util.Map.of("m", 12.5, "n", 1.0));
    for (Node n : List.of(a, b, c)) assertThat(scores(n.replica)).isEqualTo(expected);
    hearAll(st, a, b, c);
    for (Node n : List.of(b, c)) collect(n.replica, st);
    for (Node n : List.of(a, b, c)) assertThat(scores(n.replica)).isEqualTo(expected);
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest()).isEqualTo(c.replica.digest());
  }

  /**
   * Random ZADD (scores), ZINCRBY (totals that may return to zero), ZREM and DEL on three
   * replicas with random partial syncs and collection slices, mirrored on three that never
   * collect: each collecting replica reads every member and score as its mirror after every
   * step, and at the end the collecting replicas hold equal digests.
   */
  @Test
  void replicasThatCollectReadAsReplicasThatDoNotAndConverge() {
    int collectedSomewhere = 0;
    for (long seed = 1; seed <= 150; seed++) {
      if (runRandom(seed)) collectedSomewhere++;
    }
    assertThat(collectedSomewhere).as("runs in which collection removed zset registers")
        .isGreaterThan(50);
  }

  /** Returns whether some collecting replica collected a register. */
  private static boolean runRandom(long seed) {
    Random rnd = new Random(seed);
    int n = 3;
    ReplicaHarness.Mirrored run = new ReplicaHarness.Mirrored(n);
    Node[] col = run.col;
    Node[] mirror = run.mirror;
    String[] names = {"a", "b", "c", "d", "e", "f"};
    List<Entry> collected = new ArrayList<>();
    String[] deltas = {"1", "-1", "0.5", "0", "2"};
    long wall = WALL;
    for (int step = 0; step < 300; step++) {
      wall += rnd.nextInt(3);
      long w = wall;
      int i = rnd.nextInt(n);
      int op = rnd.nextInt(10); // the last two: a collection slice
      String m = names[rnd.nextInt(names.length)];
      String where = "seed " + seed + " step " + step;
      if (op < 3) {
        double score = rnd.nextInt(5);
        run.both(i, r -> zadd(r, m, score, w));
      } else if (op < 4) {
        String d = deltas[rnd.nextInt(deltas.length)];
        run.both(i, r -> zincrby(r, m, d, w));
      } else if (op < 6) {
        run.both(i, r -> zrem(r, m, w));
      } else if (op < 7) {
        if (rnd.nextInt(4) == 0) run.both(i, r -> ReplicaHarness.del(r, ZSET, w));
      } else if (op < 8) {
        run.partialSync(i, rnd);
      } else {
        run.collectSlice(i, rnd, collected);
      }
      for (int k = 0; k < n; k++) {
        assertThat(scores(col[k].replica)).as(where + " zset on " + k)
            .isEqualTo(scores(mirror[k].replica));
        assertThat(col[k].replica.digest())
            .isEqualTo(ReplicaHarness.storedFingerprintSum(col[k].replica));
      }
    }
    collected.addAll(run.settle());
    for (int k = 0; k < n; k++) {
      assertThat(scores(col[k].replica)).as("seed " + seed + " final zset on " + k)
          .isEqualTo(scores(mirror[0].replica));
      assertThat(col[k].replica.digest()).as("seed " + seed + " digests")
          .isEqualTo(col[0].replica.digest());
    }
    assertThat(stored(col[0].replica)).isLessThanOrEqualTo(stored(mirror[0].replica));
    return !collected.isEmpty();
  }
}
