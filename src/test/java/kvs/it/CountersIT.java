package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Counters across real server processes, as README.md's "Counters that merge" example runs them
 * with redis-cli: two servers cut apart with KVS.LINK.BLOCK, each increments, a DEL on one side
 * and an increment on the other, a counter made on both sides at once; after the heal both
 * servers hold the merged result.
 */
class CountersIT {
  private static String cli(ClusterProcess c, int server, String stdin, String... args)
      throws Exception {
    return c.redisCli(server, stdin, 30, args);
  }

  private static String admin(ClusterProcess c, int server, String... commands) throws Exception {
    return c.redisCliAdmin(server, commands);
  }

  @Test
  void incrementsOnBothSidesOfACutAddUpAfterTheHeal() throws Exception {
    Tool.requireOnPath("redis-cli"); // apt-get install redis-tools
    try (ClusterProcess c = ClusterProcess.start(2)) {
      assertThat(cli(c, 0, "", "INCRBY", "hits", "1")).isEqualTo("1\n");
      assertThat(cli(c, 0, "", "INCRBY", "gone", "3")).isEqualTo("3\n");
      ClusterProcess.await("server 1 has both counters", 20_000, () -> {
        try {
          return cli(c, 1, "", "MGET", "hits", "gone").equals("1\n3\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(admin(c, 0, "KVS.LINK.BLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.BLOCK 0")).isEqualTo("OK\nOK\n");

      assertThat(cli(c, 0, "", "INCRBY", "hits", "5")).isEqualTo("6\n");
      assertThat(cli(c, 1, "", "INCRBY", "hits", "5")).isEqualTo("6\n");
      assertThat(cli(c, 0, "", "DEL", "gone")).isEqualTo("1\n");
      assertThat(cli(c, 1, "", "INCRBY", "gone", "10")).isEqualTo("13\n");
      assertThat(cli(c, 0, "", "INCRBYFLOAT", "both", "0.25")).isEqualTo("0.25\n");
      assertThat(cli(c, 1, "", "INCRBY", "both", "2")).isEqualTo("2\n");

      assertThat(admin(c, 0, "KVS.LINK.UNBLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.UNBLOCK 0",
          "KVS.LINK.CONNECT 0 " + ClusterProcess.HOST + " " + c.port(0)))
          .isEqualTo("OK\nOK\nOK\n");
      for (int server = 0; server < 2; server++) {
        int s = server;
        ClusterProcess.await("server " + s + " holds the merged counters", 30_000, () -> {
          try {
            return cli(c, s, "", "MGET", "hits", "gone", "both").equals("11\n10\n2.25\n");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
      }
      assertThat(cli(c, 1, "", "TYPE", "hits")).isEqualTo("string\n");
      assertThat(cli(c, 1, "", "DBSIZE")).isEqualTo("3\n");
    }
  }
}
