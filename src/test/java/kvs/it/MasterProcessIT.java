package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole-process behaviour of ./master and ./kvs that scripts with inline answers cannot show. */
class MasterProcessIT {

  @Test
  void oneMebibyteValueGoesThroughAndReplicates() throws Exception {
    byte[] value = new byte[1 << 20];
    for (int i = 0; i < value.length; i++) value[i] = (byte) ('!' + i % 94); // printable, no space
    ByteArrayOutputStream script = new ByteArrayOutputStream();
    script.write("joinServer 0\njoinServer 1\njoinClient 5 0\njoinClient 6 1\nput 5 big ".getBytes());
    script.write(value);
    script.write("\nstabilize\nget 6 big\n".getBytes());
    MasterRun run = MasterRun.run(script.toByteArray());
    assertThat(run.exitCode).as(run.stderr).isZero();
    byte[] expected = concat("big:".getBytes(), value, "\n".getBytes());
    assertThat(Arrays.equals(run.stdout, expected)).as("stdout is big:<the 1 MiB value>").isTrue();
  }

  /**
   * printStore of a store larger than a KVS.DUMP page: the master asks page after page and
   * prints every key once, in key order, tombstones left out.
   */
  @Test
  void printStoreOfManyPagesPrintsEveryKeyOnceInOrder() throws Exception {
    StringBuilder script = new StringBuilder("joinServer 0\njoinServer 1\njoinClient 5 0\n");
    List<String> expected = new java.util.ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      String k = String.format("k%05d", i);
      script.append("put 5 ").append(k).append(" v").append(i).append('\n');
      if (i % 5 == 0) {
        script.append("delete 5 ").append(k).append('\n');
      } else {
        expected.add(k + ":v" + i);
      }
    }
    script.append("stabilize\nprintStore 1\n");
    MasterRun run = MasterRun.run(script.toString().getBytes(StandardCharsets.US_ASCII));
    assertThat(run.exitCode).as(run.stderr).isZero();
    assertThat(run.stdoutLines()).containsExactlyElementsOf(expected);
  }

  @Test
  void statsLineIsJsonWithEveryCommandKind() throws Exception {
    MasterRun run = MasterRun.run(("joinServer 0\njoinClient 5 0\nput 5 a 1\nget 5 a\n"
        + "get 5 nope\nstabilize\nbogus\n").getBytes(), "--stats");
    assertThat(run.exitCode).isEqualTo(1);
    assertThat(run.stdoutLines()).containsExactly("a:1", "nope:ERR_KEY");
    String[] lines = run.stderr.strip().split("\n");
    String last = lines[lines.length - 1];
    assertThat(last).startsWith("{").endsWith("}")
        .contains("\"commands\": 7", "\"errors\": 1", "\"seconds\":", "\"by_command\":")
        .contains("\"put\": {\"count\": 1", "\"get\": {\"count\": 2", "\"joinServer\": {\"count\": 1")
        .contains("\"p50_ms\":", "\"p99_ms\":", "\"max_ms\":", "\"total_ms\":");
  }

  @Test
  void noChildOutlivesAKilledMaster() throws Exception {
    Process master = new ProcessBuilder(MasterRun.REPO.resolve("master").toString())
        .directory(MasterRun.REPO.toFile()).start();
    OutputStream in = master.getOutputStream();
    // printStore answers only after both servers and the client are up: then the children exist.
    in.write("joinServer 0\njoinServer 1\njoinClient 5 0\nput 5 k v\nprintStore 0\n".getBytes());
    in.flush();
    java.io.BufferedReader out = new java.io.BufferedReader(
        new java.io.InputStreamReader(master.getInputStream(), StandardCharsets.UTF_8));
    String answer = lineWithin(out);
    assertThat(answer).as(() -> {
      try {
        return new String(master.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    }).isEqualTo("k:v");
    List<ProcessHandle> children = master.toHandle().descendants()
        .filter(h -> h.info().commandLine().orElse("").contains("kvs.cli.Main")).toList();
    assertThat(children).as("two servers and one client").hasSizeGreaterThanOrEqualTo(3);
    master.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertThat(master.waitFor(30, TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle child : children) {
      child.onExit().get(30, TimeUnit.SECONDS); // throws TimeoutException if it lingers
      assertThat(child.isAlive()).as("child %s of the killed master", child.pid()).isFalse();
    }
    in.close();
  }

  /**
   * A server that dies on its own (here SIGKILL from outside the master, as a crash would) is not
   * running any more: joinServer restarts it with its data and its client reconnects, instead of
   * answering "server 0 is already running" for a process that is gone.
   */
  @Test
  void joinServerRestartsAServerThatDiedOnItsOwn() throws Exception {
    Process master = new ProcessBuilder(MasterRun.REPO.resolve("master").toString())
        .directory(MasterRun.REPO.toFile()).start();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return master.getErrorStream().readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    OutputStream in = master.getOutputStream();
    in.write("joinServer 0\njoinServer 1\njoinClient 5 0\nput 5 k v\nprintStore 0\n".getBytes());
    in.flush();
    java.io.BufferedReader out = new java.io.BufferedReader(
        new java.io.InputStreamReader(master.getInputStream(), StandardCharsets.UTF_8));
    String answer = lineWithin(out);
    assertThat(answer).isEqualTo("k:v");
    List<ProcessHandle> server0 = master.toHandle().descendants()
        .filter(h -> h.info().commandLine().orElse("").matches(".*kvs\\.cli\\.Main server .*--id 0 .*"))
        .toList();
    assertThat(server0).hasSize(1);
    server0.get(0).destroyForcibly();
    server0.get(0).onExit().get(30, TimeUnit.SECONDS);
    in.write("joinServer 0\nget 5 k\nprintStore 0\n".getBytes());
    in.close();
    assertThat(master.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String stderr = new String(err.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    assertThat(master.exitValue()).as(stderr).isZero();
    assertThat(out.lines().toList()).containsExactly("k:v", "k:v");
  }

  @Test
  void serverRefusesCorruptDataDirectory(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("d");
    Files.createDirectories(data);
    Files.writeString(data.resolve("CURRENT"), "garbage-manifest\n");
    Files.write(data.resolve("MANIFEST-000001"), new byte[] {1, 2, 3, 4, 5});
    Process p = kvs("server", "--id", "0", "--data-dir", data.toString());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(err).isEqualTo(2);
    assertThat(err).contains("server 0: cannot start").contains(data.toString());
    assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .doesNotContain("READY");
  }

  @Test
  void serverRefusesAnotherServersDataDirectory(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("d");
    Process first = kvs("server", "--id", "0", "--data-dir", data.toString(), "--exit-on-stdin-eof");
    assertThat(new String(first.getInputStream().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("READY ");
    first.getOutputStream().close();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Process second = kvs("server", "--id", "1", "--data-dir", data.toString());
    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(second.exitValue()).as(err).isEqualTo(2);
    assertThat(err).contains("belongs to server 0");
  }

  @Test
  void badServerOptionsAreRejectedWithUsage() throws Exception {
    Process p = kvs("server", "--id", "-3", "--data-dir", "x");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err).contains("--id must be >= 0");
  }

  /**
   * A path that cannot be used (a device where a directory is wanted, a missing script, a host
   * name that does not resolve) is the user's mistake: one line on standard error naming it,
   * exit status 2, never a Java stack trace.
   */
  @Test
  void unusablePathsAndHostsAreOneLineErrors(@TempDir Path dir) throws Exception {
    String kvs = MasterRun.REPO.resolve("kvs").toString();
    String master = MasterRun.REPO.resolve("master").toString();
    String missing = dir.resolve("nosuchfile").toString();
    List<List<String>> cases = List.of(
        List.of(master, "--data-dir", "/dev/null"),
        List.of(master, missing),
        List.of(master, dir.toString()),
        List.of(master, "--data-dir", "/dev/null/x"),
        List.of(kvs, "cluster", "--servers", "1", "--port", "7000", "--data-dir", "/dev/null/x"),
        List.of(kvs, "server", "--id", "0", "--data-dir", dir.resolve("d").toString(),
            "--host", "nosuchhost.invalid"),
        List.of(kvs, "server", "--id", "0", "--data-dir", dir.resolve("d").toString(),
            "--requirepass-file", missing));
    for (List<String> cmd : cases) {
      Tool t = Tool.run(cmd, "joinServer 0\n", 60);
      List<String> lines = t.stderr().lines().toList();
      assertThat(t.exitCode()).as("%s: %s", cmd, t).isEqualTo(2);
      assertThat(t.stderr()).as("%s", cmd).doesNotContain("Exception", "\tat ");
      assertThat(lines).as("%s", cmd).isNotEmpty();
      assertThat(lines.get(0)).as("%s", cmd)
          .containsAnyOf("/dev/null", "nosuchfile", dir.toString(), "nosuchhost.invalid");
      if (!cmd.contains("--requirepass-file")) { // option errors add picocli's usage
        assertThat(lines).as("%s", cmd).hasSize(1);
      }
    }
    assertThat(Tool.run(master, "--data-dir", "/dev/null").stderr())
        .isEqualTo("kvs master: --data-dir /dev/null: exists and is not a directory\n");
    assertThat(Tool.run(master, missing).stderr())
        .isEqualTo("kvs master: cannot read the script " + missing + ": no such file or directory\n");
  }

  private static Process kvs(String... args) throws IOException {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(MasterRun.REPO.resolve("kvs").toString());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile()).start();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }

  /** The next line of {@code out}, within two minutes. */
  private static String lineWithin(java.io.BufferedReader out) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).get(120, TimeUnit.SECONDS);
  }
}
