package kvs.server;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import kvs.core.CorruptDataException;
import kvs.core.Hlc;
import kvs.core.SessionToken;

/**
 * Issues and checks the session tokens of one cluster: a token's text carries an HMAC-SHA256 of
 * its bytes under a key derived from the cluster secret, so only a server of the cluster can
 * make one. A client that edits its token (more dependencies, a clock pushed ahead), a token
 * made up from scratch, and one from another cluster (another secret) are all refused before
 * anything of them is used.
 *
 * <p>The MAC makes a token's contents something a server of this cluster once issued, which
 * still leaves a clock that was ahead when issued: a server whose wall clock runs ahead stamps
 * writes ahead, and sessions that saw them carry that clock to every other server. A token whose
 * clock is more than {@link #CLOCK_AHEAD_MAX_MS} ahead of the adopting server's wall clock is
 * therefore refused too, so one bad clock does not drag the clocks of writes on other servers.
 *
 * <p>Not thread-safe (a {@link Mac} is not): one per connection, which stays on one event loop.
 */
public final class SessionTokens {
  /**
   * How far ahead of this server's wall clock an adopted token's clock may be: 5 minutes, the
   * maximum clock skew Kerberos tolerates by default. Servers kept in step by NTP differ by
   * milliseconds, so a legitimate token is never near it; a token further ahead comes from a
   * server whose clock is wrong, and adopting it would stamp this session's writes that far
   * ahead on this server too.
   */
  public static final long CLOCK_AHEAD_MAX_MS = 5 * 60_000;

  /** Domain separation: the MAC key is not the secret itself, which peers send in clear. */
  private static final byte[] KEY_LABEL =
      "kvs session token key, v1".getBytes(StandardCharsets.US_ASCII);
  private static final String ALGORITHM = "HmacSHA256";

  /** A token refused at adoption; the message says why, for the client's error reply. */
  public static final class InvalidTokenException extends Exception {
    InvalidTokenException(String message) {
      super(message);
    }
  }

  private final Mac mac;

  public SessionTokens(String clusterSecret) {
    try {
      Mac derive = Mac.getInstance(ALGORITHM);
      derive.init(new SecretKeySpec(clusterSecret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
      mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(derive.doFinal(KEY_LABEL), ALGORITHM));
    } catch (GeneralSecurityException e) {
      // Every Java platform must provide HmacSHA256 (javax.crypto.Mac's documentation).
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** The text form of {@code token}, authenticated. */
  public String issue(SessionToken token) {
    byte[] body = token.encode();
    return new SessionToken.Text(body, mac.doFinal(body)).toText();
  }

  /**
   * The token that {@code text} holds, once its tag is checked and its clock found at most
   * {@link #CLOCK_AHEAD_MAX_MS} ahead of {@code wallMillis}.
   *
   * @throws InvalidTokenException when it is malformed, forged, altered, from another cluster,
   *     or too far ahead
   */
  public SessionToken adopt(String text, long wallMillis) throws InvalidTokenException {
    SessionToken.Text parts;
    try {
      parts = SessionToken.Text.parse(text);
    } catch (CorruptDataException e) {
      throw new InvalidTokenException(e.getMessage());
    }
    // The tag is checked before the bytes are decoded: nothing a client made up is parsed.
    if (!MessageDigest.isEqual(mac.doFinal(parts.body()), parts.tag())) {
      throw new InvalidTokenException(
          "its signature does not match (forged, altered, or from another cluster)");
    }
    SessionToken token;
    try {
      token = SessionToken.decode(parts.body());
    } catch (CorruptDataException e) {
      throw new InvalidTokenException(e.getMessage()); // signed, so a bug of some server
    }
    long aheadMs = Hlc.physicalMillis(token.clock()) - wallMillis;
    if (aheadMs > CLOCK_AHEAD_MAX_MS) {
      throw new InvalidTokenException("its clock is " + aheadMs / 1000 + " s ahead of this"
          + " server's clock (at most " + CLOCK_AHEAD_MAX_MS / 1000 + " s); check the servers'"
          + " clocks");
    }
    return token;
  }
}
