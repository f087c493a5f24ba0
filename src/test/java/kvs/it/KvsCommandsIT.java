package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./kvs cluster} as SPEC section 2 defines it, and the {@code ./kvs cli} shell. */
class KvsCommandsIT {
  private static final String KVS = MasterRun.REPO.resolve("kvs").toString();

  private static Tool kvsCli(ClusterProcess c, int server, String stdin, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(KVS, "cli", "-p", Integer.toString(c.port(server))));
    cmd.addAll(List.of(args));
    return Tool.run(cmd, stdin, 60);
  }

  @Test
  void clusterServesOnConsecutivePortsAndStopsOnSigterm() throws Exception {
    ClusterProcess c = ClusterProcess.start(3);
    Path dataRoot;
    List<ProcessHandle> servers;
    try {
      String ready = c.stdout.get(c.stdout.size() - 1);
      assertThat(ready).contains("ready", "3 server(s)",
          "ports " + c.port(0) + "-" + c.port(2), "(removed at exit)");
      Matcher m = Pattern.compile("data in (\\S+) ").matcher(ready);
      assertThat(m.find()).isTrue();
      dataRoot = Path.of(m.group(1));
      assertThat(dataRoot).isDirectory();
      servers = c.process.toHandle().children().toList();
      assertThat(servers).hasSize(3);

      // Fully connected: a write on any server reaches both others.
      for (int i = 0; i < 3; i++) {
        Tool t = kvsCli(c, i, "", "SET", "from:" + i, "v" + i);
        assertThat(t.stdout()).as(t.toString()).isEqualTo("OK\n");
      }
      for (int i = 0; i < 3; i++) {
        int server = i;
        ClusterProcess.await("server " + i + " holds every write", 20_000, () -> {
          try {
            return kvsCli(c, server, "", "MGET", "from:0", "from:1", "from:2").stdout()
                .equals("v0\nv1\nv2\n");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
      }
    } finally {
      c.close(); // SIGTERM; asserts the cluster and its servers exit
    }
    for (ProcessHandle s : servers) assertThat(s.isAlive()).isFalse();
    assertThat(dataRoot).doesNotExist();
    assertThat(c.process.exitValue()).isIn(0, 143); // 143: ended by SIGTERM
  }

  @Test
  void dataDirIsKeptAndARestartRecoversIt(@TempDir Path dir) throws Exception {
    ClusterProcess c = ClusterProcess.start(2, "--data-dir", dir.toString());
    try {
      assertThat(kvsCli(c, 0, "", "SET", "durable", "yes").stdout()).isEqualTo("OK\n");
      ClusterProcess.await("server 1 holds the write", 20_000, () -> {
        try {
          return kvsCli(c, 1, "", "GET", "durable").stdout().equals("yes\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
    } finally {
      c.close();
    }
    assertThat(dir.resolve("server-0")).isDirectory();
    assertThat(dir.resolve("server-1")).isDirectory();
    ClusterProcess again = ClusterProcess.start(2, "--data-dir", dir.toString());
    try {
      for (int i = 0; i < 2; i++) {
        Tool t = kvsCli(again, i, "", "GET", "durable");
        assertThat(t.stdout()).as(t.toString()).isEqualTo("yes\n");
      }
    } finally {
      again.close();
    }
    // SIGTERM stops the servers cleanly: a restart is not counted as one after a crash (which
    // would add a dead incarnation to the vectors at every Ctrl-C).
    for (int i = 0; i < 2; i++) {
      assertThat(Files.readString(dir.resolve("logs/server-" + i + ".log")))
          .doesNotContain("did not stop cleanly");
    }
  }

  @Test
  void clusterStopsWhenItsStandardInputEnds() throws Exception {
    ClusterProcess c = ClusterProcess.start(1);
    List<ProcessHandle> servers = c.process.toHandle().children().toList();
    c.process.getOutputStream().close();
    assertThat(c.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle s : servers) s.onExit().get(30, TimeUnit.SECONDS);
    c.close();
  }

  @Test
  void badOptionsAndATakenPortAreReported() throws Exception {
    Tool t = Tool.run(KVS, "cluster", "--servers", "0", "--port", "7000");
    assertThat(t.exitCode()).isEqualTo(2);
    assertThat(t.stderr()).contains("--servers must be in 1..");
    t = Tool.run(KVS, "cluster", "--servers", "2", "--port", "65535");
    assertThat(t.exitCode()).isEqualTo(2);
    assertThat(t.stderr()).contains("--port must be in 1..65534");
    t = Tool.run(KVS, "cluster", "--servers", "2");
    assertThat(t.exitCode()).isEqualTo(2);
    assertThat(t.stderr()).contains("--port");

    int port = ClusterProcess.freePorts(2);
    try (ServerSocket taken = new ServerSocket(port + 1, 1, InetAddress.getByName("127.0.0.1"))) {
      t = Tool.run(List.of(KVS, "cluster", "--servers", "2", "--port", Integer.toString(port)),
          "", 120);
      assertThat(t.exitCode()).as(t.toString()).isEqualTo(1);
      assertThat(t.stderr()).contains("server 1", "cannot listen on 127.0.0.1:" + (port + 1));
      assertThat(t.stdout()).doesNotContain("ready");
    }
    // The server that did start was stopped with the cluster: its port is free again.
    assertThat(ClusterProcess.isFree(port)).isTrue();
  }

  @Test
  void kvsCliOneShotPipedAndInteractive() throws Exception {
    ClusterProcess c = ClusterProcess.start(1);
    try {
      Tool t = kvsCli(c, 0, "", "SET", "cli:k", "two words");
      assertThat(t.exitCode()).isZero();
      assertThat(t.stdout()).isEqualTo("OK\n");
      assertThat(kvsCli(c, 0, "", "MGET", "cli:k", "cli:nope").stdout()).isEqualTo("two words\n\n");
      assertThat(kvsCli(c, 0, "", "--no-raw", "MGET", "cli:k", "cli:nope").stdout())
          .isEqualTo("1) \"two words\"\n2) (nil)\n");
      assertThat(kvsCli(c, 0, "", "EXISTS", "cli:k").stdout()).isEqualTo("1\n");
      assertThat(kvsCli(c, 0, "", "KVS.SESSION").stdout()).startsWith("kvs2-");
      t = kvsCli(c, 0, "", "NOSUCH", "x");
      assertThat(t.exitCode()).isEqualTo(1);
      assertThat(t.stdout()).startsWith("ERR unknown command 'NOSUCH', with args beginning with: 'x'");

      // Piped: one command a line, quotes and escapes as redis-cli reads them.
      t = kvsCli(c, 0, "SET cli:q \"a\\tb\\x41\"\nGET cli:q\nSET cli:s 'it''s'\nDBSIZE\n");
      assertThat(t.exitCode()).as(t.toString()).isEqualTo(1); // 'it''s' is not one argument
      assertThat(t.stdout()).isEqualTo("OK\na\tbA\nInvalid argument(s)\n2\n");

      // HELLO 3 would make the server answer in RESP3, which the shell does not read: it is
      // refused, and the connection (with its session) stays as it was.
      t = kvsCli(c, 0, "GET cli:k\nKVS.SESSION\nHELLO 3\nKVS.SESSION\nHELLO\n");
      assertThat(t.exitCode()).as(t.toString()).isEqualTo(1);
      String[] lines = t.stdout().split("\n");
      assertThat(lines[2]).as(t.toString()).startsWith("ERR kvs cli speaks RESP2 only");
      assertThat(lines[3]).as("the session is kept").isEqualTo(lines[1]);
      assertThat(t.stdout()).contains("proto\n2\n");

      // On a terminal: a prompt and redis-cli's formatting.
      Tool.require(Tool.onPath("script"), "script (bsdutils/util-linux) is not installed, for"
          + " the pseudo-terminal part");
      String prompt = "127.0.0.1:" + c.port(0) + "> ";
      try (PtySession tty = new PtySession(KVS + " cli -p " + c.port(0))) {
        tty.expectPrompt(prompt).type("GET cli:k").expect("\"two words\"").expectPrompt(prompt);
        tty.type("SCAN 0 MATCH cli:* COUNT 100")
            .expect("1) \"0\"\n2) 1) \"cli:k\"\n   2) \"cli:q\"").expectPrompt(prompt);
        tty.type("DBSIZE").expect("(integer) 2").expectPrompt(prompt);
        tty.type("quit");
        assertThat(tty.waitFor()).isZero();
      }
    } finally {
      c.close();
    }
    Tool t = Tool.run(List.of(KVS, "cli", "-p", Integer.toString(ClusterProcess.freePorts(1)),
        "PING"), "", 60);
    assertThat(t.exitCode()).isEqualTo(1);
    assertThat(t.stdout()).contains("Could not connect to 127.0.0.1:");
  }
}
