package kvs.it;

import static kvs.it.ClusterProcess.cmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import kvs.client.KvsClient;
import kvs.client.KvsException;
import kvs.client.ReadResult;
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
        assertThat(token).startsWith("kvs1-");

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
  void tokenMovedRightAfterEachWriteReadsThatWriteOrErrDep() {
    int served = 0;
    int refused = 0;
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      for (int i = 0; i < 300; i++) {
        a.set("race", "v" + i);
        b.sendCommand(cmd("KVS.SESSION"), session(a));
        String v = getOrDep(b, "race");
        assertThat(v).as("read %d on the other server", i).isIn("ERR_DEP", "v" + i);
        if (v.equals("ERR_DEP")) refused++; else served++;
      }
    }
    assertThat(served + refused).isEqualTo(300);
    System.out.println("SessionIT: moved session served " + served + ", ERR_DEP " + refused);
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

  @Test
  @Order(4)
  void clientLibraryFailsOverPastAServerThatDoesNotAnswer() throws Exception {
    // A socket that accepts connections and never answers: the request times out there.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
        java.net.InetAddress.getByName(ClusterProcess.HOST))) {
      try (KvsClient kv = KvsClient.builder().server(ClusterProcess.HOST, silent.getLocalPort())
          .server(ClusterProcess.HOST, cluster.port(0)).maxAttempts(2)
          .requestTimeout(Duration.ofMillis(300)).backoff(Duration.ofMillis(1)).build()) {
        long t0 = System.nanoTime();
        kv.put(bytes("slow"), bytes("answered elsewhere"));
        assertThat(new String(kv.get(bytes("slow")).value(), StandardCharsets.UTF_8))
            .isEqualTo("answered elsewhere");
        assertThat(System.nanoTime() - t0).as("one timeout, then the other server")
            .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(300));
      }
    }
  }

  @Test
  @Order(5)
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
