package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.hearAll;
import static kvs.core.ReplicaHarness.sync;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/** Collection of stable tombstones and expiry remnants (Replica.collectStable). */
class ReplicaCollectTest {
  private static final long WALL = 1_000;

  private static List<Entry> collect(Replica r, VersionVector stable, long bound) {
    return ReplicaHarness.collectAll(r, stable, bound, 2);
  }

  private static long storedSum(Replica r) {
    return ReplicaHarness.storedFingerprintSum(r);
  }

  @Test
  void aStableTombstoneIsRemovedAndTheKeyStillReadsAsAbsent() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("k"), b("v"), WALL);
    Entry del = a.replica.put(s, b("k"), null, WALL);
    a.replica.put(s, b("other"), b("x"), WALL);
    VersionVector vvBefore = a.replica.vv();
    assertThat(collect(a.replica, a.replica.vv(), del.clock())).containsExactly(del);
    assertThat(a.replica.peek(b("k"))).isNull();
    assertThat(a.replica.read(s, b("k"), WALL).status()).isEqualTo(ReadStatus.NOT_FOUND);
    assertThat(a.replica.vv()).isEqualTo(vvBefore);
    assertThat(a.replica.digest()).as("the digest is the sum of what is stored")
        .isEqualTo(storedSum(a.replica));
    // It lasts: the store holds the removal.
    a.restart();
    assertThat(a.replica.peek(b("k"))).isNull();
    assertThat(a.replica.digest()).isEqualTo(storedSum(a.replica));
  }

  /**
   * What lets a collector rest while the stable vector moves (server/Collector): a pass tells
   * whether it left an entry that waits only for stability, and the replica counts the writes
   * of entries that may become garbage.
   */
  @Test
  void aPassTellsWhetherItLeftGarbageAndWritesOfPossibleGarbageAreCounted() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    for (int i = 0; i < 10; i++) a.replica.put(s, b("k" + i), b("v" + i), WALL);
    a.replica.put(s, b("k1"), b("again"), WALL);
    assertThat(a.replica.garbageWrites()).isZero();
    assertThat(collect(a.replica, a.replica.vv(), Long.MAX_VALUE)).isEmpty();
    assertThat(a.replica.lastCollectLeftGarbage()).isFalse();

    Entry del = a.replica.put(s, b("k9"), null, WALL); // the last key: the last slice sees it
    assertThat(a.replica.garbageWrites()).isEqualTo(1);
    assertThat(collect(a.replica, new VersionVector(), Long.MAX_VALUE)).isEmpty();
    assertThat(a.replica.lastCollectLeftGarbage()).as("the tombstone waits for stability")
        .isTrue();
    assertThat(collect(a.replica, a.replica.vv(), Long.MAX_VALUE)).containsExactly(del);
    assertThat(collect(a.replica, a.replica.vv(), Long.MAX_VALUE)).isEmpty();
    assertThat(a.replica.lastCollectLeftGarbage()).isFalse();
    assertThat(a.replica.garbageWrites()).as("collecting writes nothing that may go").isEqualTo(1);
  }

  @Test
  void nothingIsCollectedThatTheStableVectorOrTheClockBoundDoesNotAllow() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    Entry del = a.replica.put(s, b("k"), null, WALL);
    Entry value = a.replica.put(s, b("v"), b("x"), WALL);
    VersionVector short1 = new VersionVector();
    short1.raise(a.origin(), del.seq() - 1);
    assertThat(collect(a.replica, short1, Long.MAX_VALUE)).isEmpty();
    assertThat(collect(a.replica, a.replica.vv(), del.clock() - 1)).isEmpty();
    // A stable vector ahead of this replica's own (a stale caller) collects nothing it lacks.
    Node b = new Node(2);
    assertThat(collect(b.replica, a.replica.vv(), Long.MAX_VALUE)).isEmpty();
    assertThat(collect(a.replica, a.replica.vv(), Long.MAX_VALUE)).containsExactly(del);
    assertThat(a.replica.peek(b("v"))).isEqualTo(value);
  }

  @Test
  void aWriteThatArrivesAfterCollectionIsEitherHeldAlreadyOrNewer() {
    Node a = new Node(1);
    Node c = new Node(2);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("k"), b("old"), WALL);
    sync(a.replica, c.replica);
    Entry del = c.replica.put(new SessionToken(), b("k"), null, WALL + 5);
    sync(c.replica, a.replica);
    VersionVector stable = a.replica.vv();
    collect(a.replica, stable, del.clock());
    collect(c.replica, stable, del.clock());
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
    // A delta of the old write again (covered) changes nothing.
    sync(a.replica, c.replica);
    assertThat(c.replica.peek(b("k"))).isNull();
    // A newer write is taken, on both, with equal digests.
    a.replica.put(s, b("k"), b("new"), WALL + 10);
    sync(a.replica, c.replica);
    assertThat(c.replica.peek(b("k")).value()).isEqualTo(b("new"));
    assertThat(c.replica.digest()).isEqualTo(a.replica.digest());
  }

  @Test
  void replicasThatCollectAtDifferentTimesAgreeOnceBothHave() {
    Node a = new Node(1);
    Node c = new Node(2);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("k"), b("v"), WALL);
    Entry del = a.replica.put(s, b("k"), null, WALL);
    sync(a.replica, c.replica);
    collect(a.replica, a.replica.vv(), del.clock());
    assertThat(a.replica.digest()).isNotEqualTo(c.replica.digest());
    // c overwrites the key before collecting: the tombstone is gone there too.
    Entry next = c.replica.put(new SessionToken(), b("k"), b("w"), WALL + 1);
    sync(c.replica, a.replica);
    assertThat(a.replica.peek(b("k"))).isEqualTo(next);
    assertThat(a.replica.digest()).isEqualTo(c.replica.digest());
  }

  @Test
  void aRemnantIsCollectedOnlyOnceTheBoundIsPastItsExpiry() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    Entry e = a.replica.write(s, List.of(b("k")), List.of(b("v")), new long[] {1_500}, WALL)
        .get(0);
    a.replica.sweepExpired(null, 10, 2_000);
    Entry remnant = a.replica.peek(b("k"));
    assertThat(remnant.isRemnant()).isTrue();
    long justBefore = (1_499L << Hlc.LOGICAL_BITS) | 0xffff;
    assertThat(collect(a.replica, a.replica.vv(), Math.max(e.clock(), justBefore))).isEmpty();
    assertThat(collect(a.replica, a.replica.vv(), 1_500L << Hlc.LOGICAL_BITS))
        .containsExactly(remnant);
    assertThat(a.replica.digest()).isEqualTo(storedSum(a.replica));
  }

  @Test
  void aConcurrentOlderWriteStillOnItsWayHoldsTheTombstoneBack() {
    Node a = new Node(0);
    Node b = new Node(1);
    Node c = new Node(2);
    Stability st = new Stability(List.of(0, 1, 2));
    hearAll(st, a, b, c); // nothing written yet: every origin's later writes are above these
    Entry older = b.replica.put(new SessionToken(), b("k"), b("old"), WALL);
    Entry del = a.replica.put(new SessionToken(), b("k"), null, WALL + 1_000);
    assertThat(del.clock()).isGreaterThan(older.clock());
    // b's write is on its way to a and c (a delta cut before b saw the delete).
    List<DeltaChunk> inFlight = ReplicaHarness.drain(b.replica, a.replica.vv(), 1 << 20);
    sync(a.replica, b.replica);
    sync(a.replica, c.replica); // every replica holds the delete; b's write has reached no one
    hearAll(st, a, b, c);
    assertThat(st.stableVector().covers(del.origin(), del.seq())).isTrue();
    assertThat(st.clockBound()).as("b wrote below the delete, unseen").isLessThan(del.clock());
    assertThat(collect(c.replica, st.stableVector(), st.clockBound())).isEmpty();

    // Collected anyway (no clock bound), c takes b's older write as new: the key comes back
    // there while a, holding the tombstone, keeps the key deleted.
    Node rogue = new Node(3);
    sync(c.replica, rogue.replica);
    assertThat(collect(rogue.replica, st.stableVector(), Long.MAX_VALUE)).containsExactly(del);
    ReplicaHarness.applyAll(rogue.replica, inFlight);
    assertThat(rogue.replica.peek(b("k"))).isEqualTo(older);
    ReplicaHarness.applyAll(a.replica, inFlight);
    assertThat(a.replica.peek(b("k"))).isEqualTo(del);

    // By the rule: once b's write is everywhere (beaten by the delete), the delete goes.
    ReplicaHarness.applyAll(c.replica, inFlight);
    hearAll(st, a, b, c);
    assertThat(st.clockBound()).isGreaterThanOrEqualTo(del.clock());
    for (Node n : List.of(a, b, c)) {
      assertThat(collect(n.replica, st.stableVector(), st.clockBound())).containsExactly(del);
      assertThat(n.replica.peek(b("k"))).isNull();
    }
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest()).isEqualTo(c.replica.digest());
  }

  @Test
  void aSupersededBatchWritesLogRecordGoesOnceTheStableVectorCoversIt() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    a.replica.beginBatch();
    a.replica.put(s, b("k1"), b("v1"), WALL);
    a.replica.put(s, b("k2"), b("v2"), WALL);
    a.replica.commitBatch();
    a.replica.put(s, b("k1"), b("newer"), WALL); // the batch write of k1 keeps its record
    assertThat(a.store.logSize()).isEqualTo(3);
    VersionVector before = a.replica.vv();
    // Not yet covered by the stable vector: a peer may still lack the batch.
    VersionVector partial = new VersionVector();
    partial.raise(a.origin(), 0);
    assertThat(a.replica.collectLogRecords(partial, 100)).isZero();
    assertThat(a.store.logSize()).isEqualTo(3);
    // Covered: every member holds the batch or newer writes of its keys.
    assertThat(a.replica.collectLogRecords(before, 1)).isEqualTo(1);
    assertThat(a.store.logSize()).as("the records of current entries stay").isEqualTo(2);
    assertThat(a.replica.collectLogRecords(before, 100)).isZero();
    // A peer that lacks everything still gets every current entry from a delta.
    Node b = new Node(2);
    ReplicaHarness.applyAll(b.replica,
        ReplicaHarness.drain(a.replica, new VersionVector(), 1 << 20));
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(b.replica.vv()).isEqualTo(a.replica.vv());
  }

  /**
   * Once a full pass over the log has ended, a collection examines only the records that may
   * qualify (superseded batch writes), not every record of every current entry again: a peer
   * under a steady load spent about 40% of its CPU rescanning (docs/performance.md). Records
   * from before a restart are found by the pass that follows it.
   */
  @Test
  void afterOneFullPassOnlySupersededBatchRecordsAreExamined() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    for (int i = 0; i < 1_000; i++) a.replica.put(s, b("k" + i), b("v"), WALL);
    a.replica.beginBatch();
    a.replica.put(s, b("b1"), b("v1"), WALL);
    a.replica.put(s, b("b2"), b("v2"), WALL);
    a.replica.commitBatch();
    a.replica.put(s, b("b1"), b("newer"), WALL); // b1's batch write keeps its record
    VersionVector none = new VersionVector();
    // The full pass: every record once, none stable yet.
    for (int i = 0; i < 20; i++) assertThat(a.replica.collectLogRecords(none, 100)).isZero();
    assertThat(a.store.logRecordsVisited()).as("the pass read every record").isEqualTo(1_003);
    assertThat(a.replica.collectLogRecords(none, 100)).isZero();
    long visited = a.store.logRecordsVisited();
    for (int i = 0; i < 50; i++) assertThat(a.replica.collectLogRecords(none, 100)).isZero();
    assertThat(a.store.logRecordsVisited()).as("nothing qualifies: nothing is read").isEqualTo(visited);

    // A batch superseded after the pass joins the candidates as it is written.
    a.replica.beginBatch();
    a.replica.put(s, b("b3"), b("v3"), WALL);
    a.replica.put(s, b("b4"), b("v4"), WALL);
    a.replica.commitBatch();
    a.replica.put(s, b("b3"), b("newer"), WALL);
    assertThat(a.store.logSize()).isEqualTo(1_000 + 4 + 2);
    VersionVector all = a.replica.vv();
    assertThat(a.replica.collectLogRecords(all, 100)).isEqualTo(2); // b1's and b3's batch writes
    assertThat(a.store.logRecordsVisited() - visited).as("the two candidates alone").isEqualTo(2);
    assertThat(a.store.logSize()).isEqualTo(1_004);

    // After a restart the candidates are gone: the next pass finds a record superseded before.
    a.replica.beginBatch();
    a.replica.put(s, b("b5"), b("v5"), WALL);
    a.replica.put(s, b("b6"), b("v6"), WALL);
    a.replica.commitBatch();
    a.replica.put(s, b("b5"), b("newer"), WALL);
    a.restart();
    VersionVector now = a.replica.vv();
    int removed = 0;
    for (int i = 0; i < 20; i++) removed += a.replica.collectLogRecords(now, 100);
    assertThat(removed).isEqualTo(1);
    assertThat(a.store.logSize()).as("one record per key").isEqualTo(1_006);
  }

  /**
   * Simulator seed 5013: an incarnation that died before any advert of its own was heard showed
   * up in every vector and set the clock bound to -1 for good, after one replica had collected
   * a tombstone; the others could never follow and the digests differed for ever. Its successor
   * now names its last durable state ({@link Replica#predecessor}), an advert it could have made.
   */
  @Test
  void anIncarnationThatDiedUnheardIsNamedByItsSuccessor() {
    Node a = new Node(0);
    Node b = new Node(1);
    Stability st = new Stability(List.of(0, 1));
    hearAll(st, a, b);
    Entry del = a.replica.put(new SessionToken(), b("k"), null, WALL);
    sync(a.replica, b.replica);
    hearAll(st, a, b);
    assertThat(st.clockBound()).isGreaterThanOrEqualTo(del.clock());
    assertThat(collect(a.replica, st.stableVector(), st.clockBound())).containsExactly(del);

    // b crashes, comes back as a new incarnation, writes, and that write reaches a; b crashes
    // again before anyone heard an advert of that incarnation.
    b.replica = Replica.open(b.store, 1, 5_001, false);
    long unheard = b.origin();
    Entry w = b.replica.put(new SessionToken(), b("w"), b("x"), WALL);
    sync(b.replica, a.replica);
    b.store = b.store.durableCopy();
    b.replica = Replica.open(b.store, 1, 5_002, false);
    assertThat(b.replica.predecessor().origin()).isEqualTo(unheard);
    assertThat(b.replica.predecessor().vv().get(unheard)).isEqualTo(w.seq());
    hearAll(st, a, b);
    assertThat(st.clockBound()).as("an origin in the vectors that no advert names")
        .isEqualTo(-1);

    // Once its successor's state is durable, so is its predecessor's: heard, it bounds again.
    ReplicaMeta before = b.replica.predecessor();
    st.advert(1, before.origin(), before.vv(), before.clock());
    assertThat(st.clockBound()).isGreaterThanOrEqualTo(del.clock()).isLessThan(w.clock());
    assertThat(collect(b.replica, st.stableVector(), st.clockBound())).containsExactly(del);
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest());
  }
}
