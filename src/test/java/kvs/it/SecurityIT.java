package kvs.it;

import static kvs.it.ClusterProcess.cmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import kvs.client.KvsClient;
import kvs.client.KvsException;
import kvs.client.ReadResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The security baseline on a real {@code ./kvs cluster --requirepass}: clients must AUTH as with
 * Redis, and the cluster's own commands (admin, peer handshake) need the cluster secret.
 */
class SecurityIT {
  private static final String PASSWORD = "s3cret pass";
  private static ClusterProcess cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcess.start(2, "--requirepass", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  private static Jedis plain(int server) {
    return new Jedis(new HostAndPort(ClusterProcess.HOST, cluster.port(server)),
        DefaultJedisClientConfig.builder().socketTimeoutMillis(10_000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED).build());
  }

  @Test
  void commandsNeedAuthFirstAndAWrongPasswordIsRefused() {
    try (Jedis j = plain(0)) {
      assertThatThrownBy(j::ping).isInstanceOf(JedisDataException.class)
          .hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> j.get("k")).hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> j.set("k", "v")).hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> j.sendCommand(cmd("KVS.SESSION")))
          .hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> j.auth("wrong")).hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> j.auth("someone", PASSWORD)).hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> j.sendCommand(cmd("HELLO"), "2", "AUTH", "default", "wrong"))
          .hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> j.sendCommand(cmd("HELLO"), "2"))
          .hasMessageStartingWith("NOAUTH HELLO must be called with the client already authenticated");
      assertThatThrownBy(j::ping).hasMessage("NOAUTH Authentication required.");

      assertThat(j.auth(PASSWORD)).isEqualTo("OK");
      assertThat(j.set("sec:k", "v")).isEqualTo("OK");
      assertThat(j.get("sec:k")).isEqualTo("v");
    }
    try (Jedis j = plain(1)) {
      assertThat(j.auth("default", PASSWORD)).isEqualTo("OK");
      assertThat(j.ping()).isEqualTo("PONG");
    }
    try (Jedis j = plain(1)) {
      List<?> hello = (List<?>) j.sendCommand(cmd("HELLO"), "2", "AUTH", "default", PASSWORD);
      assertThat(new String((byte[]) hello.get(0), StandardCharsets.UTF_8)).isEqualTo("server");
      assertThat(j.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void clientsConfiguredWithThePasswordWork() {
    try (Jedis j = new Jedis(new HostAndPort(ClusterProcess.HOST, cluster.port(0)),
        DefaultJedisClientConfig.builder().password(PASSWORD).socketTimeoutMillis(10_000)
            .build())) { // Jedis's default of 2 s is short for a loaded machine
      assertThat(j.set("sec:jedis", "1")).isEqualTo("OK");
    }
    RedisClient lettuce = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(1)).withPassword(PASSWORD.toCharArray()).build());
    try (StatefulRedisConnection<String, String> c = lettuce.connect()) {
      assertThat(c.sync().set("sec:lettuce", "2")).isEqualTo("OK");
      assertThat(c.sync().get("sec:lettuce")).isEqualTo("2");
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
    try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(0))
        .password(PASSWORD).build()) {
      kv.put("sec:kvs".getBytes(), "3".getBytes());
      assertThat(kv.get("sec:kvs".getBytes()).status()).isEqualTo(ReadResult.Status.FOUND);
    }
    try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(0))
        .password("wrong").maxAttempts(1).build()) {
      assertThatThrownBy(() -> kv.put("k".getBytes(), "v".getBytes()))
          .isInstanceOf(RuntimeException.class).hasMessageContaining("WRONGPASS");
    }
  }

  @Test
  void adminAndLinkCommandsAreRefusedWithoutTheClusterSecret() throws Exception {
    try (Jedis j = plain(0)) {
      j.auth(PASSWORD); // a client with the password is still no cluster member
      for (String[] c : List.of(new String[] {"KVS.STATE"}, new String[] {"KVS.DUMP", "10"},
          new String[] {"KVS.LINK.BLOCK", "1"}, new String[] {"KVS.LINK.UNBLOCK", "1"},
          new String[] {"KVS.LINK.CONNECT", "1", "127.0.0.1", "1"},
          new String[] {"KVS.AWAIT", "x", "10"})) {
        String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
        assertThatThrownBy(() -> j.sendCommand(cmd(c[0]), args)).as(c[0])
            .isInstanceOf(JedisDataException.class).hasMessageStartingWith("NOPERM");
      }
      assertThatThrownBy(() -> j.sendCommand(cmd("KVS.ADMIN"), "guess"))
          .hasMessageStartingWith("ERR wrong cluster secret");
      assertThatThrownBy(() -> j.sendCommand(cmd("KVS.STATE"))).hasMessageStartingWith("NOPERM");
      assertThat(j.ping()).isEqualTo("PONG");
    }
    // A peer handshake with a wrong secret is refused and the connection closed, before any
    // password: peers do not AUTH.
    try (Socket s = new Socket(ClusterProcess.HOST, cluster.port(0))) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("*5\r\n$8\r\nKVS.PEER\r\n$5\r\nguess\r\n$1\r\n7\r\n$1\r\n0\r\n$0\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(reply).startsWith("-ERR wrong cluster secret");
    }
    // The links between the servers are untouched: a write still reaches the other server.
    try (Jedis a = plain(0); Jedis b = plain(1)) {
      a.auth(PASSWORD);
      b.auth(PASSWORD);
      a.set("sec:after", "still linked");
      ClusterProcess.await("server 1 gets the write", 10_000,
          () -> "still linked".equals(b.get("sec:after")));
    }
    // With the secret, the same commands work.
    try (Jedis admin = cluster.admin(0)) {
      assertThat(admin.sendCommand(cmd("KVS.STATE"))).isInstanceOf(byte[].class);
    }
  }

  /**
   * SPEC section 7: secrets never on a command line that ps shows. The password was typed on
   * {@code ./kvs cluster}'s own command line here (the user's choice), but its servers get it,
   * and the cluster secret, through their environment only.
   */
  @Test
  void theServersCommandLinesHoldNeitherThePasswordNorTheClusterSecret() throws Exception {
    assertThat(Path.of("/proc/self/cmdline")).as("Linux /proc").exists();
    for (int id = 0; id < cluster.servers; id++) {
      long pid = cluster.serverProcess(id).pid();
      byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
      // Arguments are NUL-separated; a secret could span two of them (the password has a space).
      String cmdline = new String(raw, StandardCharsets.UTF_8);
      String spaced = cmdline.replace('\0', ' ');
      assertThat(cmdline).as("server %d's command line", id).contains("kvs.cli.Main", "server");
      for (String secret : List.of(PASSWORD, cluster.secret)) {
        assertThat(cmdline).as("server %d's command line", id).doesNotContain(secret);
        assertThat(spaced).as("server %d's command line", id).doesNotContain(secret);
      }
      assertThat(spaced).as("server %d's command line", id).doesNotContain("--requirepass");
    }
  }

  @Test
  void clientLibraryWithoutPasswordGetsNoauth() {
    try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, cluster.port(1))
        .maxAttempts(1).build()) {
      assertThatThrownBy(() -> kv.get("k".getBytes()))
          .isInstanceOfAny(KvsException.class, JedisDataException.class)
          .hasMessageContaining("NOAUTH");
    }
  }
}
