package kvs.core;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * What one client session depends on: for each origin, the highest sequence of a write of that
 * origin the session has read or written, and the highest hybrid clock it has seen.
 *
 * <p>A server may answer a read only when its version vector covers {@link #deps()} (Terry et
 * al., "Session Guarantees for Weakly Consistent Replicated Data", 1994): then it holds every
 * write the session has seen, or a newer one, for every key. A server stamps a write above
 * {@link #clock()}, so a session's later write beats everything the session saw, on any server.
 *
 * <p>The check is per origin rather than per key: a token stays as small as the number of
 * origins, at the price of an occasional {@code ERR_DEP} for a key the session never touched
 * while a server is still catching up.
 */
public final class SessionToken {
  private static final byte FORMAT = 1;
  private static final String TEXT_PREFIX = "kvs1-";

  private final VersionVector deps;
  private long clock;

  public SessionToken() {
    this(new VersionVector(), 0);
  }

  private SessionToken(VersionVector deps, long clock) {
    this.deps = deps;
    this.clock = clock;
  }

  public VersionVector deps() {
    return deps;
  }

  public long clock() {
    return clock;
  }

  /** Records that the session has read or written {@code entry}. */
  public void observe(Entry entry) {
    observe(entry.origin(), entry.seq(), entry.clock());
  }

  public void observe(long origin, long seq, long entryClock) {
    deps.raise(origin, seq);
    if (entryClock > clock) clock = entryClock;
  }

  /** Folds another token into this one (pointwise maximum). */
  public void mergeFrom(SessionToken other) {
    deps.mergeFrom(other.deps);
    if (other.clock > clock) clock = other.clock;
  }

  public SessionToken copy() {
    return new SessionToken(deps.copy(), clock);
  }

  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + deps.encodedSize());
    b.put(FORMAT).putLong(clock);
    deps.encodeTo(b);
    return b.array();
  }

  public static SessionToken decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (b.remaining() < 9 || b.get() != FORMAT) {
      throw new CorruptDataException("session token: unknown format");
    }
    long clock = b.getLong();
    if (clock < 0) throw new CorruptDataException("session token: negative clock");
    VersionVector deps = VersionVector.decodeFrom(b);
    if (b.hasRemaining()) throw new CorruptDataException("session token: trailing bytes");
    return new SessionToken(deps, clock);
  }

  /** A printable form, safe in HTTP headers and cookies. */
  public String toText() {
    return TEXT_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(encode());
  }

  public static SessionToken fromText(String text) {
    if (!text.startsWith(TEXT_PREFIX)) {
      throw new CorruptDataException("session token: must start with " + TEXT_PREFIX);
    }
    try {
      return decode(Base64.getUrlDecoder().decode(text.substring(TEXT_PREFIX.length())));
    } catch (IllegalArgumentException e) {
      throw new CorruptDataException("session token: not base64url");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionToken t && clock == t.clock && deps.equals(t.deps);
  }

  @Override
  public int hashCode() {
    return deps.hashCode() * 31 + Long.hashCode(clock);
  }

  @Override
  public String toString() {
    return "Session{clock=" + clock + ", deps=" + deps + "}";
  }
}
