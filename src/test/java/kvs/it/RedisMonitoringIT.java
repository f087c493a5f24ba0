package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What redis-cli's monitoring modes read, against a real {@code ./kvs cluster}: {@code --stat}
 * (INFO's keys, memory, clients, commands and connections), {@code --bigkeys} (SCAN, TYPE,
 * STRLEN), {@code --memkeys} (MEMORY USAGE) and {@code --scan}; and the string and keyspace
 * commands one-shot, their writes reaching the other server (FLUSHALL's replication is in
 * StringKeyCommandsTest: a flush here would race the other tests' keys).
 */
class RedisMonitoringIT {
  private static ClusterProcess cluster;

  @BeforeAll
  static void start() throws Exception {
    Tool.requireOnPath("redis-cli", "stdbuf");
    cluster = ClusterProcess.start(2);
    List<String> cmd = new ArrayList<>(List.of("MSET"));
    for (int i = 0; i < 50; i++) {
      cmd.add("mon:" + i);
      cmd.add("x".repeat(i + 1));
    }
    assertThat(cli(0, cmd.toArray(String[]::new))).isEqualTo("OK\n");
    // scanListsEveryKey reads server 1, and may run first: on a loaded machine the MSET can
    // reach it after that test's redis-cli started.
    ClusterProcess.await("server 1 holds the 50 keys", 30_000, () -> {
      try {
        return cli(1, "DBSIZE").equals("50\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  private static String cli(int server, String... args) throws Exception {
    return cluster.redisCli(server, "", 60, args);
  }

  @Test
  void statShowsNumbersInEveryColumn() throws Exception {
    // --stat runs until stopped: read a few lines (line-buffered through stdbuf), then stop it.
    Process p = new ProcessBuilder("stdbuf", "-oL", "redis-cli", "-p",
        Integer.toString(cluster.port(0)), "--stat", "-i", "0.2").redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (lines.size() < 5 && (line = r.readLine()) != null) lines.add(line);
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(lines).as(String.join("\n", lines)).hasSize(5);
    assertThat(lines.get(0)).contains("data", "load");
    assertThat(lines.get(1)).contains("keys", "mem", "clients", "requests", "connections");
    for (String row : lines.subList(2, 5)) {
      assertThat(row).as(String.join("\n", lines)).doesNotContain("-9223372036854775808");
      String[] cols = row.trim().split("\\s+");
      assertThat(Long.parseLong(cols[0])).as(row).isGreaterThanOrEqualTo(50); // keys
      assertThat(cols[1]).as(row).matches("[0-9.]+[BKMG]"); // memory, human-readable
      assertThat(Long.parseLong(cols[2])).as(row).isPositive(); // clients
      assertThat(Long.parseLong(cols[4])).as(row).isPositive(); // requests
    }
  }

  @Test
  void bigkeysAndMemkeysFindTheBiggestString() throws Exception {
    String big = cli(0, "--bigkeys");
    assertThat(big).doesNotContain("failed").contains("Biggest string found '\"mon:49\"' has 50"
        + " bytes");
    String mem = cli(0, "--memkeys");
    assertThat(mem).doesNotContain("failed").contains("Biggest string found '\"mon:49\"' has");
    assertThat(mem).doesNotContain("has 0 bytes");
  }

  @Test
  void scanListsEveryKey() throws Exception {
    String keys = cli(1, "--scan", "--pattern", "mon:*");
    assertThat(keys.split("\n")).hasSize(50).contains("mon:0", "mon:49");
  }

  @Test
  void stringAndKeyCommandsOneShotReachThePeer() throws Exception {
    assertThat(cli(0, "SET", "it:s", "abc")).isEqualTo("OK\n");
    assertThat(cli(0, "APPEND", "it:s", "def")).isEqualTo("6\n");
    assertThat(cli(0, "STRLEN", "it:s")).isEqualTo("6\n");
    assertThat(cli(0, "GETRANGE", "it:s", "1", "3")).isEqualTo("bcd\n");
    assertThat(cli(0, "RENAME", "it:s", "it:t")).isEqualTo("OK\n");
    assertThat(cli(0, "RENAME", "it:nope", "it:x")).startsWith("ERR no such key");
    assertThat(cli(0, "COPY", "it:t", "it:u")).isEqualTo("1\n");
    assertThat(cli(0, "KEYS", "it:*")).isEqualTo("it:t\nit:u\n");
    assertThat(cli(0, "TIME").split("\n")).hasSize(2);
    assertThat(cli(0, "INFO", "keyspace")).contains("db0:keys=");
    ClusterProcess.await("server 1 has it:u", 10_000, () -> {
      try {
        return cli(1, "GET", "it:u").equals("abcdef\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }
}
