package kvs.core;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * For each origin, the highest sequence number up to which a replica holds every write of that
 * origin or a write that supersedes it. Absent origins count as 0.
 *
 * <p>An origin may also be <b>sealed</b> (docs/design.md, Compacting the vector entries of
 * retired incarnations): a retired dead incarnation of which this replica holds every write
 * that will ever exist, or what supersedes it. A sealed origin has no entry; it reads as
 * {@link #EVERYTHING}, so {@code covers(origin, seq)} is true for every sequence, and the
 * pointwise maximum with a sealed vector seals (the sealed side holds all of it). A seal is
 * never undone. At most {@link #SEALED_MAX} origins are sealed; beyond, {@link #seal} refuses
 * and the entry stays (forgetting a seal would read as 0 again: see the design).
 *
 * <p>Mutable and not thread-safe: the replica owns one and hands out {@link #copy()}s.
 */
public final class VersionVector {
  /** What a sealed origin reads as: every sequence. */
  public static final long EVERYTHING = Long.MAX_VALUE;
  /** At most this many sealed origins per vector (as many as retirements are remembered). */
  public static final int SEALED_MAX = 4096;
  /** The high bit of the encoded entry count: the sealed origins follow the entries. */
  private static final int SEALED_FLAG = 0x8000_0000;
  /** The next bit: the sealed origins follow with their session frontiers (the metadata's form). */
  private static final int FRONTIERS_FLAG = 0x4000_0000;
  private static final int COUNT_MASK = 0x3FFF_FFFF;

  private final TreeMap<Long, Long> seqByOrigin;
  /**
   * The sealed origins, each with its session frontier: the entry it had here when sealed. A
   * session that names a dot of it beyond the frontier is not served ({@link #coversSession}):
   * that write may have been lost with its incarnation's disk, and a read without it would be
   * stale. Local: the frontier travels only in the metadata's form
   * ({@link #encodeWithFrontiersTo}).
   */
  private final TreeMap<Long, Long> sealed;

  public VersionVector() {
    this(new TreeMap<>(), new TreeMap<>());
  }

  private VersionVector(TreeMap<Long, Long> map, TreeMap<Long, Long> sealed) {
    this.seqByOrigin = map;
    this.sealed = sealed;
  }

  public long get(long origin) {
    if (!sealed.isEmpty() && sealed.containsKey(origin)) return EVERYTHING;
    return seqByOrigin.getOrDefault(origin, 0L);
  }

  /** True when {@code origin} is sealed here. */
  public boolean isSealed(long origin) {
    return sealed.containsKey(origin);
  }

  /** The sealed origins, ascending (unmodifiable view). */
  public Set<Long> sealed() {
    return Collections.unmodifiableSet(sealed.keySet());
  }

  /** The session frontier of a sealed origin (see {@link #coversSession}); its entry otherwise. */
  public long frontier(long origin) {
    if (!sealed.isEmpty()) {
      Long f = sealed.get(origin);
      if (f != null) return f;
    }
    return seqByOrigin.getOrDefault(origin, 0L); // not sealed: its entry, as get reads it
  }

  /**
   * Seals {@code origin}: drops its entry (kept as the session frontier), and it reads as
   * {@link #EVERYTHING} from now on. Returns false, changing nothing, when it is sealed already
   * or {@link #SEALED_MAX} origins are. The caller vouches that this replica holds every write
   * of it that exists anywhere, or what supersedes it, and that no more will ever exist.
   */
  public boolean seal(long origin) {
    if (origin < 0) throw new IllegalArgumentException("bad origin " + origin);
    if (sealed.containsKey(origin) || sealed.size() >= SEALED_MAX) return false;
    Long entry = seqByOrigin.remove(origin);
    sealed.put(origin, entry == null ? 0L : entry);
    return true;
  }

  /**
   * Whether a session that depends on {@code deps} may be served here: as {@link #covers}, except
   * that a dot of a sealed origin beyond its session frontier is not covered (it may be a write
   * lost with its incarnation; every write of it that exists and that a session can have seen
   * is at or below the frontier where the seal was made from equal vectors, docs/design.md).
   */
  public boolean coversSession(VersionVector deps) {
    for (Map.Entry<Long, Long> e : deps.seqByOrigin.entrySet()) {
      if (frontier(e.getKey()) < e.getValue()) return false;
    }
    return sealsAllOf(deps);
  }

  /** Whether every origin {@code other} sealed is sealed here too. */
  private boolean sealsAllOf(VersionVector other) {
    return sealed.keySet().containsAll(other.sealed.keySet());
  }

  /** Raises the entry for {@code origin} to {@code seq}; never lowers it. */
  public void raise(long origin, long seq) {
    if (seq > get(origin)) seqByOrigin.put(origin, seq);
  }

  /**
   * Pointwise maximum, in place, a sealed origin counting as {@link #EVERYTHING}: an origin
   * {@code other} sealed is sealed here too (unless {@link #SEALED_MAX} are already; then its
   * entry stays as it was), its session frontier the higher of this entry and {@code other}'s
   * frontier (a closing vector's: this replica then holds all the sender's vector covers).
   * Returns true when anything rose.
   */
  public boolean mergeFrom(VersionVector other) {
    boolean changed = false;
    for (Map.Entry<Long, Long> e : other.seqByOrigin.entrySet()) {
      if (e.getValue() > get(e.getKey())) {
        seqByOrigin.put(e.getKey(), e.getValue());
        changed = true;
      }
    }
    for (Map.Entry<Long, Long> e : other.sealed.entrySet()) {
      long before = frontier(e.getKey());
      if (seal(e.getKey()) || (sealed.containsKey(e.getKey()) && e.getValue() > before)) {
        sealed.put(e.getKey(), Math.max(before, e.getValue()));
        changed = true;
      }
    }
    return changed;
  }

  /**
   * The pointwise minimum of {@code a} and {@code b}, a sealed origin counting as
   * {@link #EVERYTHING}: sealed where both are, the other's entry where one is.
   */
  public static VersionVector min(VersionVector a, VersionVector b) {
    VersionVector r = new VersionVector();
    for (Map.Entry<Long, Long> e : a.seqByOrigin.entrySet()) {
      long v = Math.min(e.getValue(), b.get(e.getKey()));
      if (v > 0) r.seqByOrigin.put(e.getKey(), v);
    }
    for (Map.Entry<Long, Long> e : b.seqByOrigin.entrySet()) {
      if (a.sealed.containsKey(e.getKey())) r.seqByOrigin.put(e.getKey(), e.getValue());
    }
    for (Map.Entry<Long, Long> e : a.sealed.entrySet()) {
      Long f = b.sealed.get(e.getKey());
      if (f != null) r.sealed.put(e.getKey(), Math.min(e.getValue(), f));
    }
    return r;
  }

  /** True when this vector is at least {@code other} for every origin, sealed ones included. */
  public boolean covers(VersionVector other) {
    for (Map.Entry<Long, Long> e : other.seqByOrigin.entrySet()) {
      if (get(e.getKey()) < e.getValue()) return false;
    }
    return sealsAllOf(other);
  }

  public boolean covers(long origin, long seq) {
    return get(origin) >= seq;
  }

  /** The entries (sealed origins have none). */
  public Map<Long, Long> asMap() {
    return java.util.Collections.unmodifiableMap(seqByOrigin);
  }

  /** How many entries (sealed origins not counted). */
  public int size() {
    return seqByOrigin.size();
  }

  public VersionVector copy() {
    return new VersionVector(new TreeMap<>(seqByOrigin), new TreeMap<>(sealed));
  }

  public int encodedSize() {
    return 4 + 16 * seqByOrigin.size() + (sealed.isEmpty() ? 0 : 4 + 8 * sealed.size());
  }

  /**
   * The entry count, then each entry (origin, sequence); when some origin is sealed, the count
   * has its high bit set and the sealed origins follow (their count, then each, ascending): 8
   * bytes a sealed origin instead of an entry's 16. A vector without seals encodes as it did
   * before seals existed; an older build refuses one with seals as a bad origin count. The
   * session frontiers do not travel: a decoded vector's are 0 (see {@link #encodeWithFrontiers}).
   */
  public void encodeTo(ByteBuffer out) {
    encodeTo(out, false);
  }

  private void encodeTo(ByteBuffer out, boolean frontiers) {
    int flags = sealed.isEmpty() ? 0 : frontiers ? SEALED_FLAG | FRONTIERS_FLAG : SEALED_FLAG;
    out.putInt(seqByOrigin.size() | flags);
    for (Map.Entry<Long, Long> e : seqByOrigin.entrySet()) {
      out.putLong(e.getKey());
      out.putLong(e.getValue());
    }
    if (sealed.isEmpty()) return;
    out.putInt(sealed.size());
    for (Map.Entry<Long, Long> e : sealed.entrySet()) {
      out.putLong(e.getKey());
      if (frontiers) out.putLong(e.getValue());
    }
  }

  /** The size of {@link #encodeWithFrontiersTo}'s form. */
  public int encodedSizeWithFrontiers() {
    return encodedSize() + 8 * sealed.size();
  }

  /**
   * The metadata's form: as {@link #encodeTo}, each sealed origin followed by its session
   * frontier, which only this replica's own sessions need.
   */
  public void encodeWithFrontiersTo(ByteBuffer out) {
    encodeTo(out, true);
  }

  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(encodedSize());
    encodeTo(b);
    return b.array();
  }

  /** Reads a vector; throws {@link CorruptDataException} on anything malformed. */
  public static VersionVector decodeFrom(ByteBuffer in) {
    if (in.remaining() < 4) throw new CorruptDataException("version vector: truncated");
    int raw = in.getInt();
    boolean hasSealed = (raw & SEALED_FLAG) != 0;
    boolean frontiers = (raw & FRONTIERS_FLAG) != 0;
    if (frontiers && !hasSealed) {
      throw new CorruptDataException("version vector: bad origin count " + raw);
    }
    int n = raw & COUNT_MASK;
    if (n > in.remaining() / 16) {
      throw new CorruptDataException("version vector: bad origin count " + n);
    }
    TreeMap<Long, Long> map = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      long origin = in.getLong();
      long seq = in.getLong();
      if (origin < 0 || seq < 0) throw new CorruptDataException("version vector: negative entry");
      if (seq > 0) map.put(origin, seq);
    }
    TreeMap<Long, Long> sealed = new TreeMap<>();
    if (hasSealed) {
      if (in.remaining() < 4) throw new CorruptDataException("version vector: truncated");
      int m = in.getInt();
      int each = frontiers ? 16 : 8;
      if (m <= 0 || m > SEALED_MAX || m > in.remaining() / each) {
        throw new CorruptDataException("version vector: bad sealed count " + m);
      }
      long previous = -1;
      for (int i = 0; i < m; i++) {
        long origin = in.getLong();
        long frontier = frontiers ? in.getLong() : 0;
        if (origin <= previous || map.containsKey(origin) || frontier < 0) {
          throw new CorruptDataException("version vector: bad sealed origin");
        }
        sealed.put(origin, frontier);
        previous = origin;
      }
    }
    return new VersionVector(map, sealed);
  }

  public static VersionVector decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    VersionVector v = decodeFrom(b);
    if (b.hasRemaining()) throw new CorruptDataException("version vector: trailing bytes");
    return v;
  }

  @Override
  public boolean equals(Object o) {
    // Effective vectors: the session frontiers are this replica's own business.
    return o instanceof VersionVector v && seqByOrigin.equals(v.seqByOrigin)
        && sealed.keySet().equals(v.sealed.keySet());
  }

  @Override
  public int hashCode() {
    return seqByOrigin.hashCode() * 31 + sealed.keySet().hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<Long, Long> e : seqByOrigin.entrySet()) {
      if (sb.length() > 1) sb.append(", ");
      sb.append(Origins.toString(e.getKey())).append('=').append(e.getValue());
    }
    sb.append('}');
    if (sealed.isEmpty()) return sb.toString();
    // Outside the braces, so that tools reading the entries (master/VectorText) read them as
    // before; equal texts are still equal effective vectors.
    sb.append(" sealed[");
    boolean first = true;
    for (long o : sealed.keySet()) {
      if (!first) sb.append(", ");
      sb.append(Origins.toString(o));
      first = false;
    }
    return sb.append(']').toString();
  }
}
