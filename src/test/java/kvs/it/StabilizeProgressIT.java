package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A stabilize that takes more than a second says on standard error what it waits for, about once
 * a second; a fast one prints nothing (SPEC section 10, progress).
 */
class StabilizeProgressIT {

  @Test
  void fastStabilizeKeepsStandardErrorEmpty() throws Exception {
    MasterRun run = MasterRun.run(("joinServer 0\njoinServer 1\njoinClient 5 0\nput 5 a 1\n"
        + "stabilize\njoinClient 5 1\nget 5 a\n").getBytes(StandardCharsets.US_ASCII));
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.stdoutLines()).containsExactly("a:1");
    // Only the launcher's note, if this run had to build the jar (mvn verify builds it first).
    assertThat(run.stderr.lines().filter(l -> !l.startsWith("kvs: building "))).isEmpty();
  }

  @Test
  void stabilizeWaitingForAStoppedServerReportsItAboutOnceASecond() throws Exception {
    Process master = new ProcessBuilder(MasterRun.REPO.resolve("master").toString())
        .directory(MasterRun.REPO.toFile()).start();
    // Standard error line by line, as it comes: the test waits for the first progress line.
    StringBuffer errSoFar = new StringBuffer();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(master.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) errSoFar.append(l).append('\n');
        return errSoFar.toString();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    ProcessHandle server1 = null;
    try {
      OutputStream in = master.getOutputStream();
      BufferedReader out = new BufferedReader(
          new InputStreamReader(master.getInputStream(), StandardCharsets.ISO_8859_1));
      in.write("joinServer 0\njoinServer 1\njoinClient 5 0\nput 5 a 1\nprintStore 0\n".getBytes());
      in.flush();
      assertThat(out.readLine()).isEqualTo("a:1");
      server1 = master.toHandle().descendants().filter(h -> {
        List<String> args = List.of(h.info().arguments().orElse(new String[0]));
        int i = args.indexOf("--id");
        return args.contains("server") && i >= 0 && i + 1 < args.size()
            && args.get(i + 1).equals("1");
      }).findFirst().orElseThrow(() -> new AssertionError("no process of server 1"));
      signal("STOP", server1);
      long stopped = System.nanoTime();
      in.write("put 5 b 2\nstabilize\nprintStore 1\n".getBytes());
      in.flush();
      // The stabilize waits for the stopped server meanwhile: until it has reported that at least
      // once (a loaded machine may start the stabilize late, after the put) and for 2.7 s.
      ClusterProcess.await("a progress line of the stabilize on standard error",
          60_000, () -> errSoFar.indexOf("stabilize: waiting ") >= 0);
      long left = TimeUnit.MILLISECONDS.toNanos(2_700) - (System.nanoTime() - stopped);
      if (left > 0) TimeUnit.NANOSECONDS.sleep(left); // the time the server stays stopped
      signal("CONT", server1);
      assertThat(out.readLine()).isEqualTo("a:1");
      assertThat(out.readLine()).isEqualTo("b:2");
      assertThat(System.nanoTime() - stopped).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(2_500));
      in.close();
      assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String stderr = err.get(10, TimeUnit.SECONDS);
      assertThat(master.exitValue()).as(stderr).isZero();
      List<String> lines = stderr.lines().filter(l -> !l.startsWith("kvs: building ")).toList();
      assertThat(lines).as(stderr).hasSizeBetween(1, 4)
          .allMatch(l -> l.startsWith("stabilize: waiting "));
      assertThat(lines.get(0)).as(stderr).matches("stabilize: waiting 1\\.\\d s for servers \\[1\\]"
          + " to report their state \\(not answering\\)");
    } finally {
      if (server1 != null && server1.isAlive()) signal("CONT", server1);
      master.destroy();
      master.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void signal(String sig, ProcessHandle p) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
    assertThat(kill.waitFor()).isZero();
  }
}
