package kvs.core;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * For each origin, the highest sequence number up to which a replica holds every write of that
 * origin or a write that supersedes it. Absent origins count as 0.
 *
 * <p>Mutable and not thread-safe: the replica owns one and hands out {@link #copy()}s.
 */
public final class VersionVector {
  private final TreeMap<Long, Long> seqByOrigin;

  public VersionVector() {
    this.seqByOrigin = new TreeMap<>();
  }

  private VersionVector(TreeMap<Long, Long> map) {
    this.seqByOrigin = map;
  }

  public long get(long origin) {
    return seqByOrigin.getOrDefault(origin, 0L);
  }

  /** Raises the entry for {@code origin} to {@code seq}; never lowers it. */
  public void raise(long origin, long seq) {
    if (seq > get(origin)) seqByOrigin.put(origin, seq);
  }

  /** Pointwise maximum, in place. Returns true when anything rose. */
  public boolean mergeFrom(VersionVector other) {
    boolean changed = false;
    for (Map.Entry<Long, Long> e : other.seqByOrigin.entrySet()) {
      if (e.getValue() > get(e.getKey())) {
        seqByOrigin.put(e.getKey(), e.getValue());
        changed = true;
      }
    }
    return changed;
  }

  /** True when this vector is at least {@code other} for every origin. */
  public boolean covers(VersionVector other) {
    for (Map.Entry<Long, Long> e : other.seqByOrigin.entrySet()) {
      if (get(e.getKey()) < e.getValue()) return false;
    }
    return true;
  }

  public boolean covers(long origin, long seq) {
    return get(origin) >= seq;
  }

  public Map<Long, Long> asMap() {
    return java.util.Collections.unmodifiableMap(seqByOrigin);
  }

  public int size() {
    return seqByOrigin.size();
  }

  public VersionVector copy() {
    return new VersionVector(new TreeMap<>(seqByOrigin));
  }

  public int encodedSize() {
    return 4 + 16 * seqByOrigin.size();
  }

  public void encodeTo(ByteBuffer out) {
    out.putInt(seqByOrigin.size());
    for (Map.Entry<Long, Long> e : seqByOrigin.entrySet()) {
      out.putLong(e.getKey());
      out.putLong(e.getValue());
    }
  }

  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(encodedSize());
    encodeTo(b);
    return b.array();
  }

  /** Reads a vector; throws {@link CorruptDataException} on anything malformed. */
  public static VersionVector decodeFrom(ByteBuffer in) {
    if (in.remaining() < 4) throw new CorruptDataException("version vector: truncated");
    int n = in.getInt();
    if (n < 0 || n > in.remaining() / 16) {
      throw new CorruptDataException("version vector: bad origin count " + n);
    }
    TreeMap<Long, Long> map = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      long origin = in.getLong();
      long seq = in.getLong();
      if (origin < 0 || seq < 0) throw new CorruptDataException("version vector: negative entry");
      if (seq > 0) map.put(origin, seq);
    }
    return new VersionVector(map);
  }

  public static VersionVector decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    VersionVector v = decodeFrom(b);
    if (b.hasRemaining()) throw new CorruptDataException("version vector: trailing bytes");
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionVector v && seqByOrigin.equals(v.seqByOrigin);
  }

  @Override
  public int hashCode() {
    return seqByOrigin.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<Long, Long> e : seqByOrigin.entrySet()) {
      if (sb.length() > 1) sb.append(", ");
      sb.append(Origins.toString(e.getKey())).append('=').append(e.getValue());
    }
    return sb.append('}').toString();
  }
}
