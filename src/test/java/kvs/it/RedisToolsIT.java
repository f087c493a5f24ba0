package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * redis-cli (one-shot, piped and interactive on a pseudo-terminal) and redis-benchmark against a
 * real {@code ./kvs cluster}. Skipped, with a message, where redis-tools is not installed; CI
 * installs it and fails instead of skipping (.ci/run, {@link Tool#require}).
 */
class RedisToolsIT {
  private static ClusterProcess cluster;

  @BeforeAll
  static void start() throws Exception {
    Tool.requireOnPath("redis-cli", "redis-benchmark"); // apt-get install redis-tools
    cluster = ClusterProcess.start(2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  private static String cli(int server, String... args) throws Exception {
    return cluster.redisCli(server, "", 30, args);
  }

  @Test
  void oneShotCommands() throws Exception {
    assertThat(cli(0, "PING")).isEqualTo("PONG\n");
    assertThat(cli(0, "SET", "tools:greeting", "hello world")).isEqualTo("OK\n");
    assertThat(cli(0, "GET", "tools:greeting")).isEqualTo("hello world\n");
    assertThat(cli(0, "GET", "tools:absent")).isEqualTo("\n");
    assertThat(cli(0, "MSET", "tools:a", "1", "tools:b", "2")).isEqualTo("OK\n");
    assertThat(cli(0, "MGET", "tools:a", "tools:absent", "tools:b")).isEqualTo("1\n\n2\n");
    assertThat(cli(0, "EXISTS", "tools:a", "tools:b", "tools:absent")).isEqualTo("2\n");
    assertThat(cli(0, "DEL", "tools:b")).isEqualTo("1\n");
    assertThat(cli(0, "EXISTS", "tools:b")).isEqualTo("0\n");
    assertThat(Long.parseLong(cli(0, "DBSIZE").strip())).isGreaterThanOrEqualTo(2);
    assertThat(cli(0, "SCAN", "0", "MATCH", "tools:[ag]*", "COUNT", "1000"))
        .isEqualTo("0\ntools:a\ntools:greeting\n");
    assertThat(cli(0, "INFO", "server")).contains("# Server", "redis_version:");
    assertThat(cli(0, "LPUSH", "l", "m")).startsWith("ERR unknown command 'LPUSH'");
    // The write reached the other server.
    ClusterProcess.await("server 1 has tools:a", 10_000, () -> {
      try {
        return cli(1, "GET", "tools:a").equals("1\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void pipedCommands() throws Exception {
    Tool t = Tool.run(List.of("redis-cli", "-p", Integer.toString(cluster.port(1))),
        "SET tools:piped \"two words\"\nGET tools:piped\nMGET tools:piped tools:nope\nDBSIZE\n", 30);
    assertThat(t.exitCode()).as(t.toString()).isZero();
    assertThat(t.stdout()).startsWith("OK\ntwo words\ntwo words\n\n");
  }

  @Test
  void interactiveOnAPseudoTerminal() throws Exception {
    Tool.require(Tool.onPath("script"), "script (bsdutils/util-linux) is not installed, for"
        + " the pseudo-terminal test");
    String prompt = "127.0.0.1:" + cluster.port(0) + "> ";
    // On a terminal redis-cli starts interactive: it sends COMMAND DOCS for its help and hints,
    // shows a prompt, and formats replies with quotes and types.
    try (PtySession tty = new PtySession("redis-cli -p " + cluster.port(0))) {
      tty.expectPrompt(prompt).type("SET tools:tty v1").expect("OK").expectPrompt(prompt);
      tty.type("GET tools:tty").expect("\"v1\"").expectPrompt(prompt);
      tty.type("MGET tools:tty tools:nope").expect("1) \"v1\"\n2) (nil)").expectPrompt(prompt);
      tty.type("EXISTS tools:tty").expect("(integer) 1").expectPrompt(prompt);
      tty.type("HELP GET").expect("summary: Gets a key's value").expectPrompt(prompt);
      tty.type("NOSUCH x").expect("(error) ERR unknown command 'NOSUCH'").expectPrompt(prompt);
      tty.type("QUIT");
      assertThat(tty.waitFor()).isZero();
    }
  }

  @Test
  void benchmarkSetGetMsetFinishesWithoutErrors() throws Exception {
    Tool t = Tool.run(List.of("redis-benchmark", "-p", Integer.toString(cluster.port(0)),
        "-t", "set,get,mset", "-n", "1000", "-c", "4", "-q"), "", 120);
    String out = t.stdout().replace('\r', '\n');
    assertThat(t.exitCode()).as(t.toString()).isZero();
    assertThat(out).as(t.toString()).contains("SET: ", "GET: ", "MSET (10 keys): ")
        .contains("requests per second");
    assertThat(out + t.stderr()).as(t.toString()).doesNotContainIgnoringCase("error")
        .doesNotContainIgnoringCase("warning");
    assertThat(cli(0, "GET", "key:__rand_int__")).isEqualTo("VXK\n");
    for (String line : out.split("\n")) {
      if (line.contains("requests per second")) System.out.println("redis-benchmark: " + line.strip());
    }
  }

  /** redis-benchmark -t incr on both servers at once: every increment counts on both. */
  @Test
  void benchmarkIncrOnBothServersCountsEveryIncrement() throws Exception {
    List<Tool> runs = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int server = 0; server < 2; server++) {
      List<String> cmd = List.of("redis-benchmark", "-p", Integer.toString(cluster.port(server)),
          "-t", "incr", "-n", "2000", "-c", "4", "-q");
      Thread t = new Thread(() -> {
        try {
          runs.add(Tool.run(cmd, "", 120));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    assertThat(runs).hasSize(2);
    for (Tool t : runs) {
      String out = t.stdout().replace('\r', '\n');
      assertThat(t.exitCode()).as(t.toString()).isZero();
      assertThat(out).as(t.toString()).contains("INCR: ").contains("requests per second");
      assertThat(out + t.stderr()).as(t.toString()).doesNotContainIgnoringCase("error");
      for (String line : out.split("\n")) {
        if (line.contains("requests per second")) System.out.println("redis-benchmark: " + line.strip());
      }
    }
    // redis-benchmark -t incr increments the one key counter:__rand_int__ 2,000 times per run.
    for (int server = 0; server < 2; server++) {
      int s = server;
      ClusterProcess.await("server " + s + " counts all 4,000 increments", 20_000, () -> {
        try {
          return cli(s, "GET", "counter:__rand_int__").equals("4000\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
    }
    assertThat(cli(0, "TYPE", "counter:__rand_int__")).isEqualTo("string\n");
  }

  @Test
  void benchmarkSaddAndSpopFinishWithoutErrors() throws Exception {
    Tool t = Tool.run(List.of("redis-benchmark", "-p", Integer.toString(cluster.port(1)),
        "-t", "sadd,spop", "-n", "2000", "-c", "4", "-q"), "", 120);
    String out = t.stdout().replace('\r', '\n');
    assertThat(t.exitCode()).as(t.toString()).isZero();
    assertThat(out).as(t.toString()).contains("SADD: ").contains("SPOP: ")
        .contains("requests per second");
    assertThat(out + t.stderr()).as(t.toString()).doesNotContainIgnoringCase("error");
    for (String line : out.split("\n")) {
      if (line.contains("requests per second")) System.out.println("redis-benchmark: " + line.strip());
    }
    // redis-benchmark -t sadd adds element:__rand_int__ to myset 2,000 times (one member, as
    // the key pattern is not randomised without -r), then -t spop pops it: the set is gone.
    assertThat(cli(1, "EXISTS", "myset")).isEqualTo("0\n");
  }

  @Test
  void benchmarkZaddAndZpopminFinishWithoutErrors() throws Exception {
    Tool t = Tool.run(List.of("redis-benchmark", "-p", Integer.toString(cluster.port(1)),
        "-t", "zadd,zpopmin", "-n", "2000", "-c", "4", "-q"), "", 120);
    String out = t.stdout().replace('\r', '\n');
    assertThat(t.exitCode()).as(t.toString()).isZero();
    assertThat(out).as(t.toString()).contains("ZADD: ").contains("ZPOPMIN: ")
        .contains("requests per second");
    assertThat(out + t.stderr()).as(t.toString()).doesNotContainIgnoringCase("error");
    for (String line : out.split("\n")) {
      if (line.contains("requests per second")) System.out.println("redis-benchmark: " + line.strip());
    }
    // redis-benchmark -t zadd adds element:__rand_int__ with score 0 to myzset 2,000 times (one
    // member without -r), then -t zpopmin pops it: the sorted set is gone.
    assertThat(cli(1, "EXISTS", "myzset")).isEqualTo("0\n");
  }

  @Test
  void benchmarkHsetFinishesWithoutErrors() throws Exception {
    Tool t = Tool.run(List.of("redis-benchmark", "-p", Integer.toString(cluster.port(1)),
        "-t", "hset", "-n", "2000", "-c", "4", "-q"), "", 120);
    String out = t.stdout().replace('\r', '\n');
    assertThat(t.exitCode()).as(t.toString()).isZero();
    assertThat(out).as(t.toString()).contains("HSET: ").contains("requests per second");
    assertThat(out + t.stderr()).as(t.toString()).doesNotContainIgnoringCase("error");
    for (String line : out.split("\n")) {
      if (line.contains("requests per second")) System.out.println("redis-benchmark: " + line.strip());
    }
    // redis-benchmark -t hset sets field element:__rand_int__ of myhash to VXK
    assertThat(cli(1, "HGET", "myhash", "element:__rand_int__")).isEqualTo("VXK\n");
    assertThat(cli(1, "TYPE", "myhash")).isEqualTo("hash\n");
  }
}
