package kvs.core;

import java.util.Arrays;

/**
 * The state of one key on a replica: the value (or a tombstone) with the dot that wrote it and
 * the version that orders it.
 *
 * <p>The dot {@code (origin, seq)} identifies the write; the version {@code (clock, origin)}
 * orders writes of the same key. Last writer wins by version. Two distinct writes never share a
 * version, because an origin's clock is strictly increasing.
 *
 * <p>{@code expiry} is the absolute time (Unix milliseconds, on the scale of the hybrid clock's
 * physical part) at or after which the value reads as absent, or 0 for none. It belongs to the
 * write: set by it, replicated with it, and never changed afterwards; EXPIRE and PERSIST write a
 * new version of the key. Whether an entry has expired depends on the reading server's time
 * ({@link #expiredAt}), never on anything stored.
 *
 * <p>{@code batchPreceding} and {@code batchFollowing} say how many writes of the same atomic
 * batch (a transaction, or a command that writes several keys) the origin numbered before and
 * after this one: the batch is this origin's dots {@link #batchFirst} to {@link #batchEnd}, and
 * replication never shows a peer part of it (docs/design.md, Transactions). Both are 0 for a
 * write made alone.
 */
public record Entry(byte[] key, byte[] value, long clock, long origin, long seq, long expiry,
    int batchPreceding, int batchFollowing, byte kind) {
  /** A plain byte string: the value is what GET answers. Every entry before data format 3. */
  public static final byte KIND_STRING = 0;
  /**
   * The head of a counter (see {@link Counters}): the value is the counter's base and what it
   * cancels of the per-origin contributions stored as elements; reads answer the sum as text.
   */
  public static final byte KIND_COUNTER = 1;
  /**
   * The head of a hash (see {@link Hashes}): the value is what the head cancels of the fields
   * stored as elements; reads list the fields.
   */
  public static final byte KIND_HASH = 2;
  /**
   * The head of a set (see {@link Sets}): the value is what the head hides of the member
   * registers stored as elements, encoded as a hash's head; reads list the members.
   */
  public static final byte KIND_SET = 3;
  /**
   * The head of a sorted set (see {@link SortedSets}): the value is what the head hides of the
   * member registers stored as elements, encoded as a hash's head; reads list the members. Data
   * format 6.
   */
  public static final byte KIND_ZSET = 4;
  /** The highest kind this build knows; a stored entry of a higher kind is refused. */
  public static final byte KIND_MAX = KIND_ZSET;

  public Entry {
    if (expiry < 0) throw new IllegalArgumentException("negative expiry " + expiry);
    if (batchPreceding < 0 || batchFollowing < 0 || batchPreceding >= seq) {
      throw new IllegalArgumentException("bad batch " + batchPreceding + "/" + batchFollowing);
    }
    if (kind < 0 || kind > KIND_MAX) throw new IllegalArgumentException("unknown kind " + kind);
  }

  /** A string entry (or tombstone) written alone, with an expiry (0 for none). */
  public Entry(byte[] key, byte[] value, long clock, long origin, long seq, long expiry) {
    this(key, value, clock, origin, seq, expiry, 0, 0, KIND_STRING);
  }

  /** An entry of kind {@code kind} written alone. */
  public Entry(byte[] key, byte[] value, long clock, long origin, long seq, long expiry,
      byte kind) {
    this(key, value, clock, origin, seq, expiry, 0, 0, kind);
  }

  /** A string entry (or tombstone) of a batch. */
  public Entry(byte[] key, byte[] value, long clock, long origin, long seq, long expiry,
      int batchPreceding, int batchFollowing) {
    this(key, value, clock, origin, seq, expiry, batchPreceding, batchFollowing, KIND_STRING);
  }

  /** An entry without expiry. */
  public Entry(byte[] key, byte[] value, long clock, long origin, long seq) {
    this(key, value, clock, origin, seq, 0);
  }

  public static Entry write(byte[] key, byte[] value, long clock, long origin, long seq) {
    return new Entry(key, value, clock, origin, seq, 0);
  }

  /** A write whose value expires at {@code expiry} (Unix ms; 0 for never). */
  public static Entry write(byte[] key, byte[] value, long clock, long origin, long seq,
      long expiry) {
    return new Entry(key, value, clock, origin, seq, expiry);
  }

  public static Entry tombstone(byte[] key, long clock, long origin, long seq) {
    return new Entry(key, null, clock, origin, seq);
  }

  public boolean isTombstone() {
    return value == null;
  }

  public boolean hasExpiry() {
    return expiry != 0;
  }

  /** True when this entry has an expiry at or before {@code nowMillis}. */
  public boolean expiredAt(long nowMillis) {
    return expiry != 0 && expiry <= nowMillis;
  }

  /**
   * True for the remnant of an expired write: its key, version, dot and expiry without the value
   * (Replica.sweepExpired). It reads as absent, like a tombstone, on every replica.
   */
  public boolean isRemnant() {
    return value == null && expiry != 0;
  }

  /** This expiring write without its value (see {@link #isRemnant}). */
  public Entry remnant() {
    if (expiry == 0) throw new IllegalStateException("only an expiring entry has a remnant");
    return new Entry(key, null, clock, origin, seq, expiry, batchPreceding, batchFollowing,
        kind);
  }

  /** This entry with {@code value} in place of its own: how a read shows a typed value. */
  public Entry withValue(byte[] shown) {
    return new Entry(key, shown, clock, origin, seq, expiry, batchPreceding, batchFollowing,
        kind);
  }

  /** This entry as a member of a batch with {@code preceding} and {@code following} writes. */
  public Entry inBatch(int preceding, int following) {
    return preceding == batchPreceding && following == batchFollowing ? this
        : new Entry(key, value, clock, origin, seq, expiry, preceding, following, kind);
  }

  /** Whether this write belongs to an atomic batch of several writes. */
  public boolean inBatch() {
    return batchPreceding != 0 || batchFollowing != 0;
  }

  /** The sequence of the first write of this entry's batch ({@link #seq} when written alone). */
  public long batchFirst() {
    return seq - batchPreceding;
  }

  /** The sequence of the last write of this entry's batch ({@link #seq} when written alone). */
  public long batchEnd() {
    return seq + batchFollowing;
  }

  /** A value that has not expired at {@code nowMillis}: what reads see as present. */
  public boolean liveAt(long nowMillis) {
    return value != null && !expiredAt(nowMillis);
  }

  /** Last-writer-wins order: by hybrid clock, then by origin. */
  public static int compareVersions(long clockA, long originA, long clockB, long originB) {
    int c = Long.compare(clockA, clockB);
    return c != 0 ? c : Long.compare(originA, originB);
  }

  public boolean supersedes(Entry other) {
    return other == null || compareVersions(clock, origin, other.clock, other.origin) > 0;
  }

  public boolean sameDot(Entry other) {
    return other != null && origin == other.origin && seq == other.seq;
  }

  /**
   * A 64-bit fingerprint summed into the store digest: key, version, dot, and the value, or
   * for an expiring entry the expiry instead of the value. An entry without expiry hashes
   * exactly as before expiry existed (format 1), so digests recorded by older builds still
   * match their data.
   */
  public long fingerprint() {
    long h = 0x9E3779B97F4A7C15L;
    h = mix(h ^ arraysHashCode(key));
    h = mix(h ^ key.length);
    h = mix(h ^ clock);
    h = mix(h ^ origin);
    h = mix(h ^ seq);
    if (expiry == 0) {
      h = mix(h ^ (value == null ? -1 : arraysHashCode(value)));
    } else {
      // Not the value: the dot names it already, and a later removal of expired values that
      // keeps key, version, dot and expiry (docs/design.md, Expiry) then leaves the digest as is.
      h = mix(h ^ 0x45585049L ^ expiry); // "EXPI"
    }
    if (kind != KIND_STRING) h = mix(h ^ 0x4B494E44L ^ kind); // "KIND"; strings hash as before
    return h;
  }

  /**
   * Exactly {@code Arrays.hashCode(a)} for a non-null array, eight bytes a step: the sum
   * {@code 31^n + a[0]·31^(n-1) + ... + a[n-1]} (mod 2^32) regrouped, so that each step waits on
   * one multiplication instead of eight. JDK 17 computes it a byte at a time, one dependent
   * multiply-add each, and every write hashes the value it stores and the one it replaces: for
   * 8 KB values that was a tenth of a peer's CPU (docs/performance.md).
   */
  static int arraysHashCode(byte[] a) {
    int h = 1;
    int i = 0;
    for (int n = a.length - 7; i < n; i += 8) {
      h = P8 * h + P7 * a[i] + P6 * a[i + 1] + P5 * a[i + 2] + P4 * a[i + 3]
          + P3 * a[i + 4] + P2 * a[i + 5] + 31 * a[i + 6] + a[i + 7];
    }
    for (; i < a.length; i++) h = 31 * h + a[i];
    return h;
  }

  /** Powers of 31, wrapped to 32 bits as Java's int arithmetic wraps them. */
  private static final int P2 = 31 * 31;
  private static final int P3 = P2 * 31;
  private static final int P4 = P3 * 31;
  private static final int P5 = P4 * 31;
  private static final int P6 = P5 * 31;
  private static final int P7 = P6 * 31;
  private static final int P8 = P7 * 31;

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e
        && clock == e.clock && origin == e.origin && seq == e.seq && expiry == e.expiry
        && batchPreceding == e.batchPreceding && batchFollowing == e.batchFollowing
        && kind == e.kind
        && Arrays.equals(key, e.key) && Arrays.equals(value, e.value);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(fingerprint());
  }

  @Override
  public String toString() {
    return "Entry[" + latin1(key)
        + (value == null ? " tombstone" : " " + value.length + "B")
        + " @" + clock + " " + Origins.toString(origin) + ":" + seq
        + (expiry == 0 ? "" : " expires " + expiry)
        + (inBatch() ? " batch " + batchFirst() + ".." + batchEnd() : "")
        + (kind == KIND_STRING ? "" : " kind " + kind) + "]";
  }

  /** The bytes as ISO-8859-1 text, one char per byte (core uses no charsets: README). */
  private static String latin1(byte[] bytes) {
    char[] chars = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) chars[i] = (char) (bytes[i] & 0xff);
    return new String(chars);
  }
}
