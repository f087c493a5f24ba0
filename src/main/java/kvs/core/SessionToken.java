package kvs.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
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
 *
 * <p>A token that leaves a server is authenticated: its text form ({@link Text}) carries a tag
 * after the token's bytes, a MAC that only holders of the cluster secret can compute, so a
 * client can neither inflate its dependencies nor push its clock. Computing and checking the
 * tag is the server's business ({@code kvs.server.SessionTokens}); the core only lays it out.
 */
public final class SessionToken {
  private static final byte FORMAT = 1;
  /**
   * The text form servers exchange with clients: {@code kvs2-} then base64url of the token's
   * bytes and the tag ({@link Text}).
   */
  private static final String TEXT_PREFIX = "kvs2-";
  /** The unauthenticated text form ({@link #toText()}), which no server accepts. */
  private static final String PLAIN_PREFIX = "kvs1-";
  /** Bytes of the tag that follows the token's bytes in the text form (an HMAC-SHA256). */
  public static final int TAG_BYTES = 32;

  private VersionVector deps;
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

  /** Starts the session afresh: it depends on nothing and has seen no clock. */
  public void reset() {
    deps = new VersionVector();
    clock = 0;
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

  /**
   * A token's text form taken apart: the bytes of {@link #encode()} and the tag that
   * authenticates them. Only the layout is checked here, not the tag, nor the bytes.
   */
  public record Text(byte[] body, byte[] tag) {
    public Text {
      if (tag.length != TAG_BYTES) {
        throw new IllegalArgumentException("a tag is " + TAG_BYTES + " bytes, got " + tag.length);
      }
    }

    /** A printable form, safe in HTTP headers and cookies. */
    public String toText() {
      byte[] b = new byte[body.length + tag.length];
      System.arraycopy(body, 0, b, 0, body.length);
      System.arraycopy(tag, 0, b, body.length, tag.length);
      return TEXT_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Splits a text token; refuses one that is not laid out as {@link #toText()} makes them. */
    public static Text parse(String text) {
      if (!text.startsWith(TEXT_PREFIX)) {
        throw new CorruptDataException(text.startsWith(PLAIN_PREFIX)
            ? "an unsigned " + PLAIN_PREFIX + " token; servers accept only signed ones ("
                + TEXT_PREFIX + ")"
            : "must start with " + TEXT_PREFIX);
      }
      byte[] b;
      try {
        b = Base64.getUrlDecoder().decode(text.substring(TEXT_PREFIX.length()));
      } catch (IllegalArgumentException e) {
        throw new CorruptDataException("not base64url");
      }
      if (b.length < 9 + 4 + TAG_BYTES) throw new CorruptDataException("too short");
      int n = b.length - TAG_BYTES;
      return new Text(Arrays.copyOf(b, n), Arrays.copyOfRange(b, n, b.length));
    }
  }

  /**
   * The unauthenticated text form, {@code kvs1-} and base64url of {@link #encode()}: for the
   * simulator and tests, which model a token's trip through text. Servers refuse it.
   */
  public String toText() {
    return PLAIN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(encode());
  }

  /** Reads {@link #toText()}'s form. */
  public static SessionToken fromText(String text) {
    if (!text.startsWith(PLAIN_PREFIX)) {
      throw new CorruptDataException("session token: must start with " + PLAIN_PREFIX);
    }
    try {
      return decode(Base64.getUrlDecoder().decode(text.substring(PLAIN_PREFIX.length())));
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
