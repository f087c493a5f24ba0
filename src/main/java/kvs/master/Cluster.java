package kvs.master;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Carries out script commands against a {@link Fleet}, with the semantics of SPEC section 3, and
 * keeps the book of what the script has made: which ids are servers and which are clients, which
 * servers run, which client is attached to which server (and whether it is cut off), and which
 * server links are cut.
 *
 * <p>Commands run one at a time on the caller's thread. The one exception is {@code stabilize},
 * which parks a {@code KVS.AWAIT} on every server still changing, each from a helper thread on its
 * own connection, and re-checks the states as soon as any of them answers: it returns as soon as
 * every group of servers that can reach each other holds equal states, without sleeping. An await
 * still pending when stabilize returns stays pending and serves the next stabilize.
 */
final class Cluster implements AutoCloseable {
  private static final byte[] CONNECT = Bytes.ascii("connect");
  private static final byte[] DISCONNECT = Bytes.ascii("disconnect");
  private static final byte[] PUT = Bytes.ascii("put");
  private static final byte[] GET = Bytes.ascii("get");
  private static final byte[] DELETE = Bytes.ascii("delete");
  private static final byte[] OK = Bytes.ascii("OK");
  private static final byte[] VALUE = Bytes.ascii("VALUE ");
  private static final byte[] ERR_KEY = Bytes.ascii("ERR_KEY");
  private static final byte[] ERR_DEP = Bytes.ascii("ERR_DEP");
  private static final byte[] ERROR = Bytes.ascii("ERROR");

  private enum Role { SERVER, CLIENT }

  private static final class Server {
    final Fleet.ServerHandle handle;
    /** True while a helper thread has a KVS.AWAIT pending on this server. */
    volatile boolean awaiting;
    /** Why the last KVS.AWAIT failed, if it did; stabilize reports it instead of retrying. */
    volatile ScriptError awaitFailure;

    Server(Fleet.ServerHandle handle) {
      this.handle = handle;
    }
  }

  private static final class Client {
    Fleet.AgentHandle agent;
    /** The server the client is attached to; null when it is attached to none. */
    Integer server;
    /** Set by breakConnection with its server; cleared when it is connected again. */
    boolean cutOff;
  }

  private final Fleet fleet;
  private final long stabilizeTimeoutMs;
  /**
   * Where a stabilize that takes longer than {@link #PROGRESS_EVERY_MS} says what it waits for,
   * at most once per that period; a fast one prints nothing.
   */
  java.io.PrintStream progress = System.err;
  static final long PROGRESS_EVERY_MS = 1_000;
  /** How long a state read may take before a progress report names its server as silent. */
  private static final long SILENT_AFTER_MS = 200;
  /** When the running stabilize started, and when it may report its progress next. */
  private long stabilizeStart;
  private long nextReport;
  private final Map<Integer, Role> roles = new HashMap<>();
  private final TreeMap<Integer, Server> running = new TreeMap<>();
  private final Map<Integer, Client> clients = new HashMap<>();
  private final Topology topology = new Topology();
  private final ExecutorService awaitPool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "stabilize-await");
    t.setDaemon(true);
    return t;
  });
  /**
   * Reads the states of all servers at once for stabilize, each on the server's command
   * connection (the script thread waits meanwhile, so nothing else uses them). A fixed pool: each
   * joinServer starts one more thread, up to its size, so stabilize never waits for a thread.
   */
  private final ExecutorService statePool = Executors.newFixedThreadPool(STATE_READERS, r -> {
    Thread t = new Thread(r, "stabilize-state");
    t.setDaemon(true);
    return t;
  });
  private static final int STATE_READERS = 8;
  private final Object wake = new Object();
  private long wakeups;

  Cluster(Fleet fleet, long stabilizeTimeoutMs) {
    this.fleet = fleet;
    this.stabilizeTimeoutMs = stabilizeTimeoutMs;
  }

  /** Carries out {@code command}, writing its results (if any) to {@code out}. */
  void execute(Command command, OutputStream out) throws ScriptError, IOException {
    switch (command.kind()) {
      case JOIN_SERVER:
        joinServer(((Command.JoinServer) command).server());
        break;
      case KILL_SERVER:
        killServer(((Command.KillServer) command).server());
        break;
      case JOIN_CLIENT: {
        Command.JoinClient c = (Command.JoinClient) command;
        joinClient(c.client(), c.server());
        break;
      }
      case BREAK_CONNECTION: {
        Command.BreakConnection c = (Command.BreakConnection) command;
        breakConnection(c.a(), c.b());
        break;
      }
      case CREATE_CONNECTION: {
        Command.CreateConnection c = (Command.CreateConnection) command;
        createConnection(c.a(), c.b());
        break;
      }
      case STABILIZE:
        stabilize();
        break;
      case PRINT_STORE:
        printStore(((Command.PrintStore) command).server(), out);
        break;
      case PUT: {
        Command.Put c = (Command.Put) command;
        expectOk(c.client(), "put", attached(c.client()).agent.call(PUT, c.key(), c.value()));
        break;
      }
      case DELETE: {
        Command.Delete c = (Command.Delete) command;
        expectOk(c.client(), "delete", attached(c.client()).agent.call(DELETE, c.key()));
        break;
      }
      case GET: {
        Command.Get c = (Command.Get) command;
        get(c.client(), c.key(), out);
        break;
      }
      default:
        throw new AssertionError(command);
    }
  }

  private void joinServer(int id) throws ScriptError {
    Role role = roles.get(id);
    if (role == Role.CLIENT) {
      throw new ScriptError(id + " is a client; it cannot be a server too");
    }
    Server old = running.get(id);
    if (old != null && !old.handle.isAlive()) {
      // Its process ended on its own (a crash, a storage failure): it restarts as after killServer.
      killServer(id);
    }
    if (running.containsKey(id)) {
      throw new ScriptError("server " + id + " is already running");
    }
    if (role == Role.SERVER) {
      // A rejoin heals every link of the server: the others let it in again before it dials.
      topology.healAll(id);
      for (Map.Entry<Integer, Server> e : running.entrySet()) {
        e.getValue().handle.unblockLink(id);
      }
    }
    Map<Integer, Integer> peers = new TreeMap<>();
    running.forEach((peer, s) -> peers.put(peer, s.handle.port()));
    Fleet.ServerHandle handle = fleet.startServer(id, peers);
    roles.put(id, Role.SERVER);
    running.put(id, new Server(handle));
    // The await connection and a thread of each pool are made in the background now, so that
    // the next stabilize finds them ready.
    prepareAwaits(running.get(id));
    statePool.execute(() -> { });

    List<String> failures = new ArrayList<>();
    for (Map.Entry<Integer, Client> e : clients.entrySet()) {
      Client c = e.getValue();
      if (c.server != null && c.server == id && !c.cutOff) {
        try {
          connect(e.getKey(), c, id);
        } catch (ScriptError err) {
          failures.add(err.getMessage());
        }
      }
    }
    if (!failures.isEmpty()) {
      throw new ScriptError("server " + id + " started, but its clients could not reconnect: "
          + String.join("; ", failures));
    }
  }

  private void killServer(int id) throws ScriptError {
    running(id).handle.kill();
    running.remove(id);
  }

  private void joinClient(int cid, int sid) throws ScriptError {
    if (roles.get(cid) == Role.SERVER) {
      throw new ScriptError(cid + " is a server; it cannot be a client too");
    }
    running(sid);
    Client c = clients.get(cid);
    if (c == null || !c.agent.isAlive()) {
      if (c == null) {
        c = new Client();
      }
      c.agent = fleet.startAgent(cid);
      c.server = null;
      roles.put(cid, Role.CLIENT);
      clients.put(cid, c);
    }
    connect(cid, c, sid);
  }

  /** Attaches client {@code cid} to server {@code sid}; on failure it is attached to none. */
  private void connect(int cid, Client c, int sid) throws ScriptError {
    c.server = null;
    Fleet.ServerHandle server = running(sid).handle;
    byte[] reply = c.agent.call(CONNECT, Bytes.ascii(server.host()),
        Bytes.ascii(Integer.toString(server.port())));
    expectOk(cid, "connect", reply);
    c.server = sid;
    c.cutOff = false;
  }

  private void breakConnection(int a, int b) throws ScriptError {
    Role ra = roleOf(a);
    Role rb = roleOf(b);
    if (ra == Role.SERVER && rb == Role.SERVER) {
      Server sa = running(a);
      Server sb = running(b);
      sa.handle.blockLink(b);
      sb.handle.blockLink(a);
      topology.cut(a, b);
      return;
    }
    if (ra == Role.CLIENT && rb == Role.CLIENT) {
      throw bothClients(a, b);
    }
    int cid = ra == Role.CLIENT ? a : b;
    int sid = ra == Role.CLIENT ? b : a;
    Client c = clients.get(cid);
    if (c.server == null || c.server != sid) {
      throw new ScriptError("client " + cid + " is not connected to server " + sid
          + (c.server == null ? "" : " (it is attached to server " + c.server + ")"));
    }
    if (c.cutOff) {
      return;
    }
    expectOk(cid, "disconnect", c.agent.call(DISCONNECT));
    c.cutOff = true;
  }

  private void createConnection(int a, int b) throws ScriptError {
    Role ra = roles.get(a);
    Role rb = roles.get(b);
    if (ra == Role.SERVER && rb == Role.SERVER) {
      Server sa = running(a);
      Server sb = running(b);
      sa.handle.unblockLink(b);
      sb.handle.unblockLink(a);
      topology.heal(a, b);
      sa.handle.connectLink(b, sb.handle.port());
      return;
    }
    if (ra == Role.SERVER || rb == Role.SERVER) {
      // A client and a server: the same as joinClient, which also starts a new client.
      joinClient(ra == Role.SERVER ? b : a, ra == Role.SERVER ? a : b);
      return;
    }
    if (ra == Role.CLIENT && rb == Role.CLIENT) {
      throw bothClients(a, b);
    }
    throw new ScriptError("neither " + a + " nor " + b + " is a server");
  }

  private static ScriptError bothClients(int a, int b) {
    return new ScriptError(a + " and " + b + " are both clients; a connection joins two servers"
        + " or a client and a server");
  }

  private void printStore(int id, OutputStream out) throws ScriptError, IOException {
    // Line by line as the pages come: a large store is never held whole here either.
    running(id).handle.dump((key, value) -> {
      out.write(key);
      out.write(':');
      out.write(value);
      out.write('\n');
    });
  }

  private void get(int cid, byte[] key, OutputStream out) throws ScriptError, IOException {
    byte[] reply = attached(cid).agent.call(GET, key);
    if (startsWith(reply, VALUE)) {
      out.write(key);
      out.write(':');
      out.write(reply, VALUE.length, reply.length - VALUE.length);
      out.write('\n');
    } else if (equal(reply, ERR_KEY) || equal(reply, ERR_DEP)) {
      out.write(key);
      out.write(':');
      out.write(reply);
      out.write('\n');
    } else {
      throw agentError(cid, "get", reply);
    }
  }

  /**
   * Blocks until, in every group of running servers connected through uncut links, all servers
   * report the same state; gives up after the stabilize timeout, naming the groups still apart.
   */
  private void stabilize() throws ScriptError {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MILLISECONDS.toNanos(stabilizeTimeoutMs);
    stabilizeStart = start;
    nextReport = start + TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS);
    while (true) {
      long seen;
      synchronized (wake) {
        seen = wakeups;
      }
      Map<Integer, String> states = readStates(running, deadline);
      List<SortedSet<Integer>> apart = new ArrayList<>();
      for (SortedSet<Integer> group : topology.groups(running.keySet())) {
        if (distinct(group, states) > 1) {
          apart.add(group);
        }
      }
      if (apart.isEmpty()) {
        return;
      }
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (remainingMs <= 0) {
        StringJoiner groups = new StringJoiner(", ");
        for (SortedSet<Integer> g : apart) {
          groups.add(g + " (" + distinct(g, states) + " different states)");
        }
        throw new ScriptError("stabilize gave up after " + stabilizeTimeoutMs / 1000.0
            + " s; servers still apart: " + groups);
      }
      long now = System.nanoTime();
      if (now - nextReport >= 0) {
        progress.println(progressLine(TimeUnit.NANOSECONDS.toMillis(now - start), apart, states));
        progress.flush();
        nextReport = now + TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS);
      }
      for (SortedSet<Integer> group : apart) {
        for (int id : group) {
          awaitChange(running.get(id), states.get(id), remainingMs);
        }
      }
      synchronized (wake) {
        while (wakeups == seen) {
          // Wakes for the next progress report too, which reads the states afresh.
          long waitMs = TimeUnit.NANOSECONDS.toMillis(
              Math.min(deadline, nextReport) - System.nanoTime());
          if (waitMs <= 0) {
            break;
          }
          try {
            wake.wait(waitMs);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ScriptError("stabilize interrupted");
          }
        }
      }
    }
  }

  /**
   * One line of stabilize progress: each group still apart, and in it each server with how many
   * writes it lacks that another server of its group holds (from the version vectors of the
   * states, {@code <digest> {origin=seq, ...}}); a state without one is shown as it is.
   */
  static String progressLine(long elapsedMs, List<SortedSet<Integer>> apart,
      Map<Integer, String> states) {
    StringJoiner groups = new StringJoiner("; ");
    for (SortedSet<Integer> group : apart) {
      Map<Integer, Map<String, Long>> vvs = new TreeMap<>();
      Map<String, Long> max = new HashMap<>();
      for (int id : group) {
        Map<String, Long> vv = parseVector(states.get(id));
        if (vv == null) {
          vvs = null;
          break;
        }
        vvs.put(id, vv);
        vv.forEach((origin, seq) -> max.merge(origin, seq, Math::max));
      }
      StringJoiner servers = new StringJoiner(", ");
      for (int id : group) {
        if (vvs == null) {
          servers.add(id + " (state " + states.get(id) + ")");
          continue;
        }
        long behind = 0;
        for (Map.Entry<String, Long> e : max.entrySet()) {
          behind += Math.max(0, e.getValue() - vvs.get(id).getOrDefault(e.getKey(), 0L));
        }
        servers.add(id + (behind == 0 ? " (up to date)" : " (" + behind + " writes behind)"));
      }
      groups.add("group " + group + " (" + distinct(group, states) + " different states): "
          + servers);
    }
    return String.format(java.util.Locale.ROOT, "stabilize: waiting %.1f s for %s",
        elapsedMs / 1000.0, groups);
  }

  /** See {@link VectorText#parse}. */
  static Map<String, Long> parseVector(String state) {
    return VectorText.parse(state);
  }

  /**
   * Parks a KVS.AWAIT on {@code server} unless one is pending already. The await returns at once
   * if the state has moved on since {@code state} was read, so no change is missed between the
   * read and the await.
   */
  private void awaitChange(Server server, String state, long timeoutMs) throws ScriptError {
    if (server.awaiting) {
      return;
    }
    ScriptError failure = server.awaitFailure;
    if (failure != null) {
      // Retrying at once would spin: the server answers KVS.STATE but not KVS.AWAIT.
      server.awaitFailure = null;
      throw new ScriptError("stabilize cannot wait for changes: " + failure.getMessage(), failure);
    }
    server.awaiting = true;
    awaitPool.execute(() -> {
      try {
        server.handle.awaitChange(state, timeoutMs);
      } catch (ScriptError e) {
        server.awaitFailure = e;
      } catch (RuntimeException e) {
        server.awaitFailure = new ScriptError("KVS.AWAIT failed: " + e, e);
      } finally {
        server.awaiting = false;
        synchronized (wake) {
          wakeups++;
          wake.notifyAll();
        }
      }
    });
  }

  /** The states of {@code servers}, read at once; a read not done by {@code deadline} fails. */
  private Map<Integer, String> readStates(Map<Integer, Server> servers, long deadline)
      throws ScriptError {
    Map<Integer, Future<String>> pending = new HashMap<>();
    servers.forEach((id, server) -> pending.put(id, statePool.submit(server.handle::state)));
    Map<Integer, String> states = new HashMap<>();
    ScriptError failure = null;
    for (Map.Entry<Integer, Future<String>> e : pending.entrySet()) {
      try {
        states.put(e.getKey(), stateOf(e.getValue(), pending, deadline));
      } catch (ExecutionException ex) {
        if (failure == null) {
          failure = ex.getCause() instanceof ScriptError se ? se
              : new ScriptError("server " + e.getKey() + ": " + ex.getCause(), ex.getCause());
        }
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new ScriptError("stabilize interrupted");
      }
    }
    if (failure != null) {
      throw failure;
    }
    return states;
  }

  /**
   * The state a read will give, reporting the servers that have not answered yet about once a
   * second once the stabilize has taken more than a second; fails naming them at
   * {@code deadline} (the read itself may take up to its socket timeout).
   */
  private String stateOf(Future<String> read, Map<Integer, Future<String>> all, long deadline)
      throws ExecutionException, InterruptedException, ScriptError {
    while (true) {
      // A read gets a moment even when a report or the deadline is due: only a slow one counts
      // as silent.
      long now = System.nanoTime();
      long waitNs = Math.max(Math.min(nextReport - now, deadline - now),
          TimeUnit.MILLISECONDS.toNanos(SILENT_AFTER_MS));
      try {
        return read.get(waitNs, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // time for a report, or past the deadline
      }
      java.util.SortedSet<Integer> silent = new java.util.TreeSet<>();
      all.forEach((id, f) -> {
        if (!f.isDone()) silent.add(id);
      });
      now = System.nanoTime();
      if (!read.isDone() && now - deadline >= 0) {
        throw new ScriptError("stabilize gave up after " + stabilizeTimeoutMs / 1000.0
            + " s; servers " + silent + " did not report their state (not answering)");
      }
      if (!silent.isEmpty()) {
        progress.println(String.format(java.util.Locale.ROOT,
            "stabilize: waiting %.1f s for servers %s to report their state (not answering)",
            (now - stabilizeStart) / 1e9, silent));
        progress.flush();
      }
      nextReport = now + TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS);
    }
  }

  /** Readies the server's await connection on a pool thread, holding it as an await would. */
  private void prepareAwaits(Server server) {
    server.awaiting = true;
    awaitPool.execute(() -> {
      try {
        server.handle.prepareAwaits();
      } catch (ScriptError | RuntimeException e) {
        // The first await meets the same failure and reports it.
      } finally {
        server.awaiting = false;
        synchronized (wake) {
          wakeups++;
          wake.notifyAll();
        }
      }
    });
  }

  private static int distinct(Set<Integer> group, Map<Integer, String> states) {
    Set<String> seen = new HashSet<>();
    for (int id : group) {
      seen.add(states.get(id));
    }
    return seen.size();
  }

  private Role roleOf(int id) throws ScriptError {
    Role r = roles.get(id);
    if (r == null) {
      throw new ScriptError("no server or client has id " + id);
    }
    return r;
  }

  /** The running server {@code id}, or an error saying why there is none. */
  private Server running(int id) throws ScriptError {
    Server s = running.get(id);
    if (s != null) {
      return s;
    }
    Role r = roles.get(id);
    if (r == Role.CLIENT) {
      throw new ScriptError(id + " is a client, not a server");
    }
    throw new ScriptError("server " + id + " is not running"
        + (r == null ? " (it never joined)" : " (it was killed)"));
  }

  /** Client {@code cid}, checked to be attached to a running server it is not cut off from. */
  private Client attached(int cid) throws ScriptError {
    Client c = clients.get(cid);
    if (c == null) {
      if (roles.get(cid) == Role.SERVER) {
        throw new ScriptError(cid + " is a server, not a client");
      }
      throw new ScriptError("client " + cid + " does not exist (joinClient " + cid
          + " SID starts it)");
    }
    if (c.server == null) {
      throw new ScriptError("client " + cid + " is not connected to any server");
    }
    if (c.cutOff) {
      throw new ScriptError("client " + cid + " is cut off from server " + c.server);
    }
    if (!running.containsKey(c.server)) {
      throw new ScriptError("client " + cid + "'s server " + c.server + " is not running");
    }
    return c;
  }

  private static void expectOk(int cid, String request, byte[] reply) throws ScriptError {
    if (!equal(reply, OK)) {
      throw agentError(cid, request, reply);
    }
  }

  private static ScriptError agentError(int cid, String request, byte[] reply) {
    if (startsWith(reply, ERROR)) {
      String message = Bytes.latin1(reply).substring(ERROR.length).strip();
      String self = "client " + cid + ":";
      if (message.startsWith(self)) {
        message = message.substring(self.length()).strip();
      }
      return new ScriptError("client " + cid + " " + request + " failed: " + message);
    }
    return new ScriptError("client " + cid + " agent answered \"" + Bytes.show(reply) + "\" to "
        + request);
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean equal(byte[] a, byte[] b) {
    return Arrays.equals(a, b);
  }

  /** Kills every child process; the cluster cannot be used afterwards. */
  @Override
  public void close() {
    fleet.close();
    awaitPool.shutdownNow();
    statePool.shutdownNow();
  }
}
