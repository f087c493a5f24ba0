package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static kvs.core.ReplicaHarness.sync;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/** Expiry in the replica state machine: an absolute time in the entry, read against now. */
class ReplicaExpiryTest {

  private static Entry putExpiring(Replica r, SessionToken s, String k, String v, long expiry,
      long wall) {
    return r.write(s, List.of(b(k)), List.of(b(v)), new long[] {expiry}, wall).get(0);
  }

  @Test
  void anExpiringWriteReadsAsAbsentFromItsExpiryOn() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    Entry e = putExpiring(a.replica, s, "k", "v", 1_500, 1_000);
    assertThat(e.expiry()).isEqualTo(1_500);
    assertThat(a.replica.read(s, b("k"), 1_499).status()).isEqualTo(ReadStatus.FOUND);
    assertThat(live(a.replica)).hasSize(1);
    ReadResult gone = a.replica.read(s, b("k"), 1_500);
    assertThat(gone.status()).isEqualTo(ReadStatus.NOT_FOUND);
    assertThat(gone.entry()).as("the session takes in the expired version").isEqualTo(e);
    assertThat(a.replica.liveEntry(b("k"))).isNull();
    assertThat(live(a.replica)).isEmpty();
    List<Entry> stored = new java.util.ArrayList<>();
    a.replica.forEachStored(stored::add);
    assertThat(stored).containsExactly(e); // left in place: nothing removed, nothing to converge
  }

  @Test
  void timeNeverGoesBackAndNeverLagsTheHybridClock() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    putExpiring(a.replica, s, "k", "v", 2_000, 1_000);
    assertThat(a.replica.read(s, b("k"), 2_500).status()).isEqualTo(ReadStatus.NOT_FOUND);
    // the wall clock is stepped back: the key stays expired
    assertThat(a.replica.now(1_200)).isEqualTo(2_500);
    assertThat(a.replica.read(s, b("k"), 1_200).status()).isEqualTo(ReadStatus.NOT_FOUND);

    // a replica whose wall clock lags counts time from the clocks the cluster showed it
    Node b = new Node(2);
    SessionToken s2 = new SessionToken();
    Entry late = putExpiring(a.replica, s2, "m", "v", 5_000, 4_000); // stamped at >= 4000 ms
    sync(a.replica, b.replica);
    assertThat(b.replica.now(100)).isGreaterThanOrEqualTo(Hlc.physicalMillis(late.clock()));
    assertThat(b.replica.read(new SessionToken(), b("m"), 100).status())
        .isEqualTo(ReadStatus.FOUND);
    putExpiring(a.replica, s2, "n", "v", 0, 6_000); // a later write, from a clock past 5000
    sync(a.replica, b.replica);
    assertThat(b.replica.read(new SessionToken(), b("m"), 100).status())
        .isEqualTo(ReadStatus.NOT_FOUND);
  }

  @Test
  void theExpiryReplicatesWithTheWriteAndConverges() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("k"), b("v"), 1_000);
    sync(a.replica, b.replica);
    // EXPIRE: a new version with the same value and an expiry
    Entry expiring = putExpiring(a.replica, s, "k", "v", 3_000, 1_001);
    sync(a.replica, b.replica);
    assertThat(b.replica.peek(b("k"))).isEqualTo(expiring);
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(b.replica.vv()).isEqualTo(a.replica.vv());
    assertThat(b.replica.read(new SessionToken(), b("k"), 2_999).status())
        .isEqualTo(ReadStatus.FOUND);
    assertThat(b.replica.read(new SessionToken(), b("k"), 3_000).status())
        .isEqualTo(ReadStatus.NOT_FOUND);
    // the older, non-expiring write never comes back on either replica
    assertThat(sync(b.replica, a.replica)).isFalse();
    assertThat(a.replica.read(new SessionToken(), b("k"), 3_000).status())
        .isEqualTo(ReadStatus.NOT_FOUND);

    // PERSIST: a new version without expiry, which beats the expiring one everywhere
    Node c = new Node(3);
    Entry persisted = putExpiring(a.replica, s, "k", "v", 0, 1_002);
    sync(a.replica, b.replica);
    sync(b.replica, c.replica);
    for (Node n : List.of(a, b, c)) {
      assertThat(n.replica.peek(b("k"))).isEqualTo(persisted);
      assertThat(s(n.replica.read(new SessionToken(), b("k"), 9_999).entry().value()))
          .isEqualTo("v");
      assertThat(n.replica.digest()).isEqualTo(a.replica.digest());
    }
  }

  @Test
  void aDeleteCarriesNoExpiryAndTheExpirySurvivesARestart() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    Entry t = a.replica.write(s, List.of(b("d")), java.util.Collections.singletonList(null),
        new long[] {77}, 10).get(0);
    assertThat(t.isTombstone()).isTrue();
    assertThat(t.hasExpiry()).isFalse();
    Entry e = putExpiring(a.replica, s, "k", "v", 5_000, 10);
    long digest = a.replica.digest();
    a.restart();
    assertThat(a.replica.peek(b("k"))).isEqualTo(e);
    assertThat(a.replica.digest()).isEqualTo(digest);
  }

  @Test
  void theSweepLeavesARemnantThatChangesNoDigestAndNeverRevivesAnything() {
    Node a = new Node(1);
    Node b = new Node(2);
    Node c = new Node(3);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("k"), b("old"), 1_000);
    sync(a.replica, c.replica); // c holds only the old, non-expiring write
    Entry e = putExpiring(a.replica, s, "k", "v", 2_000, 1_001);
    putExpiring(a.replica, s, "x", "w", 9_000, 1_001);
    sync(a.replica, b.replica); // b holds the expiring write whole
    long digest = a.replica.digest();
    VersionVector vv = a.replica.vv();

    assertThat(a.replica.sweepExpired(null, 100, 1_999)).isNull(); // nothing expired yet
    assertThat(a.replica.peek(b("k"))).isEqualTo(e);
    assertThat(a.replica.sweepExpired(null, 1, 2_000)).isEqualTo(b("x")); // a slice of one
    Entry remnant = a.replica.peek(b("k"));
    assertThat(remnant.isRemnant()).isTrue();
    assertThat(remnant).isEqualTo(e.remnant());
    assertThat(remnant.fingerprint()).isEqualTo(e.fingerprint());
    assertThat(a.replica.digest()).isEqualTo(digest);
    assertThat(a.replica.vv()).isEqualTo(vv);
    assertThat(a.replica.peek(b("x")).isRemnant()).isFalse(); // not expired

    // b holds the write whole: the remnant's dot is covered, nothing changes, digests agree
    assertThat(sync(a.replica, b.replica)).isFalse();
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());
    // c lacks it: it gets the remnant, which reads as absent, and c's time for expiry is past it
    sync(a.replica, c.replica);
    assertThat(c.replica.peek(b("k"))).isEqualTo(remnant);
    assertThat(c.replica.now(0)).isGreaterThanOrEqualTo(2_000);
    ReadResult r = c.replica.read(new SessionToken(), b("k"), 0);
    assertThat(r.status()).isEqualTo(ReadStatus.NOT_FOUND);
    assertThat(c.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(sync(c.replica, a.replica)).isFalse();

    // a restart keeps the remnant and a time for expiry past it, whatever the wall clock says
    a.restart();
    assertThat(a.replica.now(0)).isGreaterThanOrEqualTo(2_000);
    assertThat(a.replica.read(new SessionToken(), b("k"), 0).status())
        .isEqualTo(ReadStatus.NOT_FOUND);
    assertThat(a.replica.digest()).isEqualTo(digest);
  }

  @Test
  void aReadThatFindsAnExpiredValueHasTheNextSweepRemoveItFirst() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    for (int i = 0; i < 10; i++) putExpiring(a.replica, s, "k" + i, "v", 2_000, 1_000);
    assertThat(a.replica.read(s, b("k7"), 2_000).status()).isEqualTo(ReadStatus.NOT_FOUND);
    a.replica.sweepExpired(null, 1, 2_000); // a slice of one from the first key, plus k7
    assertThat(a.replica.peek(b("k0")).isRemnant()).isTrue();
    assertThat(a.replica.peek(b("k7")).isRemnant()).isTrue();
    assertThat(a.replica.peek(b("k1")).isRemnant()).isFalse();
  }

  /** A store that counts the entries the sweep's scans visit. */
  private static final class CountingStore implements Store {
    final kvs.storage.MemoryStore inner = new kvs.storage.MemoryStore();
    int visited;

    @Override
    public ReplicaMeta loadMeta() {
      return inner.loadMeta();
    }

    @Override
    public Entry get(byte[] key) {
      return inner.get(key);
    }

    @Override
    public void commit(Mutation mutation) {
      inner.commit(mutation);
    }

    @Override
    public View snapshot() {
      return inner.snapshot();
    }

    @Override
    public void forEachLive(java.util.function.Consumer<Entry> visitor) {
      inner.forEachLive(visitor);
    }

    @Override
    public void forEachFrom(byte[] from, java.util.function.Predicate<Entry> visitor) {
      inner.forEachFrom(from, e -> {
        visited++;
        return visitor.test(e);
      });
    }

    @Override
    public void forEachShadow(ShadowVisitor visitor) {
      inner.forEachShadow(visitor);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Test
  void theSweepRestsOnceAWholePassFoundNoExpiringValueUntilOneIsStored() {
    CountingStore store = new CountingStore();
    Replica r = Replica.open(store, 1, 1001);
    SessionToken s = new SessionToken();
    for (int i = 0; i < 5; i++) r.put(s, b("k" + i), b("v"), 1_000);
    assertThat(r.sweepExpired(null, 3, 1_000)).isEqualTo(b("k3"));
    assertThat(r.sweepExpired(b("k3"), 3, 1_000)).isNull(); // the pass ended: nothing expiring
    assertThat(store.visited).isEqualTo(6); // three, then k3 and k4, plus the one past k2
    store.visited = 0;
    assertThat(r.sweepExpired(null, 3, 1_000)).isNull();
    assertThat(store.visited).as("resting: no scan").isZero();

    // an expiring value wakes it (here one a peer sent), and it is removed once expired
    Node peer = new Node(2);
    Entry e = putExpiring(peer.replica, new SessionToken(), "k2", "w", 2_000, 1_500);
    r.applyDelta(new DeltaChunk(List.of(e), null));
    assertThat(r.sweepExpired(null, 10, 2_000)).isNull();
    assertThat(store.visited).isEqualTo(5);
    assertThat(r.peek(b("k2")).isRemnant()).isTrue();
    // that pass saw an expiring value: one more pass finds only its remnant, then it rests
    store.visited = 0;
    r.sweepExpired(null, 10, 2_000);
    r.sweepExpired(null, 10, 2_000);
    assertThat(store.visited).isEqualTo(5);
  }
}
