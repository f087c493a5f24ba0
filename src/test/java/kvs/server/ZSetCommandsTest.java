package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The sorted-set commands on in-process servers over real sockets: Redis 7's replies and errors
 * (RESP2 and RESP3), WRONGTYPE both ways, the key commands, transactions and WATCH, and across a
 * partition: concurrent ZINCRBY on two servers both count, an add wins over a concurrent ZREM.
 */
class ZSetCommandsTest extends InProcessServersTest {
  static final String WRONGTYPE =
      "-WRONGTYPE Operation against a key holding the wrong kind of value";

  @Test
  void sortedSetsAnswerAsRedis() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "a")).isEqualTo(3L);
      assertThat(text(c.call("ZSCORE", "z", "a"))).isEqualTo("1.5");
      assertThat(c.call("ZSCORE", "z", "nope")).isNull();
      assertThat(c.call("ZSCORE", "absent", "a")).isNull();
      assertThat(texts(c.call("ZMSCORE", "z", "a", "nope", "c")))
          .containsExactly("1.5", "null", "3");
      assertThat(c.call("ZCARD", "z")).isEqualTo(3L);
      assertThat(c.call("ZCARD", "absent")).isEqualTo(0L);
      // flags
      assertThat(c.call("ZADD", "z", "NX", "9", "a", "4", "d")).isEqualTo(1L);
      assertThat(text(c.call("ZSCORE", "z", "a"))).isEqualTo("1.5");
      assertThat(c.call("ZADD", "z", "XX", "9", "e")).isEqualTo(0L);
      assertThat(c.call("ZSCORE", "z", "e")).isNull();
      assertThat(c.call("ZADD", "z", "XX", "CH", "1", "a", "2", "b")).isEqualTo(1L);
      assertThat(c.call("ZADD", "z", "GT", "CH", "0", "a", "5", "b")).isEqualTo(1L);
      assertThat(text(c.call("ZSCORE", "z", "a"))).isEqualTo("1");
      assertThat(text(c.call("ZSCORE", "z", "b"))).isEqualTo("5");
      assertThat(c.call("ZADD", "z", "LT", "CH", "0", "a", "9", "b")).isEqualTo(1L);
      assertThat(text(c.call("ZSCORE", "z", "a"))).isEqualTo("0");
      assertThat(text(c.call("ZADD", "z", "INCR", "2.5", "a"))).isEqualTo("2.5");
      assertThat(c.call("ZADD", "z", "NX", "INCR", "1", "a")).isNull();
      assertThat(text(c.call("ZINCRBY", "z", "-1", "a"))).isEqualTo("1.5");
      assertThat(text(c.call("ZINCRBY", "z", "7", "new"))).isEqualTo("7");
      assertThat(c.call("ZREM", "z", "new", "new", "nope")).isEqualTo(1L);
      // z: a=1.5 c=3 d=4 b=5
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1"))).containsExactly("a", "c", "d", "b");
      assertThat(texts(c.call("ZRANGE", "z", "1", "2", "WITHSCORES")))
          .containsExactly("c", "3", "d", "4");
      assertThat(texts(c.call("ZRANGE", "z", "0", "0", "REV"))).containsExactly("b");
      assertThat(texts(c.call("ZREVRANGE", "z", "0", "1", "WITHSCORES")))
          .containsExactly("b", "5", "d", "4");
      assertThat(texts(c.call("ZRANGE", "z", "(1.5", "4", "BYSCORE"))).containsExactly("c", "d");
      assertThat(texts(c.call("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2")))
          .containsExactly("d", "c");
      assertThat(texts(c.call("ZRANGEBYSCORE", "z", "-inf", "(4", "WITHSCORES")))
          .containsExactly("a", "1.5", "c", "3");
      assertThat(texts(c.call("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "3", "-1")))
          .containsExactly("b");
      assertThat(texts(c.call("ZREVRANGEBYSCORE", "z", "4", "3"))).containsExactly("d", "c");
      assertThat(texts(c.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "2",
          "9223372036854775807"))).containsExactly("d", "b");
      assertThat(c.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"))
          .isEqualTo(List.of());
      assertThat(c.call("ZRANGE", "z", "5", "9")).isEqualTo(List.of());
      assertThat(c.call("ZRANGE", "z", "-100", "0")).asList().hasSize(1);
      assertThat(c.call("ZCOUNT", "z", "(1.5", "+inf")).isEqualTo(3L);
      assertThat(c.call("ZRANK", "z", "d")).isEqualTo(2L);
      assertThat(c.call("ZREVRANK", "z", "d")).isEqualTo(1L);
      assertThat(c.call("ZRANK", "z", "nope")).isNull();
      assertThat(texts(c.call("ZRANK", "z", "c", "WITHSCORE"))).containsExactly("1", "3");
      assertThat(texts(((List<?>) c.call("ZSCAN", "z", "0", "MATCH", "[ab]")).get(1)))
          .containsExactlyInAnyOrder("a", "1.5", "b", "5");
      // lex ranges on equal scores
      assertThat(c.call("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d")).isEqualTo(4L);
      assertThat(texts(c.call("ZRANGE", "lex", "[b", "(d", "BYLEX"))).containsExactly("b", "c");
      assertThat(texts(c.call("ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "0", "2")))
          .containsExactly("d", "c");
      assertThat(texts(c.call("ZRANGEBYLEX", "lex", "-", "[a"))).containsExactly("a");
      assertThat(c.call("ZLEXCOUNT", "lex", "(a", "+")).isEqualTo(3L);
      // pops
      assertThat(texts(c.call("ZPOPMIN", "lex"))).containsExactly("a", "0");
      assertThat(texts(c.call("ZPOPMAX", "lex", "2"))).containsExactly("d", "0", "c", "0");
      assertThat(c.call("ZPOPMIN", "lex", "-1"))
          .isEqualTo("-ERR value is out of range, must be positive");
      for (String bad : List.of("x", "1.5", "+1", "9223372036854775808")) { // Redis: not "integer"
        assertThat(c.call("ZPOPMIN", "lex", bad)).as(bad)
            .isEqualTo("-ERR value is out of range, must be positive");
        assertThat(c.call("ZPOPMAX", "lex", bad)).as(bad)
            .isEqualTo("-ERR value is out of range, must be positive");
      }
      assertThat(texts(c.call("ZPOPMIN", "lex", "5"))).containsExactly("b", "0");
      assertThat(c.call("EXISTS", "lex")).isEqualTo(0L); // the last member gone: no key
      assertThat(c.call("ZPOPMIN", "lex")).isEqualTo(List.of());
      // infinities and the display of doubles
      assertThat(c.call("ZADD", "inf", "-inf", "lo", "+inf", "hi", "1e20", "big", "0.1", "f"))
          .isEqualTo(4L);
      assertThat(texts(c.call("ZRANGE", "inf", "0", "-1", "WITHSCORES")))
          .containsExactly("lo", "-inf", "f", "0.10000000000000001", "big", "1e+20", "hi", "inf");
      // errors change nothing
      assertThat(c.call("ZADD", "z", "x", "a")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("ZADD", "z", "nan", "a")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("ZADD", "z", "1e400", "a")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("ZADD", "z", "1e-400", "a")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("ZADD", "z", "0x10", "a")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("ZADD", "z", "1", "a", "2")).isEqualTo("-ERR syntax error");
      assertThat(c.call("ZADD", "z", "NX", "XX", "1", "a"))
          .isEqualTo("-ERR XX and NX options at the same time are not compatible");
      assertThat(c.call("ZADD", "z", "GT", "LT", "1", "a"))
          .isEqualTo("-ERR GT, LT, and/or NX options at the same time are not compatible");
      assertThat(c.call("ZADD", "z", "INCR", "1", "a", "2", "b"))
          .isEqualTo("-ERR INCR option supports a single increment-element pair");
      assertThat(c.call("ZINCRBY", "z", "abc", "a")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("ZADD", "inf", "INCR", "-inf", "hi"))
          .isEqualTo("-ERR increment must be a finite number (increments merge as decimal"
              + " counters)");
      assertThat(c.call("ZRANGE", "z", "a", "1"))
          .isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("ZRANGE", "z", "0", "1", "LIMIT", "0", "1")).isEqualTo(
          "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
      assertThat(c.call("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES")).isEqualTo(
          "-ERR syntax error, WITHSCORES not supported in combination with BYLEX");
      assertThat(c.call("ZRANGEBYSCORE", "z", "x", "1"))
          .isEqualTo("-ERR min or max is not a float");
      assertThat(c.call("ZRANGEBYLEX", "z", "a", "+"))
          .isEqualTo("-ERR min or max not valid string range item");
      assertThat(c.call("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1")).isEqualTo(
          "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
      assertThat(c.call("ZADD", "z", "1"))
          .isEqualTo("-ERR wrong number of arguments for 'zadd' command");
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1", "WITHSCORES")))
          .containsExactly("a", "1.5", "c", "3", "d", "4", "b", "5");
      // WRONGTYPE both ways
      assertThat(c.call("SET", "str", "v")).isEqualTo("+OK");
      assertThat(c.call("SADD", "s", "m")).isEqualTo(1L);
      for (String k : List.of("str", "s")) {
        assertThat(c.call("ZADD", k, "1", "m")).isEqualTo(WRONGTYPE);
        assertThat(c.call("ZRANGE", k, "0", "-1")).isEqualTo(WRONGTYPE);
        assertThat(c.call("ZSCORE", k, "m")).isEqualTo(WRONGTYPE);
        assertThat(c.call("ZINCRBY", k, "1", "m")).isEqualTo(WRONGTYPE);
        assertThat(c.call("ZPOPMIN", k)).isEqualTo(WRONGTYPE);
      }
      assertThat(c.call("GET", "z")).isEqualTo(WRONGTYPE);
      assertThat(c.call("INCR", "z")).isEqualTo(WRONGTYPE);
      assertThat(c.call("SADD", "z", "x")).isEqualTo(WRONGTYPE);
      assertThat(c.call("HGET", "z", "x")).isEqualTo(WRONGTYPE);
      assertThat(c.call("TYPE", "z")).isEqualTo("+zset");
      // a new sorted set after DEL does not see the old members; SET replaces it
      assertThat(c.call("DEL", "z")).isEqualTo(1L);
      assertThat(c.call("ZINCRBY", "z", "2", "a")).isEqualTo("2".getBytes());
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1", "WITHSCORES"))).containsExactly("a", "2");
      assertThat(c.call("SET", "z", "plain")).isEqualTo("+OK");
      assertThat(c.call("ZCARD", "z")).isEqualTo(WRONGTYPE);
      assertThat(c.call("DEL", "z")).isEqualTo(1L);
      assertThat(c.call("ZADD", "z", "1", "y")).isEqualTo(1L);
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1"))).containsExactly("y");
    }
  }

  @Test
  void resp3AnswersDoublesAndPairs() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("ZADD", "z", "1.5", "a", "2", "b")).isEqualTo(2L);
      assertThat(c.callRaw("ZSCORE", "z", "a")).isEqualTo("$3\r\n1.5\r\n");
      assertThat(c.callRaw("ZRANGE", "z", "0", "0", "WITHSCORES"))
          .isEqualTo("*2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
      c.callRaw("HELLO", "3");
      assertThat(c.callRaw("ZSCORE", "z", "a")).isEqualTo(",1.5\r\n");
      assertThat(c.callRaw("ZSCORE", "z", "x")).isEqualTo("_\r\n");
      assertThat(c.callRaw("ZINCRBY", "z", "1", "b")).isEqualTo(",3\r\n");
      assertThat(c.callRaw("ZRANGE", "z", "0", "-1", "WITHSCORES"))
          .isEqualTo("*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,3\r\n");
      assertThat(c.callRaw("ZRANGE", "z", "0", "0")).isEqualTo("*1\r\n$1\r\na\r\n");
      assertThat(c.callRaw("ZMSCORE", "z", "a", "x")).isEqualTo("*2\r\n,1.5\r\n_\r\n");
      assertThat(c.callRaw("ZPOPMAX", "z")).isEqualTo("*2\r\n$1\r\nb\r\n,3\r\n");
      assertThat(c.callRaw("ZPOPMIN", "z", "1")).isEqualTo("*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n");
    }
  }

  @Test
  void keyCommandsWorkOnASortedSet() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("ZADD", "z", "1", "m1", "2", "m2")).isEqualTo(2L);
      assertThat(c.call("SET", "str", "v")).isEqualTo("+OK");
      assertThat(c.call("EXPIRE", "z", "100")).isEqualTo(1L);
      assertThat(c.call("ZADD", "z", "3", "m3")).isEqualTo(1L);
      assertThat((Long) c.call("TTL", "z")).isBetween(90L, 100L);
      assertThat(c.call("PERSIST", "z")).isEqualTo(1L);
      assertThat((Long) c.call("MEMORY", "USAGE", "z")).isGreaterThan(3 * 2L);
      assertThat(texts(c.call("KEYS", "*"))).containsExactlyInAnyOrder("z", "str");
      assertThat(c.call("DBSIZE")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "zset")).get(1)))
          .containsExactly("z");
      assertThat(c.call("COPY", "z", "z2")).isEqualTo(1L);
      assertThat(c.call("RENAME", "z", "z3")).isEqualTo("+OK");
      assertThat(c.call("EXISTS", "z")).isEqualTo(0L);
      assertThat(c.call("UNLINK", "z")).isEqualTo(0L);
      for (String k : List.of("z2", "z3")) {
        assertThat(texts(c.call("ZRANGE", k, "0", "-1", "WITHSCORES")))
            .containsExactly("m1", "1", "m2", "2", "m3", "3");
      }
      try (RespConn admin = RespConn.open(n.port())) {
        assertThat(admin.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
        List<String> pairs = texts(((List<?>) admin.call("KVS.DUMP", "100")).get(1));
        assertThat(pairs.get(pairs.indexOf("z3") + 1)).isEqualTo("{m1=1, m2=2, m3=3}");
      }
      assertThat(c.call("ZADD", "z", "5", "new")).isEqualTo(1L);
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1"))).containsExactly("new");
      assertThat(c.call("PEXPIREAT", "z", "1")).isEqualTo(1L); // in the past: deleted
      assertThat(c.call("EXISTS", "z")).isEqualTo(0L);
      assertThat(c.call("UNLINK", "z3")).isEqualTo(1L);
      assertThat(c.call("ZCARD", "z3")).isEqualTo(0L);
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK");
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      assertThat(c.call("ZRANGE", "z2", "0", "-1")).isEqualTo(List.of());
    }
  }

  @Test
  void transactionsAndWatchSeeMembers() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port()); RespConn other = RespConn.open(n.port())) {
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("ZADD", "z", "1", "a", "2", "b")).isEqualTo("+QUEUED");
      assertThat(c.call("ZINCRBY", "z", "5", "a")).isEqualTo("+QUEUED");
      assertThat(c.call("ZREM", "z", "b")).isEqualTo("+QUEUED");
      assertThat(c.call("DEL", "z")).isEqualTo("+QUEUED");
      assertThat(c.call("ZADD", "z", "3", "c")).isEqualTo("+QUEUED");
      assertThat(c.call("ZRANGE", "z", "0", "-1", "WITHSCORES")).isEqualTo("+QUEUED");
      List<?> replies = (List<?>) c.call("EXEC");
      assertThat(replies.get(0)).isEqualTo(2L);
      assertThat(text(replies.get(1))).isEqualTo("6");
      assertThat(replies.subList(2, 5)).isEqualTo(List.of(1L, 1L, 1L));
      assertThat(texts(replies.get(5))).containsExactly("c", "3");
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1", "WITHSCORES"))).containsExactly("c", "3");
      // WATCH sees a member added, re-scored or removed by another connection
      for (String[] change : List.of(new String[] {"ZADD", "z", "1", "d"},
          new String[] {"ZINCRBY", "z", "1", "d"}, new String[] {"ZREM", "z", "c"})) {
        assertThat(c.call("WATCH", "z")).isEqualTo("+OK");
        other.call(change);
        assertThat(c.call("MULTI")).isEqualTo("+OK");
        assertThat(c.call("ZADD", "z", "9", "x")).isEqualTo("+QUEUED");
        assertThat(c.callRaw("EXEC")).as("after %s", List.of(change)).isEqualTo("*-1\r\n");
      }
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1", "WITHSCORES"))).containsExactly("d", "2");
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
  void concurrentIncrementsCountAndAnAddWinsAcrossAPartition() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("ZADD", "board", "10", "ann", "20", "bob", "30", "cat")).isEqualTo(3L);
      assertThat(ca.call("ZADD", "gone", "1", "old")).isEqualTo(1L);
      InProcessNodes.await10s("equal", () -> InProcessNodes.onLoop(a, a::stateText)
          .equals(InProcessNodes.onLoop(b, b::stateText)));
      cut(a, b);
      // each side adds to ann: both increments count
      assertThat(text(ca.call("ZINCRBY", "board", "5", "ann"))).isEqualTo("15");
      assertThat(text(cb.call("ZINCRBY", "board", "7", "ann"))).isEqualTo("17");
      // a re-scores bob while b removes it: the add wins, whatever the clocks say
      assertThat(ca.call("ZADD", "board", "25", "bob")).isEqualTo(0L);
      assertThat(cb.call("ZREM", "board", "bob", "cat")).isEqualTo(2L);
      // a DEL on one side, a ZADD on the other: the new member survives, the old one not
      assertThat(ca.call("DEL", "gone")).isEqualTo(1L);
      assertThat(cb.call("ZADD", "gone", "2", "new")).isEqualTo(1L);
      // two types written to one key at once: the later head by version decides, everywhere
      assertThat(ca.call("ZADD", "mixed", "1", "x")).isEqualTo(1L);
      assertThat(cb.call("SADD", "mixed", "y")).isEqualTo(1L);
      assertThat(cb.call("SET", "mixed2", "plain")).isEqualTo("+OK");
      assertThat(ca.call("ZADD", "mixed2", "3", "z")).isEqualTo(1L);
      heal(a, b);
      String mixedType = (String) ca.call("TYPE", "mixed");
      assertThat(cb.call("TYPE", "mixed")).isEqualTo(mixedType);
      assertThat(mixedType).isIn("+zset", "+set");
      for (RespConn c : List.of(ca, cb)) {
        if (mixedType.equals("+zset")) {
          assertThat(texts(c.call("ZRANGE", "mixed", "0", "-1"))).containsExactly("x");
          assertThat(c.call("SMEMBERS", "mixed")).isEqualTo(WRONGTYPE);
        } else {
          assertThat(texts(c.call("SMEMBERS", "mixed"))).containsExactly("y");
          assertThat(c.call("ZRANGE", "mixed", "0", "-1")).isEqualTo(WRONGTYPE);
        }
        String type2 = (String) c.call("TYPE", "mixed2");
        assertThat(type2).isEqualTo(ca.call("TYPE", "mixed2")).isIn("+zset", "+string");
        if (type2.equals("+zset")) {
          assertThat(texts(c.call("ZRANGE", "mixed2", "0", "-1", "WITHSCORES")))
              .containsExactly("z", "3");
        } else {
          assertThat(text(c.call("GET", "mixed2"))).isEqualTo("plain");
        }
      }
      for (RespConn c : List.of(ca, cb)) {
        assertThat(texts(c.call("ZRANGE", "board", "0", "-1", "WITHSCORES")))
            .containsExactly("ann", "22", "bob", "25");
        assertThat(texts(c.call("ZRANGE", "gone", "0", "-1", "WITHSCORES")))
            .containsExactly("new", "2");
      }
    }
  }

  @Test
  void zscanPagesWithACursorAndEveryMemberKeepsItsScore() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      java.util.Set<String> kept = new java.util.TreeSet<>();
      for (int batch = 0; batch < 6; batch++) {
        List<String> args = new java.util.ArrayList<>(List.of("ZADD", "z"));
        for (int i = 0; i < 500; i++) {
          int k = batch * 500 + i;
          args.add(Integer.toString(k));
          args.add(String.format("m%05d", k));
          if (k % 7 != 0) kept.add(String.format("m%05d", k)); // the others go midway below
        }
        assertThat(c.call(args.toArray(new String[0]))).isEqualTo(500L);
      }
      java.util.Set<String> all = new java.util.TreeSet<>();
      int calls = HashCommandsTest.scanAll(c, "ZSCAN", "z", 10, all, null);
      assertThat(all).hasSize(3000).containsAll(kept);
      assertThat(calls).as("3,000 members / 10 a call").isBetween(290, 310);
      java.util.Set<String> seen = new java.util.TreeSet<>();
      HashCommandsTest.scanAll(c, "ZSCAN", "z", 10, seen, () -> {
        try {
          for (int i = 0; i < 3000; i += 7) {
            assertThat(c.call("ZREM", "z", String.format("m%05d", i))).isEqualTo(1L);
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(seen).containsAll(kept);
      List<?> page = (List<?>) c.call("ZSCAN", "z", "0", "COUNT", "3");
      List<String> pairs = texts(page.get(1));
      // three registers examined: m00000 (removed above), m00001 and m00002
      assertThat(pairs).containsExactly("m00001", "1", "m00002", "2");
      assertThat(text(page.get(0))).isNotEqualTo("0");
      assertThat(c.call("ZSCAN", "z", "x")).isEqualTo("-ERR invalid cursor");
    }
  }
}
