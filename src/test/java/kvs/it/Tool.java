package kvs.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One run of an external program (redis-cli, redis-benchmark, ./kvs cli) with its output. */
record Tool(int exitCode, String stdout, String stderr) {

  /** Runs {@code cmd} with {@code stdin} as its standard input; fails after {@code timeoutS}. */
  static Tool run(List<String> cmd, String stdin, long timeoutS) throws Exception {
    return run(new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile()), stdin, timeoutS);
  }

  /** As {@link #run(List, String, long)}, for a process set up by the caller (its environment). */
  static Tool run(ProcessBuilder pb, String stdin, long timeoutS) throws Exception {
    List<String> cmd = pb.command();
    Process p = pb.start();
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // the program ended without reading all of its input
    }
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish within " + timeoutS + " s; output so far: "
          + out.getNow("?"));
    }
    return new Tool(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
  }

  static Tool run(String... cmd) throws Exception {
    return run(List.of(cmd), "", 60);
  }

  private static CompletableFuture<String> drain(InputStream s) {
    // A thread of its own each: the common pool may have one thread on a small machine, and a
    // program blocked on a full stderr pipe would never close its stdout.
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        s.transferTo(b);
        f.complete(b.toString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        f.complete("(unreadable: " + e + ")");
      }
    }, "tool-output");
    t.setDaemon(true);
    t.start();
    return f;
  }

  /**
   * Whether a missing tool must fail a test rather than skip it: set in CI ({@code .ci/run}
   * exports {@code KVS_CI=1}; {@code -Dkvs.ci=true} does the same), where a test that skips is a
   * test that silently stopped running.
   */
  static boolean strict() {
    return "1".equals(System.getenv("KVS_CI")) || Boolean.getBoolean("kvs.ci");
  }

  /**
   * What a test needs from the machine (a program, root, a kernel feature): when
   * {@code present} is false the test is skipped with {@code what} as the reason, or, under
   * {@link #strict()}, fails with it. The one way tests here skip for a missing tool.
   */
  static void require(boolean present, String what) {
    if (!available(present, what)) {
      org.junit.jupiter.api.Assumptions.abort(what
          + "; skipped (with KVS_CI=1, as in .ci/run, this fails instead)");
    }
  }

  /** {@link #require} for programs on the PATH. */
  static void requireOnPath(String... programs) {
    for (String p : programs) {
      require(onPath(p), p + " is not installed (.ci/run installs it)");
    }
  }

  /**
   * For an optional part of a test: returns {@code present}, except that under {@link #strict()}
   * an absent tool fails the test with {@code what}, so the part never silently goes unchecked.
   */
  static boolean available(boolean present, String what) {
    if (!present && strict()) {
      throw new AssertionError("missing on this machine, and KVS_CI=1 forbids skipping: " + what);
    }
    return present;
  }

  /** Whether {@code program} is an executable on the PATH. */
  static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
  }
}
