package kvs.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One message of the replication stream: some entries the receiver may lack and, on the last
 * chunk of a delta only, the sender's version vector at the snapshot the delta was cut from.
 *
 * <p>The receiver applies entries as they arrive (last-writer-wins makes that safe in any order
 * and any number of times) but raises its own vector only on the closing chunk: a half-received
 * delta must not claim coverage of writes it skipped because they were superseded.
 *
 * <p>{@code displaced} names writes the sender holds only superseded, by dot and key (value-less
 * entries, clock 0): the receiver keeps a log record for each, pointing at the key, so that a
 * delta it cuts later can complete an atomic batch one of whose writes was superseded before it
 * arrived (Replica.DeltaStream.closeBatches). It changes no data and no vector.
 */
public record DeltaChunk(List<Entry> entries, List<Entry> displaced, VersionVector completes,
    boolean push) {

  public DeltaChunk {
    entries = List.copyOf(entries);
    displaced = List.copyOf(displaced);
  }

  public DeltaChunk(List<Entry> entries, VersionVector completes, boolean push) {
    this(entries, List.of(), completes, push);
  }

  /** A chunk of a delta; the last one carries {@code completes}. */
  public DeltaChunk(List<Entry> entries, VersionVector completes) {
    this(entries, completes, false);
  }

  /** The mark of a displaced write: its key and dot only (see {@link #displaced}). */
  public static Entry displacedMark(byte[] key, long origin, long seq) {
    return Entry.tombstone(key, 0, origin, seq);
  }

  /**
   * A push ({@link LinkState#forward}): entries the sender's vector covers, each directly
   * following what the receiver is believed to hold of its origin, so the receiver may count
   * them as held by the sender. A delta's entries may come from beyond the sender's vector
   * (see Replica.DeltaStream), so only its closing vector says what the sender holds.
   */
  public static DeltaChunk push(List<Entry> entries) {
    return new DeltaChunk(entries, null, true);
  }

  public boolean isLast() {
    return completes != null;
  }

  /**
   * This chunk as consecutive chunks of at most about {@code maxBytes} of entries each (an entry
   * larger than that travels alone), in the same order, the closing vector (if any) on the last.
   * Applying them in order does what applying this chunk does: the receiver extends its coverage
   * entry by entry and raises its vector to a closing one only on the last. An atomic batch
   * ({@link Entry#batchFollowing}) is never cut: a piece may exceed {@code maxBytes} by it. A push of one big
   * write batch is sent this way, so that no message is larger than a peer's frame limit
   * ({@code Limits.bulkBytesMax}) and each holds the peer's event loop only briefly.
   */
  public List<DeltaChunk> split(int maxBytes) {
    if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be positive");
    List<DeltaChunk> out = new ArrayList<>();
    int from = 0;
    int bytes = 0;
    long batchOrigin = -1; // the atomic batch the last entry belongs to, if it continues
    long batchEnd = 0;
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      int size = EntryCodec.wireSize(e);
      boolean continuesBatch = e.origin() == batchOrigin && e.seq() <= batchEnd;
      if (i > from && bytes + size > maxBytes && !continuesBatch) {
        out.add(new DeltaChunk(List.copyOf(entries.subList(from, i)), null, push));
        from = i;
        bytes = 0;
      }
      bytes += size;
      if (e.batchFollowing() > 0 && (e.origin() != batchOrigin || e.batchEnd() > batchEnd)) {
        batchOrigin = e.origin();
        batchEnd = e.batchEnd();
      }
    }
    out.add(new DeltaChunk(List.copyOf(entries.subList(from, entries.size())), displaced,
        completes, push));
    return out;
  }

  /** Trailer bit: a list of displaced writes follows the trailer (and its vector). */
  private static final int DISPLACED_FOLLOW = 0x10;

  public byte[] encode() {
    int size = 4 + 1 + (completes == null ? 0 : completes.encodedSizeWithFrontiers());
    for (Entry e : entries) size += EntryCodec.wireSize(e);
    if (!displaced.isEmpty()) {
      size += 4;
      for (Entry e : displaced) size += EntryCodec.wireSize(e);
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putInt(entries.size());
    for (Entry e : entries) EntryCodec.putWire(b, e);
    int more = displaced.isEmpty() ? 0 : DISPLACED_FOLLOW;
    if (completes == null) {
      b.put((byte) ((push ? 2 : 0) | more));
    } else {
      b.put((byte) (1 | more));
      // With the session frontiers of sealed origins: a receiver sealed by this closing vector
      // serves sessions up to the sender's frontier, as the sender does (VersionVector#mergeFrom).
      completes.encodeWithFrontiersTo(b);
    }
    if (more != 0) {
      b.putInt(displaced.size());
      for (Entry e : displaced) EntryCodec.putWire(b, e);
    }
    return b.array();
  }

  public static DeltaChunk decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    List<Entry> entries = entryList(b);
    if (!b.hasRemaining()) throw new CorruptDataException("delta: truncated trailer");
    int trailer = b.get();
    int last = trailer & ~DISPLACED_FOLLOW;
    VersionVector vv = null;
    if (last == 1) {
      vv = VersionVector.decodeFrom(b);
    } else if (last != 0 && last != 2) {
      throw new CorruptDataException("delta: bad trailer flag");
    }
    List<Entry> displaced = List.of();
    if ((trailer & DISPLACED_FOLLOW) != 0) {
      displaced = entryList(b);
      for (Entry d : displaced) {
        if (!d.isTombstone()) throw new CorruptDataException("delta: a displaced write has a value");
      }
    }
    if (b.hasRemaining()) throw new CorruptDataException("delta: trailing bytes");
    return new DeltaChunk(entries, displaced, vv, last == 2);
  }

  private static List<Entry> entryList(ByteBuffer b) {
    if (b.remaining() < 5) throw new CorruptDataException("delta: truncated");
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) throw new CorruptDataException("delta: bad entry count " + n);
    List<Entry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) entries.add(EntryCodec.getWire(b));
    return entries;
  }
}
