package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The set commands on in-process servers over real sockets: Redis 7's replies and errors (RESP2
 * and RESP3), WRONGTYPE both ways, the key commands, transactions and WATCH on a set, and an add
 * that wins over a concurrent remove across a partition, and SSCAN paging with a cursor.
 */
class SetCommandsTest extends InProcessServersTest {
  static final String WRONGTYPE =
      "-WRONGTYPE Operation against a key holding the wrong kind of value";
  @Test
  void setsAnswerAsRedis() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("SADD", "s", "a", "b", "c", "a")).isEqualTo(3L);
      assertThat(c.call("SADD", "s", "a", "d")).isEqualTo(1L);
      assertThat(texts(c.call("SMEMBERS", "s"))).containsExactlyInAnyOrder("a", "b", "c", "d");
      assertThat(c.call("SMEMBERS", "absent")).isEqualTo(List.of());
      assertThat(c.call("SISMEMBER", "s", "a")).isEqualTo(1L);
      assertThat(c.call("SISMEMBER", "s", "z")).isEqualTo(0L);
      assertThat(c.call("SISMEMBER", "absent", "a")).isEqualTo(0L);
      assertThat(c.call("SMISMEMBER", "s", "a", "z", "d")).isEqualTo(List.of(1L, 0L, 1L));
      assertThat(c.call("SCARD", "s")).isEqualTo(4L);
      assertThat(c.call("SCARD", "absent")).isEqualTo(0L);
      assertThat(c.call("SREM", "s", "d", "d", "nope")).isEqualTo(1L);
      assertThat(c.call("SREM", "absent", "a")).isEqualTo(0L);
      assertThat(texts(((List<?>) c.call("SSCAN", "s", "0", "MATCH", "[ab]", "COUNT", "5")).get(1)))
          .containsExactlyInAnyOrder("a", "b");
      assertThat(c.call("SSCAN", "s", "x")).isEqualTo("-ERR invalid cursor");
      assertThat(c.call("SSCAN", "s", "0", "NOVALUES")).isEqualTo("-ERR syntax error");
      assertThat(c.call("SADD", "t", "b", "c", "e")).isEqualTo(3L);
      assertThat(texts(c.call("SINTER", "s", "t"))).containsExactlyInAnyOrder("b", "c");
      assertThat(texts(c.call("SUNION", "s", "t", "absent")))
          .containsExactlyInAnyOrder("a", "b", "c", "e");
      assertThat(texts(c.call("SDIFF", "s", "t"))).containsExactly("a");
      assertThat(c.call("SINTER", "s", "absent")).isEqualTo(List.of());
      // SRANDMEMBER: distinct members for a positive count, repeats for a negative one
      assertThat(List.of("a", "b", "c")).contains(text(c.call("SRANDMEMBER", "s")));
      assertThat(texts(c.call("SRANDMEMBER", "s", "5"))).containsExactlyInAnyOrder("a", "b", "c");
      assertThat(texts(c.call("SRANDMEMBER", "s", "2"))).doesNotHaveDuplicates().hasSize(2);
      assertThat(texts(c.call("SRANDMEMBER", "s", "-7"))).hasSize(7);
      assertThat(c.call("SRANDMEMBER", "s", "0")).isEqualTo(List.of());
      assertThat(c.call("SRANDMEMBER", "absent")).isNull();
      assertThat(c.call("SRANDMEMBER", "absent", "3")).isEqualTo(List.of());
      assertThat(c.call("SRANDMEMBER", "s", "x"))
          .isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("SRANDMEMBER", "s", "1", "2")).isEqualTo("-ERR syntax error");
      // SPOP removes what it answers
      String popped = text(c.call("SPOP", "s"));
      assertThat(List.of("a", "b", "c")).contains(popped);
      assertThat(c.call("SISMEMBER", "s", popped)).isEqualTo(0L);
      assertThat(c.call("SPOP", "s", "-1"))
          .isEqualTo("-ERR value is out of range, must be positive");
      for (String bad : List.of("x", "1.5", "+1", "9223372036854775808")) { // Redis: not "integer"
        assertThat(c.call("SPOP", "s", bad)).as(bad)
            .isEqualTo("-ERR value is out of range, must be positive");
      }
      assertThat(c.call("SPOP", "s", "0")).isEqualTo(List.of());
      List<String> rest = texts(c.call("SPOP", "s", "10"));
      assertThat(rest).hasSize(2).doesNotContain(popped);
      assertThat(c.call("EXISTS", "s")).isEqualTo(0L); // the last member gone: no key
      assertThat(c.call("SPOP", "s")).isNull();
      assertThat(c.call("SPOP", "s", "2")).isEqualTo(List.of());
      assertThat(c.call("SADD", "s")).isEqualTo("-ERR wrong number of arguments for 'sadd' command");
      // WRONGTYPE both ways, and nothing changed
      assertThat(c.call("SET", "str", "v")).isEqualTo("+OK");
      assertThat(c.call("HSET", "h", "f", "v")).isEqualTo(1L);
      for (String k : List.of("str", "h")) {
        assertThat(c.call("SADD", k, "m")).isEqualTo(WRONGTYPE);
        assertThat(c.call("SMEMBERS", k)).isEqualTo(WRONGTYPE);
        assertThat(c.call("SPOP", k)).isEqualTo(WRONGTYPE);
        assertThat(c.call("SINTER", "t", k)).isEqualTo(WRONGTYPE);
      }
      assertThat(c.call("GET", "t")).isEqualTo(WRONGTYPE);
      assertThat(c.call("INCR", "t")).isEqualTo(WRONGTYPE);
      assertThat(c.call("APPEND", "t", "x")).isEqualTo(WRONGTYPE);
      assertThat(c.call("HGET", "t", "b")).isEqualTo(WRONGTYPE);
      assertThat(c.call("KVS.GET", "t")).isEqualTo(WRONGTYPE);
      assertThat(texts(c.call("MGET", "t"))).containsExactly("null");
      assertThat(text(c.call("GET", "str"))).isEqualTo("v");
      assertThat(c.call("TYPE", "t")).isEqualTo("+set");
      // a new set after DEL does not see the old members; SET replaces a set
      assertThat(c.call("DEL", "t")).isEqualTo(1L);
      assertThat(c.call("SADD", "t", "z")).isEqualTo(1L);
      assertThat(texts(c.call("SMEMBERS", "t"))).containsExactly("z");
      assertThat(c.call("SET", "t", "plain")).isEqualTo("+OK");
      assertThat(c.call("SMEMBERS", "t")).isEqualTo(WRONGTYPE);
      assertThat(c.call("DEL", "t")).isEqualTo(1L);
      assertThat(c.call("SADD", "t", "y")).isEqualTo(1L);
      assertThat(texts(c.call("SMEMBERS", "t"))).containsExactly("y");
    }
  }

  @Test
  void resp3AnswersSets() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("SADD", "s", "a")).isEqualTo(1L);
      assertThat(c.callRaw("SMEMBERS", "s")).isEqualTo("*1\r\n$1\r\na\r\n");
      c.callRaw("HELLO", "3");
      assertThat(c.callRaw("SMEMBERS", "s")).isEqualTo("~1\r\n$1\r\na\r\n");
      assertThat(c.callRaw("SUNION", "s")).isEqualTo("~1\r\n$1\r\na\r\n");
      assertThat(c.callRaw("SMEMBERS", "absent")).isEqualTo("~0\r\n");
      assertThat(c.callRaw("SRANDMEMBER", "s", "1")).isEqualTo("*1\r\n$1\r\na\r\n");
      assertThat(c.callRaw("SPOP", "s", "1")).isEqualTo("~1\r\n$1\r\na\r\n");
      assertThat(c.callRaw("SPOP", "s")).isEqualTo("_\r\n");
    }
  }

  @Test
  void keyCommandsWorkOnASet() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("SADD", "s", "m1", "m2")).isEqualTo(2L);
      assertThat(c.call("SET", "str", "v")).isEqualTo("+OK");
      assertThat(c.call("EXPIRE", "s", "100")).isEqualTo(1L);
      assertThat(c.call("SADD", "s", "m3")).isEqualTo(1L);
      assertThat((Long) c.call("TTL", "s")).isBetween(90L, 100L);
      assertThat(c.call("PERSIST", "s")).isEqualTo(1L);
      assertThat((Long) c.call("MEMORY", "USAGE", "s")).isGreaterThan(3 * 2L);
      assertThat(texts(c.call("KEYS", "*"))).containsExactlyInAnyOrder("s", "str");
      assertThat(c.call("DBSIZE")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "set")).get(1))).containsExactly("s");
      assertThat(c.call("COPY", "s", "s2")).isEqualTo(1L);
      assertThat(c.call("RENAME", "s", "s3")).isEqualTo("+OK");
      assertThat(c.call("EXISTS", "s")).isEqualTo(0L);
      assertThat(texts(c.call("SMEMBERS", "s2"))).containsExactlyInAnyOrder("m1", "m2", "m3");
      assertThat(texts(c.call("SMEMBERS", "s3"))).containsExactlyInAnyOrder("m1", "m2", "m3");
      try (RespConn admin = RespConn.open(n.port())) {
        assertThat(admin.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
        List<String> pairs = texts(((List<?>) admin.call("KVS.DUMP", "100")).get(1));
        assertThat(pairs.get(pairs.indexOf("s3") + 1)).isEqualTo("{m1, m2, m3}");
      }
      assertThat(c.call("SADD", "s", "new")).isEqualTo(1L);
      assertThat(texts(c.call("SMEMBERS", "s"))).containsExactly("new");
      assertThat(c.call("PEXPIREAT", "s", "1")).isEqualTo(1L); // in the past: deleted
      assertThat(c.call("EXISTS", "s")).isEqualTo(0L);
      assertThat(c.call("SMEMBERS", "s")).isEqualTo(List.of());
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK");
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      assertThat(c.call("SMEMBERS", "s2")).isEqualTo(List.of());
    }
  }

  @Test
  void transactionsAndWatchSeeMembers() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port()); RespConn other = RespConn.open(n.port())) {
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SADD", "s", "a", "b")).isEqualTo("+QUEUED");
      assertThat(c.call("SREM", "s", "a")).isEqualTo("+QUEUED");
      assertThat(c.call("SADD", "s", "a", "c")).isEqualTo("+QUEUED");
      assertThat(c.call("SMEMBERS", "s")).isEqualTo("+QUEUED");
      List<?> replies = (List<?>) c.call("EXEC");
      assertThat(replies.subList(0, 3)).isEqualTo(List.of(2L, 1L, 2L));
      assertThat(texts(replies.get(3))).containsExactlyInAnyOrder("a", "b", "c");
      assertThat(texts(c.call("SMEMBERS", "s"))).containsExactlyInAnyOrder("a", "b", "c");
      // WATCH sees a member added or removed by another connection (the head is unchanged)
      for (String[] change : List.of(new String[] {"SADD", "s", "d"},
          new String[] {"SREM", "s", "a"})) {
        assertThat(c.call("WATCH", "s")).isEqualTo("+OK");
        assertThat(other.call(change)).isEqualTo(1L);
        assertThat(c.call("MULTI")).isEqualTo("+OK");
        assertThat(c.call("SADD", "s", "x")).isEqualTo("+QUEUED");
        assertThat(c.callRaw("EXEC")).as("after %s", List.of(change)).isEqualTo("*-1\r\n");
      }
      assertThat(texts(c.call("SMEMBERS", "s"))).containsExactlyInAnyOrder("b", "c", "d");
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
  void anAddWinsOverAConcurrentRemoveAcrossAPartition() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("SADD", "tags", "red", "green", "blue")).isEqualTo(3L);
      assertThat(ca.call("SADD", "gone", "old")).isEqualTo(1L);
      InProcessNodes.await10s("equal", () -> InProcessNodes.onLoop(a, a::stateText)
          .equals(InProcessNodes.onLoop(b, b::stateText)));
      cut(a, b);
      // b removes red after a re-added it: b had not seen that add, so red stays, whatever
      // the clocks say (b's remove is the later write by version)
      assertThat(ca.call("SADD", "tags", "red", "pink")).isEqualTo(1L);
      assertThat(cb.call("SREM", "tags", "red", "green")).isEqualTo(2L);
      assertThat(cb.call("SADD", "tags", "black")).isEqualTo(1L);
      assertThat(ca.call("SREM", "tags", "blue")).isEqualTo(1L);
      // a DEL on one side, an SADD on the other: the new member survives, the old one not
      assertThat(ca.call("DEL", "gone")).isEqualTo(1L);
      assertThat(cb.call("SADD", "gone", "new")).isEqualTo(1L);
      // the same set made on both sides at once keeps both members
      assertThat(ca.call("SADD", "both", "x")).isEqualTo(1L);
      assertThat(cb.call("SADD", "both", "y")).isEqualTo(1L);
      heal(a, b);
      for (RespConn c : List.of(ca, cb)) {
        assertThat(texts(c.call("SMEMBERS", "tags")))
            .containsExactlyInAnyOrder("red", "pink", "black");
        assertThat(texts(c.call("SMEMBERS", "gone"))).containsExactly("new");
        assertThat(texts(c.call("SMEMBERS", "both"))).containsExactlyInAnyOrder("x", "y");
      }
    }
  }

  @Test
  void sscanPagesWithACursor() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      java.util.Set<String> kept = new java.util.TreeSet<>();
      for (int batch = 0; batch < 6; batch++) {
        List<String> args = new java.util.ArrayList<>(List.of("SADD", "s"));
        for (int i = 0; i < 500; i++) {
          String m = String.format("m%05d", batch * 500 + i);
          args.add(m);
          if ((batch * 500 + i) % 7 != 0) kept.add(m); // the others go during a scan below
        }
        assertThat(c.call(args.toArray(new String[0]))).isEqualTo(500L);
      }
      java.util.Set<String> all = new java.util.TreeSet<>();
      int calls = HashCommandsTest.scanAll(c, "SSCAN", "s", 10, all, null);
      assertThat(all).hasSize(3000).containsAll(kept);
      assertThat(calls).as("3,000 members / 10 a call").isBetween(290, 310);
      java.util.Set<String> seen = new java.util.TreeSet<>();
      HashCommandsTest.scanAll(c, "SSCAN", "s", 10, seen, () -> {
        try {
          for (int i = 0; i < 3000; i += 7) {
            assertThat(c.call("SREM", "s", String.format("m%05d", i))).isEqualTo(1L);
            assertThat(c.call("SADD", "s", String.format("m%05da", i))).isEqualTo(1L);
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(seen).containsAll(kept);
      for (String m : seen) assertThat(m).matches("m\\d{5}a?");
      List<?> page = (List<?>) c.call("SSCAN", "s", "0", "COUNT", "20", "MATCH", "m0003*");
      assertThat(texts(page.get(1))).isEmpty(); // the first 20 registers are m00000 to m00019
      assertThat(c.call("SSCAN", "s", "-5")).isEqualTo("-ERR invalid cursor");
      List<?> absent = (List<?>) c.call("SSCAN", "absent", "0");
      assertThat(text(absent.get(0))).isEqualTo("0");
      assertThat(absent.get(1)).isEqualTo(List.of());
    }
  }
}
