package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Sorted sets across real server processes with redis-cli, README's example: two servers cut
 * apart with KVS.LINK.BLOCK each add to one player's score (both increments count), one
 * re-scores a member the other removes (the add wins), one deletes a board the other adds to;
 * after the heal both servers hold the merged sorted sets.
 */
class ZSetsIT {
  private static String cli(ClusterProcess c, int server, String... args) throws Exception {
    return c.redisCli(server, "", 30, args);
  }

  private static String admin(ClusterProcess c, int server, String... commands) throws Exception {
    return c.redisCliAdmin(server, commands);
  }

  @Test
  void concurrentIncrementsCountAndAddsWinAfterTheHeal() throws Exception {
    Tool.requireOnPath("redis-cli"); // apt-get install redis-tools
    try (ClusterProcess c = ClusterProcess.start(2)) {
      assertThat(cli(c, 0, "ZADD", "board", "10", "ann", "20", "bob")).isEqualTo("2\n");
      assertThat(cli(c, 0, "ZADD", "old", "1", "x")).isEqualTo("1\n");
      ClusterProcess.await("server 1 has both sorted sets", 20_000, () -> {
        try {
          return cli(c, 1, "ZCARD", "board").equals("2\n")
              && cli(c, 1, "ZCARD", "old").equals("1\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(admin(c, 0, "KVS.LINK.BLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.BLOCK 0")).isEqualTo("OK\nOK\n");

      assertThat(cli(c, 0, "ZINCRBY", "board", "5", "ann")).isEqualTo("15\n");
      assertThat(cli(c, 1, "ZINCRBY", "board", "7", "ann")).isEqualTo("17\n");
      assertThat(cli(c, 0, "ZADD", "board", "25", "bob")).isEqualTo("0\n");
      assertThat(cli(c, 1, "ZREM", "board", "bob")).isEqualTo("1\n");
      assertThat(cli(c, 0, "DEL", "old")).isEqualTo("1\n");
      assertThat(cli(c, 1, "ZADD", "old", "2", "y")).isEqualTo("1\n");

      assertThat(admin(c, 0, "KVS.LINK.UNBLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.UNBLOCK 0",
          "KVS.LINK.CONNECT 0 " + ClusterProcess.HOST + " " + c.port(0)))
          .isEqualTo("OK\nOK\nOK\n");
      for (int server = 0; server < 2; server++) {
        int s = server;
        ClusterProcess.await("server " + s + " holds the merged sorted sets", 30_000, () -> {
          try {
            return cli(c, s, "ZRANGE", "board", "0", "-1", "WITHSCORES")
                    .equals("ann\n22\nbob\n25\n")
                && cli(c, s, "ZRANGE", "old", "0", "-1", "WITHSCORES").equals("y\n2\n");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
      }
      assertThat(cli(c, 1, "TYPE", "board")).isEqualTo("zset\n");
      assertThat(cli(c, 1, "ZSCORE", "board", "ann")).isEqualTo("22\n");
      assertThat(cli(c, 0, "ZRANGE", "board", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0",
          "1")).isEqualTo("bob\n");
    }
  }
}
