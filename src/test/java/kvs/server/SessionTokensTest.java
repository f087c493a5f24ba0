package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import kvs.core.Origins;
import kvs.core.SessionToken;
import org.junit.jupiter.api.Test;

/**
 * The MAC of session tokens: a token one server of a cluster issues is adopted by any other
 * (same secret), and anything else is refused with a reason: an altered byte, a token of
 * another cluster, an unsigned one, and one whose clock is too far ahead.
 */
class SessionTokensTest {
  private static final long NOW = 1_700_000_000_000L;
  private static final String PREFIX = "kvs2-";

  private static long clockAt(long wallMillis) {
    return wallMillis << 16; // Hlc: wall milliseconds in the high 48 bits
  }

  private static SessionToken token() {
    SessionToken t = new SessionToken();
    t.observe(Origins.of(0, 1), 41, clockAt(NOW - 5));
    t.observe(Origins.of(2, 7), 1_000_003, clockAt(NOW) + 3);
    return t;
  }

  private static byte[] payload(String text) {
    assertThat(text).startsWith(PREFIX);
    return Base64.getUrlDecoder().decode(text.substring(PREFIX.length()));
  }

  private static String text(byte[] payload) {
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(payload);
  }

  @Test
  void aTokenIssuedByOneServerIsAdoptedByAnotherOfTheSameCluster() throws Exception {
    String text = new SessionTokens("cluster-a").issue(token());
    assertThat(text).startsWith(PREFIX).matches("[A-Za-z0-9_-]+");
    assertThat(new SessionTokens("cluster-a").adopt(text, NOW)).isEqualTo(token());
    // A new session's token too: what a client that has done nothing yet carries.
    String empty = new SessionTokens("cluster-a").issue(new SessionToken());
    assertThat(new SessionTokens("cluster-a").adopt(empty, NOW)).isEqualTo(new SessionToken());
  }

  @Test
  void everyAlteredByteIsRefused() {
    SessionTokens tokens = new SessionTokens("cluster-a");
    byte[] good = payload(tokens.issue(token()));
    for (int i = 0; i < good.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << bit);
        String forged = text(bad);
        assertThatThrownBy(() -> tokens.adopt(forged, NOW)).as("byte %d bit %d", i, bit)
            .isInstanceOf(SessionTokens.InvalidTokenException.class)
            .hasMessageContaining("signature does not match");
      }
    }
  }

  @Test
  void inflatedDependenciesUnderTheOldTagAreRefused() {
    SessionTokens tokens = new SessionTokens("cluster-a");
    SessionToken.Text issued = SessionToken.Text.parse(tokens.issue(token()));
    SessionToken inflated = token();
    inflated.observe(Origins.of(0, 1), 1L << 40, 0); // a dependency no server holds
    String forged = new SessionToken.Text(inflated.encode(), issued.tag()).toText();
    assertThatThrownBy(() -> tokens.adopt(forged, NOW))
        .isInstanceOf(SessionTokens.InvalidTokenException.class)
        .hasMessageContaining("signature does not match");
  }

  @Test
  void aTokenOfAnotherClusterIsRefused() {
    String foreign = new SessionTokens("cluster-b").issue(token());
    assertThatThrownBy(() -> new SessionTokens("cluster-a").adopt(foreign, NOW))
        .isInstanceOf(SessionTokens.InvalidTokenException.class)
        .hasMessageContaining("from another cluster");
    // Secrets that differ in one character only, or by a prefix, make different keys too.
    String near = new SessionTokens("cluster-a ").issue(token());
    assertThatThrownBy(() -> new SessionTokens("cluster-a").adopt(near, NOW))
        .isInstanceOf(SessionTokens.InvalidTokenException.class);
  }

  @Test
  void unsignedAndMalformedTokensAreRefusedWithAReason() {
    SessionTokens tokens = new SessionTokens("cluster-a");
    assertThatThrownBy(() -> tokens.adopt(token().toText(), NOW))
        .isInstanceOf(SessionTokens.InvalidTokenException.class)
        .hasMessageContaining("unsigned kvs1- token");
    for (String s : new String[] {"", "kvs2-", "kvs2-!!!", "kvs2-AQ", "KVS2-AAAA", "RESE"}) {
      assertThatThrownBy(() -> tokens.adopt(s, NOW)).as(s)
          .isInstanceOf(SessionTokens.InvalidTokenException.class)
          .message().isNotBlank();
    }
  }

  @Test
  void aClockTooFarAheadOfThisServersClockIsRefused() throws Exception {
    SessionTokens tokens = new SessionTokens("cluster-a");
    long bound = SessionTokens.CLOCK_AHEAD_MAX_MS;
    assertThat(bound).as("far below the 24 h of Replica.CLOCK_AHEAD_MAX_MS")
        .isLessThanOrEqualTo(10 * 60_000);
    SessionToken atBound = new SessionToken();
    atBound.observe(Origins.of(1, 1), 1, clockAt(NOW + bound) + 0xffff);
    assertThat(tokens.adopt(tokens.issue(atBound), NOW)).isEqualTo(atBound);

    for (long ahead : new long[] {bound + 1, 3_600_000, 23 * 3_600_000L}) {
      SessionToken t = new SessionToken();
      t.observe(Origins.of(1, 1), 1, clockAt(NOW + ahead));
      String signed = tokens.issue(t); // signed: only the clock is wrong
      assertThatThrownBy(() -> tokens.adopt(signed, NOW)).as("%d ms ahead", ahead)
          .isInstanceOf(SessionTokens.InvalidTokenException.class)
          .hasMessageContaining("ahead of this server's clock");
    }
    // Behind is fine: a session may be carried for a long time.
    SessionToken old = new SessionToken();
    old.observe(Origins.of(1, 1), 1, clockAt(NOW - 30L * 24 * 3_600_000));
    assertThat(tokens.adopt(tokens.issue(old), NOW)).isEqualTo(old);
  }
}
