package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import kvs.core.LinkDriver.Kind;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * The link driver's rules, one by one, with a wire that records frames and a clock that is a
 * number. The simulator runs the same driver under faults; these pin each rule down on its own.
 */
class LinkDriverTest {
  /** A wire that takes {@code budget} frames, then is full until the budget is raised. */
  static final class TestWire implements LinkDriver.Wire {
    final List<Kind> kinds = new ArrayList<>();
    final List<byte[]> payloads = new ArrayList<>();
    int budget = Integer.MAX_VALUE;

    @Override
    public boolean writable() {
      return kinds.size() < budget;
    }

    @Override
    public void send(Kind kind, byte[] payload) {
      kinds.add(kind);
      payloads.add(payload);
    }

    List<DeltaChunk> chunks() {
      List<DeltaChunk> out = new ArrayList<>();
      for (int i = 0; i < kinds.size(); i++) {
        if (kinds.get(i) == Kind.DELTA) out.add(DeltaChunk.decode(payloads.get(i)));
      }
      return out;
    }

    int adverts() {
      return (int) kinds.stream().filter(k -> k == Kind.ADVERT).count();
    }

    byte[] lastAdvert() {
      for (int i = kinds.size() - 1; i >= 0; i--) {
        if (kinds.get(i) == Kind.ADVERT) return payloads.get(i);
      }
      throw new AssertionError("no advert sent");
    }

    void clear() {
      kinds.clear();
      payloads.clear();
    }
  }

  private static final long T0 = 1_000_000;
  private final Node self = new Node(1);
  private final Node peer = new Node(2);
  private final Node third = new Node(3);
  private final TestWire wire = new TestWire();

  private LinkDriver driver(VersionVector peerHas, int chunkBytes) {
    return new LinkDriver(new LinkDriver.Setup(self.replica, peer.origin(), peerHas, wire,
        Set.of(peer.origin()), chunkBytes, T0));
  }

  private static byte[] advert(VersionVector vv, long... linkedOrigins) {
    return LinkDriver.encodeAdvert(vv, new java.util.TreeSet<>(
        java.util.Arrays.stream(linkedOrigins).boxed().toList()));
  }

  private Entry write(Node n, String key, String value) {
    return n.replica.put(new SessionToken(), b(key), b(value), T0);
  }

  @Test
  void startSendsWhatThePeerLacksWhileTheWireTakesItAndGoesOnWhenItDrains() {
    for (int i = 0; i < 20; i++) write(self, "k" + i, "value-" + i);
    wire.budget = 3;
    LinkDriver d = driver(new VersionVector(), 40);
    d.start(T0);
    assertThat(wire.chunks()).hasSize(3).noneMatch(DeltaChunk::isLast);
    wire.budget = Integer.MAX_VALUE;
    d.writable(T0 + 1);
    List<DeltaChunk> chunks = wire.chunks();
    assertThat(chunks.get(chunks.size() - 1).isLast()).isTrue();
    ReplicaHarness.applyAll(peer.replica, chunks);
    assertThat(peer.replica.covers(self.replica.vv())).isTrue();
    assertThat(d.peerHas()).isEqualTo(self.replica.vv());
  }

  @Test
  void ownWritesArePushedAtOnceToACaughtUpPeerAndNotBackToTheirOrigin() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    Entry mine = write(self, "a", "1");
    d.forward(List.of(mine), T0 + 1);
    assertThat(wire.chunks()).singleElement()
        .satisfies(c -> assertThat(c.entries()).containsExactly(mine));
    assertThat(d.nextWakeAt()).as("everything went by push: no delta due")
        .isGreaterThan(T0 + 1 + LinkDriver.DELTA_DELAY_MS);
    wire.clear();
    // a write of the peer itself, received from it: never pushed back
    Entry peers = write(peer, "b", "2");
    self.replica.applyDelta(new DeltaChunk(List.of(peers), null));
    d.forward(List.of(peers), T0 + 2);
    assertThat(wire.chunks()).isEmpty();
  }

  @Test
  void aWriteNotPushedIsLeftToADeltaAfterTheDelay() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    Entry first = write(self, "a", "1");
    Entry second = write(self, "b", "2");
    d.forward(List.of(second), T0); // the peer lacks `first`: `second` cannot follow it yet
    assertThat(wire.chunks()).isEmpty();
    assertThat(d.nextWakeAt()).isEqualTo(T0 + LinkDriver.DELTA_DELAY_MS);
    assertThat(d.tick(T0 + LinkDriver.DELTA_DELAY_MS)).isTrue();
    assertThat(wire.chunks()).singleElement().satisfies(c -> {
      assertThat(c.entries()).containsExactly(first, second);
      assertThat(c.isLast()).isTrue();
    });
  }

  /**
   * A delta check that runs while writes wait in the server's push queue carries them; their
   * push then leaves them out, as the peer holds them, and that must not arm the next check.
   * Otherwise, under a steady flow of writes, every check armed the next one and each link cut a
   * delta from disk every {@link LinkDriver#DELTA_DELAY_MS} (the tree scenario's profile).
   */
  @Test
  void aWriteTheLastDeltaCarriedIsNotOwedWhenItsPushComes() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    Entry queued = write(self, "a", "1"); // taken, still in the push queue
    d.replicaChanged(T0);
    assertThat(d.tick(T0 + LinkDriver.DELTA_DELAY_MS)).isTrue();
    assertThat(wire.chunks()).singleElement()
        .satisfies(c -> assertThat(c.entries()).containsExactly(queued));
    wire.clear();
    long pushedAt = T0 + LinkDriver.DELTA_DELAY_MS + 1;
    d.forward(List.of(queued), pushedAt); // the push queue's turn comes
    assertThat(wire.chunks()).as("the peer holds it: not sent again").isEmpty();
    assertThat(d.nextWakeAt()).as("and no delta is owed for it")
        .isGreaterThan(pushedAt + LinkDriver.DELTA_DELAY_MS);
    // A write the peer does lack, left out of the push for a gap, still is.
    Entry gap = write(self, "b", "2");
    Entry after = write(self, "c", "3");
    d.forward(List.of(after), pushedAt + 1);
    assertThat(d.nextWakeAt()).isEqualTo(pushedAt + 1 + LinkDriver.DELTA_DELAY_MS);
    assertThat(d.tick(pushedAt + 1 + LinkDriver.DELTA_DELAY_MS)).isTrue();
    assertThat(wire.chunks()).singleElement()
        .satisfies(c -> assertThat(c.entries()).containsExactly(gap, after));
  }

  /**
   * {@link LinkState#lacksOnlyWritesOf}: a delta whose every missing write comes from an origin
   * the peer is linked to waits for that link, and goes out once the peer says the link is gone.
   */
  @Test
  void aDeltaOfWritesThePeersOwnLinkCarriesWaitsUntilThatLinkDrops() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    d.receive(Kind.ADVERT, advert(new VersionVector(), self.origin(), third.origin()), T0);
    assertThat(d.nextWakeAt()).as("the peer's links changed: a check at once").isEqualTo(T0);
    d.tick(T0);
    assertThat(wire.chunks()).as("nothing to send").isEmpty();
    Entry relayed = write(third, "t", "3");
    self.replica.applyDelta(new DeltaChunk(List.of(relayed), null));
    d.forward(List.of(relayed), T0 + 1);
    assertThat(wire.chunks()).as("not pushed: the peer's link to 3 carries it").isEmpty();
    assertThat(d.nextWakeAt()).as("and no delta is due for it").isGreaterThan(T0 + 1
        + LinkDriver.DELTA_DELAY_MS);
    d.replicaChanged(T0 + 1);
    d.tick(T0 + 1 + LinkDriver.DELTA_DELAY_MS);
    assertThat(wire.chunks()).as("postponed").isEmpty();
    d.tick(T0 + 1 + LinkDriver.ADVERT_INTERVAL_MS + LinkDriver.DELTA_DELAY_MS);
    assertThat(d.nextWakeAt()).as("no timer of its own: the peer's next advert decides")
        .isGreaterThan(T0 + 1 + 10 * LinkDriver.DELTA_DELAY_MS);
    // the peer still lacks it and is still linked to 3: postponed again
    d.receive(Kind.ADVERT, advert(new VersionVector(), self.origin(), third.origin()), T0 + 60);
    assertThat(d.nextWakeAt()).isEqualTo(T0 + 60);
    d.tick(T0 + 60);
    assertThat(wire.chunks()).isEmpty();
    // the peer's link to server 3 drops: its advert makes this side relay at once
    d.receive(Kind.ADVERT, advert(new VersionVector(), self.origin()), T0 + 80);
    assertThat(d.nextWakeAt()).isEqualTo(T0 + 80);
    d.tick(T0 + 80);
    assertThat(wire.chunks()).singleElement()
        .satisfies(c -> assertThat(c.entries()).containsExactly(relayed));
  }

  /**
   * A push of writes by their own origin, which this server is linked to, is routine: the other
   * links advertise it quietly, at most every QUIET_ADVERT_MS, and check for no delta, so that
   * one write in a mesh does not cost every link an advert and a delta check.
   */
  @Test
  void writesPushedByTheirOriginAreAdvertisedQuietlyWithoutADeltaCheck() {
    LinkDriver fromPeer = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    fromPeer.start(T0);
    TestWire thirdWire = new TestWire();
    LinkDriver toThird = new LinkDriver(new LinkDriver.Setup(self.replica, third.origin(),
        new VersionVector(), thirdWire, Set.of(peer.origin(), third.origin()),
        LinkDriver.CHUNK_BYTES, T0));
    toThird.start(T0);
    toThird.receive(Kind.ADVERT, advert(new VersionVector(), peer.origin()), T0);
    toThird.tick(T0);
    thirdWire.clear();

    Entry pushed = write(peer, "p", "1");
    LinkDriver.Received r = fromPeer.receiveFrame(Kind.DELTA,
        DeltaChunk.push(List.of(pushed)).encode(), T0 + 1);
    assertThat(r.covered()).containsExactly(pushed);
    assertThat(r.routine()).isTrue();
    toThird.forward(r.covered(), T0 + 1);
    toThird.replicaAdvanced(T0 + 1);
    assertThat(thirdWire.chunks()).as("server 3 is linked to the origin").isEmpty();
    assertThat(toThird.nextWakeAt()).isEqualTo(T0 + 1 + LinkDriver.ADVERT_INTERVAL_MS);
    toThird.tick(T0 + 1 + LinkDriver.ADVERT_INTERVAL_MS);
    assertThat(thirdWire.adverts()).isEqualTo(1);
    assertThat(thirdWire.chunks()).isEmpty();

    // the next routine changes within the quiet interval share one advert at its end
    Entry second = write(peer, "q", "2");
    assertThat(fromPeer.receiveFrame(Kind.DELTA, DeltaChunk.push(List.of(second)).encode(),
        T0 + 10).routine()).isTrue();
    toThird.replicaAdvanced(T0 + 10);
    long quietAt = T0 + 1 + LinkDriver.ADVERT_INTERVAL_MS + LinkDriver.QUIET_ADVERT_MS;
    assertThat(toThird.nextWakeAt()).isEqualTo(quietAt);
    toThird.tick(quietAt - 1);
    assertThat(thirdWire.adverts()).isEqualTo(1);
    toThird.tick(quietAt);
    assertThat(thirdWire.adverts()).isEqualTo(2);
    assertThat(VersionVector.decodeFrom(ByteBuffer.wrap(thirdWire.lastAdvert())))
        .isEqualTo(self.replica.vv());

    // a write relayed from an origin this server is not linked to is news: not routine
    Entry relayed = write(third, "t", "3");
    assertThat(fromPeer.receiveFrame(Kind.DELTA, DeltaChunk.push(List.of(relayed)).encode(),
        T0 + 200).routine()).isFalse();
    // nor is a delta, whose closing vector may raise any origin
    Entry later = write(peer, "r", "4");
    assertThat(fromPeer.receiveFrame(Kind.DELTA,
        new DeltaChunk(List.of(later), peer.replica.vv()).encode(), T0 + 201).routine())
        .isFalse();
  }

  @Test
  void advertsFollowChangesAtMostEveryIntervalLinkChangesAtOnceAndAHeartbeatOtherwise() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    write(self, "a", "1");
    d.replicaChanged(T0);
    d.replicaChanged(T0 + 1);
    assertThat(d.nextWakeAt()).isEqualTo(T0 + LinkDriver.ADVERT_INTERVAL_MS);
    d.tick(T0 + LinkDriver.ADVERT_INTERVAL_MS);
    assertThat(wire.adverts()).isEqualTo(1);
    ByteBuffer sent = ByteBuffer.wrap(wire.lastAdvert());
    assertThat(VersionVector.decodeFrom(sent)).isEqualTo(self.replica.vv());
    d.replicaChanged(T0 + 10);
    d.tick(T0 + 10 + LinkDriver.ADVERT_INTERVAL_MS);
    assertThat(wire.adverts()).as("nothing changed: no second advert").isEqualTo(1);

    d.linksChanged(Set.of(peer.origin(), third.origin()), T0 + 20);
    assertThat(d.nextWakeAt()).isEqualTo(T0 + 20);
    d.tick(T0 + 20);
    assertThat(wire.adverts()).isEqualTo(2);
    ByteBuffer links = ByteBuffer.wrap(wire.lastAdvert());
    VersionVector.decodeFrom(links);
    assertThat(links.getInt()).isEqualTo(2);

    d.heard(T0 + LinkDriver.HEARTBEAT_MS);
    d.tick(T0 + LinkDriver.HEARTBEAT_MS); // an advert went out since the last beat: none
    assertThat(wire.adverts()).isEqualTo(2);
    d.heard(T0 + 2 * LinkDriver.HEARTBEAT_MS);
    d.tick(T0 + 2 * LinkDriver.HEARTBEAT_MS);
    assertThat(wire.adverts()).as("heartbeat").isEqualTo(3);
  }

  @Test
  void aLinkThatHearsNothingForTheIdleTimeoutIsDead() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    assertThat(d.tick(T0 + LinkDriver.IDLE_TIMEOUT_MS - 1)).isTrue();
    d.heard(T0 + LinkDriver.IDLE_TIMEOUT_MS - 1);
    assertThat(d.tick(T0 + LinkDriver.IDLE_TIMEOUT_MS + 100)).isTrue();
    assertThat(d.nextWakeAt()).isLessThanOrEqualTo(T0 + 2 * LinkDriver.IDLE_TIMEOUT_MS - 1);
    assertThat(d.tick(T0 + 2 * LinkDriver.IDLE_TIMEOUT_MS - 1)).isFalse();
  }

  @Test
  void receivedFramesApplyAndBadOnesAreRefused() {
    LinkDriver d = driver(new VersionVector(), LinkDriver.CHUNK_BYTES);
    d.start(T0);
    Entry e = write(peer, "p", "9");
    List<Entry> covered = d.receive(Kind.DELTA,
        new DeltaChunk(List.of(e), peer.replica.vv()).encode(), T0);
    assertThat(covered).containsExactly(e);
    assertThat(self.replica.peek(b("p"))).isEqualTo(e);
    assertThat(d.receive(Kind.DELTA, new DeltaChunk(List.of(e), null).encode(), T0)).isNull();
    d.receive(Kind.ADVERT, advert(self.replica.vv()), T0);
    assertThat(d.peerHas()).isEqualTo(self.replica.vv());
    assertThatThrownBy(() -> d.receive(Kind.ADVERT, new byte[] {1, 2, 3}, T0))
        .isInstanceOf(CorruptDataException.class);
    assertThatThrownBy(() -> d.receive(Kind.DELTA, new byte[] {9}, T0))
        .isInstanceOf(CorruptDataException.class);
  }
}
