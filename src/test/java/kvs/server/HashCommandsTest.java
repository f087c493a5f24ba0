package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The hash commands on in-process servers over real sockets: Redis 7's replies and errors,
 * WRONGTYPE both ways, the key commands on a hash, and fields set on both sides of a partition.
 */
class HashCommandsTest extends InProcessServersTest {
  @Test
  void hashesAnswerAsRedis() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("HSET", "h", "a", "1", "b", "2")).isEqualTo(2L);
      assertThat(c.call("HSET", "h", "a", "10", "c", "3")).isEqualTo(1L);
      assertThat(text(c.call("HGET", "h", "a"))).isEqualTo("10");
      assertThat(c.call("HGET", "h", "nope")).isNull();
      assertThat(c.call("HGET", "absent", "a")).isNull();
      assertThat(texts(c.call("HMGET", "h", "a", "nope", "c"))).containsExactly("10", "null", "3");
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("a", "10", "b", "2", "c", "3");
      assertThat(texts(c.call("HKEYS", "h"))).containsExactly("a", "b", "c");
      assertThat(texts(c.call("HVALS", "h"))).containsExactly("10", "2", "3");
      assertThat(c.call("HLEN", "h")).isEqualTo(3L);
      assertThat(c.call("HLEN", "absent")).isEqualTo(0L);
      assertThat(c.call("HEXISTS", "h", "b")).isEqualTo(1L);
      assertThat(c.call("HEXISTS", "h", "z")).isEqualTo(0L);
      assertThat(c.call("HSTRLEN", "h", "a")).isEqualTo(2L);
      assertThat(c.call("HSETNX", "h", "a", "x")).isEqualTo(0L);
      assertThat(c.call("HSETNX", "h", "d", "4")).isEqualTo(1L);
      assertThat(c.call("HINCRBY", "h", "d", "5")).isEqualTo(9L);
      assertThat(c.call("HINCRBY", "h", "new", "-2")).isEqualTo(-2L);
      assertThat(text(c.call("HINCRBYFLOAT", "h", "d", "0.5"))).isEqualTo("9.5");
      assertThat(c.call("HINCRBY", "h", "d", "1")).isEqualTo("-ERR hash value is not an integer");
      assertThat(c.call("HINCRBY", "h", "d", "x"))
          .isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("HDEL", "h", "new", "d", "d", "nope")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("HSCAN", "h", "0", "MATCH", "[ab]")).get(1)))
          .containsExactly("a", "10", "b", "2");
      assertThat(texts(((List<?>) c.call("HSCAN", "h", "0", "NOVALUES")).get(1)))
          .containsExactly("a", "b", "c");
      assertThat(c.call("TYPE", "h")).isEqualTo("+hash");
      assertThat(c.call("HSET", "h", "a")).isEqualTo("-ERR wrong number of arguments for 'hset' command");
      assertThat(c.call("HGETALL", "absent")).isEqualTo(List.of());
      // WRONGTYPE both ways, and nothing changed
      String wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value";
      assertThat(c.call("GET", "h")).isEqualTo(wrongType);
      assertThat(c.call("INCR", "h")).isEqualTo(wrongType);
      assertThat(c.call("APPEND", "h", "x")).isEqualTo(wrongType);
      assertThat(c.call("STRLEN", "h")).isEqualTo(wrongType);
      assertThat(c.call("GETDEL", "h")).isEqualTo(wrongType);
      assertThat(c.call("SET", "h", "v", "GET")).isEqualTo(wrongType);
      assertThat(texts(c.call("MGET", "h"))).containsExactly("null");
      assertThat(c.call("KVS.GET", "h")).isEqualTo(wrongType);
      assertThat(c.call("SET", "s", "v")).isEqualTo("+OK");
      assertThat(c.call("HSET", "s", "f", "v")).isEqualTo(wrongType);
      assertThat(c.call("HGET", "s", "f")).isEqualTo(wrongType);
      assertThat(c.call("INCR", "n")).isEqualTo(1L);
      assertThat(c.call("HGETALL", "n")).isEqualTo(wrongType);
      assertThat(text(c.call("GET", "s"))).isEqualTo("v");
      // deleting the last field deletes the key; a new hash does not see the old fields
      assertThat(c.call("HDEL", "h", "a", "b", "c")).isEqualTo(3L);
      assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
      assertThat(c.call("TYPE", "h")).isEqualTo("+none");
      assertThat(c.call("HSET", "h", "z", "26")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("z", "26");
      assertThat(c.call("DEL", "h")).isEqualTo(1L);
      assertThat(c.call("HGETALL", "h")).isEqualTo(List.of());
      assertThat(c.call("HSET", "h", "y", "25")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("y", "25");
      // SET replaces a hash, as in Redis
      assertThat(c.call("SET", "h", "plain")).isEqualTo("+OK");
      assertThat(c.call("HGET", "h", "y")).isEqualTo(wrongType);
      assertThat(c.call("DEL", "h")).isEqualTo(1L);
      assertThat(c.call("HSET", "h", "x", "24")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("x", "24");
    }
  }

  @Test
  void keyCommandsWorkOnAHash() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("HSET", "h", "f1", "v1", "f2", "v2")).isEqualTo(2L);
      assertThat(c.call("SET", "s", "v")).isEqualTo("+OK");
      assertThat(c.call("EXPIRE", "h", "100")).isEqualTo(1L);
      assertThat((Long) c.call("TTL", "h")).isBetween(90L, 100L);
      assertThat(c.call("HSET", "h", "f3", "v3")).isEqualTo(1L);
      assertThat((Long) c.call("TTL", "h")).isBetween(90L, 100L);
      assertThat(c.call("PERSIST", "h")).isEqualTo(1L);
      assertThat((Long) c.call("MEMORY", "USAGE", "h")).isGreaterThan(3 * 4L);
      assertThat(c.call("HLEN", "h")).isEqualTo(3L);
      assertThat(texts(c.call("KEYS", "*"))).containsExactlyInAnyOrder("h", "s");
      assertThat(c.call("DBSIZE")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "hash")).get(1))).containsExactly("h");
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "string")).get(1)))
          .containsExactly("s");
      assertThat(c.call("COPY", "h", "h2")).isEqualTo(1L);
      assertThat(c.call("RENAME", "h", "h3")).isEqualTo("+OK");
      assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
      assertThat(texts(c.call("HGETALL", "h2"))).containsExactly("f1", "v1", "f2", "v2", "f3", "v3");
      assertThat(texts(c.call("HGETALL", "h3"))).containsExactly("f1", "v1", "f2", "v2", "f3", "v3");
      assertThat(c.call("HSET", "h", "new", "1")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("new", "1");
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK");
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      assertThat(c.call("HGETALL", "h2")).isEqualTo(List.of());
    }
  }

  private static void cut(Node a, Node b) throws Exception {
    InProcessNodes.onLoop(a, () -> a.links.block(b.config.id())).get(10, TimeUnit.SECONDS);
    InProcessNodes.onLoop(b, () -> b.links.block(a.config.id())).get(10, TimeUnit.SECONDS);
  }

  private static void heal(Node a, Node b) throws Exception {
    InProcessNodes.onLoop(a, () -> {
      a.links.unblock(b.config.id());
      return null;
    });
    InProcessNodes.onLoop(b, () -> {
      b.links.unblock(a.config.id());
      return null;
    });
    b.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    InProcessNodes.await10s("converged", () -> InProcessNodes.onLoop(a, a::stateText)
        .equals(InProcessNodes.onLoop(b, b::stateText)));
  }

  @Test
  void fieldsSetOnBothSidesOfAPartitionBothSurvive() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("HSET", "user", "name", "ann")).isEqualTo(1L);
      assertThat(ca.call("HSET", "gone", "old", "1")).isEqualTo(1L);
      InProcessNodes.await10s("equal", () -> InProcessNodes.onLoop(a, a::stateText)
          .equals(InProcessNodes.onLoop(b, b::stateText)));
      cut(a, b);
      assertThat(ca.call("HSET", "user", "email", "ann@example.org")).isEqualTo(1L);
      assertThat(cb.call("HSET", "user", "city", "Oslo")).isEqualTo(1L);
      assertThat(ca.call("HSET", "user", "name", "Ann")).isEqualTo(0L);
      // a DEL on one side, a field set on the other: the new field survives, the old one not
      assertThat(ca.call("DEL", "gone")).isEqualTo(1L);
      assertThat(cb.call("HSET", "gone", "new", "2")).isEqualTo(1L);
      // the same hash made on both sides at once keeps both fields
      assertThat(ca.call("HSET", "both", "x", "1")).isEqualTo(1L);
      assertThat(cb.call("HSET", "both", "y", "2")).isEqualTo(1L);
      heal(a, b);
      for (RespConn c : List.of(ca, cb)) {
        assertThat(texts(c.call("HGETALL", "user")))
            .containsExactly("city", "Oslo", "email", "ann@example.org", "name", "Ann");
        assertThat(texts(c.call("HGETALL", "gone"))).containsExactly("new", "2");
        assertThat(texts(c.call("HGETALL", "both"))).containsExactly("x", "1", "y", "2");
      }
    }
  }
}
