package kvs.master;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvs.process.HostPort;

/**
 * A {@link Fleet} spread over hosts: each server and client id runs on the host the hosts file
 * maps it to, started and killed by that host's agent ({@code kvs agent}, protocol in
 * docs/internal-protocol.md). Servers listen on their host's address and find their peers by
 * address; the master reaches them over admin connections as it does local ones.
 *
 * <p>The master keeps one control connection per agent for the whole run: the agent kills every
 * process the run started when that connection closes, so ending the master in any way ends its
 * servers and clients on every host. A client agent's requests go over a connection of its own,
 * which the agent relays to the client process's standard input and output.
 */
final class RemoteFleet implements Fleet {
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  /** The agent waits up to 60 s for a server's READY; this is the master's margin on top. */
  private static final int CONTROL_TIMEOUT_MS = 90_000;
  private static final int REPLY_MAX_BYTES = 256 * 1024 * 1024;
  private static final int ADMIN_SOCKET_TIMEOUT_MS = 30_000;

  /** The parsed hosts file: which agent runs which id. */
  record Hosts(Map<Integer, InetSocketAddress> byId, InetSocketAddress others) {
    InetSocketAddress agentFor(int id) throws ScriptError {
      InetSocketAddress a = byId.getOrDefault(id, others);
      if (a == null) {
        throw new ScriptError("the hosts file maps no host to id " + id + " (add '" + id
            + " HOST:PORT' or a '* HOST:PORT' line)");
      }
      return a;
    }

    /**
     * Lines {@code ID HOST:PORT} (the agent that runs id ID) and at most one {@code * HOST:PORT}
     * (every other id); blank lines and {@code #} comments are ignored.
     */
    static Hosts parse(Path file) throws IOException {
      Map<Integer, InetSocketAddress> byId = new HashMap<>();
      InetSocketAddress others = null;
      int n = 0;
      for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        n++;
        String line = raw.replaceFirst("#.*", "").strip();
        if (line.isEmpty()) continue;
        String[] w = line.split("[ \t]+");
        String where = file + " line " + n + ": ";
        if (w.length != 2) throw new IOException(where + "expected 'ID HOST:PORT' or '* HOST:PORT'");
        InetSocketAddress a;
        try {
          a = HostPort.parse(w[1]);
        } catch (IllegalArgumentException e) {
          throw new IOException(where + e.getMessage());
        }
        if (a.getPort() == 0) throw new IOException(where + "the agent's port cannot be 0");
        if (w[0].equals("*")) {
          if (others != null) throw new IOException(where + "a second '*' line");
          others = a;
          continue;
        }
        int id;
        try {
          id = Integer.parseInt(w[0]);
        } catch (NumberFormatException e) {
          id = -1;
        }
        if (id < 0) throw new IOException(where + "'" + w[0] + "' is not an id or '*'");
        if (byId.put(id, a) != null) throw new IOException(where + "id " + id + " mapped twice");
      }
      if (byId.isEmpty() && others == null) throw new IOException(file + ": no hosts");
      return new Hosts(Map.copyOf(byId), others);
    }
  }

  private final Hosts hosts;
  private final String secret;
  private final String dataName;
  private final List<String> serverExtraArgs;
  private final Map<InetSocketAddress, Control> controls = new HashMap<>();
  /** The latest handle of each server id: where its peers find it. */
  private final Map<Integer, RemoteServer> servers = new HashMap<>();
  private final List<RemoteClient> clients = new ArrayList<>();
  private boolean closed;

  /**
   * @param dataName a name under which agents keep the servers' data after the run, or null for
   *     data deleted at the end
   */
  RemoteFleet(Hosts hosts, String secret, String dataName, List<String> serverExtraArgs) {
    this.hosts = hosts;
    this.secret = secret;
    this.dataName = dataName;
    this.serverExtraArgs = List.copyOf(serverExtraArgs);
  }

  private synchronized Control control(InetSocketAddress agent) throws ScriptError {
    if (closed) throw new ScriptError("the master is shutting down");
    Control c = controls.get(agent);
    if (c == null) {
      c = new Control(agent);
      c.open(dataName);
      controls.put(agent, c);
    }
    return c;
  }

  @Override
  public ServerHandle startServer(int id, Map<Integer, Integer> peerPorts) throws ScriptError {
    Control agent = control(hosts.agentFor(id));
    StringBuilder req = new StringBuilder("SERVER ").append(id);
    serverExtraArgs.forEach(a -> req.append(' ').append(a));
    for (Map.Entry<Integer, Integer> p : peerPorts.entrySet()) {
      RemoteServer peer = servers.get(p.getKey());
      if (peer == null) throw new ScriptError("no address known for server " + p.getKey());
      req.append(' ').append(p.getKey()).append('=').append(HostPort.format(peer.host, p.getValue()));
    }
    String reply = agent.request(req.toString());
    String[] w = reply.split(" ");
    if (w.length != 3 || !w[0].equals("READY")) {
      throw new ScriptError(agent.describe() + ": " + strip(reply));
    }
    int port;
    try {
      port = Integer.parseInt(w[2]);
    } catch (NumberFormatException e) {
      throw new ScriptError(agent.describe() + " answered \"" + reply + "\" to SERVER");
    }
    RemoteServer s = new RemoteServer(id, w[1], port, agent);
    try {
      s.commands.connect();
    } catch (ScriptError e) {
      s.kill();
      throw e;
    }
    synchronized (this) {
      servers.put(id, s);
    }
    return s;
  }

  private static String strip(String reply) {
    return reply.startsWith("ERROR ") ? reply.substring(6) : reply;
  }

  @Override
  public AgentHandle startAgent(int id) throws ScriptError {
    InetSocketAddress at = hosts.agentFor(id);
    control(at); // fails early when shutting down
    RemoteClient c = new RemoteClient(id, at);
    synchronized (this) {
      clients.add(c);
    }
    return c;
  }

  @Override
  public void close() {
    List<Control> all;
    List<RemoteClient> cs;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(controls.values());
      cs = new ArrayList<>(clients);
    }
    cs.forEach(RemoteClient::kill);
    // Ending a control session makes its agent kill everything the session started.
    all.forEach(Control::close);
    servers.values().forEach(AdminServerHandle::closeConnections);
  }

  /** A connection to one agent, authenticated with the cluster secret. */
  private final class Connection {
    final InetSocketAddress agent;
    Socket socket;
    InputStream in;
    OutputStream out;

    Connection(InetSocketAddress agent) {
      this.agent = agent;
    }

    String describe() {
      return "the agent at " + agent.getHostString() + ":" + agent.getPort();
    }

    void open(int timeoutMs) throws ScriptError {
      try {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setKeepAlive(true);
        s.connect(new InetSocketAddress(agent.getHostString(), agent.getPort()), CONNECT_TIMEOUT_MS);
        s.setSoTimeout(timeoutMs);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 1 << 16);
        out = s.getOutputStream();
      } catch (IOException e) {
        close();
        throw new ScriptError("cannot reach " + describe() + ": " + e.getMessage(), e);
      }
      String r = request("AUTH " + secret);
      if (!r.equals("OK")) {
        close();
        throw new ScriptError(describe() + " refused the master: " + strip(r));
      }
    }

    String request(String line) throws ScriptError {
      try {
        out.write((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        byte[] r = readLine();
        if (r == null) throw new IOException("connection closed");
        return new String(r, StandardCharsets.ISO_8859_1);
      } catch (IOException e) {
        close();
        throw new ScriptError(describe() + " did not answer: " + e.getMessage(), e);
      }
    }

    byte[] readLine() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream(128);
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (b.size() >= REPLY_MAX_BYTES) throw new IOException("reply too long");
        b.write(c);
      }
      if (c < 0) return null;
      byte[] r = b.toByteArray();
      return r.length > 0 && r[r.length - 1] == '\r' ? java.util.Arrays.copyOf(r, r.length - 1) : r;
    }

    void close() {
      Socket s = socket;
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // being thrown away
        }
      }
    }
  }

  /** The run's control session with one agent; requests one at a time. */
  private final class Control {
    private final Connection conn;

    Control(InetSocketAddress agent) {
      this.conn = new Connection(agent);
    }

    void open(String dataName) throws ScriptError {
      conn.open(CONTROL_TIMEOUT_MS);
      if (dataName != null) {
        String r = conn.request("DATA " + dataName);
        if (!r.equals("OK")) throw new ScriptError(describe() + ": " + strip(r));
      }
    }

    synchronized String request(String line) throws ScriptError {
      return conn.request(line);
    }

    String describe() {
      return conn.describe();
    }

    void close() {
      conn.close();
    }
  }

  private final class RemoteServer extends AdminServerHandle {
    private final Control agent;

    RemoteServer(int id, String host, int port, Control agent) {
      super(id, host, port, secret, ADMIN_SOCKET_TIMEOUT_MS);
      this.agent = agent;
    }

    @Override
    String peerHost(int peer) throws ScriptError {
      RemoteServer s;
      synchronized (RemoteFleet.this) {
        s = servers.get(peer);
      }
      if (s == null) throw new ScriptError("no address known for server " + peer);
      return s.host;
    }

    @Override
    public void kill() {
      try {
        agent.request("KILL " + id);
      } catch (ScriptError e) {
        // The agent is unreachable: its session ends with the connection, and the server with it.
      }
      closeConnections();
    }
  }

  /** A client agent on a remote host, over a relay connection of its own. */
  private final class RemoteClient implements AgentHandle {
    private final int id;
    private final Connection conn;
    private boolean started;
    private volatile boolean alive = true;

    RemoteClient(int id, InetSocketAddress at) {
      this.id = id;
      this.conn = new Connection(at);
    }

    private void start() throws ScriptError {
      if (started) return;
      conn.open(CONTROL_TIMEOUT_MS);
      String r = conn.request("CLIENT " + id);
      if (!r.equals("OK")) {
        conn.close();
        alive = false;
        throw new ScriptError("client " + id + ": " + conn.describe() + ": " + strip(r));
      }
      started = true;
    }

    @Override
    public byte[] call(byte[]... words) throws ScriptError {
      try {
        start();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < words.length; i++) {
          if (i > 0) b.write(' ');
          b.write(words[i]);
        }
        b.write('\n');
        conn.out.write(b.toByteArray());
        conn.out.flush();
        byte[] r = conn.readLine();
        if (r == null) throw new IOException("the client agent exited");
        return r;
      } catch (IOException e) {
        alive = false;
        conn.close();
        throw new ScriptError("client " + id + " agent on " + conn.describe() + " is gone: "
            + e.getMessage(), e);
      }
    }

    @Override
    public boolean isAlive() {
      return alive;
    }

    @Override
    public void kill() {
      alive = false;
      conn.close(); // the agent kills the client when its relay connection closes
    }
  }
}
