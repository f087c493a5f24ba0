package kvs.master;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import kvs.process.IoMessages;
import kvs.process.Trees;

/**
 * {@code kvs cluster}: N fully connected servers on client ports P..P+N-1 of 127.0.0.1, in the
 * foreground, as SPEC section 2 defines it.
 *
 * <p>The servers are child processes started through {@link ProcessFleet}, as the master starts
 * them: each holds a pipe to this process's memory as its standard input and exits when it
 * closes, so none outlives this process however it ends. The servers start in parallel, unlinked,
 * and are then linked pairwise over admin connections ({@code KVS.LINK.CONNECT}), the higher id
 * dialling the lower, so that each link is redialled if it drops. A line containing
 * {@code ready} is printed once every server serves and every link is up. Ctrl-C or SIGTERM runs
 * the shutdown hook: every server is sent SIGTERM (so it closes its store cleanly) and waited for,
 * SIGKILLed if it takes too long, and a temporary data root removed.
 */
public final class LocalCluster {
  /** Most servers one cluster starts: each is a JVM. */
  public static final int SERVERS_MAX = 64;
  /** How long the servers get to close their stores on Ctrl-C or SIGTERM before SIGKILL. */
  private static final long STOP_GRACE_MS = 10_000;

  /**
   * How a cluster runs.
   *
   * @param servers how many servers, ids 0..servers-1
   * @param port client port of server 0; server i listens on port + i
   * @param dataDir where the servers keep their data (kept); null for a temporary directory
   * @param requirePass when not null, clients must AUTH with it
   * @param fsync start servers with {@code --fsync}
   * @param exitOnStdinEof stop the cluster when this process's standard input ends
   * @param classpath class path of the server processes (the jar holding {@code kvs.cli.Main})
   * @param clientLimits server options that limit clients ({@code --maxclients N} and the like),
   *     given to every server as they are
   */
  public record Options(int servers, int port, Path dataDir, String requirePass, boolean fsync,
      boolean exitOnStdinEof, String classpath, List<String> clientLimits) {}

  private LocalCluster() {}

  /** Checks the options; returns a message naming the bad value, or null when they are fine. */
  public static String check(Options o) {
    if (o.servers() < 1 || o.servers() > SERVERS_MAX) {
      return "--servers must be in 1.." + SERVERS_MAX + ", got " + o.servers();
    }
    int last = 65535 - (o.servers() - 1);
    if (o.port() < 1 || o.port() > last) {
      return "--port must be in 1.." + last + " for " + o.servers() + " server(s), got " + o.port();
    }
    if (o.requirePass() != null && o.requirePass().isEmpty()) {
      return "--requirepass must not be empty";
    }
    if (o.dataDir() != null && Files.exists(o.dataDir()) && !Files.isDirectory(o.dataDir())) {
      return "--data-dir " + o.dataDir() + " exists and is not a directory";
    }
    return null;
  }

  /**
   * Runs the cluster until this process is stopped (or its standard input ends, with
   * {@code exitOnStdinEof}). Returns the exit status: 1 when the cluster could not start, else 0.
   */
  public static int run(Options o, InputStream stdin, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    String problem = check(o);
    if (problem != null) {
      err.println("kvs cluster: " + problem);
      return 2;
    }
    boolean temporary = o.dataDir() == null;
    // The kvs-master-<pid>- prefix lets `kvs cleanup` remove the directory if this process is
    // SIGKILLed; the servers carry -Dkvs.master.pid=<this pid> for the same reason.
    Path root;
    try {
      root = temporary
          ? Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")),
              "kvs-master-" + ProcessHandle.current().pid() + "-cluster-")
          : Files.createDirectories(o.dataDir());
    } catch (IOException e) {
      err.println(temporary
          ? "kvs cluster: cannot create a data directory in " + System.getProperty("java.io.tmpdir")
              + ": " + IoMessages.reason(e)
          : "kvs cluster: --data-dir " + o.dataDir() + ": " + IoMessages.reason(e));
      return 2;
    }
    // `kvs cleanup` leaves the root alone while this process runs.
    if (temporary && !kvs.process.Cleanup.lockFreshRoot(root, "kvs cluster", err)) return 2;
    List<String> serverArgs = new ArrayList<>();
    if (o.fsync()) serverArgs.add("--fsync");
    serverArgs.addAll(o.clientLimits());
    ProcessFleet fleet;
    try {
      // The password goes to the servers in their environment: a command line is public (ps).
      fleet = new ProcessFleet(root, o.classpath(), secret(), serverArgs, o.requirePass(),
          kvs.process.ChildJvm.SERVER_FLAGS); // long-running: the full compiler
    } catch (IOException e) {
      err.println("kvs cluster: cannot use the data directory " + root + ": "
          + IoMessages.reason(e));
      if (temporary) Trees.delete(root);
      return 2;
    }
    AtomicBoolean stopping = new AtomicBoolean();
    Thread teardown = new Thread(() -> {
      stopping.set(true);
      // SIGTERM, then SIGKILL after a while: a kept data directory restarts cleanly.
      fleet.close(STOP_GRACE_MS);
      if (temporary) Trees.delete(root);
    }, "kvs-cluster-shutdown");
    Runtime.getRuntime().addShutdownHook(teardown);

    List<Fleet.ServerHandle> servers;
    try {
      servers = startAll(fleet, o);
      for (int j = 1; j < servers.size(); j++) {
        for (int i = 0; i < j; i++) servers.get(j).connectLink(i, o.port() + i);
      }
    } catch (ScriptError e) {
      err.println("kvs cluster: " + e.getMessage());
      return 1; // the shutdown hook stops whatever did start
    }
    for (int i = 0; i < servers.size(); i++) {
      int id = i;
      ProcessFleet.onExit(servers.get(i), () -> {
        if (!stopping.get()) {
          err.println("kvs cluster: server " + id + " exited (status "
              + ProcessFleet.exitStatus(servers.get(id)) + "); the others keep serving");
        }
      });
      out.println("server " + i + ": 127.0.0.1:" + (o.port() + i));
    }
    out.println("kvs cluster ready: " + o.servers() + " server(s) on 127.0.0.1 ports "
        + o.port() + (o.servers() > 1 ? "-" + (o.port() + o.servers() - 1) : "")
        + ", data in " + root + (temporary ? " (removed at exit)" : "")
        + "; Ctrl-C stops them");
    out.flush();
    if (o.exitOnStdinEof()) {
      while (stdin.read() >= 0) {
        // nothing is read from standard input; its end is the signal to stop
      }
      return 0; // System.exit runs the shutdown hook
    }
    Thread.currentThread().join(); // until Ctrl-C or SIGTERM
    return 0;
  }

  /** Starts every server at once; they take a second or two each, mostly JVM start. */
  private static List<Fleet.ServerHandle> startAll(ProcessFleet fleet, Options o)
      throws ScriptError, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(o.servers());
    try {
      List<Future<Fleet.ServerHandle>> started = new ArrayList<>();
      for (int i = 0; i < o.servers(); i++) {
        int id = i;
        started.add(pool.submit(() -> fleet.startServer(id, o.port() + id, Map.of())));
      }
      List<Fleet.ServerHandle> servers = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (Future<Fleet.ServerHandle> f : started) {
        try {
          servers.add(f.get());
        } catch (ExecutionException e) {
          failures.add(e.getCause().getMessage());
        }
      }
      if (!failures.isEmpty()) throw new ScriptError(String.join("\n", failures));
      return servers;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The cluster secret: KVS_CLUSTER_SECRET when set, so that an operator can use the admin
   * commands (docs/internal-protocol.md) on the cluster's servers; else a random one.
   */
  private static String secret() {
    String s = System.getenv("KVS_CLUSTER_SECRET");
    if (s != null && !s.isEmpty()) return s;
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
