package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * Sealing the vector entries of retired incarnations (issue 15, docs/design.md: Compacting the
 * vector entries of retired incarnations): the vector's algebra with seals, their encodings and
 * bounds, when {@link Stability#sealable} allows a seal, and {@link Replica#seal}.
 */
class SealTest {
  private static final long WALL = 1_000;
  private static final long A = Origins.of(0, 1);
  private static final long B = Origins.of(1, 1);
  private static final long D = Origins.of(1, 0); // a dead incarnation of server 1

  private static VersionVector vv(long... originSeq) {
    VersionVector v = new VersionVector();
    for (int i = 0; i < originSeq.length; i += 2) v.raise(originSeq[i], originSeq[i + 1]);
    return v;
  }

  private static VersionVector sealed(VersionVector v, long... origins) {
    for (long o : origins) assertThat(v.seal(o)).isTrue();
    return v;
  }

  // ---- the vector ----------------------------------------------------------------------------

  @Test
  void aSealedOriginHasNoEntryAndReadsAsEverything() {
    VersionVector v = sealed(vv(A, 3, D, 7), D);
    assertThat(v.asMap()).containsOnlyKeys(A);
    assertThat(v.size()).isEqualTo(1);
    assertThat(v.get(D)).isEqualTo(VersionVector.EVERYTHING);
    assertThat(v.covers(D, Long.MAX_VALUE)).isTrue();
    assertThat(v.covers(vv(D, 1_000_000))).isTrue();
    assertThat(v.seal(D)).as("sealed already").isFalse();
    v.raise(D, 9); // nothing to raise
    assertThat(v.asMap()).containsOnlyKeys(A);
    assertThat(v.toString()).isEqualTo("{0.1=3} sealed[1.0]");
    // Entries read as before by tools that parse KVS.STATE.
    assertThat(kvs.master.VectorText.parse(v.toString())).containsOnlyKeys("0.1");
  }

  @Test
  void coversAndEqualityCompareEffectiveVectors() {
    VersionVector sealedD = sealed(vv(A, 3, D, 7), D);
    VersionVector unsealed = vv(A, 3, D, 7);
    assertThat(sealedD.covers(unsealed)).isTrue();
    assertThat(unsealed.covers(sealedD)).as("7 is not everything").isFalse();
    assertThat(sealedD).isNotEqualTo(unsealed);
    // The session frontier is local: equal effective vectors are equal.
    VersionVector otherFrontier = sealed(vv(A, 3), D);
    assertThat(otherFrontier).isEqualTo(sealedD);
    assertThat(otherFrontier.hashCode()).isEqualTo(sealedD.hashCode());
  }

  @Test
  void theMaximumSealsAndKeepsTheHigherFrontierTheMinimumTakesTheUnsealedEntry() {
    VersionVector mine = vv(A, 2, D, 4);
    VersionVector closing = sealed(vv(A, 3, D, 7), D);
    assertThat(mine.mergeFrom(closing)).isTrue();
    assertThat(mine.isSealed(D)).isTrue();
    assertThat(mine.asMap()).containsOnlyKeys(A);
    assertThat(mine.frontier(D)).isEqualTo(7);
    assertThat(mine.mergeFrom(closing)).as("nothing new").isFalse();
    // An unsealed vector never brings the entry back.
    assertThat(mine.mergeFrom(vv(D, 9))).isFalse();
    assertThat(mine.asMap()).containsOnlyKeys(A);

    assertThat(VersionVector.min(closing, vv(A, 5, D, 6))).isEqualTo(vv(A, 3, D, 6));
    assertThat(VersionVector.min(vv(A, 5, D, 6), closing)).isEqualTo(vv(A, 3, D, 6));
    assertThat(VersionVector.min(closing, sealed(vv(A, 1), D))).isEqualTo(sealed(vv(A, 1), D));
    assertThat(VersionVector.min(closing, vv(A, 1))).as("absent reads as 0").isEqualTo(vv(A, 1));
  }

  @Test
  void aSessionIsCoveredUpToTheFrontierOnly() {
    VersionVector v = sealed(vv(A, 3, D, 7), D);
    assertThat(v.coversSession(vv(D, 7, A, 3))).isTrue();
    // Beyond the frontier: a write that may have been lost with the incarnation.
    assertThat(v.coversSession(vv(D, 8))).isFalse();
    assertThat(v.coversSession(vv(A, 4))).isFalse();
  }

  @Test
  void atMostSealedMaxOriginsAreSealed() {
    VersionVector v = new VersionVector();
    for (int i = 0; i < VersionVector.SEALED_MAX; i++) assertThat(v.seal(Origins.of(2, i))).isTrue();
    v.raise(D, 5);
    assertThat(v.seal(D)).isFalse();
    assertThat(v.get(D)).as("the entry stays").isEqualTo(5);
    VersionVector other = sealed(vv(), D);
    assertThat(v.mergeFrom(other)).isFalse();
    assertThat(v.get(D)).isEqualTo(5);
    assertThat(VersionVector.decode(v.encode())).isEqualTo(v);
  }

  @Test
  void bothFormsRoundTripAndAVectorWithoutSealsEncodesAsBefore() {
    VersionVector plain = vv(A, 3, B, 9);
    byte[] bytes = plain.encode();
    assertThat(bytes).hasSize(4 + 16 * 2);
    assertThat(ByteBuffer.wrap(bytes).getInt()).isEqualTo(2);

    VersionVector v = sealed(vv(A, 3, D, 7), D);
    byte[] wire = v.encode();
    assertThat(wire).hasSize(4 + 16 + 4 + 8);
    VersionVector back = VersionVector.decode(wire);
    assertThat(back).isEqualTo(v);
    assertThat(back.frontier(D)).as("frontiers do not travel").isZero();

    ByteBuffer b = ByteBuffer.allocate(v.encodedSizeWithFrontiers());
    v.encodeWithFrontiersTo(b);
    VersionVector withFrontiers = VersionVector.decode(b.array());
    assertThat(withFrontiers).isEqualTo(v);
    assertThat(withFrontiers.frontier(D)).isEqualTo(7);
  }

  @Test
  void malformedOrHostileSealedSetsAreRefused() {
    // Flag set, then a sealed count far beyond what the bytes hold.
    ByteBuffer huge = ByteBuffer.allocate(8).putInt(0x8000_0000).putInt(Integer.MAX_VALUE);
    assertThatThrownBy(() -> VersionVector.decode(huge.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed count");
    ByteBuffer zero = ByteBuffer.allocate(8).putInt(0x8000_0000).putInt(0);
    assertThatThrownBy(() -> VersionVector.decode(zero.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed count");
    ByteBuffer tooMany = ByteBuffer.allocate(8 + 8 * (VersionVector.SEALED_MAX + 1))
        .putInt(0x8000_0000).putInt(VersionVector.SEALED_MAX + 1);
    assertThatThrownBy(() -> VersionVector.decode(tooMany.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed count");
    ByteBuffer truncated = ByteBuffer.allocate(4).putInt(0x8000_0000);
    assertThatThrownBy(() -> VersionVector.decode(truncated.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("truncated");
    // Not ascending (a duplicate).
    ByteBuffer twice = ByteBuffer.allocate(8 + 16).putInt(0x8000_0000).putInt(2).putLong(D)
        .putLong(D);
    assertThatThrownBy(() -> VersionVector.decode(twice.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed origin");
    // Sealed and an entry at once.
    ByteBuffer both = ByteBuffer.allocate(4 + 16 + 4 + 8).putInt(0x8000_0001).putLong(D)
        .putLong(3).putInt(1).putLong(D);
    assertThatThrownBy(() -> VersionVector.decode(both.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed origin");
    ByteBuffer negative = ByteBuffer.allocate(4 + 4 + 8).putInt(0x8000_0000).putInt(1)
        .putLong(-5);
    assertThatThrownBy(() -> VersionVector.decode(negative.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed origin");
    // The frontiers' flag without the sealed flag.
    ByteBuffer frontiersAlone = ByteBuffer.allocate(4).putInt(0x4000_0000);
    assertThatThrownBy(() -> VersionVector.decode(frontiersAlone.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad origin count");
    ByteBuffer negativeFrontier = ByteBuffer.allocate(4 + 4 + 16).putInt(0xC000_0000).putInt(1)
        .putLong(D).putLong(-1);
    assertThatThrownBy(() -> VersionVector.decode(negativeFrontier.array()))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad sealed origin");
  }

  @Test
  void theMetadataKeepsSealsWithTheirFrontiersAndFormatSixStillReads() {
    VersionVector v = sealed(vv(A, 3, D, 7), D);
    ReplicaMeta meta = new ReplicaMeta(0, 1, v, 99, 1234, 5, 1);
    byte[] bytes = meta.encode();
    assertThat(ReplicaMeta.FORMAT_VERSION).isEqualTo(7);
    assertThat(ByteBuffer.wrap(bytes, 4, 4).getInt()).isEqualTo(7);
    ReplicaMeta back = ReplicaMeta.decode(bytes);
    assertThat(back.vv()).isEqualTo(v);
    assertThat(back.vv().frontier(D)).isEqualTo(7);
    // A format-6 directory (no seals) reads as before.
    byte[] six = new ReplicaMeta(0, 1, vv(A, 3, D, 7), 99, 1234, 5, 1).encode();
    ByteBuffer.wrap(six).putInt(4, 6);
    assertThat(ReplicaMeta.decode(six).vv()).isEqualTo(vv(A, 3, D, 7));
  }

  // ---- when a server may seal ----------------------------------------------------------------

  @Test
  void sealableOnlyOnceRetiredNotCurrentAndHeldAlikeByEveryMember() {
    long b2 = Origins.of(1, 2);
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5, D, 7), 100);
    st.advert(1, D, vv(D, 7), 50);
    VersionVector mine = vv(A, 5, D, 7);
    assertThat(st.sealable(mine)).as("not retired").isEmpty();
    assertThatThrownBy(() -> st.retireOrigin(D)).isInstanceOf(IllegalStateException.class);
    st.advert(1, b2, vv(D, 6, b2, 1), 200); // the successor lacks D's last write
    assertThat(st.retireOrigin(D)).isTrue();
    assertThat(st.sealable(mine)).as("server 1 lacks D:7").isEmpty();
    st.advert(1, b2, vv(A, 5, D, 7, b2, 1), 210);
    assertThat(st.sealable(mine)).containsExactly(D);
    assertThat(st.sealable(vv(A, 5, D, 6))).as("this replica lacks D:7").isEmpty();
    // A member not heard from yet allows nothing.
    Stability withNewMember = Stability.decode(st.encode());
    withNewMember.join(2);
    assertThat(withNewMember.sealable(mine)).isEmpty();
    // Once a member sealed D, how much of D exists no longer shows: a replica that lacks some
    // of it (its entry the highest unsealed one) must wait for a sealed peer's closing vector,
    // which brings what it lacks (simulator seed 8998).
    st.advert(1, b2, sealed(vv(A, 5, D, 7, b2, 1), D), 220);
    assertThat(st.stableVector().get(D)).isEqualTo(7);
    assertThat(st.sealable(mine)).isEmpty();
    assertThat(st.sealable(vv(A, 5, D, 3))).isEmpty();
  }

  @Test
  void everyMembersSealMakesTheStableVectorSealedAndItsAdvertsTravel() {
    long b2 = Origins.of(1, 2);
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, sealed(vv(A, 5, D, 7), D), 100);
    st.advert(1, b2, sealed(vv(A, 5, D, 7, b2, 1), D), 200);
    assertThat(st.stableVector().isSealed(D)).isTrue();
    assertThat(st.stableVector().covers(D, 1_000)).isTrue();
    Stability relayed = new Stability(List.of(0, 1));
    relayed.hear(Stability.decodeAdvert(st.encodeAdvert()));
    assertThat(relayed.stableVector()).isEqualTo(st.stableVector());
    assertThat(Stability.decode(st.encode()).stableVector()).isEqualTo(st.stableVector());
  }

  // ---- the replica ---------------------------------------------------------------------------

  @Test
  void aSealIsDurableKeepsTheDigestAndSessionsUpToTheFrontierAreServed() {
    Node a = new Node(0);
    Node d = new Node(1); // the incarnation that will be retired
    SessionToken session = new SessionToken();
    d.replica.put(session, b("k"), b("v"), WALL);
    sync(d.replica, a.replica);
    long dead = d.origin();
    long digest = a.replica.digest();
    assertThatThrownBy(() -> a.replica.seal(List.of(a.origin())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(a.replica.seal(List.of(dead))).isEqualTo(1);
    assertThat(a.replica.seal(List.of(dead))).as("sealed already").isZero();
    assertThat(a.replica.vv().asMap()).doesNotContainKey(dead);
    assertThat(a.replica.digest()).isEqualTo(digest);
    a.restart();
    assertThat(a.replica.vv().isSealed(dead)).isTrue();
    assertThat(a.replica.vv().frontier(dead)).isEqualTo(1);
    assertThat(a.replica.read(session, b("k"), WALL).status()).isEqualTo(ReadStatus.FOUND);
    SessionToken lost = new SessionToken();
    lost.observe(dead, 2, 0); // a write of the dead incarnation no replica holds
    assertThat(a.replica.read(lost, b("k"), WALL).status())
        .isEqualTo(ReadStatus.MISSING_DEPENDENCY);
  }

  @Test
  void aFreshReplicaGetsTheSealedOriginsEntriesAndTheSealFromADelta() {
    Node a = new Node(0);
    Node d = new Node(1);
    SessionToken session = new SessionToken();
    d.replica.put(session, b("k"), b("v1"), WALL);
    d.replica.put(session, b("k"), b("v"), WALL); // supersedes d:1, which no delta carries
    d.replica.put(session, b("j"), b("w"), WALL);
    sync(d.replica, a.replica);
    a.replica.seal(List.of(d.origin()));
    Node fresh = new Node(2); // joins, or was wiped, after the seal
    assertThat(sync(a.replica, fresh.replica)).isTrue();
    assertThat(fresh.replica.peek(b("k")).value()).isEqualTo(b("v"));
    assertThat(fresh.replica.peek(b("j")).value()).isEqualTo(b("w"));
    assertThat(fresh.replica.vv()).isEqualTo(a.replica.vv());
    assertThat(fresh.replica.digest()).isEqualTo(a.replica.digest());
    // It got d:2 and d:3 but not d:1, so its own entry never rose: the closing vector's
    // frontier is what lets it serve the session as the sender does.
    assertThat(fresh.replica.vv().frontier(d.origin())).isEqualTo(3);
    assertThat(fresh.replica.read(session, b("k"), WALL).status()).isEqualTo(ReadStatus.FOUND);
    // Nothing flows back, and an unsealed replica's delta changes nothing on a sealed one.
    assertThat(sync(fresh.replica, a.replica)).isFalse();
    assertThat(sync(d.replica, a.replica)).isFalse();
    assertThat(a.replica.vv().isSealed(d.origin())).isTrue();
  }
}
