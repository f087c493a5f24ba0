package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;

import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/** Both ends of a replication link, driven by hand the way the network layer drives them. */
class LinkStateTest {

  /** Moves chunks from {@code out} to {@code in} until {@code out} has nothing more to send. */
  static int pump(LinkState out, LinkState in, int maxBytes) {
    int chunks = 0;
    for (DeltaChunk c = out.nextChunk(maxBytes); c != null; c = out.nextChunk(maxBytes)) {
      in.receive(DeltaChunk.decode(c.encode()));
      if (++chunks > 10_000) throw new AssertionError("link never drains");
    }
    return chunks;
  }

  @Test
  void twoLinkedReplicasConvergeAndThenHaveNothingToSend() {
    Node a = new Node(1);
    Node b = new Node(2);
    for (int i = 0; i < 10; i++) {
      a.replica.put(new SessionToken(), b("k" + (i % 4)), b("a" + i), 100 + i);
      b.replica.put(new SessionToken(), b("k" + (i % 3)), b("b" + i), 105 + i);
    }
    LinkState aToB = new LinkState(a.replica, b.replica.vv());
    LinkState bToA = new LinkState(b.replica, a.replica.vv());
    assertThat(pump(aToB, bToA, 50)).isGreaterThan(1);
    assertThat(aToB.peerHas()).as("raised once the whole delta was handed over")
        .isEqualTo(b.replica.vv());
    pump(bToA, aToB, 50);
    assertThat(a.replica.vv()).isEqualTo(b.replica.vv());
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest());
    assertThat(live(a.replica)).isEqualTo(live(b.replica));
    assertThat(aToB.nextChunk(50)).isNull();
    assertThat(bToA.nextChunk(50)).isNull();

    // a new write flows on the same link
    a.replica.put(new SessionToken(), b("new"), b("1"), 500);
    assertThat(pump(aToB, bToA, 50)).isEqualTo(1);
    assertThat(s(b.replica.peek(b("new")).value())).isEqualTo("1");
    assertThat(aToB.nextChunk(50)).isNull();
    aToB.close();
    bToA.close();
  }

  @Test
  void aClosingChunkFromThePeerTellsWhatThePeerHeld() {
    Node a = new Node(1);
    Node b = new Node(2);
    b.replica.put(new SessionToken(), b("k"), b("v"), 100);
    LinkState aToB = new LinkState(a.replica, new VersionVector()); // A's end
    LinkState bToA = new LinkState(b.replica, new VersionVector()); // B's end
    pump(bToA, aToB, 1 << 20);
    assertThat(aToB.peerHas()).isEqualTo(b.replica.vv());
    assertThat(aToB.nextChunk(1 << 20)).as("B already holds everything A holds").isNull();
  }

  /**
   * The bug of ReplicaTest.coverageForwardedWhileAPartialDeltaIsAppliedKeepsReadYourWrites, on
   * the production path: A receives a large delta from B on one link while it streams to C on
   * another. Nothing is lost or dropped; the links merely interleave.
   */
  @Test
  void interleavedLinksKeepReadYourWrites() {
    Node a = new Node(1);
    Node b = new Node(2);
    Node c = new Node(3);
    SessionToken alice = new SessionToken();
    a.replica.put(alice, b("k"), b("alice"), 1_000); // a:1
    b.replica.put(new SessionToken(), b("k"), b("bob's draft"), 2_000); // b:1
    b.replica.put(new SessionToken(), b("k"), b("bob"), 2_000); // b:2 replaces b:1 and a:1
    for (int i = 0; i < 5; i++) b.replica.put(new SessionToken(), b("x" + i), b("x"), 2_000);

    LinkState bSendsToA = new LinkState(b.replica, a.replica.vv());
    LinkState aHearsB = new LinkState(a.replica, b.replica.vv());
    LinkState aSendsToC = new LinkState(a.replica, c.replica.vv());
    LinkState cHearsA = new LinkState(c.replica, a.replica.vv());

    aHearsB.receive(bSendsToA.nextChunk(1)); // the first chunk of B's delta reaches A
    pump(aSendsToC, cHearsA, 1 << 20); // meanwhile A streams everything it has to C
    pump(bSendsToA, aHearsB, 1); // B's delta completes

    // C got A's whole delta, and A covers a:1 (its own write): C must serve Alice (were the
    // read refused, the checks below would not run and the test would prove nothing).
    Replica.ReadResult r = c.replica.read(alice.copy(), b("k"));
    assertThat(r.status()).as("C covers Alice's write").isNotEqualTo(ReadStatus.MISSING_DEPENDENCY);
    assertThat(r.entry()).as("C serves Alice, so it must hold her write or a newer one")
        .isNotNull();
    assertThat(s(r.entry().value())).isIn("alice", "bob");
  }

  /**
   * Simulator seed 8304: a delta carries entries from beyond its sender's vector (so that no
   * write is stranded on one replica), and the receiver used to count every entry that directly
   * followed its belief as held by the sender. Here A holds O:2 but covers only O:1; after A's
   * delta, B believed A covered O:2, so no one would ever send A what raises its vector (with O
   * gone, the two replicas held the same data and different vectors for ever). Only pushes,
   * which carry covered writes only, extend the belief entry by entry.
   */
  @Test
  void aDeltasEntriesFromBeyondTheSendersVectorDoNotRaiseWhatTheReceiverBelieves() {
    Node o = new Node(1);
    Node a = new Node(2);
    Node b = new Node(3);
    Entry e1 = o.replica.put(new SessionToken(), b("x"), b("1"), 100);
    Entry e2 = o.replica.put(new SessionToken(), b("y"), b("2"), 101);
    a.replica.applyDelta(new DeltaChunk(java.util.List.of(e2), null)); // beyond A's vector
    a.replica.applyDelta(new DeltaChunk(java.util.List.of(e1), null)); // covers O:1 only
    assertThat(a.replica.vv().get(o.origin())).isEqualTo(1);
    assertThat(a.replica.peek(b("y"))).isEqualTo(e2);

    LinkState aToB = new LinkState(a.replica, b.replica.vv());
    LinkState bFromA = new LinkState(b.replica, a.replica.vv());
    pump(aToB, bFromA, 1 << 20);
    assertThat(b.replica.peek(b("y"))).as("the entry travelled").isEqualTo(e2);
    assertThat(bFromA.peerHas().get(o.origin())).as("B does not claim A covers O:2")
        .isEqualTo(1);
    // so B's next delta to A carries what raises A's vector, and the two converge
    pump(bFromA, aToB, 1 << 20);
    assertThat(a.replica.vv()).isEqualTo(b.replica.vv());
  }
}
