package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import kvs.net.Limits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expiry commands on in-process servers over real sockets, with a clock the test moves: the
 * replies and errors of Redis 7, and an expiry set on one server reading as absent on its peer.
 */
class ExpiryCommandsTest {
  private static final String SECRET = "test-secret";
  @TempDir Path dir;
  private final List<Node> nodes = new ArrayList<>();
  /** Both servers' wall clock. */
  private final AtomicLong wall = new AtomicLong(System.currentTimeMillis());
  private Node node;
  private RespConn c;

  @BeforeEach
  void start() throws Exception {
    node = start(0, Map.of());
    c = RespConn.open(node.port());
  }

  @AfterEach
  void stop() throws Exception {
    if (c != null) c.close();
    nodes.forEach(Node::close);
  }

  private Node start(int id, Map<Integer, InetSocketAddress> peers) throws Exception {
    Node n = Node.start(new ServerConfig(id, "127.0.0.1", 0, dir.resolve("server-" + id), peers,
        SECRET, null, false, Limits.DEFAULT), wall::get);
    nodes.add(n);
    return n;
  }

  private Object call(String... args) throws Exception {
    return c.call(args);
  }

  private static String str(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : (String) o;
  }

  private void advance(long ms) {
    wall.addAndGet(ms);
  }

  @Test
  void setWithExpiryReadsAsAbsentAfterTheTime() throws Exception {
    assertThat(call("SET", "k", "v", "EX", "10")).isEqualTo("+OK");
    assertThat(call("TTL", "k")).isEqualTo(10L);
    assertThat(call("PTTL", "k")).isEqualTo(10_000L);
    advance(9_999);
    assertThat(str(call("GET", "k"))).isEqualTo("v");
    assertThat(call("PTTL", "k")).isEqualTo(1L);
    advance(1);
    assertThat(call("GET", "k")).isNull();
    assertThat(call("EXISTS", "k")).isEqualTo(0L);
    assertThat(call("TTL", "k")).isEqualTo(-2L);
    assertThat(call("PTTL", "k")).isEqualTo(-2L);
    assertThat(call("TYPE", "k")).isEqualTo("+none");
    // As in Redis, DBSIZE counts an expired key until it is removed (the GET above hastened it).
    InProcessNodes.await10s("the sweep removed the value",
        () -> InProcessNodes.onLoop(node, () -> node.replica.valueCount()) == 0);
    assertThat(call("DBSIZE")).isEqualTo(0L);
    assertThat(call("DEL", "k")).isEqualTo(0L);
    assertThat(((List<?>) ((List<?>) call("SCAN", "0")).get(1))).isEmpty();
  }

  @Test
  void theBackgroundSweepRemovesExpiredValues() throws Exception {
    call("SET", "k", "v", "PX", "50");
    call("SET", "p", "v");
    long digest = InProcessNodes.onLoop(node, () -> node.replica.digest());
    advance(50);
    InProcessNodes.await10s("the sweep removed the value",
        () -> InProcessNodes.onLoop(node, () -> node.replica.peek("k".getBytes(StandardCharsets.UTF_8)))
            .isRemnant());
    assertThat(InProcessNodes.onLoop(node, () -> node.replica.digest())).isEqualTo(digest);
    assertThat(call("GET", "k")).isNull();
    assertThat(str(call("GET", "p"))).isEqualTo("v");
    assertThat(call("DBSIZE")).isEqualTo(1L);
    call("SET", "e", "v", "EX", "100");
    assertThat(str(call("INFO", "keyspace"))).contains("db0:keys=2,expires=1,");
  }

  @Test
  void ttlRoundsAndReportsMissingAndPersistentKeys() throws Exception {
    assertThat(call("TTL", "nope")).isEqualTo(-2L);
    assertThat(call("EXPIRETIME", "nope")).isEqualTo(-2L);
    call("SET", "p", "v");
    assertThat(call("TTL", "p")).isEqualTo(-1L);
    assertThat(call("PEXPIRETIME", "p")).isEqualTo(-1L);
    call("SET", "k", "v", "PX", "1500");
    assertThat(call("TTL", "k")).isEqualTo(2L); // (1500 + 500) / 1000, as Redis rounds
    long at = wall.get() + 1500;
    assertThat(call("PEXPIRETIME", "k")).isEqualTo(at);
    assertThat(call("EXPIRETIME", "k")).isEqualTo((at + 500) / 1000);
  }

  @Test
  void setOptions() throws Exception {
    assertThat(call("SET", "k", "a", "NX")).isEqualTo("+OK");
    assertThat(call("SET", "k", "b", "NX")).isNull();
    assertThat(call("SET", "x", "b", "XX")).isNull();
    assertThat(call("EXISTS", "x")).isEqualTo(0L);
    assertThat(str(call("SET", "k", "b", "XX", "GET"))).isEqualTo("a");
    assertThat(str(call("SET", "k", "c", "NX", "GET"))).isEqualTo("b");
    assertThat(str(call("GET", "k"))).isEqualTo("b");
    assertThat(call("SET", "new", "v", "GET")).isNull();
    assertThat(call("SET", "k", "v", "PX", "5000")).isEqualTo("+OK");
    assertThat(call("SET", "k", "w", "KEEPTTL")).isEqualTo("+OK");
    assertThat(call("PTTL", "k")).isEqualTo(5000L);
    assertThat(call("SET", "k", "w")).isEqualTo("+OK");
    assertThat(call("PTTL", "k")).isEqualTo(-1L);
    long at = wall.get() + 3_000;
    assertThat(call("SET", "k", "v", "PXAT", Long.toString(at))).isEqualTo("+OK");
    assertThat(call("PEXPIRETIME", "k")).isEqualTo(at);
    assertThat(call("SET", "k", "v", "EXAT", Long.toString(wall.get() / 1000 + 100)))
        .isEqualTo("+OK");
    assertThat(call("EXPIRETIME", "k")).isEqualTo(wall.get() / 1000 + 100);
    // a time already past deletes, as in Redis
    assertThat(call("SET", "k", "v", "PXAT", "1")).isEqualTo("+OK");
    assertThat(call("EXISTS", "k")).isEqualTo(0L);
    // expired keys count as absent for NX, XX, GET and KEEPTTL
    call("SET", "e", "old", "PX", "10");
    advance(10);
    assertThat(call("SET", "e", "v", "XX", "GET")).isNull();
    assertThat(call("SET", "e", "v", "NX")).isEqualTo("+OK");
  }

  @Test
  void setOptionErrors() throws Exception {
    assertThat(call("SET", "k", "v", "NX", "XX")).isEqualTo("-ERR syntax error");
    assertThat(call("SET", "k", "v", "EX", "10", "PX", "10")).isEqualTo("-ERR syntax error");
    assertThat(call("SET", "k", "v", "EX", "10", "KEEPTTL")).isEqualTo("-ERR syntax error");
    assertThat(call("SET", "k", "v", "EX")).isEqualTo("-ERR syntax error");
    assertThat(call("SET", "k", "v", "PERSIST")).isEqualTo("-ERR syntax error");
    assertThat(call("SET", "k", "v", "FOO")).isEqualTo("-ERR syntax error");
    assertThat(call("SET", "k", "v", "EX", "ten"))
        .isEqualTo("-ERR value is not an integer or out of range");
    assertThat(call("SET", "k", "v", "EX", "0"))
        .isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(call("SET", "k", "v", "PX", "-5"))
        .isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(call("SET", "k", "v", "EX", "9223372036854775807"))
        .isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(call("EXISTS", "k")).isEqualTo(0L);
  }

  @Test
  void setnxSetexPsetex() throws Exception {
    assertThat(call("SETNX", "k", "a")).isEqualTo(1L);
    assertThat(call("SETNX", "k", "b")).isEqualTo(0L);
    assertThat(str(call("GET", "k"))).isEqualTo("a");
    assertThat(call("SETEX", "k", "10", "v")).isEqualTo("+OK");
    assertThat(call("TTL", "k")).isEqualTo(10L);
    assertThat(call("PSETEX", "k", "100", "v")).isEqualTo("+OK");
    assertThat(call("PTTL", "k")).isEqualTo(100L);
    advance(100);
    assertThat(call("SETNX", "k", "c")).isEqualTo(1L);
    assertThat(call("SETEX", "k", "0", "v"))
        .isEqualTo("-ERR invalid expire time in 'setex' command");
    assertThat(call("PSETEX", "k", "-1", "v"))
        .isEqualTo("-ERR invalid expire time in 'psetex' command");
    assertThat(call("SETEX", "k", "x", "v"))
        .isEqualTo("-ERR value is not an integer or out of range");
    assertThat(call("SETEX", "k", "1"))
        .isEqualTo("-ERR wrong number of arguments for 'setex' command");
  }

  @Test
  void expireFamily() throws Exception {
    assertThat(call("EXPIRE", "nope", "10")).isEqualTo(0L);
    call("SET", "k", "v");
    assertThat(call("EXPIRE", "k", "10")).isEqualTo(1L);
    assertThat(call("TTL", "k")).isEqualTo(10L);
    assertThat(str(call("GET", "k"))).isEqualTo("v");
    assertThat(call("PEXPIRE", "k", "2500")).isEqualTo(1L);
    assertThat(call("PTTL", "k")).isEqualTo(2500L);
    assertThat(call("EXPIREAT", "k", Long.toString(wall.get() / 1000 + 50))).isEqualTo(1L);
    assertThat(call("EXPIRETIME", "k")).isEqualTo(wall.get() / 1000 + 50);
    assertThat(call("PEXPIREAT", "k", Long.toString(wall.get() + 700))).isEqualTo(1L);
    assertThat(call("PTTL", "k")).isEqualTo(700L);
    assertThat(call("PERSIST", "k")).isEqualTo(1L);
    assertThat(call("PERSIST", "k")).isEqualTo(0L);
    assertThat(call("PERSIST", "nope")).isEqualTo(0L);
    assertThat(call("TTL", "k")).isEqualTo(-1L);
    // a time at or before now deletes the key
    assertThat(call("EXPIRE", "k", "-1")).isEqualTo(1L);
    assertThat(call("EXISTS", "k")).isEqualTo(0L);
    call("SET", "k", "v");
    assertThat(call("PEXPIREAT", "k", "1")).isEqualTo(1L);
    assertThat(call("GET", "k")).isNull();
  }

  @Test
  void expireConditions() throws Exception {
    call("SET", "k", "v");
    assertThat(call("EXPIRE", "k", "100", "XX")).isEqualTo(0L);
    assertThat(call("EXPIRE", "k", "100", "GT")).isEqualTo(0L); // no expiry is infinite
    assertThat(call("EXPIRE", "k", "100", "LT")).isEqualTo(1L);
    assertThat(call("EXPIRE", "k", "50", "NX")).isEqualTo(0L);
    assertThat(call("EXPIRE", "k", "50", "GT")).isEqualTo(0L);
    assertThat(call("EXPIRE", "k", "200", "gt")).isEqualTo(1L);
    assertThat(call("EXPIRE", "k", "300", "LT")).isEqualTo(0L);
    assertThat(call("EXPIRE", "k", "300", "XX")).isEqualTo(1L);
    assertThat(call("TTL", "k")).isEqualTo(300L);
    assertThat(call("EXPIRE", "k", "10", "NX", "XX")).isEqualTo(
        "-ERR NX and XX, GT or LT options at the same time are not compatible");
    assertThat(call("EXPIRE", "k", "10", "GT", "LT")).isEqualTo(
        "-ERR GT and LT options at the same time are not compatible");
    assertThat(call("EXPIRE", "k", "10", "FOO")).isEqualTo("-ERR Unsupported option FOO");
    assertThat(call("EXPIRE", "k", "ten")).isEqualTo(
        "-ERR value is not an integer or out of range");
    assertThat(call("EXPIRE", "k", "9223372036854775807")).isEqualTo(
        "-ERR invalid expire time in 'expire' command");
    assertThat(call("PEXPIRE", "k", "9223372036854775807")).isEqualTo(
        "-ERR invalid expire time in 'pexpire' command");
    assertThat(call("EXPIRE", "k")).isEqualTo(
        "-ERR wrong number of arguments for 'expire' command");
    assertThat(call("TTL", "k")).isEqualTo(300L);
  }

  @Test
  void getex() throws Exception {
    assertThat(call("GETEX", "nope", "EX", "10")).isNull();
    assertThat(call("EXISTS", "nope")).isEqualTo(0L);
    call("SET", "k", "v");
    assertThat(str(call("GETEX", "k"))).isEqualTo("v");
    assertThat(call("TTL", "k")).isEqualTo(-1L);
    assertThat(str(call("GETEX", "k", "PX", "800"))).isEqualTo("v");
    assertThat(call("PTTL", "k")).isEqualTo(800L);
    assertThat(str(call("GETEX", "k", "PERSIST"))).isEqualTo("v");
    assertThat(call("TTL", "k")).isEqualTo(-1L);
    assertThat(str(call("GETEX", "k", "EXAT", Long.toString(wall.get() / 1000 + 9))))
        .isEqualTo("v");
    assertThat(call("EXPIRETIME", "k")).isEqualTo(wall.get() / 1000 + 9);
    assertThat(call("GETEX", "k", "EX", "0"))
        .isEqualTo("-ERR invalid expire time in 'getex' command");
    assertThat(call("GETEX", "k", "KEEPTTL")).isEqualTo("-ERR syntax error");
    assertThat(call("GETEX", "k", "EX", "1", "PERSIST")).isEqualTo("-ERR syntax error");
    assertThat(str(call("GETEX", "k", "PXAT", "1"))).isEqualTo("v"); // past: deletes
    assertThat(call("GET", "k")).isNull();
  }

  @Test
  void aClockSteppedBackDoesNotReviveAnExpiredKey() throws Exception {
    call("SET", "k", "v", "PX", "100");
    advance(100);
    assertThat(call("GET", "k")).isNull();
    advance(-5_000);
    assertThat(call("GET", "k")).isNull();
    assertThat(call("TTL", "k")).isEqualTo(-2L);
  }

  @Test
  void anExpirySetOnOneServerMakesTheKeyAbsentOnItsPeer() throws Exception {
    Node peer = start(1, Map.of(0, InetSocketAddress.createUnresolved("127.0.0.1", node.port())));
    peer.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    InProcessNodes.await10s("linked", () -> InProcessNodes.onLoop(peer, () -> peer.links.isLinked(0)));
    call("SET", "k", "v");
    try (RespConn p = RespConn.open(peer.port())) {
      InProcessNodes.await10s("k on the peer", () -> str(call(p, "GET", "k")) != null);
      assertThat(call("EXPIRE", "k", "5")).isEqualTo(1L);
      InProcessNodes.await10s("the expiry on the peer", () -> call(p, "TTL", "k").equals(5L));
      assertThat(str(p.call("GET", "k"))).isEqualTo("v");
      advance(5_000);
      assertThat(p.call("GET", "k")).isNull();
      assertThat(p.call("EXISTS", "k")).isEqualTo(0L);
      assertThat(call("GET", "k")).isNull();
    }
  }

  private static Object call(RespConn conn, String... args) {
    try {
      return conn.call(args);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** APPEND, SETRANGE, RENAME and COPY keep the time to live, as in Redis; GETSET clears it. */
  @Test
  void editsRenamesAndCopiesKeepTheTimeToLive() throws Exception {
    call("SET", "k", "v", "EX", "100");
    assertThat(call("APPEND", "k", "w")).isEqualTo(2L);
    assertThat(call("TTL", "k")).isEqualTo(100L);
    assertThat(call("SETRANGE", "k", "0", "x")).isEqualTo(2L);
    assertThat(call("TTL", "k")).isEqualTo(100L);
    assertThat(call("RENAME", "k", "r")).isEqualTo("+OK");
    assertThat(call("TTL", "r")).isEqualTo(100L);
    assertThat(call("COPY", "r", "c")).isEqualTo(1L);
    assertThat(call("TTL", "c")).isEqualTo(100L);
    assertThat(str(call("GETSET", "c", "new"))).isEqualTo("xw");
    assertThat(call("TTL", "c")).isEqualTo(-1L);
    advance(100_000);
    assertThat(call("EXISTS", "r")).isEqualTo(0L);
    assertThat(call("RANDOMKEY")).as("only the persistent key is left").isNotNull();
    assertThat(str(call("RANDOMKEY"))).isEqualTo("c");
  }

  /**
   * EXEC runs its commands at one moment, as Redis 7 does (the time is sampled once for the
   * whole transaction): a key does not expire between two of its commands, and relative expiries
   * set by it are counted from the same time. Each write used to read the wall clock again, so a
   * key set to live 2 ms read as absent two writes later, inside the transaction.
   */
  @Test
  void aTransactionRunsAtOneMomentOfTheClock() throws Exception {
    AtomicLong ticking = new AtomicLong(wall.get());
    Node n = Node.start(new ServerConfig(1, "127.0.0.1", 0, dir.resolve("server-ticking"),
        Map.of(), SECRET, null, false, Limits.DEFAULT), ticking::incrementAndGet); // 1 ms a read
    nodes.add(n);
    try (RespConn t = RespConn.open(n.port())) {
      assertThat(call(t, "MULTI")).isEqualTo("+OK");
      assertThat(call(t, "SET", "k", "v", "PX", "2")).isEqualTo("+QUEUED");
      assertThat(call(t, "SET", "a", "1")).isEqualTo("+QUEUED");
      assertThat(call(t, "SET", "b", "2")).isEqualTo("+QUEUED");
      assertThat(call(t, "SET", "c", "3")).isEqualTo("+QUEUED");
      assertThat(call(t, "GET", "k")).isEqualTo("+QUEUED");
      assertThat(call(t, "PEXPIRE", "a", "10000")).isEqualTo("+QUEUED");
      assertThat(call(t, "PEXPIRE", "b", "10000")).isEqualTo("+QUEUED");
      assertThat(call(t, "PEXPIRETIME", "a")).isEqualTo("+QUEUED");
      assertThat(call(t, "PEXPIRETIME", "b")).isEqualTo("+QUEUED");
      List<?> r = (List<?>) call(t, "EXEC");
      assertThat(str(r.get(4))).as("k read inside the transaction that set it").isEqualTo("v");
      assertThat(r.get(7)).as("both expiries counted from one time").isEqualTo(r.get(8));
    }
  }
}
