package kvs.agent;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import kvs.process.ChildJvm;
import kvs.process.IoMessages;
import kvs.process.Trees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watchdog of one host ({@code kvs agent}): starts and kills the servers and client agents a
 * master asks for, and reports their addresses. Protocol: docs/internal-protocol.md, section
 * "Host agent".
 *
 * <p>One thread per connection; a connection starts with {@code AUTH <cluster secret>}. A
 * <em>control</em> connection is one master's session: the servers and clients it started live
 * as long as it does (closing it, or losing it, kills them), and its servers keep their data in a
 * directory of their own under the agent's data directory, removed at the end unless the master
 * named it with {@code DATA}. A <em>client</em> connection ({@code CLIENT <id>}) becomes, after
 * {@code OK}, the standard input and output of one client agent process.
 *
 * <p>Nothing outlives the agent: every child keeps a pipe to the agent as its standard input and
 * exits when it closes (servers run with {@code --exit-on-stdin-eof}), however the agent ends.
 * Servers listen only on the agent's server address ({@code --server-host}).
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  static final int MAX_LINE = 64 * 1024;
  private static final int AUTH_TIMEOUT_MS = 10_000;
  private static final int READY_TIMEOUT_MS = 60_000;
  private static final Pattern PEER = Pattern.compile("[0-9]{1,9}=[A-Za-z0-9.\\-\\[\\]:]{1,255}:[0-9]{1,5}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._\\-]{1,100}");

  /**
   * @param listen the address the agent listens on (port 0: any free one)
   * @param serverHost the address its servers listen on and report
   * @param dataDir where servers' data directories and logs go
   * @param secret the cluster secret; masters must present it, servers get it
   * @param classpath the class path of children (the jar holding kvs.cli.Main)
   */
  public record Options(InetSocketAddress listen, String serverHost, Path dataDir, String secret,
      String classpath) {}

  private final Options options;
  private final ServerSocket socket;
  /** Every live child of this agent, by id (servers and clients share one id space). */
  private final Map<Integer, Child> children = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record Child(int id, boolean server, Process process, String address) {}

  private Agent(Options options, ServerSocket socket) {
    this.options = options;
    this.socket = socket;
  }

  /** Binds the listening address; {@link #serve} then accepts connections. */
  public static Agent bind(Options options) throws IOException {
    try {
      Files.createDirectories(options.dataDir().resolve("logs"));
    } catch (IOException e) {
      throw new IOException("--data-dir " + options.dataDir() + ": " + IoMessages.reason(e), e);
    }
    ServerSocket s = new ServerSocket();
    try {
      s.setReuseAddress(true);
      s.bind(options.listen(), 64);
    } catch (IOException e) {
      s.close();
      throw new IOException("cannot listen on " + options.listen().getHostString() + ":"
          + options.listen().getPort() + ": " + e.getMessage(), e);
    }
    return new Agent(options, s);
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** Accepts connections until {@link #close}. */
  public void serve() {
    while (!closed) {
      Socket s;
      try {
        s = socket.accept();
      } catch (IOException e) {
        if (!closed) log.warn("agent: accept failed: {}", e.getMessage());
        continue;
      }
      Thread t = new Thread(() -> handle(s), "agent-conn-" + s.getRemoteSocketAddress());
      t.setDaemon(true);
      t.start();
    }
  }

  /** Stops listening and kills every child. */
  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    List<Child> all = new ArrayList<>(children.values());
    all.forEach(c -> c.process().destroyForcibly());
    all.forEach(c -> ChildJvm.waitGone(c.process()));
  }

  private void handle(Socket s) {
    try (s) {
      s.setKeepAlive(true);
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
      OutputStream out = s.getOutputStream();
      s.setSoTimeout(AUTH_TIMEOUT_MS);
      String auth = readLine(in);
      if (auth == null) return;
      if (!auth.startsWith("AUTH ") || !MessageDigest.isEqual(
          auth.substring(5).getBytes(StandardCharsets.ISO_8859_1),
          options.secret().getBytes(StandardCharsets.ISO_8859_1))) {
        reply(out, "ERROR bad secret");
        log.warn("agent: refused a connection from {}: bad secret", s.getRemoteSocketAddress());
        return;
      }
      reply(out, "OK");
      s.setSoTimeout(0);
      new Session(in, out, s).run();
    } catch (SocketTimeoutException e) {
      log.debug("agent: no AUTH from {} in time", s.getRemoteSocketAddress());
    } catch (IOException e) {
      log.debug("agent: connection from {} ended: {}", s.getRemoteSocketAddress(), e.toString());
    }
  }

  /** One authenticated connection: a master's control session, or a client relay. */
  private final class Session {
    private final InputStream in;
    private final OutputStream out;
    private final Socket socket;
    /** Ids of the children this session started, to kill when it ends. */
    private final List<Integer> mine = new ArrayList<>();
    private Path runDir;
    private boolean keepRunDir;

    Session(InputStream in, OutputStream out, Socket socket) {
      this.in = in;
      this.out = out;
      this.socket = socket;
    }

    void run() throws IOException {
      try {
        String line;
        while ((line = readLine(in)) != null) {
          String[] w = line.strip().split("[ \t]+");
          String r;
          try {
            switch (w[0]) {
              case "PING" -> r = "PONG";
              case "DATA" -> r = data(w);
              case "SERVER" -> r = startServer(w);
              case "KILL" -> r = kill(w);
              case "LIST" -> r = list();
              case "CLIENT" -> {
                relayClient(w);
                return;
              }
              default -> r = "ERROR unknown request '" + w[0] + "'";
            }
          } catch (IllegalArgumentException e) {
            r = "ERROR " + e.getMessage();
          }
          reply(out, r);
        }
      } finally {
        end();
      }
    }

    private String data(String[] w) throws IOException {
      if (w.length != 2 || !NAME.matcher(w[1]).matches()) {
        throw new IllegalArgumentException("usage: DATA NAME (letters, digits, '.', '_', '-')");
      }
      if (runDir != null) throw new IllegalArgumentException("DATA must come before SERVER");
      runDir = Files.createDirectories(options.dataDir().resolve(w[1]));
      keepRunDir = true;
      return "OK";
    }

    private Path runDir() throws IOException {
      if (runDir == null) {
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        runDir = Files.createDirectories(
            options.dataDir().resolve("run-" + HexFormat.of().formatHex(b)));
      }
      return runDir;
    }

    private String startServer(String[] w) throws IOException {
      if (w.length < 2) throw new IllegalArgumentException("usage: SERVER ID [--fsync] [ID=HOST:PORT]...");
      int id = id(w[1]);
      List<String> args = new ArrayList<>(List.of("--exit-on-stdin-eof", "--id", w[1],
          "--data-dir", runDir().resolve("server-" + id).toString(),
          "--host", options.serverHost(), "--port", "0"));
      for (int i = 2; i < w.length; i++) {
        if (w[i].equals("--fsync")) {
          args.add("--fsync");
        } else if (PEER.matcher(w[i]).matches()) {
          args.add("--peer");
          args.add(w[i]);
        } else {
          throw new IllegalArgumentException("not a peer ID=HOST:PORT or --fsync: '" + w[i] + "'");
        }
      }
      Path logFile = runDir().resolve("server-" + id + ".log");
      ProcessBuilder pb = new ProcessBuilder(javaCommand("server", args))
          .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      pb.environment().put(ChildJvm.CLUSTER_SECRET_ENV, options.secret());
      // A master's servers take no client password: the master's clients have none to give.
      pb.environment().remove(ChildJvm.REQUIREPASS_ENV);
      Process p = spawn(id, pb);
      CompletableFuture<String> first =
          ChildJvm.firstLineThenLog(p, logFile, "server-" + id + "-stdout");
      String ready;
      try {
        ready = first.get(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        ready = null;
      }
      String[] rw = ready == null ? new String[0] : ready.split(" ");
      if (rw.length != 2 || !rw[0].equals("READY")) {
        reap(id, p);
        return "ERROR server " + id + " failed to start (log on the agent's host: " + logFile + ")"
            + lastLine(logFile);
      }
      String address = options.serverHost() + ":" + rw[1];
      children.put(id, new Child(id, true, p, address));
      log.info("agent: server {} serves at {}", id, address);
      return "READY " + options.serverHost() + " " + rw[1];
    }

    private String kill(String[] w) {
      if (w.length != 2) throw new IllegalArgumentException("usage: KILL ID");
      int id = id(w[1]);
      Child c = children.get(id);
      if (c == null) return "ERROR no process with id " + id;
      reap(id, c.process());
      return "OK";
    }

    private String list() {
      StringBuilder b = new StringBuilder("OK");
      new java.util.TreeMap<>(children).forEach((id, c) -> b.append(' ').append(id).append('=')
          .append(c.server() ? "server@" + c.address() : "client"));
      return b.toString();
    }

    /** Starts a client agent and hands this connection over to it until either side ends. */
    private void relayClient(String[] w) throws IOException {
      if (w.length != 2) {
        reply(out, "ERROR usage: CLIENT ID");
        return;
      }
      int id;
      try {
        id = id(w[1]);
      } catch (IllegalArgumentException e) {
        reply(out, "ERROR " + e.getMessage());
        return;
      }
      Path logFile = options.dataDir().resolve("logs").resolve("client-" + id + ".log");
      ProcessBuilder pb = new ProcessBuilder(javaCommand("client", List.of("--id", w[1])))
          .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      Process p;
      try {
        p = spawn(id, pb);
      } catch (IllegalArgumentException e) {
        reply(out, "ERROR " + e.getMessage());
        return;
      }
      children.put(id, new Child(id, false, p, ""));
      reply(out, "OK");
      // Agent's replies to the master; the master's requests to the agent, on this thread.
      Thread up = new Thread(() -> {
        try (InputStream from = p.getInputStream()) {
          from.transferTo(out);
        } catch (IOException ignored) {
          // the master or the client went away
        }
        try {
          socket.close(); // the client exited (or was killed): the master sees end of input
        } catch (IOException ignored) {
          // already closed
        }
      }, "client-" + id + "-relay");
      up.setDaemon(true);
      up.start();
      try (OutputStream to = p.getOutputStream()) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) >= 0) {
          to.write(buf, 0, n);
          to.flush();
        }
      } catch (IOException ignored) {
        // either side went away
      }
      reap(id, p);
    }

    private Process spawn(int id, ProcessBuilder pb) throws IOException {
      synchronized (children) {
        if (closed) throw new IllegalArgumentException("the agent is shutting down");
        if (children.containsKey(id)) {
          throw new IllegalArgumentException("id " + id + " is already running on this host");
        }
        Process p = pb.start();
        // Reserve the id at once; the real entry replaces this one when the child is ready.
        children.put(id, new Child(id, false, p, ""));
        mine.add(id);
        return p;
      }
    }

    /** The session is over: kill what it started, drop its temporary data. */
    private void end() {
      for (int id : mine) {
        Child c = children.get(id);
        if (c != null) reap(id, c.process());
      }
      if (runDir != null && !keepRunDir) Trees.delete(runDir);
    }
  }

  private void reap(int id, Process p) {
    p.destroyForcibly();
    ChildJvm.waitGone(p);
    children.computeIfPresent(id, (k, c) -> c.process() == p ? null : c);
  }

  private static int id(String s) {
    try {
      int id = Integer.parseInt(s);
      if (id >= 0) return id;
    } catch (NumberFormatException ignored) {
      // below
    }
    throw new IllegalArgumentException("not an id (a non-negative integer): '" + s + "'");
  }

  private List<String> javaCommand(String subcommand, List<String> args) {
    return ChildJvm.command(options.classpath(), List.of(), subcommand, args);
  }

  private static String lastLine(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String l = lines.get(i);
        if (!l.isBlank() && !Character.isWhitespace(l.charAt(0))) return ": " + l.strip();
      }
    } catch (IOException ignored) {
      // no message
    }
    return "";
  }

  private static void reply(OutputStream out, String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** One line without its line feed (and a trailing CR), or null at end of input. */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') break;
      if (b.size() >= MAX_LINE) throw new IOException("request line longer than " + MAX_LINE);
      b.write(c);
    }
    if (c < 0 && b.size() == 0) return null;
    String s = b.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
