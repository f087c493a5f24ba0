package kvs.cli;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import kvs.bench.Json;
import kvs.master.VectorText;
import kvs.net.RespStream;
import kvs.process.HostPort;
import kvs.process.IoMessages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvs status}: asks each server of a cluster for its id, links and state (INFO and, with
 * the cluster secret, KVS.STATE) and tells whether the cluster has converged: every server linked
 * to the others (directly or through others) and all holding the same state. Lag is computed from
 * the version vectors: for a server and a peer, the writes the peer holds that the server lacks.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {
      "Shows each server of a cluster, its links, how many writes it lacks that each other server"
          + " holds, and whether the cluster has converged (one linked group, every server with"
          + " the same digest and version vector).",
      "Servers: --server HOST:PORT (repeatable), or --port P --servers N for a `kvs cluster`"
          + " (ports P..P+N-1 on --host). With the cluster secret in KVS_CLUSTER_SECRET the"
          + " digests are compared too (KVS.STATE); without it, the version vectors only."
          + " Servers that serve TLS: --tls --cacert FILE [--cert FILE --key FILE].",
      "Exit status: 0 converged; 1 reachable but not converged (lag, partition, differing"
          + " states); 2 a server unreachable or refusing, or bad options."
    })
public final class StatusCommand implements Callable<Integer> {
  static final int CONVERGED = 0;
  static final int NOT_CONVERGED = 1;
  static final int UNREACHABLE = 2;

  @Spec CommandSpec spec;

  @Option(names = "--server", paramLabel = "HOST:PORT",
      description = "A server's client address; repeat for each server.")
  List<String> servers = new ArrayList<>();

  @Option(names = "--port", paramLabel = "P", description = "Client port of server 0 of a"
      + " `kvs cluster` (with --servers).")
  Integer port;

  @Option(names = "--servers", paramLabel = "N", description = "How many servers the"
      + " `kvs cluster` runs (with --port).")
  Integer count;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Host of --port (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Option(names = "--per-group", description = "Converged as the master's stabilize decides:"
      + " each group of linked servers agrees, even if the links split the cluster.")
  boolean perGroup;

  @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "3000",
      description = "Connect and reply timeout per server (default: ${DEFAULT-VALUE}).")
  int timeoutMs;

  @Option(names = "--requirepass", paramLabel = "PASSWORD",
      description = "The client password (AUTH), when there is no cluster secret; prefer"
          + " --requirepass-file or KVS_REQUIREPASS, which ps does not show.")
  String requirePass;

  @Option(names = "--requirepass-file", paramLabel = "FILE",
      description = "The client password on the first line of FILE.")
  Path requirePassFile;

  @Mixin ClientTlsOptions tls = new ClientTlsOptions();

  /** What one server said. */
  static final class Server {
    final String address;
    String error;
    int id = -1;
    String digest;
    Map<String, Long> vector;
    /** Linked peer to how many of this server's writes it is not known to hold (INFO). */
    final Map<Integer, Long> links = new TreeMap<>();
    /** Other server id to how many writes it holds that this one lacks. */
    final Map<Integer, Long> behind = new TreeMap<>();

    Server(String address) {
      this.address = address;
    }

    String state() {
      return (digest == null ? "" : digest + " ") + vector;
    }
  }

  @Override
  public Integer call() {
    List<String> addresses = new ArrayList<>(servers);
    if (port != null || count != null) {
      if (port == null || count == null) {
        throw new ParameterException(spec.commandLine(), "--port and --servers go together");
      }
      if (count < 1 || port < 1 || port + count - 1 > 65535) {
        throw new ParameterException(spec.commandLine(), "--port and --servers must give ports"
            + " in 1..65535");
      }
      for (int i = 0; i < count; i++) addresses.add(HostPort.format(host, port + i));
    }
    if (addresses.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "name the servers: --server HOST:PORT"
          + " (repeatable) or --port P --servers N");
    }
    if (timeoutMs < 1) throw new ParameterException(spec.commandLine(), "--timeout-ms must be > 0");
    String tlsProblem = tls.load();
    if (tlsProblem != null) throw new ParameterException(spec.commandLine(), tlsProblem);
    String pass;
    try {
      pass = RequirePass.resolve(requirePass, requirePassFile, System.getenv());
      for (String a : addresses) HostPort.parse(a);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    String secret = System.getenv("KVS_CLUSTER_SECRET");
    if (secret != null && secret.isEmpty()) secret = null;

    List<Server> result = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (String a : addresses) {
      Server s = new Server(a);
      result.add(s);
      String sec = secret;
      Thread t = new Thread(() -> ask(s, sec, pass), "status " + a);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return UNREACHABLE;
      }
    }
    Verdict v = judge(result, perGroup);
    PrintStream out = System.out;
    if (json) {
      out.println(toJson(result, v));
    } else {
      out.print(table(result, v));
    }
    out.flush();
    for (Server s : result) {
      if (s.error != null) System.err.println("kvs status: " + s.address + ": " + s.error);
    }
    return v.exit;
  }

  /** Fills {@code s} from its server; sets {@code s.error} when it cannot. */
  void ask(Server s, String secret, String pass) {
    InetSocketAddress at = HostPort.parse(s.address);
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(at.getHostString(), at.getPort()), timeoutMs);
      plain.setSoTimeout(timeoutMs);
      plain.setTcpNoDelay(true);
      Socket socket = tls.wrap(plain, at.getHostString(), at.getPort());
      RespStream resp = new RespStream(new BufferedInputStream(socket.getInputStream()),
          new BufferedOutputStream(socket.getOutputStream()));
      try {
        if (secret != null) {
          call(resp, "KVS.ADMIN", secret);
        } else if (pass != null) {
          call(resp, "AUTH", pass);
        }
        parseInfo(s, call(resp, "INFO", "server", "replication"));
        if (secret != null) {
          String state = call(resp, "KVS.STATE");
          int space = state.indexOf(' ');
          s.digest = space < 0 ? state : state.substring(0, space);
          Map<String, Long> vv = VectorText.parse(state);
          if (vv != null) s.vector = vv;
        }
        if (s.vector == null) s.error = "no version vector in its INFO (not a kvs server?)";
      } finally {
        resp.close();
      }
    } catch (IOException e) {
      s.error = "cannot reach it: " + IoMessages.describe(e);
    } catch (ReplyError e) {
      s.error = e.getMessage();
    }
  }

  private static final class ReplyError extends Exception {
    ReplyError(String message) {
      super(message);
    }
  }

  private static String call(RespStream resp, String... args) throws IOException, ReplyError {
    List<byte[]> a = new ArrayList<>();
    for (String s : args) a.add(s.getBytes(StandardCharsets.UTF_8));
    resp.write(a);
    RedisMessage r = resp.read();
    try {
      if (r instanceof ErrorRedisMessage e) {
        throw new ReplyError(args[0] + " failed: " + e.content()
            + (args[0].equals("KVS.ADMIN") ? " (KVS_CLUSTER_SECRET)" : ""));
      }
      if (r instanceof SimpleStringRedisMessage s) return s.content();
      if (r instanceof FullBulkStringRedisMessage b && !b.isNull()) {
        return new String(ByteBufUtil.getBytes(b.content()), StandardCharsets.UTF_8);
      }
      throw new ReplyError(args[0] + ": unexpected reply " + r);
    } finally {
      ReferenceCountUtil.release(r);
    }
  }

  static void parseInfo(Server s, String info) {
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || line.startsWith("#")) continue;
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).trim();
      try {
        if (name.equals("kvs_server_id")) {
          s.id = Integer.parseInt(value);
        } else if (name.equals("kvs_version_vector")) {
          s.vector = VectorText.parse(value);
        } else if (name.startsWith("kvs_peer") && !name.equals("kvs_peers")) {
          int peer = Integer.parseInt(name.substring("kvs_peer".length()));
          long lag = 0;
          for (String field : value.split(",")) {
            if (field.startsWith("lag_writes=")) lag = Long.parseLong(field.substring(11));
          }
          s.links.put(peer, lag);
        }
      } catch (NumberFormatException e) {
        // a field of another version: left out
      }
    }
  }

  /** Writes in {@code theirs} that {@code mine} lacks. */
  static long behind(Map<String, Long> mine, Map<String, Long> theirs) {
    long n = 0;
    for (Map.Entry<String, Long> e : theirs.entrySet()) {
      n += Math.max(0, e.getValue() - mine.getOrDefault(e.getKey(), 0L));
    }
    return n;
  }

  record Verdict(int exit, boolean converged, String reason, List<Set<Integer>> groups) {}

  /** Fills each server's lag and decides; groups are of linked servers, by id. */
  static Verdict judge(List<Server> all, boolean perGroup) {
    List<Server> ok = new ArrayList<>();
    for (Server s : all) if (s.error == null) ok.add(s);
    for (Server s : ok) {
      for (Server p : ok) {
        if (p != s) s.behind.put(p.id, behind(s.vector, p.vector));
      }
    }
    // Groups: connected through links between the servers asked (either end reporting it).
    Map<Integer, Server> byId = new TreeMap<>();
    for (Server s : ok) byId.put(s.id, s);
    List<Set<Integer>> groups = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int id : byId.keySet()) {
      if (!seen.add(id)) continue;
      Set<Integer> group = new TreeSet<>();
      List<Integer> todo = new ArrayList<>(List.of(id));
      while (!todo.isEmpty()) {
        int at = todo.remove(todo.size() - 1);
        group.add(at);
        for (Server other : ok) {
          boolean linked = other.id == at ? false
              : byId.get(at).links.containsKey(other.id) || other.links.containsKey(at);
          if (linked && seen.add(other.id)) todo.add(other.id);
        }
      }
      groups.add(group);
    }
    List<String> problems = new ArrayList<>();
    int unreachable = all.size() - ok.size();
    if (unreachable > 0) problems.add(unreachable + " of " + all.size() + " servers did not answer");
    if (groups.size() > 1 && !perGroup) {
      problems.add("the links split the servers into " + groups.size() + " groups " + groups);
    }
    for (Set<Integer> g : perGroup ? groups : List.of(byId.keySet())) {
      Set<String> states = new HashSet<>();
      for (int id : g) states.add(byId.get(id).state());
      if (states.size() > 1) {
        StringJoiner lagging = new StringJoiner(", ");
        for (int id : g) {
          long most = 0;
          for (int other : g) {
            if (other != id) most = Math.max(most, byId.get(id).behind.get(other));
          }
          if (most > 0) lagging.add(id + " lacks " + most + " write" + (most == 1 ? "" : "s"));
        }
        problems.add("servers " + g + " hold " + states.size() + " different states"
            + (lagging.length() > 0 ? " (" + lagging + ")" : ""));
      }
    }
    boolean converged = problems.isEmpty();
    int exit = unreachable > 0 ? UNREACHABLE : converged ? CONVERGED : NOT_CONVERGED;
    return new Verdict(exit, converged, String.join("; ", problems), groups);
  }

  static String table(List<Server> all, Verdict v) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "ADDRESS", "LINKS", "BEHIND", "STATE"});
    for (Server s : all) {
      if (s.error != null) {
        rows.add(new String[] {"?", s.address, "-", "-", "error: " + s.error});
        continue;
      }
      StringJoiner links = new StringJoiner(",");
      s.links.keySet().forEach(p -> links.add(Integer.toString(p)));
      StringJoiner behind = new StringJoiner(" ");
      s.behind.forEach((p, n) -> {
        if (n > 0) behind.add(p + ":" + n);
      });
      rows.add(new String[] {Integer.toString(s.id), s.address,
          links.length() == 0 ? "-" : links.toString(),
          behind.length() == 0 ? "-" : behind.toString(), s.state()});
    }
    int[] width = new int[5];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(i == r.length - 1 ? r[i] : String.format(Locale.ROOT, "%-" + width[i] + "s  ",
            r[i]));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    sb.append(v.converged ? "converged: yes\n" : "converged: no: " + v.reason + "\n");
    return sb.toString();
  }

  static String toJson(List<Server> all, Verdict v) {
    StringBuilder sb = new StringBuilder("{\"converged\":").append(v.converged);
    sb.append(",\"reason\":").append(Json.quote(v.reason));
    sb.append(",\"groups\":").append(v.groups.toString().replace(" ", ""));
    sb.append(",\"servers\":[");
    for (int i = 0; i < all.size(); i++) {
      Server s = all.get(i);
      if (i > 0) sb.append(',');
      sb.append("{\"address\":").append(Json.quote(s.address));
      if (s.error != null) {
        sb.append(",\"reachable\":false,\"error\":").append(Json.quote(s.error)).append('}');
        continue;
      }
      sb.append(",\"reachable\":true,\"id\":").append(s.id);
      sb.append(",\"digest\":").append(s.digest == null ? "null" : Json.quote(s.digest));
      sb.append(",\"vector\":").append(map(s.vector));
      sb.append(",\"links\":[");
      boolean first = true;
      for (Map.Entry<Integer, Long> l : s.links.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        sb.append("{\"peer\":").append(l.getKey()).append(",\"state\":\"linked\",\"lag_writes\":")
            .append(l.getValue()).append('}');
      }
      sb.append("],\"behind\":").append(map(s.behind)).append('}');
    }
    return sb.append("]}").toString();
  }

  private static String map(Map<?, Long> m) {
    StringJoiner j = new StringJoiner(",", "{", "}");
    m.forEach((k, n) -> j.add(Json.quote(String.valueOf(k)) + ":" + n));
    return j.toString();
  }

}
