package kvs.core;

/**
 * One side of a replication link, without the socket: what the peer is believed to hold and
 * the delta being streamed to it. The server's network layer and the simulator both drive it.
 *
 * <p>{@code peerHas} starts as the vector the peer announced when the link came up. It rises
 * when a delta has been handed to the transport in full (the transport delivers in order and the
 * peer applies in order, so by the time anything later arrives the peer holds it), and when a
 * closing chunk from the peer says what the peer held when it cut that delta. A new connection
 * starts a new LinkState from a fresh announcement, so nothing is assumed across reconnects.
 */
public final class LinkState implements AutoCloseable {
  private final Replica replica;
  private final VersionVector peerHas;
  private Replica.DeltaStream streaming;

  public LinkState(Replica replica, VersionVector peerAnnounced) {
    this.replica = replica;
    this.peerHas = peerAnnounced.copy();
  }

  /**
   * The next chunk to send, or null when the peer already has everything. Call repeatedly while
   * the transport accepts more; each call cuts at most about {@code maxBytes}.
   */
  public DeltaChunk nextChunk(int maxBytes) {
    if (streaming == null) {
      if (!replica.hasNewerThan(peerHas)) return null;
      streaming = replica.openDelta(peerHas);
    }
    DeltaChunk chunk = streaming.next(maxBytes);
    if (chunk.isLast()) {
      peerHas.mergeFrom(streaming.target());
      streaming = null;
    }
    return chunk;
  }

  /** Applies a chunk received from the peer. Returns true when the local replica changed. */
  public boolean receive(DeltaChunk chunk) {
    boolean changed = replica.applyDelta(chunk);
    if (chunk.isLast()) peerHas.mergeFrom(chunk.completes());
    return changed;
  }

  /** What the peer is believed to hold (a copy). */
  public VersionVector peerHas() {
    return peerHas.copy();
  }

  @Override
  public void close() {
    if (streaming != null) {
      streaming.close();
      streaming = null;
    }
  }
}
