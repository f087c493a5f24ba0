package kvs.master;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kvs.process.ChildJvm;
import kvs.process.LineReader;

/**
 * The real {@link Fleet}: servers and client agents as child Java processes of this master.
 *
 * <p>Every child runs {@code java <ChildJvm.FLAGS> -Dkvs.master.pid=<pid> -cp <jar> kvs.cli.Main ...}
 * (servers of {@code kvs cluster}: {@code ChildJvm.SERVER_FLAGS}):
 * the pid property lets {@code kvs cleanup} recognise children whose master is gone. The master
 * keeps a pipe to every child's standard input and never closes it, so when the master dies in any
 * way the pipes close and the children exit on their own (servers run with
 * {@code --exit-on-stdin-eof}). Children's output never reaches the master's standard output: a
 * server's first stdout line ({@code READY <port>}) is read here and the rest of its stdout and all
 * of its stderr go to a log file under the data root; an agent's stdout carries only its replies.
 *
 * <p>Servers are reached over admin connections ({@link AdminServerHandle}): one for commands,
 * made in the background once the server reports READY, and one for {@code KVS.AWAIT}, made on
 * the first stabilize, so that a pending await never holds up a command.
 */
final class ProcessFleet implements Fleet {
  static final String HOST = "127.0.0.1";
  private static final int READY_TIMEOUT_MS = 60_000;
  /** Longer than any admin command may take; KVS.LINK.CONNECT answers within 5 s. */
  private static final int ADMIN_SOCKET_TIMEOUT_MS = 30_000;
  private static final int REPLY_MAX_BYTES = 256 * 1024 * 1024;

  private final Path dataRoot;
  private final Path logDir;
  private final String classpath;
  private final String secret;
  private final String requirePass;
  private final List<String> serverExtraArgs;
  /** JVM flags of the servers: quick start for the master's, long-running for kvs cluster's. */
  private final List<String> serverJvmFlags;
  private final long masterPid = ProcessHandle.current().pid();
  private final Set<Process> children = new HashSet<>();
  private boolean closed;

  /**
   * @param dataRoot where server data directories ({@code server-<id>}) and logs go
   * @param classpath the class path holding {@code kvs.cli.Main}, normally the shaded jar
   * @param secret the cluster secret, handed to servers through the environment only
   * @param serverExtraArgs extra server options, e.g. {@code --fsync}; no secret, since a
   *     command line is public
   * @param requirePass the password servers require of clients, handed through the environment
   *     only; null for none
   * @param serverJvmFlags the servers' JVM flags: {@link ChildJvm#FLAGS} (quick start) for a
   *     master script's servers, {@link ChildJvm#SERVER_FLAGS} for {@code kvs cluster}'s
   */
  ProcessFleet(Path dataRoot, String classpath, String secret, List<String> serverExtraArgs,
      String requirePass, List<String> serverJvmFlags) throws IOException {
    this.serverJvmFlags = List.copyOf(serverJvmFlags);
    this.dataRoot = dataRoot;
    this.logDir = Files.createDirectories(dataRoot.resolve("logs"));
    this.classpath = classpath;
    this.secret = secret;
    this.requirePass = requirePass;
    this.serverExtraArgs = List.copyOf(serverExtraArgs);
  }

  private List<String> javaCommand(String subcommand, List<String> args) {
    return javaCommand(ChildJvm.FLAGS, subcommand, args);
  }

  private List<String> javaCommand(List<String> baseFlags, String subcommand, List<String> args) {
    List<String> extra = new ArrayList<>();
    // Extra flags for every child, e.g. a flight recording when profiling (docs/performance.md).
    String opts = System.getenv("KVS_CHILD_JAVA_OPTS");
    if (opts != null && !opts.isBlank()) extra.addAll(List.of(opts.trim().split("\\s+")));
    extra.add("-Dkvs.master.pid=" + masterPid);
    return ChildJvm.command(baseFlags, classpath, extra, subcommand, args);
  }

  /** Starts a child, registered for {@link #close}; refuses once the fleet is closing. */
  private Process spawn(ProcessBuilder pb, String what) throws ScriptError {
    synchronized (children) {
      if (closed) {
        throw new ScriptError("the master is shutting down");
      }
      try {
        Process p = pb.start();
        children.add(p);
        return p;
      } catch (IOException e) {
        throw new ScriptError("cannot start " + what + ": " + e.getMessage(), e);
      }
    }
  }

  private void reap(Process p) {
    p.destroyForcibly();
    ChildJvm.waitGone(p);
    synchronized (children) {
      children.remove(p);
    }
  }

  @Override
  public void close() {
    close(0);
  }

  /**
   * Stops every child: with {@code graceMillis > 0}, SIGTERM first, so that a server closes its
   * store and its next start is a clean one (not a new incarnation, as after a crash), and
   * SIGKILL for whatever is still running after {@code graceMillis}; with 0, SIGKILL at once (a
   * master's script ends as fast as it can; its servers' data is normally thrown away).
   */
  void close(long graceMillis) {
    List<Process> all;
    synchronized (children) {
      closed = true;
      all = new ArrayList<>(children);
      children.clear();
    }
    // Signal every child first, then wait: they stop in parallel.
    if (graceMillis > 0) {
      for (Process p : all) {
        // Through the handle: Process.destroy would also close the child's standard input, and
        // a server with --exit-on-stdin-eof halts at once when it closes, before its store does.
        p.toHandle().destroy();
      }
      long deadline = System.nanoTime() + graceMillis * 1_000_000L;
      for (Process p : all) {
        try {
          p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    for (Process p : all) {
      p.destroyForcibly();
    }
    for (Process p : all) {
      ChildJvm.waitGone(p);
    }
  }

  @Override
  public ServerHandle startServer(int id, Map<Integer, Integer> peerPorts) throws ScriptError {
    return startServer(id, 0, peerPorts);
  }

  /** Starts server {@code id} on client port {@code clientPort} (0: any free port). */
  ServerHandle startServer(int id, int clientPort, Map<Integer, Integer> peerPorts)
      throws ScriptError {
    List<String> args = new ArrayList<>(List.of("--exit-on-stdin-eof", "--id", Integer.toString(id),
        "--data-dir", dataRoot.resolve("server-" + id).toString()));
    if (clientPort != 0) {
      args.add("--port");
      args.add(Integer.toString(clientPort));
    }
    for (Map.Entry<Integer, Integer> peer : peerPorts.entrySet()) {
      args.add("--peer");
      args.add(peer.getKey() + "=" + HOST + ":" + peer.getValue());
    }
    args.addAll(serverExtraArgs);
    Path log = logDir.resolve("server-" + id + ".log");
    long logStart = sizeOf(log);
    ProcessBuilder pb = new ProcessBuilder(javaCommand(serverJvmFlags, "server", args))
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = pb.environment();
    env.put(ChildJvm.CLUSTER_SECRET_ENV, secret);
    // Set or removed, never inherited: a password in the user's shell is not this cluster's.
    if (requirePass != null) {
      env.put(ChildJvm.REQUIREPASS_ENV, requirePass);
    } else {
      env.remove(ChildJvm.REQUIREPASS_ENV);
    }
    String what = "server " + id;
    Process p = spawn(pb, what);
    CompletableFuture<String> firstLine = ChildJvm.firstLineThenLog(p, log, "server-" + id + "-stdout");

    String ready;
    try {
      ready = firstLine.get(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      reap(p);
      throw new ScriptError(what + " did not report READY within " + READY_TIMEOUT_MS / 1000
          + " s (log: " + log + ")");
    } catch (InterruptedException | ExecutionException e) {
      reap(p);
      throw new ScriptError(what + " start interrupted", e);
    }
    if (ready == null) {
      int status = exitStatus(p);
      reap(p);
      throw new ScriptError(what + " failed to start" + (status >= 0 ? " (exit status " + status + ")" : "")
          + ": " + logTail(log, logStart));
    }
    int port = parseReady(ready);
    if (port < 0) {
      reap(p);
      throw new ScriptError(what + " printed \"" + Bytes.show(Bytes.ascii(ready))
          + "\" instead of READY <port>");
    }
    ServerProcess server = new ServerProcess(id, p, port);
    server.commands.connectInBackground();
    return server;
  }

  /** The port of a {@code READY <port>} line, or -1. */
  static int parseReady(String line) {
    String[] words = line.strip().split("[ \t]+");
    if (words.length != 2 || !words[0].equals("READY")) {
      return -1;
    }
    try {
      int port = Integer.parseInt(words[1]);
      return port > 0 && port < 65536 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public AgentHandle startAgent(int id) throws ScriptError {
    Path log = logDir.resolve("client-" + id + ".log");
    ProcessBuilder pb = new ProcessBuilder(javaCommand("client", List.of("--id", Integer.toString(id))))
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new AgentProcess(id, spawn(pb, "client " + id), log, sizeOf(log));
  }

  private static long sizeOf(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static int exitStatus(Process p) {
    try {
      return p.waitFor(5, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * The last few meaningful lines a child wrote to its log since {@code from}: the reason a server
   * gives for refusing to start, without stack frames.
   */
  static String logTail(Path log, long from) {
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(from, f.length() - 8192);
      byte[] b = new byte[(int) (f.length() - start)];
      f.seek(start);
      f.readFully(b);
      List<String> lines = new ArrayList<>();
      for (String l : new String(b, StandardCharsets.UTF_8).split("\r?\n")) {
        if (!l.isBlank() && !Character.isWhitespace(l.charAt(0))) {
          lines.add(l.strip());
        }
      }
      if (lines.isEmpty()) {
        return "no message (log: " + log + ")";
      }
      return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()))
          + " (log: " + log + ")";
    } catch (IOException e) {
      return "no message (log: " + log + ")";
    }
  }

  /** Runs {@code action} when the process of {@code server}, started here, ends. */
  static void onExit(ServerHandle server, Runnable action) {
    ((ServerProcess) server).process.onExit().thenRun(action);
  }

  /** The exit status of a server process that has ended, else -1. */
  static int exitStatus(ServerHandle server) {
    Process p = ((ServerProcess) server).process;
    return p.isAlive() ? -1 : p.exitValue();
  }

  /** A server child process, reached over admin connections on 127.0.0.1. */
  private final class ServerProcess extends AdminServerHandle {
    private final Process process;

    ServerProcess(int id, Process process, int port) {
      super(id, HOST, port, secret, ADMIN_SOCKET_TIMEOUT_MS);
      this.process = process;
    }

    @Override
    String peerHost(int peer) {
      return HOST;
    }

    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public void kill() {
      reap(process);
      // Closing after the kill: the sockets are dead by now, and a blocked await wakes with an
      // error instead of waiting for its timeout.
      closeConnections();
    }
  }

  private final class AgentProcess implements AgentHandle {
    private final int id;
    private final Process process;
    private final Path log;
    private final long logStart;
    private final OutputStream in;
    private final LineReader replies;

    AgentProcess(int id, Process process, Path log, long logStart) {
      this.id = id;
      this.process = process;
      this.log = log;
      this.logStart = logStart;
      this.in = new BufferedOutputStream(process.getOutputStream(), 64 * 1024);
      this.replies = new LineReader(process.getInputStream(), REPLY_MAX_BYTES);
    }

    @Override
    public byte[] call(byte[]... words) throws ScriptError {
      try {
        for (int i = 0; i < words.length; i++) {
          if (i > 0) {
            in.write(' ');
          }
          in.write(words[i]);
        }
        in.write('\n');
        in.flush();
        if (!replies.next() || !replies.terminated()) {
          throw agentGone(null); // the agent ended, perhaps in the middle of a reply
        }
        if (replies.tooLong()) {
          throw new ScriptError("client " + id + " agent sent a reply of " + replies.bytesSeen()
              + " bytes, longer than " + REPLY_MAX_BYTES);
        }
        int n = replies.length();
        byte[] line = replies.line();
        if (n > 0 && line[n - 1] == '\r') {
          n--;
        }
        return Arrays.copyOf(line, n);
      } catch (IOException e) {
        throw agentGone(e);
      }
    }

    private ScriptError agentGone(IOException e) {
      int status = exitStatus(process);
      return new ScriptError("client " + id + " agent exited"
          + (status >= 0 ? " (exit status " + status + ")" : "") + ": " + logTail(log, logStart), e);
    }

    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public void kill() {
      reap(process);
    }
  }
}
