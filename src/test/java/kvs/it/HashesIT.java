package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Hashes across real server processes with redis-cli: two servers cut apart with
 * KVS.LINK.BLOCK, each sets other fields of one hash, one deletes a hash the other adds a field
 * to, and after the heal both servers hold every field; each side increments one field
 * (README's example) and both count; HSCAN pages through a large hash with redis-cli, cursor by
 * cursor, as a client loop does.
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

  /**
   * The elements {@code cmd} (HSCAN or SSCAN) returns for {@code key}, called through redis-cli
   * from cursor 0 until the cursor is 0 again, COUNT 10, as a client loop does; asserts it took
   * at least {@code callsMin} calls (it pages) and returned no element twice.
   */
  static java.util.Set<String> scanWithRedisCli(ClusterProcess c, int server, String cmd,
      String key, int callsMin) throws Exception {
    java.util.Set<String> out = new java.util.TreeSet<>();
    String cursor = "0";
    int calls = 0;
    int step = cmd.equals("HSCAN") ? 2 : 1;
    do {
      String[] lines = c.redisCli(server, "", 30, cmd, key, cursor, "COUNT", "10").split("\n");
      cursor = lines[0];
      for (int i = 1; i < lines.length; i += step) {
        assertThat(out.add(lines[i])).as("%s returned %s twice", cmd, lines[i]).isTrue();
      }
      calls++;
      assertThat(calls).isLessThan(10_000);
    } while (!cursor.equals("0"));
    assertThat(calls).as("calls").isGreaterThanOrEqualTo(callsMin);
    return out;
  }

  @Test
  void incrementsOnBothSidesOfACutBothCountAndHscanPages() throws Exception {
    Tool.requireOnPath("redis-cli");
    try (ClusterProcess c = ClusterProcess.start(2)) {
      assertThat(cli(c, 0, "", "HINCRBY", "user:1", "visits", "1")).isEqualTo("1\n");
      ClusterProcess.await("server 1 has the field", 20_000, () -> {
        try {
          return cli(c, 1, "", "HGET", "user:1", "visits").equals("1\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(admin(c, 0, "KVS.LINK.BLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.BLOCK 0")).isEqualTo("OK\nOK\n");
      assertThat(cli(c, 0, "", "HINCRBY", "user:1", "visits", "5")).isEqualTo("6\n");
      assertThat(cli(c, 1, "", "HINCRBY", "user:1", "visits", "5")).isEqualTo("6\n");
      assertThat(admin(c, 0, "KVS.LINK.UNBLOCK 1")).isEqualTo("OK\nOK\n");
      assertThat(admin(c, 1, "KVS.LINK.UNBLOCK 0",
          "KVS.LINK.CONNECT 0 " + ClusterProcess.HOST + " " + c.port(0)))
          .isEqualTo("OK\nOK\nOK\n");
      for (int server = 0; server < 2; server++) {
        int s = server;
        ClusterProcess.await("server " + s + " counts both increments", 30_000, () -> {
          try {
            return cli(c, s, "", "HGET", "user:1", "visits").equals("11\n");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
      }
      // 1,000 fields, set through redis-cli's stdin, then paged through 10 at a time
      StringBuilder stdin = new StringBuilder();
      java.util.Set<String> fields = new java.util.TreeSet<>();
      for (int line = 0; line < 10; line++) {
        stdin.append("HSET big");
        for (int i = 0; i < 100; i++) {
          String f = String.format("f%04d", line * 100 + i);
          fields.add(f);
          stdin.append(' ').append(f).append(" v");
        }
        stdin.append('\n');
      }
      assertThat(cli(c, 0, stdin.toString())).isEqualTo("100\n".repeat(10));
      assertThat(scanWithRedisCli(c, 0, "HSCAN", "big", 100)).isEqualTo(fields);
      assertThat(cli(c, 0, "", "HSCAN", "big", "0", "COUNT", "3", "NOVALUES"))
          .matches("[1-9][0-9]*\nf0000\nf0001\nf0002\n");
    }
  }
}
