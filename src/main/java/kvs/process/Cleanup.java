package kvs.process;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kvs cleanup}: removes what masters that did not end cleanly left behind.
 *
 * <p>Children exit by themselves when their master dies (their standard input closes), so this is
 * for the rare rest: a child stuck in a way that keeps it from noticing, or the temporary data
 * root of a master that was SIGKILLed. A child is recognised by {@code kvs.cli.Main} and
 * {@code -Dkvs.master.pid=P} in its command line; it is an orphan when no process P runs, or the
 * process P started after the child did (the pid was reused). A {@code kvs-master-P-*} directory
 * in {@code java.io.tmpdir} is left over on the same terms, comparing with its last change.
 */
public final class Cleanup {
  private static final Pattern MASTER_PID = Pattern.compile("-Dkvs\\.master\\.pid=(\\d+)");
  private static final Pattern ROLE = Pattern.compile("kvs\\.cli\\.Main (\\S+)");
  private static final Pattern TEMP_DIR = Pattern.compile("kvs-master-(\\d+)-.*");

  private Cleanup() {}

  /** Cleans up, printing one line per action to {@code out}; returns 0, or 1 if something stayed. */
  public static int run(PrintStream out) {
    int actions = 0;
    int failures = 0;
    long self = ProcessHandle.current().pid();
    List<ProcessHandle> all = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(all::add);
    for (ProcessHandle p : all) {
      if (p.pid() == self) {
        continue;
      }
      String cmd = commandLine(p).orElse("");
      Matcher m = MASTER_PID.matcher(cmd);
      if (!cmd.contains("kvs.cli.Main") || !m.find()) {
        continue;
      }
      long master = Long.parseLong(m.group(1));
      if (isLiveMaster(master, p.info().startInstant().orElse(null))) {
        continue;
      }
      Matcher role = ROLE.matcher(cmd);
      String what = (role.find() ? role.group(1) : "kvs") + " process " + p.pid();
      actions++;
      p.destroyForcibly();
      try {
        p.onExit().get(5, TimeUnit.SECONDS);
        out.println("killed " + what + " (its master " + master + " is gone)");
      } catch (Exception e) {
        failures++;
        out.println("could not kill " + what + ": " + e);
      }
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "kvs-master-*")) {
      for (Path dir : dirs) {
        Matcher m = TEMP_DIR.matcher(dir.getFileName().toString());
        if (!m.matches() || !Files.isDirectory(dir)) {
          continue;
        }
        Instant changed = Files.getLastModifiedTime(dir).toInstant();
        if (isLiveMaster(Long.parseLong(m.group(1)), changed)) {
          continue;
        }
        actions++;
        if (Trees.delete(dir)) {
          out.println("removed " + dir);
        } else {
          failures++;
          out.println("could not remove all of " + dir);
        }
      }
    } catch (IOException e) {
      failures++;
      out.println("could not list " + tmp + ": " + e.getMessage());
    }
    if (actions == 0) {
      out.println("nothing to clean up");
    }
    return failures == 0 ? 0 : 1;
  }

  /**
   * Whether process {@code pid} runs and may be the master of something made at {@code since}:
   * a process that started later only reuses the pid of the dead master.
   */
  static boolean isLiveMaster(long pid, Instant since) {
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return false;
    }
    Optional<Instant> started = p.get().info().startInstant();
    // Start times are coarse (clock ticks): allow a second of slack before calling it a reuse.
    return since == null || started.isEmpty() || !started.get().isAfter(since.plusSeconds(1));
  }

  /** The full command line; /proc has it complete on Linux, ProcessHandle elsewhere. */
  private static Optional<String> commandLine(ProcessHandle p) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      if (raw.length > 0) {
        for (int i = 0; i < raw.length; i++) {
          if (raw[i] == 0) {
            raw[i] = ' ';
          }
        }
        return Optional.of(new String(raw, StandardCharsets.UTF_8).strip());
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or the process is gone or not ours: fall back to what the JDK knows.
    }
    return p.info().commandLine();
  }
}
