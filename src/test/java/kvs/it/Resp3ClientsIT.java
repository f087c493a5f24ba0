package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Clients that speak RESP3, unmodified, against a real {@code ./kvs cluster}: Lettuce and
 * node-redis and ioredis with their default settings (each sends {@code HELLO 3}), Jedis set to
 * RESP3. Each runs SET, GET, MGET (with a null), DEL, SCAN, INFO, CONFIG GET and the session
 * command, and the server reports the connection as {@code resp=3}. The Node clients are installed
 * from {@code src/test/node/package-lock.json} ({@code npm ci}, which {@code .ci/run} runs too).
 */
class Resp3ClientsIT {
  private static final Path NODE_DIR = MasterRun.REPO.resolve("src/test/node");
  private static ClusterProcess cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcess.start(2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  private static final ProtocolKeyword KVS_SESSION = new ProtocolKeyword() {
    private final byte[] name = "KVS.SESSION".getBytes(StandardCharsets.US_ASCII);

    @Override
    public byte[] getBytes() {
      return name;
    }

    @Override
    public String toString() {
      return "KVS.SESSION";
    }
  };

  @Test
  void lettuceWithItsDefaultsSpeaksResp3() throws Exception {
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(0)).withTimeout(Duration.ofSeconds(10)).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync();
      assertThat(r.clientInfo()).contains(" resp=3");
      assertThat(r.set("l3:1", "one")).isEqualTo("OK");
      assertThat(r.get("l3:1")).isEqualTo("one");
      assertThat(r.get("l3:absent")).isNull();
      assertThat(r.mset(Map.of("l3:2", "two", "l3:3", "three"))).isEqualTo("OK");
      assertThat(r.mget("l3:1", "l3:absent", "l3:3"))
          .extracting(kv -> kv.getValueOrElse(null)).containsExactly("one", null, "three");
      assertThat(r.del("l3:3", "l3:absent")).isEqualTo(1);
      assertThat(r.info()).contains("# Server", "redis_version:");
      assertThat(r.info("server")).startsWith("# Server\r\n");
      assertThat(r.configGet("save")).containsEntry("save", "");
      assertThat(r.commandCount()).isGreaterThan(20);
      Set<String> seen = new HashSet<>();
      KeyScanCursor<String> c = r.scan(ScanArgs.Builder.matches("l3:*").limit(1));
      seen.addAll(c.getKeys());
      for (int rounds = 0; !c.isFinished(); rounds++) {
        assertThat(rounds).isLessThan(1_000);
        c = r.scan(ScanCursor.of(c.getCursor()), ScanArgs.Builder.matches("l3:*").limit(1));
        seen.addAll(c.getKeys());
      }
      assertThat(seen).containsExactlyInAnyOrder("l3:1", "l3:2");
      String token = r.dispatch(KVS_SESSION, new ValueOutput<>(StringCodec.UTF8));
      assertThat(token).hasSizeGreaterThan(10);
      assertThat(r.dispatch(KVS_SESSION, new StatusOutput<>(StringCodec.UTF8),
          new CommandArgs<>(StringCodec.UTF8).add(token))).isEqualTo("OK");
      // A transaction, in RESP3.
      assertThat(r.multi()).isEqualTo("OK");
      assertThat(r.set("l3:t1", "x")).isNull(); // queued: the result comes with EXEC
      assertThat(r.get("l3:t1")).isNull();
      io.lettuce.core.TransactionResult tx = r.exec();
      assertThat(tx.wasDiscarded()).isFalse();
      assertThat(tx.<String>get(0)).isEqualTo("OK");
      assertThat(tx.<String>get(1)).isEqualTo("x");
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void jedisSetToResp3() throws Exception {
    try (Jedis j = new Jedis(new HostAndPort(ClusterProcess.HOST, cluster.port(1)),
        DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3)
            .socketTimeoutMillis(10_000).build())) {
      assertThat(j.clientInfo()).contains(" resp=3");
      assertThat(j.set("j3:1", "one")).isEqualTo("OK");
      assertThat(j.get("j3:1")).isEqualTo("one");
      assertThat(j.get("j3:absent")).isNull();
      assertThat(j.mset("j3:2", "two")).isEqualTo("OK");
      assertThat(j.mget("j3:1", "j3:absent", "j3:2")).containsExactly("one", null, "two");
      assertThat(j.info()).contains("# Server", "redis_version:");
      assertThat(j.configGet("save")).containsEntry("save", "");
      assertThat(j.commandInfo("get").get("get").getArity()).isEqualTo(2);
      assertThat(j.commandInfo("get").get("get").getFlags()).contains("readonly");
      assertThat(j.commandDocs("get").get("get").getSummary()).isNotBlank();
      List<String> seen = new ArrayList<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> r = j.scan(cursor, new ScanParams().match("j3:*").count(1));
        seen.addAll(r.getResult());
        cursor = r.getCursor();
      } while (!cursor.equals("0"));
      assertThat(new HashSet<>(seen)).containsExactlyInAnyOrder("j3:1", "j3:2");
      assertThat(j.del("j3:2", "j3:absent")).isEqualTo(1);
      // a sorted set: ZSCORE a RESP3 double, WITHSCORES [member, score] pairs
      assertThat(j.zadd("j3:z", 1.5, "a")).isEqualTo(1);
      assertThat(j.zadd("j3:z", 3, "b")).isEqualTo(1);
      assertThat(j.zscore("j3:z", "a")).isEqualTo(1.5);
      assertThat(j.zincrby("j3:z", 2, "a")).isEqualTo(3.5);
      assertThat(j.zrangeWithScores("j3:z", 0, -1))
          .extracting(t -> t.getElement() + "=" + t.getScore()).containsExactly("b=3.0", "a=3.5");
      assertThat(j.zpopmin("j3:z").getScore()).isEqualTo(3.0);
      Object token = j.sendCommand(ClusterProcess.cmd("KVS.SESSION"));
      assertThat(j.sendCommand(ClusterProcess.cmd("KVS.SESSION"), (byte[]) token))
          .isEqualTo("OK".getBytes(StandardCharsets.US_ASCII));
    }
  }

  @Test
  void nodeRedisWithItsDefaults() throws Exception {
    runNodeClient("node-redis");
  }

  @Test
  void ioredisWithItsDefaults() throws Exception {
    runNodeClient("ioredis");
  }

  /** src/test/node/clients.js for {@code which}: its checks hold, in RESP3. */
  private static void runNodeClient(String which) throws Exception {
    Tool.requireOnPath("node", "npm"); // .ci/run installs nodejs and npm
    if (!Files.isDirectory(NODE_DIR.resolve("node_modules/redis"))
        || !Files.isDirectory(NODE_DIR.resolve("node_modules/ioredis"))) {
      // As .ci/run does: exactly the lock file's versions, from npm's cache when it has them.
      Tool npm = Tool.run(List.of("npm", "--prefix", NODE_DIR.toString(), "ci", "--prefer-offline",
          "--no-audit", "--no-fund"), "", 300);
      assertThat(npm.exitCode()).as("npm ci: %s %s", npm.stdout(), npm.stderr()).isZero();
    }
    for (int server = 0; server < cluster.servers; server++) {
      Tool t = Tool.run(List.of("node", NODE_DIR.resolve("clients.js").toString(), which,
          Integer.toString(cluster.port(server))), "", 60);
      assertThat(t.exitCode()).as("%s against server %d: %s %s", which, server, t.stdout(),
          t.stderr()).isZero();
      assertThat(t.stdout()).as(which).contains("\"ok\":true", "\"resp\":\"3\"");
    }
  }
}
