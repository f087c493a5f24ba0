package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.hearAll;
import static kvs.core.ReplicaHarness.sync;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * Collection of the garbage of typed keys' elements (Replica.collectStable, Sets.garbage): the
 * registers of removed set members and the tombstones of hash fields, by the rule of tombstones.
 */
class ReplicaElementCollectTest {
  private static final long WALL = 1_000;
  private static final byte[] SET = b("s");
  private static final byte[] HASH = b("h");

  private static List<Entry> collect(Replica r, VersionVector stable, long bound) {
    return ReplicaHarness.collectAll(r, stable, bound, 3);
  }

  private static int stored(Replica r) {
    return ReplicaHarness.storedCount(r);
  }

  private static long storedSum(Replica r) {
    return ReplicaHarness.storedFingerprintSum(r);
  }

  private static long storedValues(Replica r) {
    long[] n = {0};
    r.forEachFrom(null, e -> {
      if (!e.isTombstone()) n[0]++;
      return true;
    });
    return n[0];
  }

  private static TreeSet<String> members(Replica r) {
    TreeSet<String> out = new TreeSet<>();
    for (byte[] m : r.setMembers(new SessionToken(), SET)) out.add(ReplicaHarness.s(m));
    return out;
  }

  private static TreeSet<String> fields(Replica r) {
    TreeSet<String> out = new TreeSet<>();
    for (Replica.HashField f : r.hashFields(new SessionToken(), HASH)) {
      out.add(ReplicaHarness.s(f.name()) + "=" + ReplicaHarness.s(f.value()));
    }
    return out;
  }


  @Test
  void theRegistersOfRemovedMembersGoOnceStableAndTheSetStaysAsItWas() {
    Node a = new Node(0);
    Node c = new Node(1);
    Stability st = new Stability(List.of(0, 1));
    SessionToken s = new SessionToken();
    a.replica.sadd(s, SET, List.of(b("keep")), WALL);
    // Churn on one server: each member's register is its removal, recording nothing.
    for (int i = 0; i < 200; i++) {
      a.replica.sadd(s, SET, List.of(b("own" + i)), WALL + i);
      a.replica.srem(s, SET, List.of(b("own" + i)), WALL + i);
    }
    // Added on a, removed on c: a's add, and c's removal recording it.
    for (int i = 0; i < 100; i++) {
      a.replica.sadd(s, SET, List.of(b("m" + i)), WALL + i);
      sync(a.replica, c.replica);
      c.replica.srem(new SessionToken(), SET, List.of(b("m" + i)), WALL + i);
      sync(c.replica, a.replica);
    }
    assertThat(stored(a.replica)).as("head, kept member, the registers of removed members")
        .isEqualTo(2 + 200 + 200);
    hearAll(st, a, c);
    for (Node n : List.of(a, c)) {
      List<Entry> out = collect(n.replica, st.stableVector(), st.clockBound());
      // Every removal by its adder's server, and every add removed elsewhere; a removal of
      // another server's add stays while some replica may still hold the add it hides.
      assertThat(out).hasSize(200 + 100);
      assertThat(stored(n.replica)).isEqualTo(2 + 100);
      assertThat(members(n.replica)).containsExactly("keep");
      assertThat(n.replica.digest()).isEqualTo(storedSum(n.replica));
      assertThat(n.replica.valueCount()).isEqualTo(storedValues(n.replica));
    }
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
    // It lasts.
    a.restart();
    assertThat(stored(a.replica)).isEqualTo(2 + 100);
    assertThat(members(a.replica)).containsExactly("keep");
    // The adder writes a removed member again and removes it: its new word goes; c's removal,
    // which records an add, stays (no replica can tell that every other one dropped the add).
    for (int i = 0; i < 100; i++) {
      a.replica.sadd(s, SET, List.of(b("m" + i)), WALL + 500 + i);
      a.replica.srem(s, SET, List.of(b("m" + i)), WALL + 500 + i);
    }
    sync(a.replica, c.replica);
    hearAll(st, a, c);
    for (Node n : List.of(a, c)) {
      assertThat(collect(n.replica, st.stableVector(), st.clockBound())).hasSize(100);
      assertThat(stored(n.replica)).isEqualTo(2 + 100);
    }
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
    c.replica.sadd(new SessionToken(), SET, List.of(b("m7")), WALL + 1_000);
    sync(c.replica, a.replica);
    assertThat(members(a.replica)).containsExactly("keep", "m7");
  }

  @Test
  void nothingGoesThatTheStableVectorDoesNotCover() {
    Node a = new Node(0);
    Node c = new Node(1);
    Stability st = new Stability(List.of(0, 1));
    a.replica.sadd(new SessionToken(), SET, List.of(b("x"), b("y")), WALL);
    sync(a.replica, c.replica);
    hearAll(st, a, c);
    a.replica.srem(new SessionToken(), SET, List.of(b("x")), WALL + 1); // c has not seen it
    assertThat(collect(a.replica, st.stableVector(), st.clockBound())).isEmpty();
    // Collected by its own vector alone (as if it were the only member), a's delta to c
    // carries nothing for the removal and raises c's vector past it: c shows x for ever.
    Node rogue = new Node(2);
    sync(a.replica, rogue.replica);
    Node lagging = new Node(3);
    sync(c.replica, lagging.replica);
    assertThat(collect(rogue.replica, rogue.replica.vv(), Long.MAX_VALUE)).isNotEmpty();
    sync(rogue.replica, lagging.replica);
    assertThat(lagging.replica.vv().covers(rogue.replica.vv())).isTrue();
    assertThat(members(rogue.replica)).containsExactly("y");
    assertThat(members(lagging.replica)).containsExactly("x", "y");
    // By the rule, once c holds the removal, both collect it and agree.
    sync(a.replica, c.replica);
    hearAll(st, a, c);
    assertThat(collect(a.replica, st.stableVector(), st.clockBound())).hasSize(1);
    assertThat(collect(c.replica, st.stableVector(), st.clockBound())).hasSize(1);
    assertThat(members(c.replica)).containsExactly("y");
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
  }

  @Test
  void anAddConcurrentWithAStableRemoveSurvivesCollection() {
    Node a = new Node(0);
    Node b = new Node(1);
    Node c = new Node(2);
    Stability st = new Stability(List.of(0, 1, 2));
    a.replica.sadd(new SessionToken(), SET, List.of(b("m"), b("n")), WALL);
    sync(a.replica, b.replica);
    sync(a.replica, c.replica);
    // b removes m, seeing a's add; c adds m at the same time, unseen by b.
    b.replica.srem(new SessionToken(), SET, List.of(b("m")), WALL + 1);
    c.replica.sadd(new SessionToken(), SET, List.of(b("m")), WALL + 2);
    List<DeltaChunk> cAdd = ReplicaHarness.drain(c.replica, a.replica.vv(), 1 << 20);
    sync(b.replica, a.replica);
    sync(b.replica, c.replica);
    hearAll(st, a, b, c);
    // a collects a's add and b's removal (stable), before c's add reaches it.
    List<Entry> out = collect(a.replica, st.stableVector(), st.clockBound());
    assertThat(out).as("a's add; b's removal stays while c holds the add").hasSize(1);
    assertThat(members(a.replica)).containsExactly("n");
    ReplicaHarness.applyAll(a.replica, cAdd);
    ReplicaHarness.applyAll(b.replica, cAdd);
    assertThat(members(a.replica)).as("add wins").containsExactly("m", "n");
    assertThat(members(b.replica)).containsExactly("m", "n");
    assertThat(members(c.replica)).containsExactly("m", "n");
    hearAll(st, a, b, c);
    for (Node n : List.of(b, c)) collect(n.replica, st.stableVector(), st.clockBound());
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest()).isEqualTo(c.replica.digest());
    assertThat(members(a.replica)).containsExactly("m", "n");
  }

  @Test
  void aRemovalThatRecordsAnAddStaysAndTheAddsItHidesGo() {
    Node a = new Node(0);
    Node b = new Node(1);
    a.replica.sadd(new SessionToken(), SET, List.of(b("m")), WALL);
    sync(a.replica, b.replica);
    b.replica.srem(new SessionToken(), SET, List.of(b("m")), WALL + 1);
    sync(b.replica, a.replica);
    VersionVector stable = a.replica.vv();
    // a's add goes (hidden by b's removal, for good); b's removal records it and stays.
    List<Entry> out = collect(a.replica, stable, Long.MAX_VALUE);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).origin()).isEqualTo(a.origin());
    assertThat(collect(b.replica, stable, Long.MAX_VALUE)).isEqualTo(out);
    assertThat(collect(a.replica, stable, Long.MAX_VALUE)).isEmpty();
    // a adds m again: a new add b's removal did not see, so it shows on both.
    a.replica.sadd(new SessionToken(), SET, List.of(b("m")), WALL + 2);
    sync(a.replica, b.replica);
    assertThat(collect(a.replica, a.replica.vv(), Long.MAX_VALUE)).isEmpty();
    assertThat(members(a.replica)).containsExactly("m");
    assertThat(members(b.replica)).containsExactly("m");
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest());
  }

  /**
   * Simulator seed 1177: a removal that its own server collects together with the add it hides
   * is no longer carried by that server's next word on the member; a replica that had not
   * collected the add yet would show the member again on that word, and hold the add for good.
   */
  @Test
  void aRemovalStaysWhileAnotherReplicaMayStillHoldTheAddItHides() {
    Node a = new Node(0);
    Node b = new Node(1);
    Node c = new Node(2);
    a.replica.sadd(new SessionToken(), SET, List.of(b("m"), b("n")), WALL);
    sync(a.replica, b.replica);
    b.replica.srem(new SessionToken(), SET, List.of(b("m")), WALL + 1);
    sync(b.replica, a.replica);
    sync(b.replica, c.replica);
    VersionVector stable = a.replica.vv();
    assertThat(b.replica.vv()).isEqualTo(stable);
    assertThat(c.replica.vv()).isEqualTo(stable);
    List<Entry> out = collect(b.replica, stable, Long.MAX_VALUE);
    // b adds m again and removes it; c, which has collected nothing, must not show m.
    b.replica.sadd(new SessionToken(), SET, List.of(b("m")), WALL + 2);
    b.replica.srem(new SessionToken(), SET, List.of(b("m")), WALL + 3);
    sync(b.replica, c.replica);
    assertThat(members(b.replica)).containsExactly("n");
    assertThat(members(c.replica)).containsExactly("n");
    assertThat(out).as("a's add only").hasSize(1);
    assertThat(out.get(0).origin()).isEqualTo(a.origin());
    collect(c.replica, c.replica.vv(), Long.MAX_VALUE);
    collect(b.replica, c.replica.vv(), Long.MAX_VALUE);
    assertThat(members(c.replica)).containsExactly("n");
    assertThat(b.replica.digest()).isEqualTo(c.replica.digest());
  }

  @Test
  void aHashFieldsTombstoneGoesOnceStable() {
    Node a = new Node(0);
    Node c = new Node(1);
    Stability st = new Stability(List.of(0, 1));
    SessionToken s = new SessionToken();
    a.replica.hset(s, HASH, List.of(b("keep")), List.of(b("1")), WALL);
    for (int i = 0; i < 50; i++) {
      a.replica.hset(s, HASH, List.of(b("f" + i)), List.of(b("v")), WALL + i);
      a.replica.hdel(s, HASH, List.of(b("f" + i)), WALL + i);
    }
    sync(a.replica, c.replica);
    assertThat(stored(c.replica)).isEqualTo(2 + 50);
    hearAll(st, a, c);
    for (Node n : List.of(a, c)) {
      assertThat(collect(n.replica, st.stableVector(), st.clockBound())).hasSize(50);
      assertThat(stored(n.replica)).isEqualTo(2);
      assertThat(fields(n.replica)).containsExactly("keep=1");
    }
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
  }

  /**
   * Random SADD, SREM, DEL, HSET, HDEL on three replicas with random partial syncs and random
   * collection by the stable vector and clock bound, mirrored on three replicas that never
   * collect: each collecting replica reads as its mirror after every step, and at the end the
   * collecting replicas hold equal digests and no garbage the rule allows.
   */
  @Test
  void replicasThatCollectReadAsReplicasThatDoNotAndConverge() {
    int collectedSomewhere = 0;
    for (long seed = 1; seed <= 100; seed++) {
      if (runRandom(seed)) collectedSomewhere++;
    }
    assertThat(collectedSomewhere).as("runs in which collection removed element garbage")
        .isGreaterThan(50);
  }

  /** Returns whether the collecting replicas ended holding fewer entries than the mirrors. */
  private static boolean runRandom(long seed) {
    Random rnd = new Random(seed);
    int n = 3;
    ReplicaHarness.Mirrored run = new ReplicaHarness.Mirrored(n);
    Node[] col = run.col;
    Node[] mirror = run.mirror;
    String[] names = {"a", "b", "c", "d"};
    long wall = WALL;
    for (int step = 0; step < 300; step++) {
      wall += rnd.nextInt(3);
      long w = wall;
      int i = rnd.nextInt(n);
      int op = rnd.nextInt(11); // the last two: a collection slice
      byte[] m = b(names[rnd.nextInt(names.length)]);
      String where = "seed " + seed + " step " + step;
      if (op < 3) {
        run.both(i, r -> r.sadd(new SessionToken(), SET, List.of(m), w));
      } else if (op < 5) {
        if (col[i].replica.setContains(new SessionToken(), SET, m)) {
          run.both(i, r -> r.srem(new SessionToken(), SET, List.of(m), w));
        }
      } else if (op < 6) {
        if (rnd.nextInt(4) == 0) run.both(i, r -> ReplicaHarness.del(r, SET, w));
      } else if (op < 7) {
        byte[] v = b("v" + step);
        run.both(i, r -> r.hset(new SessionToken(), HASH, List.of(m), List.of(v), w));
      } else if (op < 8) {
        boolean has = false;
        for (Replica.HashField f : col[i].replica.hashFields(new SessionToken(), HASH)) {
          has |= java.util.Arrays.equals(f.name(), m);
        }
        if (has) run.both(i, r -> r.hdel(new SessionToken(), HASH, List.of(m), w));
      } else if (op < 9) {
        run.partialSync(i, rnd);
      } else {
        run.collectSlice(i, rnd, null);
      }
      for (int k = 0; k < n; k++) {
        assertThat(members(col[k].replica)).as(where + " set on " + k)
            .isEqualTo(members(mirror[k].replica));
        assertThat(fields(col[k].replica)).as(where + " hash on " + k)
            .isEqualTo(fields(mirror[k].replica));
        assertThat(col[k].replica.digest()).isEqualTo(storedSum(col[k].replica));
        assertThat(col[k].replica.valueCount()).isEqualTo(storedValues(col[k].replica));
      }
    }
    run.settle();
    for (int k = 0; k < n; k++) {
      assertThat(members(col[k].replica)).as("seed " + seed + " final set on " + k)
          .isEqualTo(members(mirror[0].replica));
      assertThat(fields(col[k].replica)).isEqualTo(fields(mirror[0].replica));
      assertThat(col[k].replica.digest()).as("seed " + seed + " digests")
          .isEqualTo(col[0].replica.digest());
    }
    assertThat(stored(col[0].replica)).isLessThanOrEqualTo(stored(mirror[0].replica));
    return stored(col[0].replica) < stored(mirror[0].replica);
  }
}
