package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientAttributeOption;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.exceptions.JedisDataException;

/** Jedis and Lettuce, unmodified, against a real local {@code ./kvs cluster} of two servers. */
class JavaClientsIT {
  private static ClusterProcess cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcess.start(2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void jedisRunsTheBasicCommands() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      assertThat(a.ping()).isEqualTo("PONG");
      assertThat(a.echo("hi")).isEqualTo("hi");
      assertThat(a.set("jedis:1", "one")).isEqualTo("OK");
      assertThat(a.get("jedis:1")).isEqualTo("one");
      assertThat(a.get("jedis:absent")).isNull();
      assertThat(a.mset("jedis:2", "two", "jedis:3", "three")).isEqualTo("OK");
      assertThat(a.mget("jedis:1", "jedis:2", "jedis:absent", "jedis:3"))
          .containsExactly("one", "two", null, "three");
      assertThat(a.exists("jedis:1", "jedis:2", "jedis:absent")).isEqualTo(2);
      assertThat(a.exists("jedis:1")).isTrue();
      assertThat(a.del("jedis:3", "jedis:absent")).isEqualTo(1);
      assertThat(a.get("jedis:3")).isNull();
      assertThat(a.type("jedis:1")).isEqualTo("string");
      assertThat(a.info()).contains("# Server", "redis_version:", "# Keyspace");
      assertThat(a.info("replication")).contains("role:master").doesNotContain("# Server");
      assertThat(a.clientSetname("me")).isEqualTo("OK");
      assertThat(a.clientGetname()).isEqualTo("me");
      assertThat(a.select(0)).isEqualTo("OK");
      assertThat(a.clientSetInfo(ClientAttributeOption.LIB_NAME, "app")).isEqualTo("OK");
      assertThat(a.configGet("save")).containsEntry("save", "");
      assertThat(a.commandCount()).isGreaterThan(20);
      assertThat(a.commandInfo("get", "mset").get("mset").getArity()).isEqualTo(-3);
      assertThat(a.commandList()).contains("get", "kvs.session");
      assertThatThrownBy(() -> a.lpush("l", "m")).isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("ERR unknown command 'LPUSH'");

      // The other server gets the writes; DBSIZE counts them once they are there.
      ClusterProcess.await("server 1 holds jedis:1 and jedis:2", 10_000,
          () -> "one".equals(b.get("jedis:1")) && "two".equals(b.get("jedis:2")));
      long size = a.dbSize();
      assertThat(size).isGreaterThanOrEqualTo(2);
    }
  }

  /**
   * MULTI/EXEC through Jedis's Transaction, and WATCH: a change by another client between WATCH
   * and EXEC makes EXEC return null and nothing runs; the other server gets a transaction whole.
   */
  @Test
  void jedisTransactionsAndWatch() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis other = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      redis.clients.jedis.Transaction t = a.multi();
      t.set("jtx:1", "one");
      t.set("jtx:2", "two");
      redis.clients.jedis.Response<String> got = t.get("jtx:1");
      List<Object> results = t.exec();
      assertThat(results).containsExactly("OK", "OK", "one");
      assertThat(got.get()).isEqualTo("one");
      ClusterProcess.await("server 1 holds the transaction", 10_000,
          () -> b.get("jtx:2") != null);
      assertThat(b.mget("jtx:1", "jtx:2")).containsExactly("one", "two");

      assertThat(a.watch("jtx:1")).isEqualTo("OK");
      assertThat(other.set("jtx:1", "theirs")).isEqualTo("OK");
      redis.clients.jedis.Transaction lost = a.multi();
      lost.set("jtx:1", "mine");
      assertThat(lost.exec()).isNull();
      assertThat(a.get("jtx:1")).isEqualTo("theirs");
    }
  }

  @Test
  void countersWithJedisAndLettuceAddUpAcrossServers() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      assertThat(a.incr("counter:j")).isEqualTo(1);
      assertThat(a.incrBy("counter:j", 9)).isEqualTo(10);
      assertThat(a.decr("counter:j")).isEqualTo(9);
      assertThat(a.decrBy("counter:j", 4)).isEqualTo(5);
      assertThat(a.incrByFloat("counter:f", 2.5)).isEqualTo(2.5);
      assertThat(a.get("counter:j")).isEqualTo("5");
      assertThat(a.type("counter:j")).isEqualTo("string");
      assertThat(b.incrBy("counter:j", 5)).isGreaterThanOrEqualTo(5); // server 1's own share
      a.set("counter:word", "abc");
      assertThatThrownBy(() -> a.incr("counter:word")).isInstanceOf(JedisDataException.class)
          .hasMessage("ERR value is not an integer or out of range");
      ClusterProcess.await("both servers count both increments", 10_000,
          () -> "10".equals(a.get("counter:j")) && "10".equals(b.get("counter:j")));
    }
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(1)).withTimeout(Duration.ofSeconds(10)).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync();
      assertThat(r.incr("counter:l")).isEqualTo(1);
      assertThat(r.incrby("counter:l", 41)).isEqualTo(42);
      assertThat(r.decrby("counter:l", 2)).isEqualTo(40);
      assertThat(r.decr("counter:l")).isEqualTo(39);
      assertThat(r.incrbyfloat("counter:l", 0.5)).isEqualTo(39.5);
      assertThat(r.get("counter:l")).isEqualTo("39.5");
      assertThatThrownBy(() -> r.incr("counter:l")).isInstanceOf(RedisCommandExecutionException.class)
          .hasMessage("ERR value is not an integer or out of range");
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void hashesWithJedisAndLettuce() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      assertThat(a.hset("hash:j", Map.of("name", "ann", "city", "Oslo"))).isEqualTo(2);
      assertThat(a.hget("hash:j", "name")).isEqualTo("ann");
      assertThat(a.hmget("hash:j", "name", "nope")).containsExactly("ann", null);
      assertThat(a.hlen("hash:j")).isEqualTo(2);
      assertThat(a.hexists("hash:j", "city")).isTrue();
      assertThat(a.hincrBy("hash:j", "visits", 3)).isEqualTo(3);
      assertThat(a.hdel("hash:j", "visits")).isEqualTo(1);
      assertThat(a.type("hash:j")).isEqualTo("hash");
      assertThatThrownBy(() -> a.get("hash:j")).isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("WRONGTYPE");
      assertThat(b.hset("hash:j", "email", "ann@example.org")).isEqualTo(1L); // on server 1
      ClusterProcess.await("both servers hold the three fields", 10_000,
          () -> a.hgetAll("hash:j").size() == 3 && b.hgetAll("hash:j").size() == 3);
      assertThat(a.hgetAll("hash:j")).containsEntry("email", "ann@example.org")
          .containsEntry("name", "ann").containsEntry("city", "Oslo");
    }
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(1)).withTimeout(Duration.ofSeconds(10)).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync();
      assertThat(r.hset("hash:l", Map.of("a", "1", "b", "2"))).isEqualTo(2);
      assertThat(r.hgetall("hash:l")).isEqualTo(Map.of("a", "1", "b", "2"));
      assertThat(r.hkeys("hash:l")).containsExactly("a", "b");
      assertThat(r.hvals("hash:l")).containsExactly("1", "2");
      assertThat(r.hsetnx("hash:l", "a", "x")).isFalse();
      assertThat(r.hstrlen("hash:l", "a")).isEqualTo(1);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void setsWithJedisAndLettuce() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      assertThat(a.sadd("set:j", "red", "green", "red")).isEqualTo(2);
      assertThat(a.smembers("set:j")).containsExactlyInAnyOrder("red", "green");
      assertThat(a.sismember("set:j", "red")).isTrue();
      assertThat(a.smismember("set:j", "red", "nope")).containsExactly(true, false);
      assertThat(a.scard("set:j")).isEqualTo(2);
      assertThat(a.type("set:j")).isEqualTo("set");
      assertThatThrownBy(() -> a.get("set:j")).isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("WRONGTYPE");
      assertThat(b.sadd("set:j", "blue")).isEqualTo(1L); // on server 1
      ClusterProcess.await("both servers hold the three members", 10_000,
          () -> a.scard("set:j") == 3 && b.scard("set:j") == 3);
      assertThat(a.srem("set:j", "green")).isEqualTo(1);
      assertThat(a.sscan("set:j", "0").getResult()).containsExactlyInAnyOrder("red", "blue");
    }
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(1)).withTimeout(Duration.ofSeconds(10)).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync(); // Lettuce speaks RESP3: sets as sets
      assertThat(r.sadd("set:l", "a", "b", "c")).isEqualTo(3);
      assertThat(r.smembers("set:l")).containsExactlyInAnyOrder("a", "b", "c");
      assertThat(r.sadd("set:l2", "b", "c", "d")).isEqualTo(3);
      assertThat(r.sinter("set:l", "set:l2")).containsExactlyInAnyOrder("b", "c");
      assertThat(r.sunion("set:l", "set:l2")).containsExactlyInAnyOrder("a", "b", "c", "d");
      assertThat(r.sdiff("set:l", "set:l2")).containsExactly("a");
      assertThat(r.srandmember("set:l", 2)).hasSize(2);
      assertThat(r.spop("set:l", 3)).containsExactlyInAnyOrder("a", "b", "c");
      assertThat(r.exists("set:l")).isZero();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void sortedSetsWithJedisAndLettuce() throws Exception {
    try (Jedis a = cluster.jedis(0); Jedis b = cluster.jedis(1)) {
      assertThat(a.zadd("zset:j", 10, "ann")).isEqualTo(1);
      assertThat(a.zadd("zset:j", Map.of("bob", 20.0, "cat", 5.5))).isEqualTo(2);
      assertThat(a.zscore("zset:j", "cat")).isEqualTo(5.5);
      assertThat(a.zincrby("zset:j", 2.5, "cat")).isEqualTo(8.0);
      assertThat(a.zrange("zset:j", 0, -1)).containsExactly("cat", "ann", "bob");
      assertThat(a.zrangeWithScores("zset:j", 0, 0).get(0).getScore()).isEqualTo(8.0);
      assertThat(a.zrangeByScore("zset:j", 9, 30)).containsExactly("ann", "bob");
      assertThat(a.zrank("zset:j", "bob")).isEqualTo(2L);
      assertThat(a.zcount("zset:j", "-inf", "(20")).isEqualTo(2);
      assertThat(a.type("zset:j")).isEqualTo("zset");
      assertThatThrownBy(() -> a.get("zset:j")).isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("WRONGTYPE");
      assertThat(b.zincrby("zset:j", 1, "ann")).isGreaterThanOrEqualTo(1.0); // on server 1
      ClusterProcess.await("both servers hold ann at 11", 10_000,
          () -> Double.valueOf(11).equals(a.zscore("zset:j", "ann"))
              && Double.valueOf(11).equals(b.zscore("zset:j", "ann")));
      assertThat(a.zrem("zset:j", "bob")).isEqualTo(1);
      assertThat(a.zpopmin("zset:j").getElement()).isEqualTo("cat");
      assertThat(a.zcard("zset:j")).isEqualTo(1);
    }
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(1)).withTimeout(Duration.ofSeconds(10)).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync(); // Lettuce speaks RESP3: scores as doubles
      assertThat(r.zadd("zset:l", 1.5, "a")).isEqualTo(1);
      assertThat(r.zadd("zset:l", 2, "b")).isEqualTo(1);
      assertThat(r.zscore("zset:l", "a")).isEqualTo(1.5);
      assertThat(r.zincrby("zset:l", 1, "a")).isEqualTo(2.5);
      assertThat(r.zrange("zset:l", 0, -1)).containsExactly("b", "a");
      assertThat(r.zrangeWithScores("zset:l", 0, -1).get(1).getScore()).isEqualTo(2.5);
      assertThat(r.zrevrank("zset:l", "a")).isEqualTo(0L);
      assertThat(r.zpopmax("zset:l").getValue()).isEqualTo("a");
      assertThat(r.zmscore("zset:l", "a", "b")).containsExactly(null, 2.0);
      assertThat(r.zcard("zset:l")).isEqualTo(1);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void jedisIsBinarySafe() {
    byte[] key = {'b', 0, (byte) 0xff, '\r', '\n', ' ', 'k'};
    byte[] value = new byte[70_000];
    for (int i = 0; i < value.length; i++) value[i] = (byte) i;
    try (Jedis a = cluster.jedis(0)) {
      a.set(key, value);
      assertThat(a.get(key)).isEqualTo(value);
      assertThat(a.mget(key, "nope".getBytes())).containsExactly(value, null);
    }
  }

  @Test
  void jedisScansWithMatchAndCount() {
    try (Jedis a = cluster.jedis(0)) {
      Set<String> want = new HashSet<>();
      for (int i = 0; i < 25; i++) {
        a.set("scan:j:" + i, "v");
        want.add("scan:j:" + i);
        a.set("other:j:" + i, "v");
      }
      Set<String> seen = new HashSet<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      int rounds = 0;
      do {
        ScanResult<String> r = a.scan(cursor, new ScanParams().match("scan:j:*").count(7));
        for (String k : r.getResult()) assertThat(k).startsWith("scan:j:");
        seen.addAll(r.getResult());
        cursor = r.getCursor();
        assertThat(++rounds).as("SCAN ends").isLessThan(1_000);
      } while (!cursor.equals("0"));
      assertThat(seen).isEqualTo(want);
      assertThat(rounds).as("COUNT 7 takes several rounds").isGreaterThan(1);
    }
  }

  @Test
  void lettuceRunsTheBasicCommands() throws Exception {
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(cluster.port(1)).withTimeout(Duration.ofSeconds(10)).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync();
      assertThat(r.ping()).isEqualTo("PONG");
      assertThat(r.set("lettuce:1", "one")).isEqualTo("OK");
      assertThat(r.get("lettuce:1")).isEqualTo("one");
      assertThat(r.get("lettuce:absent")).isNull();
      assertThat(r.mset(Map.of("lettuce:2", "two", "lettuce:3", "three"))).isEqualTo("OK");
      assertThat(r.mget("lettuce:1", "lettuce:absent", "lettuce:3"))
          .extracting(kv -> kv.getValueOrElse(null)).containsExactly("one", null, "three");
      assertThat(r.exists("lettuce:1", "lettuce:2", "lettuce:absent")).isEqualTo(2);
      assertThat(r.del("lettuce:2")).isEqualTo(1);
      assertThat(r.exists("lettuce:2")).isZero();
      assertThat(r.dbsize()).isGreaterThanOrEqualTo(2);
      assertThat(r.info()).contains("redis_version:");
      assertThat(r.info("keyspace")).contains("# Keyspace", "db0:keys=");
      assertThat(r.echo("x")).isEqualTo("x");
      assertThatThrownBy(() -> r.lpush("l", "x")).isInstanceOf(RedisCommandExecutionException.class)
          .hasMessageStartingWith("ERR unknown command 'LPUSH'");

      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        r.set("scan:l:" + i, "v");
        keys.add("scan:l:" + i);
      }
      Set<String> seen = new HashSet<>();
      KeyScanCursor<String> c = r.scan(ScanArgs.Builder.matches("scan:l:*").limit(5));
      seen.addAll(c.getKeys());
      int rounds = 1;
      while (!c.isFinished()) {
        c = r.scan(ScanCursor.of(c.getCursor()), ScanArgs.Builder.matches("scan:l:*").limit(5));
        seen.addAll(c.getKeys());
        assertThat(++rounds).isLessThan(1_000);
      }
      assertThat(seen).containsExactlyInAnyOrderElementsOf(keys);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void lettuceIsBinarySafe() {
    RedisClient client = RedisClient.create(RedisURI.create(ClusterProcess.HOST, cluster.port(0)));
    try (StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE)) {
      byte[] key = {0, 1, 2, (byte) 0x80, (byte) 0xfe, '\n'};
      byte[] value = "\r\n*1\r\n$-1\r\n".getBytes(StandardCharsets.ISO_8859_1);
      conn.sync().set(key, value);
      assertThat(conn.sync().get(key)).isEqualTo(value);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }
}
