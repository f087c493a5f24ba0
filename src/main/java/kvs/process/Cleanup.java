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
 * in {@code java.io.tmpdir} is left over when no process holds the lock on its {@link #OWNER_LOCK}
 * file, which its master holds for as long as it runs ({@link #holdOwnerLock}): pids alone cannot
 * tell, since a master in another pid namespace (a container sharing {@code /tmp}) is invisible
 * here. A directory without that file (made by an older version) is left over on the pid's terms,
 * comparing with its last change.
 */
public final class Cleanup {
  private static final Pattern MASTER_PID = Pattern.compile("-Dkvs\\.master\\.pid=(\\d+)");
  private static final Pattern ROLE = Pattern.compile("kvs\\.cli\\.Main (\\S+)");
  private static final Pattern TEMP_DIR = Pattern.compile("kvs-master-(\\d+)-.*");
  /** The file in a master's temporary data root that the master keeps locked while it runs. */
  public static final String OWNER_LOCK = ".kvs-owner.lock";
  /** The lock of this process's own data root, kept reachable: a collected channel would free it. */
  private static java.nio.channels.FileLock ownerLock;

  private Cleanup() {}

  /**
   * Locks {@code root}'s {@link #OWNER_LOCK} for the rest of this process's life (the lock goes
   * with the process, however it ends), so that {@code kvs cleanup} leaves the directory alone.
   */
  public static synchronized void holdOwnerLock(Path root) throws IOException {
    java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
        root.resolve(OWNER_LOCK), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.WRITE);
    ownerLock = channel.lock();
  }

  /**
   * {@link #holdOwnerLock} on the fresh temporary data root of {@code who} ("kvs master", "kvs
   * cluster"); when it fails, says why on {@code err} and removes the root. Whether it holds.
   */
  public static boolean lockFreshRoot(Path root, String who, PrintStream err) {
    try {
      holdOwnerLock(root);
      return true;
    } catch (IOException e) {
      err.println(who + ": cannot lock " + root + ": " + IoMessages.reason(e));
      Trees.delete(root);
      return false;
    }
  }

  /**
   * Whether the master of data root {@code dir} may still run: some process holds its owner
   * lock, or the lock cannot be checked. Null when the directory has no owner lock file.
   */
  static Boolean ownerHoldsLock(Path dir) {
    Path lock = dir.resolve(OWNER_LOCK);
    if (!Files.exists(lock)) return null;
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lock,
        java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.channels.FileLock got = channel.tryLock();
      if (got == null) return true;
      got.release();
      return false;
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return true; // this very process holds it
    } catch (IOException e) {
      return true; // cannot tell: keep it
    }
  }

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
    int[] dirs = removeLeftDirectories(Path.of(System.getProperty("java.io.tmpdir")), out);
    actions += dirs[0];
    failures += dirs[1];
    if (actions == 0) {
      out.println("nothing to clean up");
    }
    return failures == 0 ? 0 : 1;
  }

  /**
   * Removes the {@code kvs-master-*} data roots in {@code tmp} that no master uses any more;
   * returns {actions, failures}.
   */
  static int[] removeLeftDirectories(Path tmp, PrintStream out) {
    int actions = 0;
    int failures = 0;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "kvs-master-*")) {
      for (Path dir : dirs) {
        Matcher m = TEMP_DIR.matcher(dir.getFileName().toString());
        if (!m.matches() || !Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        Boolean locked = ownerHoldsLock(dir);
        if (locked != null ? locked
            : isLiveMaster(Long.parseLong(m.group(1)), Files.getLastModifiedTime(dir).toInstant())) {
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
    return new int[] {actions, failures};
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
