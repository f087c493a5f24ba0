package kvs.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code kvs master --stats SCRIPT} and reads the statistics line it prints last. */
final class MasterRunner {
  /** One command kind of the statistics line. */
  record CommandStats(long count, double totalMs, double p50Ms, double p99Ms, double maxMs) {
    static final CommandStats NONE = new CommandStats(0, 0, 0, 0, 0);
  }

  /** A finished run: exit status, the statistics, and the first error lines of stderr. */
  record Result(int exitCode, long commands, long errors, double seconds,
      Map<String, Object> byCommand, List<String> errorLines) {

    CommandStats command(String word) {
      if (!(byCommand.get(word) instanceof Map<?, ?> m)) return CommandStats.NONE;
      return new CommandStats(num(m, "count").longValue(), num(m, "total_ms"), num(m, "p50_ms"),
          num(m, "p99_ms"), num(m, "max_ms"));
    }

    private static Double num(Map<?, ?> m, String k) {
      return m.get(k) instanceof Double d ? d : 0.0;
    }
  }

  private final Launch launch;

  MasterRunner(Launch launch) {
    this.launch = launch;
  }

  /**
   * Runs the master on {@code script}. With {@code jfrDir}, every JVM of the run (master, servers,
   * client agents) is recorded with Java Flight Recorder into that directory, one file each (see
   * {@link FlightRecordings}); the script then goes through standard input, followed by a
   * {@code printStore 0} whose answer says that every command before it is done.
   */
  Result run(Path script, Path workDir, String name, long timeoutSeconds, Path jfrDir)
      throws IOException, InterruptedException {
    Path err = workDir.resolve(name + ".stderr");
    ProcessBuilder pb = new ProcessBuilder(launch.command("master", jfrDir == null
        ? List.of("--stats", script.toString()) : List.of("--stats")))
        .redirectError(err.toFile());
    if (jfrDir == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    Process p = pb.start();
    if (jfrDir != null) {
      FlightRecordings.record(p, script, jfrDir, launch.java);
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IOException("the master did not finish " + name + " within " + timeoutSeconds
          + " s (stderr: " + err + ")");
    }
    List<String> lines = Files.readAllLines(err, StandardCharsets.ISO_8859_1);
    String statsLine = null;
    List<String> errors = new ArrayList<>();
    for (String line : lines) {
      if (line.startsWith("{\"commands\"")) {
        statsLine = line;
      } else if (!line.isBlank() && !line.startsWith("stabilize: waiting ")
          && errors.size() < 5) { // progress of a slow stabilize is no error
        errors.add(line);
      }
    }
    if (statsLine == null) {
      throw new IOException("the master printed no statistics for " + name + " (exit "
          + p.exitValue() + "): " + String.join(" | ", errors));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> stats = (Map<String, Object>) Json.parse(statsLine);
    @SuppressWarnings("unchecked")
    Map<String, Object> by = (Map<String, Object>) stats.get("by_command");
    return new Result(p.exitValue(), ((Double) stats.get("commands")).longValue(),
        ((Double) stats.get("errors")).longValue(), (Double) stats.get("seconds"), by, errors);
  }
}
