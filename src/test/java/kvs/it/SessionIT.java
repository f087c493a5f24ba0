package kvs.it;

import static kvs.it.ClusterProcess.cmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kvs.client.KvsClient;
import kvs.client.KvsException;
import kvs.client.ReadResult;
import kvs.core.Origins;
import kvs.core.SessionToken;
import kvs.core.VersionVector;
import kvs.server.SessionTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Sessions across servers of a real two-server {@code ./kvs cluster}: a token carried with
 * {@code KVS.SESSION} never reads older than its own write, and {@link KvsClient} fails over on
 * ERR_DEP and on a dead server. Server 1 is made to lack a write deterministically by cutting
 * the link with the admin commands (the cluster secret is the test's).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionIT {
  /** {@code kvs1-} (unsigned, before) or {@code kvs2-} (signed). */
  private static final int PREFIX_LENGTH = 5;
  private static ClusterProcess cluster;
  private static Jedis admin0;
  private static Jedis admin1;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcess.start(2);
    admin0 = cluster.admin(0);
    admin1 = cluster.admin(1);
  }

  @AfterAll
  static void stop() throws Exception {
    if (admin0 != null) admin0.close();
    if (admin1 != null) admin1.close();
    if (cluster != null) cluster.close();
  }

  private static String state(Jedis admin) {
    return new String((byte[]) admin.sendCommand(cmd("KVS.STATE")), StandardCharsets.UTF_8);
  }

  private static void awaitConverged() throws InterruptedException {
    ClusterProcess.await("both servers hold the same data", 10_000,
        () -> state(admin0).equals(state(admin1)));
  }

  /** Cuts the link between the two servers; neither redials until {@link #heal}. */
  private static void partition() {
    admin0.sendCommand(cmd("KVS.LINK.BLOCK"), "1");
    admin1.sendCommand(cmd("KVS.LINK.BLOCK"), "0");
  }

  private static void heal() {
    admin0.sendCommand(cmd("KVS.LINK.UNBLOCK"), "1");
    admin1.sendCommand(cmd("KVS.LINK.UNBLOCK"), "0");
    admin1.sendCommand(cmd("KVS.LINK.CONNECT"), "0", ClusterProcess.HOST,
        Integer.toString(cluster.port(0)));
  }

  private static String session(Jedis j) {
    return new String((byte[]) j.sendCommand(cmd("KVS.SESSION")), StandardCharsets.US_ASCII);
  }

  /** GET through {@code j}: the value, or "ERR_DEP" when the server refused. */
  private static String getOrDep(Jedis j, String key) {
    try {
      return j.get(key);
    } catch (JedisDataException e) {
      assertThat(e.getMessage()).startsWith("ERR_DEP");
      return "ERR_DEP";
    }
  }

  @Test
  @Order(1)
  void tokenMovedToAServerThatLacksTheWriteGetsErrDepNeverTheOlderValue() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1); Jedis fresh = cluster.jedis(1)) {
      a.set("profile", "old");
      awaitConverged();
      partition();
      try {
        a.set("profile", "new");
        String token = session(a);
        assertThat(token).startsWith("kvs2-");

        assertThat(b.sendCommand(cmd("KVS.SESSION"), token)).isEqualTo("OK".getBytes());
        assertThatThrownBy(() -> b.get("profile")).isInstanceOf(JedisDataException.class)
            .hasMessageStartingWith("ERR_DEP");
        assertThatThrownBy(() -> b.mget("profile", "x")).hasMessageStartingWith("ERR_DEP");
        assertThatThrownBy(() -> b.exists("profile")).hasMessageStartingWith("ERR_DEP");
        // The dependency is per origin: a key the session never touched is refused too.
        assertThatThrownBy(() -> b.get("unrelated")).hasMessageStartingWith("ERR_DEP");
        // A session that saw nothing may read the older value: it is all this server has.
        assertThat(fresh.get("profile")).isEqualTo("old");
      } finally {
        heal();
      }
      // Once the write arrives the moved session reads it; until then only ERR_DEP.
      ClusterProcess.await("server 1 serves the moved session", 10_000, () -> {
        String v = getOrDep(b, "profile");
        assertThat(v).isIn("ERR_DEP", "new");
        return v.equals("new");
      });
      awaitConverged();
    }
  }

  @Test
  @Order(2)
  void tokenMovedRightAfterEachWriteReadsThatWriteOrErrDep() throws Exception {
    int refused = 0;
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      for (int i = 0; i < 300; i++) {
        String want = "v" + i;
        a.set("race", want);
        b.sendCommand(cmd("KVS.SESSION"), session(a));
        String v = getOrDep(b, "race");
        assertThat(v).as("read %d on the other server", i).isIn("ERR_DEP", want);
        if (v.equals("ERR_DEP")) {
          refused++;
          // Refused only until the write arrives: then the moved session reads it, and until
          // then nothing older.
          int read = i;
          ClusterProcess.await("server 1 serves read " + i, 10_000, () -> {
            String again = getOrDep(b, "race");
            assertThat(again).as("read %d on the other server, again", read).isIn("ERR_DEP", want);
            return again.equals(want);
          });
        }
      }
    }
    System.out.println("SessionIT: moved session served at once " + (300 - refused)
        + ", ERR_DEP first " + refused);
  }

  @Test
  @Order(3)
  void clientLibraryFailsOverOnErrDep() throws Exception {
    awaitConverged();
    partition();
    try {
      String token;
      try (KvsClient writer = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(0))
          .build()) {
        writer.put(bytes("cart"), bytes("3 items"));
        token = writer.sessionToken();
      }
      // Only the lagging server: the read is refused, never stale.
      try (KvsClient lagging = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(1))
          .session(token).maxAttempts(2).backoff(Duration.ofMillis(1)).build()) {
        assertThat(lagging.get(bytes("cart")).status())
            .isEqualTo(ReadResult.Status.DEPENDENCY_MISSING);
      }
      // The lagging server first, then the other: the client retries there and reads the write.
      try (KvsClient moved = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(1))
          .server(ClusterProcess.HOST, cluster.port(0)).session(token).maxAttempts(3)
          .backoff(Duration.ofMillis(1)).build()) {
        ReadResult r = moved.get(bytes("cart"));
        assertThat(r.status()).isEqualTo(ReadResult.Status.FOUND);
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("3 items");
      }
    } finally {
      heal();
    }
    awaitConverged();
  }

  /** The part of a token's text after its prefix, decoded. */
  private static byte[] payload(String token) {
    return Base64.getUrlDecoder().decode(token.substring(PREFIX_LENGTH));
  }

  private static String text(String prefix, byte[] body, byte[] tag) {
    byte[] b = Arrays.copyOf(body, body.length + tag.length);
    System.arraycopy(tag, 0, b, body.length, tag.length);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * A client edits the token a server gave it, the way one would to read from the future or to
   * deny service to the session: each dependency raised a million writes and the clock 23 h
   * ahead, keeping the server's tag. Written against the token's layout (prefix, base64url of the
   * token's bytes, then whatever authenticates them), so that it also ran against the servers of
   * before tokens were signed, which took such a token and then answered ERR_DEP forever.
   */
  @Test
  @Order(4)
  void aForgedTokenIsRefusedAndChangesNothing() {
    try (Jedis j = cluster.jedis(0)) {
      j.set("forge:k", "kept");
      String real = session(j);
      String prefix = real.substring(0, PREFIX_LENGTH);
      byte[] payload = payload(real);
      ByteBuffer b = ByteBuffer.wrap(payload);
      b.get();
      b.getLong();
      VersionVector.decodeFrom(b);
      SessionToken mine = SessionToken.decode(Arrays.copyOf(payload, b.position()));
      byte[] tag = Arrays.copyOfRange(payload, b.position(), payload.length);
      assertThat(mine.deps().size()).isPositive();

      SessionToken inflated = mine.copy();
      long ahead = (System.currentTimeMillis() + 23 * 3_600_000L) << 16;
      mine.deps().asMap().forEach((origin, seq) -> inflated.observe(origin, seq + 1_000_000, ahead));
      byte[] randomTag = new byte[32];
      new SecureRandom().nextBytes(randomTag);
      List<String> forged = List.of(
          text(prefix, inflated.encode(), tag),         // altered under the server's tag
          text(prefix, inflated.encode(), randomTag),   // made up, with a guessed tag
          inflated.toText());                           // the unsigned form
      for (String f : forged) {
        assertThatThrownBy(() -> j.sendCommand(cmd("KVS.SESSION"), f)).as(f)
            .isInstanceOf(JedisDataException.class)
            .hasMessageStartingWith("ERR invalid session token: ");
        // Nothing changed: the same session (its token is the same text), reads still served.
        assertThat(session(j)).isEqualTo(real);
        assertThat(j.get("forge:k")).isEqualTo("kept");
      }
      // The genuine token is still good, on this server and the other.
      assertThat(j.sendCommand(cmd("KVS.SESSION"), real)).isEqualTo("OK".getBytes());
      try (Jedis other = cluster.jedis(1)) {
        assertThat(other.sendCommand(cmd("KVS.SESSION"), real)).isEqualTo("OK".getBytes());
      }
    }
  }

  /**
   * Signed tokens that are still refused: one signed with another cluster's secret, and one
   * signed with this cluster's but carrying a clock 23 h ahead (a server with a wrong clock made
   * it). Neither changes the session, and the session's next write is not stamped ahead.
   */
  @Test
  @Order(5)
  void tokensOfAnotherClusterOrFromTheFutureAreRefused() {
    SessionToken ahead = new SessionToken();
    ahead.observe(Origins.of(0, 1), 1, (System.currentTimeMillis() + 23 * 3_600_000L) << 16);
    SessionToken plain = new SessionToken();
    plain.observe(Origins.of(0, 1), 1, System.currentTimeMillis() << 16);
    try (Jedis j = cluster.jedis(1)) {
      String before = session(j);
      assertThatThrownBy(() -> j.sendCommand(cmd("KVS.SESSION"),
          new SessionTokens("another cluster's secret").issue(plain)))
          .hasMessageStartingWith("ERR invalid session token: ")
          .hasMessageContaining("another cluster");
      assertThatThrownBy(() -> j.sendCommand(cmd("KVS.SESSION"),
          new SessionTokens(cluster.secret).issue(ahead)))
          .hasMessageStartingWith("ERR invalid session token: ")
          .hasMessageContaining("ahead of this server's clock");
      assertThat(session(j)).isEqualTo(before);
      List<?> dot = (List<?>) j.sendCommand(cmd("KVS.PUT"), "future:k", "v");
      long writtenAt = (Long) dot.get(2) >>> 16;
      assertThat(writtenAt).as("the write's clock, in wall milliseconds")
          .isLessThan(System.currentTimeMillis() + SessionTokens.CLOCK_AHEAD_MAX_MS);
    }
  }

  /**
   * A session that depends on a write no server it can reach has (here: cut off by a partition;
   * in the field: lost with its server's disk) gets ERR_DEP on every read; KVS.SESSION RESET
   * starts it afresh, through plain Redis commands and through the client library.
   */
  @Test
  @Order(6)
  void sessionResetRecoversFromErrDep() throws Exception {
    awaitConverged();
    partition();
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      a.set("reset:k", "on server 0 only");
      String token = session(a);
      b.sendCommand(cmd("KVS.SESSION"), token);
      assertThatThrownBy(() -> b.get("reset:k")).hasMessageStartingWith("ERR_DEP");
      assertThatThrownBy(() -> b.get("reset:other")).hasMessageStartingWith("ERR_DEP");

      assertThat(b.sendCommand(cmd("KVS.SESSION"), "RESET")).isEqualTo("OK".getBytes());
      assertThat(b.get("reset:k")).isNull(); // all server 1 has: the write never reached it
      assertThat(b.set("reset:other", "after reset")).isEqualTo("OK");
      assertThat(b.get("reset:other")).isEqualTo("after reset");
      // The fresh session's token no longer carries server 0's write.
      try (Jedis c = cluster.jedis(1)) {
        c.sendCommand(cmd("KVS.SESSION"), session(b));
        assertThat(c.get("reset:k")).isNull();
      }

      try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(1))
          .session(token).maxAttempts(1).build()) {
        assertThat(kv.get(bytes("reset:k")).status())
            .isEqualTo(ReadResult.Status.DEPENDENCY_MISSING);
        kv.resetSession();
        assertThat(kv.sessionToken()).isNull();
        assertThat(kv.get(bytes("reset:k")).status()).isEqualTo(ReadResult.Status.NOT_FOUND);
      }
    } finally {
      heal();
    }
    awaitConverged();
  }

  @Test
  @Order(7)
  void clientLibraryFailsOverPastAServerThatDoesNotAnswer() throws Exception {
    // A socket that accepts connections and never answers: the request times out there.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
        java.net.InetAddress.getByName(ClusterProcess.HOST))) {
      // The timeout holds for server 0 too, whose PUT and GET must each answer within it: 300 ms
      // left no room for a loaded machine (a CPU-starved server or a GC pause), and a second
      // timeout there ends the request after its two attempts.
      Duration timeout = Duration.ofSeconds(2);
      try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, silent.getLocalPort())
          .server(ClusterProcess.HOST, cluster.port(0)).maxAttempts(2)
          .requestTimeout(timeout).backoff(Duration.ofMillis(1)).build()) {
        long t0 = System.nanoTime();
        kv.put(bytes("slow"), bytes("answered elsewhere"));
        assertThat(new String(kv.get(bytes("slow")).value(), StandardCharsets.UTF_8))
            .isEqualTo("answered elsewhere");
        assertThat(System.nanoTime() - t0).as("one timeout, then the other server")
            .isGreaterThan(timeout.toNanos());
      }
    }
  }

  @Test
  @Order(8)
  void clientLibraryFailsOverPastADeadServer() throws Exception {
    int nobody = ClusterProcess.freePorts(1);
    try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, nobody)
        .server(ClusterProcess.HOST, cluster.port(1)).server(ClusterProcess.HOST, cluster.port(0))
        .maxAttempts(3).backoff(Duration.ofMillis(1)).connectTimeout(Duration.ofSeconds(2))
        .build()) {
      // Nothing listens on the first server: the client moves on to server 1.
      kv.put(bytes("order"), bytes("placed"));
      assertThat(kv.get(bytes("order")).status()).isEqualTo(ReadResult.Status.FOUND);
      awaitConverged(); // server 0 holds what the session saw, so it can serve it below

      // Server 1, which the client is connected to now, dies: the next request goes on to
      // server 0 with the session, and reads the session's own write.
      ProcessHandle server1 = cluster.serverProcess(1);
      server1.destroyForcibly();
      server1.onExit().get(30, TimeUnit.SECONDS);
      kv.put(bytes("order"), bytes("shipped"));
      ReadResult r = kv.get(bytes("order"));
      assertThat(r.status()).isEqualTo(ReadResult.Status.FOUND);
      assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("shipped");
    }
    // With every server gone the client gives up after its attempts, with the reason.
    try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(1))
        .maxAttempts(2).backoff(Duration.ofMillis(1)).build()) {
      assertThatThrownBy(() -> kv.put(bytes("k"), bytes("v"))).isInstanceOf(KvsException.class)
          .hasMessageContaining("after 2 attempt(s)");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
