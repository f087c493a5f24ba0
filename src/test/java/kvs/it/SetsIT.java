package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Sets across real server processes with redis-cli, README's example: two servers cut apart
 * with KVS.LINK.BLOCK, one adds a member again while the other removes it (later by the clock),
 * one deletes a set the other adds a member to; after the heal the adds the removes had not seen
 * are there on both servers. SSCAN pages through a large set with redis-cli, cursor by cursor.
 */
class SetsIT {
  private static String cli(ClusterProcess c, int server, String stdin, String... args)
      throws Exception {
    return c.redisCli(server, stdin, 30, args);
  }

  private static String admin(ClusterProcess c, int server, String... commands) throws Exception {
    return c.redisCliAdmin(server, commands);
  }

  @Test
  void addsTheRemovesHadNotSeenSurviveTheHeal() throws Exception {
    Tool.requireOnPath("redis-cli"); // apt-get install redis-tools
    try (ClusterProcess c = ClusterProcess.start(2)) {
      assertThat(cli(c, 0, "", "SADD", "tags", "red", "green")).isEqualTo("2\n");
      assertThat(cli(c, 0, "", "SADD", "cart", "apples")).isEqualTo("1\n");
      ClusterProcess.await("server 1 has both sets", 20_000, () -> {
        try {
          return cli(c, 1, "", "SCARD", "tags").equals("2\n")
              && cli(c, 1, "", "SCARD", "cart").equals("1\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(admin(c, 0, "KVS.LINK.BLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.BLOCK 0")).isEqualTo("OK\nOK\n");

      assertThat(cli(c, 0, "", "SADD", "tags", "red")).isEqualTo("0\n");
      assertThat(cli(c, 1, "", "SREM", "tags", "red", "green")).isEqualTo("2\n");
      assertThat(cli(c, 0, "", "DEL", "cart")).isEqualTo("1\n");
      assertThat(cli(c, 1, "", "SADD", "cart", "pears")).isEqualTo("1\n");

      assertThat(admin(c, 0, "KVS.LINK.UNBLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.UNBLOCK 0",
          "KVS.LINK.CONNECT 0 " + ClusterProcess.HOST + " " + c.port(0)))
          .isEqualTo("OK\nOK\nOK\n");
      for (int server = 0; server < 2; server++) {
        int s = server;
        ClusterProcess.await("server " + s + " holds the merged sets", 30_000, () -> {
          try {
            return cli(c, s, "", "SMEMBERS", "tags").equals("red\n")
                && cli(c, s, "", "SMEMBERS", "cart").equals("pears\n");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
      }
      assertThat(cli(c, 1, "", "TYPE", "tags")).isEqualTo("set\n");
      assertThat(cli(c, 1, "", "SISMEMBER", "tags", "green")).isEqualTo("0\n");
      StringBuilder stdin = new StringBuilder();
      java.util.Set<String> members = new java.util.TreeSet<>();
      for (int line = 0; line < 10; line++) {
        stdin.append("SADD big");
        for (int i = 0; i < 100; i++) {
          String m = String.format("m%04d", line * 100 + i);
          members.add(m);
          stdin.append(' ').append(m);
        }
        stdin.append('\n');
      }
      assertThat(cli(c, 1, stdin.toString())).isEqualTo("100\n".repeat(10));
      assertThat(HashesIT.scanWithRedisCli(c, 1, "SSCAN", "big", 100)).isEqualTo(members);
    }
  }
}
