package kvs.core;

import java.nio.ByteBuffer;

/**
 * Binary form of entries, shared by the data column family and the replication stream.
 *
 * <pre>
 *   stored value:  clock:8 origin:8 seq:8 flags:1 [expiry:8] [batchPreceding:4 batchFollowing:4] [kind:1] [valueLength:4 value]
 *   wire entry:    keyLength:4 key  stored value
 * </pre>
 *
 * <p>Flags: bit 0 tombstone, bit 1 an expiry follows (data format 2), bit 2 the entry belongs
 * to an atomic batch and the counts of the batch's writes before and after it follow (data
 * format 3), bit 3 a kind byte follows (data format 4: the head of a counter or hash,
 * {@link Entry#KIND_COUNTER}; a string entry has none; data format 6 adds the sorted set's kind,
 * {@link Entry#KIND_ZSET}, which a build of format 5 refuses as "unknown kind"). An entry
 * without expiry, batch or kind is encoded exactly as in format 1, so data written by older builds
 * reads unchanged; an older build refuses an entry with a bit it does not know ("bad header")
 * rather than dropping what it means.
 */
public final class EntryCodec {
  private static final byte FLAG_TOMBSTONE = 1;
  private static final byte FLAG_EXPIRY = 2;
  private static final byte FLAG_BATCH = 4;
  private static final byte FLAG_KIND = 8;
  private static final int FIXED = 8 + 8 + 8 + 1;

  private EntryCodec() {}

  public static int storedSize(Entry e) {
    return FIXED + (e.hasExpiry() ? 8 : 0) + (e.inBatch() ? 8 : 0)
        + (e.kind() != Entry.KIND_STRING ? 1 : 0)
        + (e.isTombstone() ? 0 : 4 + e.value().length);
  }

  public static int wireSize(Entry e) {
    return 4 + e.key().length + storedSize(e);
  }

  public static byte[] encodeStored(Entry e) {
    ByteBuffer b = ByteBuffer.allocate(storedSize(e));
    putStored(b, e);
    return b.array();
  }

  private static void putStored(ByteBuffer b, Entry e) {
    b.putLong(e.clock()).putLong(e.origin()).putLong(e.seq());
    boolean typed = e.kind() != Entry.KIND_STRING;
    b.put((byte) ((e.isTombstone() ? FLAG_TOMBSTONE : 0) | (e.hasExpiry() ? FLAG_EXPIRY : 0)
        | (e.inBatch() ? FLAG_BATCH : 0) | (typed ? FLAG_KIND : 0)));
    if (e.hasExpiry()) b.putLong(e.expiry());
    if (e.inBatch()) b.putInt(e.batchPreceding()).putInt(e.batchFollowing());
    if (typed) b.put(e.kind());
    if (!e.isTombstone()) b.putInt(e.value().length).put(e.value());
  }

  public static Entry decodeStored(byte[] key, byte[] stored) {
    ByteBuffer b = ByteBuffer.wrap(stored);
    Entry e = getStored(key, b);
    if (b.hasRemaining()) throw new CorruptDataException("entry: trailing bytes");
    return e;
  }

  private static Entry getStored(byte[] key, ByteBuffer b) {
    if (b.remaining() < FIXED) throw new CorruptDataException("entry: truncated");
    long clock = b.getLong();
    long origin = b.getLong();
    long seq = b.getLong();
    byte flags = b.get();
    if (clock < 0 || origin < 0 || seq <= 0
        || (flags & ~(FLAG_TOMBSTONE | FLAG_EXPIRY | FLAG_BATCH | FLAG_KIND)) != 0) {
      throw new CorruptDataException("entry: bad header");
    }
    long expiry = 0;
    if ((flags & FLAG_EXPIRY) != 0) {
      if (b.remaining() < 8) throw new CorruptDataException("entry: truncated expiry");
      expiry = b.getLong();
      if (expiry <= 0) throw new CorruptDataException("entry: bad expiry " + expiry);
    }
    int batchPreceding = 0;
    int batchFollowing = 0;
    if ((flags & FLAG_BATCH) != 0) {
      if (b.remaining() < 8) throw new CorruptDataException("entry: truncated batch");
      batchPreceding = b.getInt();
      batchFollowing = b.getInt();
      if (batchPreceding < 0 || batchFollowing < 0 || batchPreceding + batchFollowing == 0
          || batchPreceding >= seq) {
        throw new CorruptDataException("entry: bad batch " + batchPreceding + "/" + batchFollowing);
      }
    }
    byte kind = Entry.KIND_STRING;
    if ((flags & FLAG_KIND) != 0) {
      if (b.remaining() < 1) throw new CorruptDataException("entry: truncated kind");
      kind = b.get();
      if (kind <= Entry.KIND_STRING || kind > Entry.KIND_MAX) {
        throw new CorruptDataException("entry: unknown kind " + kind);
      }
    }
    if ((flags & FLAG_TOMBSTONE) != 0) {
      return new Entry(key, null, clock, origin, seq, expiry, batchPreceding, batchFollowing,
          kind);
    }
    if (b.remaining() < 4) throw new CorruptDataException("entry: truncated value length");
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) throw new CorruptDataException("entry: bad value length " + n);
    byte[] value = new byte[n];
    b.get(value);
    return new Entry(key, value, clock, origin, seq, expiry, batchPreceding, batchFollowing,
        kind);
  }

  public static void putWire(ByteBuffer b, Entry e) {
    b.putInt(e.key().length).put(e.key());
    putStored(b, e);
  }

  public static Entry getWire(ByteBuffer b) {
    if (b.remaining() < 4) throw new CorruptDataException("entry: truncated key length");
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) throw new CorruptDataException("entry: bad key length " + n);
    byte[] key = new byte[n];
    b.get(key);
    return getStored(key, b);
  }
}
