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
  /** The replica's beyond-vector generation when the last delta was cut (see DeltaStream). */
  private long sentGeneration;

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
      long generation = replica.beyondVectorGeneration();
      boolean newer = replica.hasNewerThan(peerHas);
      if (!newer && generation == sentGeneration) return null;
      sentGeneration = generation;
      if (!newer && !replica.holdsEntriesBeyondVector()) return null; // completed since
      streaming = replica.openDelta(peerHas);
    }
    DeltaChunk chunk = streaming.next(maxBytes);
    if (chunk.isLast()) {
      peerHas.mergeFrom(streaming.target());
      streaming = null;
    }
    return chunk;
  }

  /**
   * A push of {@code entries} (in order) that the peer is ready for, or null when none is: each
   * entry whose origin {@code skipOrigin} does not exclude and whose sequence directly follows
   * what the peer is believed to hold of its origin. Used for this replica's own new writes and
   * for writes it just received, to pass them on.
   *
   * <p>A push is not a complete delta and carries no closing vector. It works because the
   * transport delivers in order: the receiver covers each origin at least up to what
   * {@code peerHas} says by the time the push arrives, so each entry extends its coverage by one
   * (see {@link Replica#applyDelta}). It is refused while a delta streams, since the receiver's
   * coverage then waits for the closing chunk. Own writes must be passed whole, superseded
   * entries included, or their sequence would have a hole. Entries left out are the next
   * delta's business.
   */
  public DeltaChunk forward(java.util.List<Entry> entries, java.util.function.LongPredicate skipOrigin) {
    if (streaming != null) return null;
    java.util.List<Entry> out = new java.util.ArrayList<>();
    for (Entry e : entries) {
      if (skipOrigin.test(e.origin()) || peerHas.get(e.origin()) != e.seq() - 1) continue;
      peerHas.raise(e.origin(), e.seq());
      out.add(e);
    }
    return out.isEmpty() ? null : DeltaChunk.push(out);
  }

  /**
   * True when the peer is not known to hold some write of {@code entries} that
   * {@code skipOrigin} does not exclude (after {@link #forward} counted what it pushed).
   */
  public boolean lacksAnyOf(java.util.List<Entry> entries,
      java.util.function.LongPredicate skipOrigin) {
    for (Entry e : entries) {
      if (!skipOrigin.test(e.origin()) && peerHas.get(e.origin()) < e.seq()) return true;
    }
    return false;
  }

  /**
   * True when no delta is streaming, nothing beyond the vector is new, and every origin of which
   * the peer lacks something satisfies {@code deliveredElsewhere}: then a delta cut now would only
   * carry writes that reach the peer by another way (their origin pushes to it), and the caller
   * may wait for the peer's next advert instead. False when the peer lacks nothing.
   */
  public boolean lacksOnlyWritesOf(java.util.function.LongPredicate deliveredElsewhere) {
    if (streaming != null || replica.beyondVectorGeneration() != sentGeneration) return false;
    VersionVector mine = replica.vv();
    boolean lacks = false;
    for (java.util.Map.Entry<Long, Long> e : mine.asMap().entrySet()) {
      if (peerHas.get(e.getKey()) >= e.getValue()) continue;
      if (!deliveredElsewhere.test(e.getKey())) return false;
      lacks = true;
    }
    return lacks;
  }

  /** Takes in the peer's announcement of what it holds now. */
  public void receiveAdvert(VersionVector peerNow) {
    peerHas.mergeFrom(peerNow);
  }

  /** Applies a chunk received from the peer. Returns true when the local replica changed. */
  public boolean receive(DeltaChunk chunk) {
    return receive(chunk, null);
  }

  /** As {@link #receive(DeltaChunk)}, collecting what {@link Replica#applyDelta} newly covered. */
  public boolean receive(DeltaChunk chunk, java.util.List<Entry> newlyCovered) {
    boolean changed = replica.applyDelta(chunk, newlyCovered);
    // The sender covers what it pushes: an entry that directly follows what we believe it
    // holds of that origin extends that belief (this is how a peer's pushes of its own writes
    // count, so they are never sent back to it). A delta's entries do not: they may come from
    // beyond the sender's vector, and a belief raised over them would never be corrected if
    // their origin lost them (simulator seed 8304: a power cut on the origin, after which the
    // two servers held the same data with vectors that differed for ever).
    if (chunk.push()) {
      for (Entry e : chunk.entries()) {
        if (e.seq() == peerHas.get(e.origin()) + 1) peerHas.raise(e.origin(), e.seq());
      }
    }
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
