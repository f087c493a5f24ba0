package kvs.master;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import kvs.process.IoMessages;
import kvs.process.LineReader;
import kvs.process.Trees;

/**
 * The master of SPEC sections 2 and 3: reads a command script, runs each line against real server
 * and client processes, prints results on standard output and one message per failed line on
 * standard error, and leaves no process behind.
 *
 * <p>Every child lives under a data root: by default a fresh {@code kvs-master-<pid>-<random>}
 * directory in {@code java.io.tmpdir}, deleted at the end (the pid lets {@code kvs cleanup} tell
 * a leftover from the directory of a live master); with {@code --data-dir} a chosen directory
 * that is kept. Each master run has its own random cluster secret, so two masters on one machine
 * never link each other's servers.
 *
 * <p>With a hosts file ({@code --hosts}) the servers and clients run on other hosts, started by
 * their agents ({@link RemoteFleet}); the cluster secret is then the agents' one, from the
 * environment.
 */
public final class Master {
  /** Longest script line; a longer one is an error (keys and values are bounded by the server). */
  public static final int MAX_LINE_BYTES = 64 * 1024 * 1024;

  /**
   * How a master runs.
   *
   * @param dataDir where servers keep their data; null for a temporary directory
   * @param stats print the statistics line on standard error at the end
   * @param fsync start servers with {@code --fsync}
   * @param classpath class path of the child processes (the jar holding {@code kvs.cli.Main})
   * @param stabilizeTimeoutMs how long {@code stabilize} waits before reporting an error
   * @param hosts a hosts file mapping ids to host agents ({@link RemoteFleet}); null to run
   *     every process on this machine
   */
  public record Options(Path dataDir, boolean stats, boolean fsync, String classpath,
      long stabilizeTimeoutMs, Path hosts) {
    public Options(Path dataDir, boolean stats, boolean fsync, String classpath,
        long stabilizeTimeoutMs) {
      this(dataDir, stats, fsync, classpath, stabilizeTimeoutMs, null);
    }
  }

  public static final long DEFAULT_STABILIZE_TIMEOUT_MS = 60_000;

  private Master() {}

  /**
   * Runs the script read from {@code in}; returns the exit status: 0 when every line succeeded,
   * else 1.
   */
  public static int run(InputStream in, OutputStream stdout, PrintStream stderr, Options options)
      throws IOException {
    long startNanos = System.nanoTime();
    RemoteFleet.Hosts hosts = null;
    String clusterSecret = null;
    if (options.hosts() != null) {
      // Across hosts the servers are started by agents, which know the cluster secret already.
      clusterSecret = System.getenv("KVS_CLUSTER_SECRET");
      if (clusterSecret == null || clusterSecret.isEmpty()) {
        stderr.println("--hosts needs the cluster secret in the environment variable"
            + " KVS_CLUSTER_SECRET (the one the agents have)");
        return 2;
      }
      try {
        hosts = RemoteFleet.Hosts.parse(options.hosts());
      } catch (IOException e) {
        // A parse error names the file and line itself; NIO's exceptions name only the file.
        stderr.println("cannot use the hosts file: " + (e instanceof java.nio.file.FileSystemException
            ? IoMessages.describe(e) : e.getMessage()));
        return 2;
      }
    }
    boolean temporary = options.dataDir() == null;
    Path root;
    try {
      root = temporary
          ? Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")),
              "kvs-master-" + ProcessHandle.current().pid() + "-")
          : Files.createDirectories(options.dataDir());
    } catch (IOException e) {
      stderr.println(temporary
          ? "kvs master: cannot create a data directory in " + System.getProperty("java.io.tmpdir")
              + ": " + IoMessages.reason(e)
          : "kvs master: --data-dir " + options.dataDir() + ": " + IoMessages.reason(e));
      return 2;
    }
    // `kvs cleanup` leaves the root alone while this process runs.
    if (temporary && !kvs.process.Cleanup.lockFreshRoot(root, "kvs master", stderr)) return 2;
    Teardown teardown = new Teardown(root, temporary);
    Thread hook = new Thread(teardown::run, "kvs-master-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Stats stats = new Stats(startNanos);
    try {
      List<String> serverArgs = options.fsync() ? List.of("--fsync") : List.of();
      Fleet fleet;
      try {
        fleet = hosts == null
            ? new ProcessFleet(root, options.classpath(), newSecret(), serverArgs, null,
                kvs.process.ChildJvm.FLAGS)
            : new RemoteFleet(hosts, clusterSecret, options.dataDir() == null ? null
                : options.dataDir().toAbsolutePath().getFileName().toString(), serverArgs);
      } catch (IOException e) {
        // The directory exists but its logs directory cannot be made (read-only, not ours).
        stderr.println("kvs master: cannot use the data directory " + root + ": "
            + IoMessages.reason(e));
        return 2;
      }
      Cluster cluster = new Cluster(fleet, options.stabilizeTimeoutMs());
      teardown.cluster = cluster;
      OutputStream out = new BufferedOutputStream(stdout, 64 * 1024);
      LineReader reader = new LineReader(in, MAX_LINE_BYTES);
      while (true) {
        try {
          if (!reader.next()) {
            break;
          }
        } catch (IOException e) {
          stderr.println("cannot read the script: " + e.getMessage());
          return 1;
        }
        long t0 = System.nanoTime();
        Command command = null;
        String error = null;
        try {
          if (reader.tooLong()) {
            throw new ScriptError("the line is " + reader.bytesSeen() + " bytes long; the limit is "
                + MAX_LINE_BYTES + " bytes");
          }
          command = ScriptParser.parse(reader.line(), reader.length());
          if (command == null) {
            continue;
          }
          cluster.execute(command, out);
          // Results go out line by line, so that a reader of both streams sees them in order.
          out.flush();
        } catch (ScriptError e) {
          error = e.getMessage();
        } catch (IOException e) {
          // Standard output is gone (a closed pipe): nobody can read the results any more.
          stderr.println("line " + reader.lineNumber() + ": cannot write results: " + e.getMessage());
          return 1;
        } catch (RuntimeException e) {
          error = "internal error: " + e;
        }
        stats.record(command == null ? null : command.kind(), System.nanoTime() - t0, error != null);
        if (error != null && !teardown.started()) {
          stderr.println("line " + reader.lineNumber() + ": " + error);
        }
      }
    } finally {
      teardown.run();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook is running or has run; teardown is idempotent.
      }
      if (options.stats()) {
        stderr.println(stats.toJson(System.nanoTime()));
      }
      stderr.flush();
    }
    return stats.errors() == 0 ? 0 : 1;
  }

  private static String newSecret() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Kills every child and removes a temporary data root; once, from whichever thread is first. */
  private static final class Teardown {
    private final Path root;
    private final boolean temporary;
    volatile Cluster cluster;
    private boolean done;
    private volatile boolean started;

    Teardown(Path root, boolean temporary) {
      this.root = root;
      this.temporary = temporary;
    }

    boolean started() {
      return started;
    }

    synchronized void run() {
      started = true;
      if (done) {
        return;
      }
      done = true;
      Cluster c = cluster;
      if (c != null) {
        c.close();
      }
      if (temporary) {
        Trees.delete(root);
      }
    }
  }
}
