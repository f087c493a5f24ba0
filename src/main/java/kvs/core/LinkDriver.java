package kvs.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One replication link's protocol, with no socket, thread or clock inside (in the manner of
 * etcd-io/raft's {@code Ready}): the server's {@code PeerLink} and the simulator both feed it
 * events (a frame received, bytes heard, the transport became writable, time passed, new writes
 * to pass on, this server's links changed) with the time as an argument, and it answers by
 * sending frames through a {@link Wire} and by saying when it next needs the time
 * ({@link #nextWakeAt}). So every rule of a link, the one the server runs, is the one the
 * simulator proves under faults:
 *
 * <ul>
 *   <li><b>Deltas.</b> What the peer lacks is cut from a snapshot by {@link LinkState} and sent
 *       while the wire is writable (backpressure), at once when the link comes up or the wire
 *       drains, and {@link #DELTA_DELAY_MS} after a change that pushes may not have carried.</li>
 *   <li><b>Pushes.</b> New writes go out at once to a peer that is caught up; a received write is
 *       not pushed back to its sender, nor to a peer linked to the write's origin, which pushes
 *       to it directly: in a mesh each write crosses each link once.</li>
 *   <li><b>Postponing.</b> A delta whose every missing write comes from an origin the peer is
 *       linked to waits: those links carry it, and the peer's next advert says so.</li>
 *   <li><b>Adverts.</b> This replica's vector and linked origins, at most every
 *       {@link #ADVERT_INTERVAL_MS} after a change the peers must hear of soon, at most every
 *       {@link #QUIET_ADVERT_MS} after a routine one (writes pushed by their own origins, which
 *       push them to every peer too: see {@link #replicaAdvanced}), at once when the links
 *       change, and as a heartbeat every {@link #HEARTBEAT_MS} when nothing else went out. So
 *       in a mesh of n servers a write costs n - 1 pushes, not n x (n - 1) adverts.</li>
 *   <li><b>Liveness.</b> A link that heard nothing for {@link #IDLE_TIMEOUT_MS} is dead
 *       ({@link #tick} says so): a half-open connection is closed and redialled.</li>
 * </ul>
 *
 * <p>Frames are the payloads of {@code KVS.DELTA} (a {@link DeltaChunk}) and {@code KVS.VV}
 * (a vector and the sender's linked origins). Not thread-safe: the replica's thread owns it.
 * Subclasses exist only in tests, as deliberately broken variants the simulator must catch.
 */
public class LinkDriver implements AutoCloseable {
  /** Delta chunks are cut at about this size. */
  public static final int CHUNK_BYTES = 256 * 1024;
  /**
   * How long after a change a link cuts a delta for what pushes did not carry. In steady state
   * pushes carry everything and adverts have told this side so by then, and the delta is empty.
   */
  public static final long DELTA_DELAY_MS = 20;
  /** Adverts of this replica's vector go out at most this often. */
  public static final long ADVERT_INTERVAL_MS = 5;
  /**
   * Adverts of routine changes (see {@link #replicaAdvanced}) go out at most this often: what
   * they say only ends the peer's wait on a postponed delta and keeps its per-link lag figures
   * fresh, so they are spread over many writes instead of one round per write.
   */
  public static final long QUIET_ADVERT_MS = 100;
  /** When no advert went out for this long, one goes out anyway, so the peer hears from us. */
  public static final long HEARTBEAT_MS = 1_000;
  /** A link that heard nothing for this long (five missed heartbeats) is taken for dead. */
  public static final long IDLE_TIMEOUT_MS = 5_000;
  private static final long NEVER = Long.MAX_VALUE;

  /** The two kinds of frame on a link. */
  public enum Kind { DELTA, ADVERT }

  /** The transport, as the driver sees it. */
  public interface Wire {
    /** True while the transport takes more without queueing beyond its bound. */
    boolean writable();

    void send(Kind kind, byte[] payload);
  }

  protected final Replica replica;
  protected final long peerOrigin;
  protected final Wire wire;
  protected final LinkState state;
  /** Delta chunks are cut at about this many bytes ({@link #CHUNK_BYTES} on a server). */
  protected final int chunkBytes;
  /** Origins the peer has live links to, as it last advertised: they push to it themselves. */
  protected Set<Long> peerLinkedOrigins = Set.of();
  /** The same origins, sorted, for a lookup per pushed write and link without boxing. */
  private long[] peerLinkedSorted = new long[0];
  private Set<Long> linkedOrigins;
  private VersionVector advertised = new VersionVector();
  private Set<Long> advertisedLinks = Set.of();
  private boolean advertSentSinceHeartbeat;
  private long advertSentAt = Long.MIN_VALUE / 2;
  /** A delta was postponed for other links to carry; the peer's next advert decides it. */
  private boolean deltaAwaitsAdvert;
  private long deltaAt = NEVER;
  private long advertAt = NEVER;
  private long heartbeatAt;
  private long lastHeardAt;

  /**
   * What a driver starts from, once the handshake is done: this replica; the peer's origin and
   * the vector it announced; the wire; the origins this server is linked to (this link's peer
   * included); the chunk size ({@link #CHUNK_BYTES} on a server); and the time.
   */
  public record Setup(Replica replica, long peerOrigin, VersionVector peerAnnounced, Wire wire,
      Set<Long> linkedOrigins, int chunkBytes, long now) {
    public Setup {
      if (chunkBytes <= 0) throw new IllegalArgumentException("chunkBytes must be positive");
    }
  }

  public LinkDriver(Setup setup) {
    this.replica = setup.replica();
    this.peerOrigin = setup.peerOrigin();
    this.wire = setup.wire();
    this.chunkBytes = setup.chunkBytes();
    this.state = new LinkState(replica, setup.peerAnnounced());
    this.linkedOrigins = sorted(setup.linkedOrigins());
    this.lastHeardAt = setup.now();
    this.heartbeatAt = setup.now() + HEARTBEAT_MS;
  }

  /** Starts the link: sends what the peer lacks, as far as the wire takes it. */
  public void start(long now) {
    sendDeltas(now);
  }

  /** What the peer is believed to hold (a copy). */
  public VersionVector peerHas() {
    return state.peerHas();
  }

  // ---- events ------------------------------------------------------------------------------

  /** Bytes arrived from the peer (any, even part of a frame): the link is alive. */
  public void heard(long now) {
    lastHeardAt = Math.max(lastHeardAt, now);
  }

  /**
   * A whole frame from the peer. Returns the writes that the frame newly made this replica
   * cover, in order (the server passes them on to its other links), or null when the replica
   * did not change.
   *
   * @throws CorruptDataException when the frame does not decode; the link must close
   */
  public List<Entry> receive(Kind kind, byte[] payload, long now) {
    return receiveFrame(kind, payload, now).covered();
  }

  /**
   * What a received frame did: the writes it newly made this replica cover, in order (null
   * when the replica did not change), and whether that was routine: a push whose every write
   * this replica newly covers and passes on, and each from an origin this server is linked to
   * (so nothing is left for a delta of this server's to carry). After a routine change the other links call
   * {@link #replicaAdvanced}, after any other {@link #replicaChanged}.
   */
  public record Received(List<Entry> covered, boolean routine) {}

  /** As {@link #receive}, saying whether the change was routine (see {@link Received}). */
  public Received receiveFrame(Kind kind, byte[] payload, long now) {
    heard(now);
    if (kind == Kind.ADVERT) {
      Set<Long> linksBefore = peerLinkedOrigins;
      receiveAdvert(payload);
      // A postponed delta is decided again now; and when the peer's links changed, writes that
      // were left to one of its links (by forward or by a postponed delta) may now be this
      // side's to send, even if no delta was postponed when they were left out.
      if (deltaAwaitsAdvert || !peerLinkedOrigins.equals(linksBefore)) {
        deltaAwaitsAdvert = false;
        deltaAt = Math.min(deltaAt, now);
      }
      return new Received(null, false);
    }
    DeltaChunk chunk = DeltaChunk.decode(payload);
    long generation = replica.beyondVectorGeneration();
    List<Entry> covered = receiveChunk(chunk);
    if (covered == null) return new Received(null, false);
    // Every write of the push newly covered and passed on (none held already, none of a batch
    // held only in part, which a delta passes on), none stored beyond the vector.
    boolean routine = chunk.push() && generation == replica.beyondVectorGeneration()
        && covered.size() == chunk.entries().size();
    for (int i = 0; routine && i < covered.size(); i++) {
      routine = linkedOrigins.contains(covered.get(i).origin());
    }
    return new Received(covered, routine);
  }

  /** The wire drained below its bound: go on with the delta. */
  public void writable(long now) {
    sendDeltas(now);
  }

  /**
   * This replica changed through another link: check for a delta after
   * {@link #DELTA_DELAY_MS} and advertise after {@link #ADVERT_INTERVAL_MS}.
   */
  public void replicaChanged(long now) {
    deltaAt = Math.min(deltaAt, now + DELTA_DELAY_MS);
    advertAt = Math.min(advertAt, now + ADVERT_INTERVAL_MS);
  }

  /**
   * This replica took in, through another link, a routine change ({@link Received}): writes
   * pushed by origins this server is linked to. Every other peer either is linked to the same
   * origin, which pushes to it, or gets the writes from {@link #forward}; and the peer's own
   * decisions about the writes do not depend on knowing at once that this side holds them
   * (it never pushes a write to a server linked to its origin, and postpones a delta of such
   * writes until its links change). So no delta check is due, and the advert waits up to
   * {@link #QUIET_ADVERT_MS}, carrying every routine change meanwhile.
   */
  public void replicaAdvanced(long now) {
    advertAt = Math.min(advertAt, Math.max(now + ADVERT_INTERVAL_MS,
        advertSentAt + QUIET_ADVERT_MS));
  }

  /** This server's links changed: the peer learns it at once. */
  public void linksChanged(Set<Long> linkedOrigins, long now) {
    this.linkedOrigins = sorted(linkedOrigins);
    advertAt = Math.min(advertAt, now);
  }

  /**
   * Pushes new writes on, in order: this replica's own, or ones it received. What is not pushed
   * (the peer is not caught up, a delta streams, or another path carries it) is left to a delta.
   */
  public void forward(List<Entry> entries, long now) {
    long self = replica.origin();
    java.util.function.LongPredicate carriedElsewhere =
        o -> o != self && (o == peerOrigin || relayedByPeerLink(o));
    boolean anyForThisLink = false;
    for (int i = 0; !anyForThisLink && i < entries.size(); i++) {
      anyForThisLink = !carriedElsewhere.test(entries.get(i).origin());
    }
    if (!anyForThisLink) return; // in a mesh, a peer's usual case: every write came from its origin
    DeltaChunk push = state.forward(entries, carriedElsewhere);
    // A write left out because its origin is the peer, or pushes to the peer, needs no delta;
    // nor does one the peer is known to hold already (a delta cut since it was written carried
    // it). Only one left out for another reason (the peer is not caught up, a delta streams)
    // does. Counting the held ones as owed made every delta check arm the next one for as long
    // as writes flowed: a check cut while pushes were queued carries them, and their push then
    // leaves them out.
    if (state.lacksAnyOf(entries, carriedElsewhere)) {
      deltaAt = Math.min(deltaAt, now + DELTA_DELAY_MS);
    }
    if (push == null) return;
    // Cut by size, as deltas are: one write batch (a 100,000-key MSET) would otherwise be one
    // message beyond the peer's frame limit, and would hold the peer's loop in one piece.
    for (DeltaChunk piece : push.split(chunkBytes)) wire.send(Kind.DELTA, piece.encode());
  }

  /**
   * Time passed: does what is due. Returns false when the link is dead (nothing heard for
   * {@link #IDLE_TIMEOUT_MS}); the caller then closes it.
   */
  public boolean tick(long now) {
    if (now - lastHeardAt >= IDLE_TIMEOUT_MS) return false;
    if (now >= deltaAt) {
      deltaAt = NEVER;
      sendDeltas(now);
    }
    if (now >= advertAt) {
      advertAt = NEVER;
      VersionVector vv = advertisedVector();
      if (!vv.equals(advertised) || !linkedOrigins.equals(advertisedLinks)) sendAdvert(vv, now);
    }
    if (now >= heartbeatAt) {
      if (!advertSentSinceHeartbeat) sendAdvert(advertisedVector(), now);
      advertSentSinceHeartbeat = false;
      heartbeatAt = now + HEARTBEAT_MS;
    }
    return true;
  }

  /** The earliest time {@link #tick} has something to do. */
  public long nextWakeAt() {
    return Math.min(Math.min(deltaAt, advertAt), Math.min(heartbeatAt,
        lastHeardAt + IDLE_TIMEOUT_MS));
  }

  @Override
  public void close() {
    state.close();
  }

  // ---- the rules, as hooks a broken test variant may override --------------------------------

  /** Sends what the peer lacks while the wire takes it, unless other links carry all of it. */
  protected void sendDeltas(long now) {
    long self = replica.origin();
    if (state.lacksOnlyWritesOf(o -> o != self && relayedByPeerLink(o))) {
      // The peer's own links to those origins carry what it lacks (a push, or their deltas);
      // relaying it too would send each write over every path of a mesh. Check again when the
      // peer next advertises (at once when a link of its drops, and at least every heartbeat):
      // then this sends or stops. Not on a timer of its own: in a mesh every link would
      // otherwise check every few milliseconds for as long as writes flow.
      deltaAwaitsAdvert = true;
      return;
    }
    while (wire.writable()) {
      DeltaChunk chunk = state.nextChunk(chunkBytes);
      if (chunk == null) break;
      wire.send(Kind.DELTA, chunk.encode());
    }
  }

  /** Applies a chunk; returns what it newly covered, or null when the replica did not change. */
  protected List<Entry> receiveChunk(DeltaChunk chunk) {
    List<Entry> covered = new ArrayList<>();
    return state.receive(chunk, covered) ? covered : null;
  }

  /** True when the peer is linked to {@code origin}, which then delivers its writes itself. */
  protected boolean relayedByPeerLink(long origin) {
    return java.util.Arrays.binarySearch(peerLinkedSorted, origin) >= 0;
  }

  /** The vector an advert carries: what this replica holds on disk. */
  protected VersionVector advertisedVector() {
    return replica.vv();
  }

  /** Takes in the peer's advert: what it holds, and which origins it is linked to. */
  protected void receiveAdvert(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    VersionVector vv = VersionVector.decodeFrom(b);
    if (b.remaining() < 4) throw new CorruptDataException("advert: truncated");
    int n = b.getInt();
    if (n < 0 || n != b.remaining() / 8 || b.remaining() % 8 != 0) {
      throw new CorruptDataException("advert: bad link count " + n);
    }
    Set<Long> links = new HashSet<>();
    for (int i = 0; i < n; i++) links.add(b.getLong());
    state.receiveAdvert(vv);
    peerLinkedOrigins = links;
    peerLinkedSorted = links.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  private void sendAdvert(VersionVector vv, long now) {
    advertSentAt = now;
    advertised = vv;
    advertisedLinks = linkedOrigins;
    advertSentSinceHeartbeat = true;
    wire.send(Kind.ADVERT, encodeAdvert(vv, linkedOrigins));
  }

  /** A copy in a fixed order, so that what goes on the wire does not depend on hashing. */
  private static Set<Long> sorted(Set<Long> origins) {
    return java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(origins));
  }

  static byte[] encodeAdvert(VersionVector vv, Set<Long> links) {
    ByteBuffer b = ByteBuffer.allocate(vv.encodedSize() + 4 + 8 * links.size());
    vv.encodeTo(b);
    b.putInt(links.size());
    for (long o : links) b.putLong(o);
    return b.array();
  }
}
