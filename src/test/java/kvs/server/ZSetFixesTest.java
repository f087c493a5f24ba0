package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reviewed sorted-set behaviour on an in-process server over a real socket: the work a
 * single-member command does on a key with many removed members (entries examined, counted,
 * not timed), score arithmetic and Redis 7's replies and errors.
 */
class ZSetFixesTest extends InProcessServersTest {
  private static long examined(Node n) {
    return InProcessNodes.onLoop(n, () -> n.replica.entriesExamined());
  }

  /** A queue-style key: 2,000 members added, the first 1,999 popped. */
  @Test
  void singleMemberCommandsDoNotWalkRemovedMembers() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      List<String> args = new ArrayList<>(List.of("ZADD", "q"));
      for (int i = 0; i < 2_000; i++) {
        args.add(Integer.toString(i));
        args.add(String.format("m%05d", i));
      }
      assertThat(c.call(args.toArray(new String[0]))).isEqualTo(2_000L);
      assertThat((List<?>) c.call("ZPOPMIN", "q", "1999")).hasSize(2 * 1_999);
      long[] work = new long[5];
      long before = examined(n);
      assertThat(text(c.call("ZSCORE", "q", "m01999"))).isEqualTo("1999");
      work[0] = examined(n) - before;
      before = examined(n);
      assertThat(texts(c.call("ZMSCORE", "q", "m01999", "m00000")))
          .containsExactly("1999", "null");
      work[1] = examined(n) - before;
      before = examined(n);
      assertThat(c.call("ZREM", "q", "m00001")).isEqualTo(0L);
      work[2] = examined(n) - before;
      before = examined(n);
      assertThat(text(c.call("ZINCRBY", "q", "1", "m01999"))).isEqualTo("2000");
      work[3] = examined(n) - before;
      before = examined(n);
      assertThat(c.call("ZADD", "q", "XX", "5", "m01999")).isEqualTo(0L);
      work[4] = examined(n) - before;
      for (long w : work) assertThat(w).as(java.util.Arrays.toString(work)).isLessThanOrEqualTo(20);
      assertThat(c.call("ZCARD", "q")).isEqualTo(1L);
      // an emptied sorted set still reads as absent, and an emptied one of another kind too
      assertThat(c.call("ZREM", "q", "m01999")).isEqualTo(1L);
      assertThat(c.call("EXISTS", "q")).isEqualTo(0L);
      assertThat(c.call("ZSCORE", "q", "m01999")).isNull();
      assertThat(c.call("SADD", "s", "x")).isEqualTo(1L);
      assertThat(c.call("SREM", "s", "x")).isEqualTo(1L);
      assertThat(c.call("ZSCORE", "s", "x")).isNull();
      assertThat(c.call("ZADD", "s", "1", "x")).isEqualTo(1L);
      assertThat(c.call("SADD", "s", "y"))
          .isEqualTo("-WRONGTYPE Operation against a key holding the wrong kind of value");
    }
  }

  /** A score is never NaN; an infinite one stays infinite under finite increments, as Redis. */
  @Test
  void infiniteScoresStayInfiniteAndNeverBecomeNaN() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("ZADD", "z", "inf", "m")).isEqualTo(1L);
      assertThat(text(c.call("ZINCRBY", "z", "-1e308", "m"))).isEqualTo("inf");
      assertThat(text(c.call("ZINCRBY", "z", "-1e308", "m"))).isEqualTo("inf");
      assertThat(text(c.call("ZSCORE", "z", "m"))).isEqualTo("inf");
      assertThat(text(c.call("ZADD", "z", "INCR", "-1e308", "m"))).isEqualTo("inf");
      assertThat(text(c.call("ZINCRBY", "z2", "1e308", "m"))).doesNotContain("inf");
      assertThat(text(c.call("ZINCRBY", "z2", "1e308", "m"))).isEqualTo("inf");
      assertThat(text(c.call("ZINCRBY", "z2", "-1e308", "m"))).isEqualTo("inf");
      assertThat(text(c.call("ZSCORE", "z2", "m"))).isEqualTo("inf");
      assertThat(c.call("ZADD", "z3", "-inf", "m")).isEqualTo(1L);
      assertThat(text(c.call("ZINCRBY", "z3", "1e308", "m"))).isEqualTo("-inf");
      assertThat(text(c.call("ZINCRBY", "z3", "1e308", "m"))).isEqualTo("-inf");
      assertThat(texts(c.call("ZRANGE", "z3", "0", "-1", "WITHSCORES")))
          .containsExactly("m", "-inf");
    }
  }

  /** Replies and errors as Redis 7.2's t_zset.c gives them. */
  @Test
  void repliesAndErrorsAsRedis72() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("ZADD", "z", "1", "a", "2", "b", "3", "c")).isEqualTo(3L);
      // ZRANK WITHSCORE of a missing member or key: a null array
      assertThat(c.callRaw("ZRANK", "z", "nope", "WITHSCORE")).isEqualTo("*-1\r\n");
      assertThat(c.callRaw("ZREVRANK", "absent", "a", "WITHSCORE")).isEqualTo("*-1\r\n");
      assertThat(c.callRaw("ZRANK", "z", "nope")).isEqualTo("$-1\r\n");
      assertThat(c.call("ZRANK", "z", "a", "x", "y"))
          .isEqualTo("-ERR wrong number of arguments for 'zrank' command");
      assertThat(c.call("ZRANK", "z", "a", "x")).isEqualTo("-ERR syntax error");
      // LIMIT by rank: refused only with a count other than -1
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1")))
          .containsExactly("a", "b", "c");
      assertThat(texts(c.call("ZRANGE", "z", "0", "-1", "LIMIT", "1", "-1")))
          .containsExactly("a", "b", "c");
      String limitRank = "-ERR syntax error, LIMIT is only supported in combination with either"
          + " BYSCORE or BYLEX";
      assertThat(c.call("ZRANGE", "z", "0", "-1", "LIMIT", "0", "2")).isEqualTo(limitRank);
      assertThat(c.call("ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "2")).isEqualTo(limitRank);
      String lexScores = "-ERR syntax error, WITHSCORES not supported in combination with BYLEX";
      assertThat(c.call("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES")).isEqualTo(lexScores);
      assertThat(c.call("ZREVRANGEBYLEX", "z", "+", "-", "WITHSCORES")).isEqualTo(lexScores);
      // BYSCORE, BYLEX and REV once each, and only in ZRANGE
      assertThat(c.call("ZRANGE", "z", "0", "5", "BYSCORE", "BYSCORE"))
          .isEqualTo("-ERR syntax error");
      assertThat(c.call("ZRANGE", "z", "0", "5", "BYSCORE", "BYLEX"))
          .isEqualTo("-ERR syntax error");
      assertThat(c.call("ZRANGE", "z", "0", "5", "REV", "REV")).isEqualTo("-ERR syntax error");
      assertThat(c.call("ZRANGEBYSCORE", "z", "0", "5", "REV")).isEqualTo("-ERR syntax error");
      assertThat(c.call("ZRANGEBYSCORE", "z", "0", "5", "BYSCORE"))
          .isEqualTo("-ERR syntax error");
      // score bounds as strtod takes them: 1e400 is inf, 1e-400 is 0
      assertThat(texts(c.call("ZRANGEBYSCORE", "z", "-1e400", "1e400")))
          .containsExactly("a", "b", "c");
      assertThat(c.call("ZCOUNT", "z", "(1e-400", "1e400")).isEqualTo(3L);
      assertThat(c.call("ZADD", "z", "1e400", "d")).isEqualTo("-ERR value is not a valid float");
      // ZPOPMIN with count 0: the type is checked first (genericZpopCommand), then *0
      assertThat(c.call("SET", "str", "v")).isEqualTo("+OK");
      assertThat(c.call("ZPOPMIN", "str", "0"))
          .isEqualTo("-WRONGTYPE Operation against a key holding the wrong kind of value");
      assertThat(c.call("ZPOPMIN", "z", "0")).isEqualTo(List.of());
    }
  }
}
