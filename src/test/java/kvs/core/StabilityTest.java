package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The stable vector and clock bound one server derives from the members' adverts. */
class StabilityTest {
  private static final long A = Origins.of(0, 1);
  private static final long B = Origins.of(1, 1);
  private static final long B2 = Origins.of(1, 2);

  private static VersionVector vv(long... originSeq) {
    VersionVector v = new VersionVector();
    for (int i = 0; i < originSeq.length; i += 2) v.raise(originSeq[i], originSeq[i + 1]);
    return v;
  }

  @Test
  void nothingIsStableWhileAMemberIsUnheard() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5), 100);
    assertThat(st.stableVector().size()).isZero();
    assertThat(st.clockBound()).isEqualTo(-1);
  }

  @Test
  void stableVectorIsThePointwiseMinimum() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5, B, 2), 100);
    st.advert(1, B, vv(A, 3, B, 4), 90);
    assertThat(st.stableVector()).isEqualTo(vv(A, 3, B, 2));
  }

  @Test
  void aMembersClockCountsOnceTheStableVectorCoversItsOwnWritesAtThatAdvert() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5), 100); // A had written 5 when its clock was 100
    st.advert(1, B, vv(B, 1), 50);
    // B lacks A's writes 1..5: one of them may be stamped at or below 100 and still reach it.
    assertThat(st.clockBound()).isEqualTo(-1);
    st.advert(1, B, vv(A, 5, B, 1), 120);
    st.advert(0, A, vv(A, 5, B, 1), 130);
    assertThat(st.stableVector()).isEqualTo(vv(A, 5, B, 1));
    // A's adverts at 100 and 130 (own write 5) are covered, B's at 50 and 120 (own write 1).
    assertThat(st.clockBound()).isEqualTo(120);
  }

  @Test
  void anOlderAdvertOfTheSameOriginIsIgnored() {
    Stability st = new Stability(List.of(0));
    assertThat(st.advert(0, A, vv(A, 5), 100)).isTrue();
    assertThat(st.advert(0, A, vv(A, 3), 80)).isFalse(); // relayed late
    assertThat(st.stableVector()).isEqualTo(vv(A, 5));
  }

  @Test
  void aNewIncarnationIsCurrentAndTheEarlierOnesBoundStaysFrozen() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 1, B, 3), 100);
    st.advert(1, B, vv(A, 1, B, 3), 100);
    assertThat(st.clockBound()).isEqualTo(100);
    // B restarts after a power cut as B2, one tick above its durable clock.
    assertThat(st.advert(1, B2, vv(A, 1, B, 2), 101)).isTrue();
    assertThat(st.stableVector()).isEqualTo(vv(A, 1, B, 2));
    // A relayed advert of the earlier life does not make it current again.
    st.advert(1, B, vv(A, 1, B, 3), 100);
    assertThat(st.stableVector()).isEqualTo(vv(A, 1, B, 2));
    // B's lost write 3 may survive elsewhere, stamped above 100, below B2's clocks: B's
    // bound stays at 100 however far B2 and A go.
    st.advert(1, B2, vv(A, 9, B, 3, B2, 7), 500);
    st.advert(0, A, vv(A, 9, B, 3, B2, 7), 510);
    assertThat(st.stableVector()).isEqualTo(vv(A, 9, B, 3, B2, 7));
    assertThat(st.clockBound()).isEqualTo(100);
  }

  @Test
  void anIncarnationSeenInAVectorButNeverHeardAllowsNothing() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 1, B, 3), 100); // B (server 1's earlier life) wrote 3
    st.advert(1, B2, vv(A, 1, B, 3), 101);
    assertThat(st.stableVector()).isEqualTo(vv(A, 1, B, 3));
    assertThat(st.clockBound()).isEqualTo(-1);
    st.advert(1, B, vv(B, 3), 90); // relayed by someone who heard it
    assertThat(st.clockBound()).isEqualTo(90);
  }

  @Test
  void anAdvertUnderAnotherServersOriginIsRefused() {
    Stability st = new Stability(List.of(0, 1));
    assertThat(st.advert(0, B, vv(), 5)).isFalse();
  }

  @Test
  void aRetiredMemberNoLongerHoldsCollectionBack() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 4), 100);
    assertThat(st.clockBound()).isEqualTo(-1);
    st.retire(1);
    assertThat(st.isMember(1)).isFalse();
    assertThat(st.advert(1, B, vv(), 5)).isFalse();
    assertThat(st.stableVector()).isEqualTo(vv(A, 4));
    assertThat(st.clockBound()).isEqualTo(100);
    assertThatThrownBy(() -> st.retire(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> st.retire(0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void pendingAdvertsAreBoundedAndTheNewestStandsInForTheDropped() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(1, B, vv(), 1);
    for (int i = 1; i <= 10 * Stability.PENDING_MAX; i++) st.advert(0, A, vv(A, i), 10L * i);
    st.advert(1, B, vv(A, 10L * Stability.PENDING_MAX), 2);
    assertThat(st.clockBound()).isEqualTo(2); // B's own bound is lowest
    st.retire(1);
    assertThat(st.clockBound()).isEqualTo(100L * Stability.PENDING_MAX);
  }

  @Test
  void relayedKnowledgeReachesAServerWithoutADirectLink() {
    Stability a = new Stability(List.of(0, 1, 2));
    Stability c = new Stability(List.of(0, 1, 2));
    VersionVector all = vv(A, 1);
    a.advert(0, A, all, 10);
    a.advert(1, B, all, 11);
    a.advert(2, Origins.of(2, 1), all, 12);
    a.forEachKnown(c::advert); // B passes on what it heard
    assertThat(c.stableVector()).isEqualTo(all);
    assertThat(c.clockBound()).isEqualTo(10);
  }

  @Test
  void whatItKnowsRoundTripsThroughItsRecordAndThroughAnAdvert() {
    Stability st = new Stability(List.of(0, 1, 2));
    st.advert(0, A, vv(A, 5, B, 2), 100);
    st.advert(1, B, vv(A, 5, B, 2), 120);
    st.advert(1, B2, vv(A, 5, B, 2, B2, 1), 130);
    st.retire(2);
    st.retireOrigin(B);
    long bound = st.clockBound();
    Stability back = Stability.decode(st.encode());
    assertThat(back.toString()).isEqualTo(st.toString());
    assertThat(back.clockBound()).isEqualTo(bound);
    assertThat(back.isRetired(2)).isTrue();
    assertThat(back.isRetiredOrigin(B)).isTrue();

    Stability other = new Stability(List.of(3));
    assertThat(other.hear(Stability.decodeAdvert(st.encodeAdvert()))).isTrue();
    assertThat(other.members()).containsExactly(0, 1, 3); // 2 retired, 3 unheard
    assertThat(other.isRetired(2)).isTrue();
    assertThat(other.join(2)).as("a retired server never joins again").isFalse();
    assertThat(other.hear(Stability.decodeAdvert(st.encodeAdvert()))).isFalse();
  }

  @Test
  void aRetiredIncarnationNoLongerBoundsTheClock() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5, B, 3), 100);
    st.advert(1, B, vv(A, 5, B, 3), 110);
    assertThat(st.clockBound()).isEqualTo(100);
    st.advert(1, B2, vv(A, 5, B, 3), 200); // B crashed; its new incarnation took no write yet
    st.advert(0, A, vv(A, 6, B, 3), 300);
    st.advert(1, B2, vv(A, 6, B, 3), 310);
    assertThat(st.clockBound()).as("B's frozen bound").isEqualTo(110);
    assertThatThrownBy(() -> st.retireOrigin(B2)).isInstanceOf(IllegalStateException.class);
    assertThat(st.retireOrigin(B)).isTrue();
    assertThat(st.clockBound()).isEqualTo(300);
    assertThat(st.advert(1, B, vv(A, 9, B, 9), 999)).as("a retired origin's advert").isFalse();
  }

  @Test
  void aRetirementHeardWithTheSuccessorsAdvertRetiresTheDeadIncarnation() {
    // Server 2 had heard only B; server 0 heard B's successor B2 and the operator's retirement
    // of B on it. Its next message carries both; it may be the last one in a quiet cluster.
    Stability relayer = new Stability(List.of(0, 1));
    relayer.advert(0, A, vv(A, 5, B, 3), 100);
    relayer.advert(1, B, vv(A, 5, B, 3), 110);
    relayer.advert(1, B2, vv(A, 5, B, 3), 200);
    assertThat(relayer.retireOriginByOperator(0, A, B)).isTrue();
    Stability listener = new Stability(List.of(0, 1, 2));
    listener.advert(2, Origins.of(2, 1), vv(A, 5, B, 3), 90);
    listener.advert(1, B, vv(A, 5, B, 3), 110);
    assertThat(listener.hear(Stability.decodeAdvert(relayer.encodeAdvert()))).isTrue();
    assertThat(listener.isRetiredOrigin(B)).as("retired once the successor is heard").isTrue();
    assertThat(listener.clockBound()).isEqualTo(90);
  }

  @Test
  void anOperatorCannotRetireTheIncarnationItsServerRunsAsNorTheCurrentOneNorItself() {
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5), 100);
    st.advert(1, B, vv(A, 5), 110);
    assertThatThrownBy(() -> st.retireOriginByOperator(0, A, A))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("own incarnation");
    assertThatThrownBy(() -> st.retireOriginByOperator(0, A, B))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("current incarnation");
    assertThatThrownBy(() -> st.retireServerByOperator(0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(st.retireServerByOperator(0, 7)).as("unknown: remembered as retired").isTrue();
    assertThat(st.isRetired(7)).isTrue();
    assertThat(st.retireServerByOperator(0, 7)).isFalse();
    assertThat(st.retireServerByOperator(0, 1)).isTrue();
    assertThat(st.members()).containsExactly(0);
  }

  @Test
  void aServerRetiredForGoodIsRefusedItsLinksWhereverTheRetirementIsKnownAndHoldsNothingBack() {
    long c = Origins.of(2, 3);
    Stability operatorOn = new Stability(List.of(0, 1, 2));
    Stability other = new Stability(List.of(0, 1, 2));
    for (Stability st : List.of(operatorOn, other)) {
      st.advert(0, A, vv(A, 5, B, 4, c, 2), 100);
      st.advert(1, B, vv(A, 5, B, 4, c, 2), 110);
      st.advert(2, c, vv(A, 5, B, 4, c, 1), 40); // its last durable advert lags behind
    }
    assertThat(other.clockBound()).as("held back by server 2's last advert").isEqualTo(40);
    assertThat(operatorOn.linkRefusal(2)).isNull();
    assertThat(operatorOn.retireServerByOperator(0, 2)).isTrue();
    assertThat(operatorOn.linkRefusal(2)).contains("server 2 was retired").contains("KVS.RETIRE");
    assertThat(operatorOn.linkRefusal(1)).isNull();
    assertThat(other.linkRefusal(2)).as("not told yet").isNull();
    assertThat(other.hear(Stability.decodeAdvert(operatorOn.encodeAdvert()))).isTrue();
    assertThat(other.linkRefusal(2)).as("told by a peer").isNotNull();
    assertThat(other.members()).containsExactly(0, 1);
    assertThat(other.join(2)).as("never a member again").isFalse();
    assertThat(other.advert(2, Origins.of(2, 4), vv(A, 5, B, 4, c, 9), 500)).isFalse();
    assertThat(other.stableVector()).isEqualTo(vv(A, 5, B, 4, c, 2));
    assertThat(other.clockBound()).as("no longer held back by it").isEqualTo(100);
  }

  @Test
  void aWipedServersNewIncarnationOutranksTheOneItLostAndThatOneCanBeRetired() {
    ReplicaHarness.Node b = new ReplicaHarness.Node(1);
    long lost = Origins.of(1, 5);
    Stability st = new Stability(List.of(0, 1));
    st.advert(0, A, vv(A, 5), 100);
    // The incarnation the wipe lost had advertised a clock far above the new one's.
    long lostClock = b.replica.clock() + 1_000_000;
    st.advert(1, lost, vv(A, 5, lost, 3), lostClock);
    st.advert(1, b.origin(), b.replica.vv(), b.replica.clock());
    assertThatThrownBy(() -> st.retireOriginByOperator(0, A, lost))
        .as("taken for current").isInstanceOf(IllegalStateException.class);
    assertThat(b.replica.outrankEarlierIncarnations(st)).isTrue();
    assertThat(b.replica.clock()).isGreaterThan(lostClock);
    ReplicaMeta durable = b.store.loadMeta();
    assertThat(durable.clock()).as("committed, so advertised").isEqualTo(b.replica.clock());
    st.advert(1, b.origin(), durable.vv(), durable.clock());
    assertThat(st.retireOriginByOperator(0, A, lost)).isTrue();
    assertThat(b.replica.outrankEarlierIncarnations(st)).as("nothing left to outrank").isFalse();
  }

  @Test
  void aMalformedRecordOrAdvertIsCorruptData() {
    byte[] record = new Stability(List.of(0, 1)).encode();
    for (int cut = 0; cut < record.length; cut++) {
      byte[] part = java.util.Arrays.copyOf(record, cut);
      assertThatThrownBy(() -> Stability.decode(part)).isInstanceOf(CorruptDataException.class);
    }
    byte[] advert = new Stability(List.of(0, 1)).encodeAdvert();
    for (int cut = 0; cut < advert.length; cut++) {
      byte[] part = java.util.Arrays.copyOf(advert, cut);
      assertThatThrownBy(() -> Stability.decodeAdvert(part))
          .isInstanceOf(CorruptDataException.class);
    }
  }
}
