package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Hashes across real server processes with redis-cli: two servers cut apart with
 * KVS.LINK.BLOCK, each sets other fields of one hash, one deletes a hash the other adds a field
 * to, and after the heal both servers hold every field.
 */
class HashesIT {
  private static String cli(ClusterProcess c, int server, String stdin, String... args)
      throws Exception {
    return c.redisCli(server, stdin, 30, args);
  }

  private static String admin(ClusterProcess c, int server, String... commands) throws Exception {
    return c.redisCliAdmin(server, commands);
  }

  @Test
  void fieldsSetOnBothSidesOfACutAllSurvive() throws Exception {
    Tool.requireOnPath("redis-cli"); // apt-get install redis-tools
    try (ClusterProcess c = ClusterProcess.start(2)) {
      assertThat(cli(c, 0, "", "HSET", "user:1", "name", "ann")).isEqualTo("1\n");
      assertThat(cli(c, 0, "", "HSET", "cart:1", "apples", "2")).isEqualTo("1\n");
      ClusterProcess.await("server 1 has both hashes", 20_000, () -> {
        try {
          return cli(c, 1, "", "HGET", "user:1", "name").equals("ann\n")
              && cli(c, 1, "", "HGET", "cart:1", "apples").equals("2\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(admin(c, 0, "KVS.LINK.BLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.BLOCK 0")).isEqualTo("OK\nOK\n");

      assertThat(cli(c, 0, "", "HSET", "user:1", "email", "ann@example.org")).isEqualTo("1\n");
      assertThat(cli(c, 1, "", "HSET", "user:1", "city", "Oslo")).isEqualTo("1\n");
      assertThat(cli(c, 0, "", "DEL", "cart:1")).isEqualTo("1\n");
      assertThat(cli(c, 1, "", "HSET", "cart:1", "pears", "3")).isEqualTo("1\n");

      assertThat(admin(c, 0, "KVS.LINK.UNBLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.UNBLOCK 0",
          "KVS.LINK.CONNECT 0 " + ClusterProcess.HOST + " " + c.port(0)))
          .isEqualTo("OK\nOK\nOK\n");
      for (int server = 0; server < 2; server++) {
        int s = server;
        ClusterProcess.await("server " + s + " holds the merged hashes", 30_000, () -> {
          try {
            return cli(c, s, "", "HGETALL", "user:1")
                .equals("city\nOslo\nemail\nann@example.org\nname\nann\n")
                && cli(c, s, "", "HGETALL", "cart:1").equals("pears\n3\n");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
      }
      assertThat(cli(c, 1, "", "TYPE", "user:1")).isEqualTo("hash\n");
      assertThat(cli(c, 1, "", "HLEN", "user:1")).isEqualTo("3\n");
    }
  }
}
