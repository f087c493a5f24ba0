package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import kvs.net.Limits;
import kvs.net.Resp;

/**
 * What the server tells Redis tools about itself: {@code INFO}, {@code CONFIG GET},
 * {@code COMMAND} and the client-name rules, in the shapes Redis 7 gives them.
 */
final class RedisCompat {
  /** Reported as redis_version; clients gate features on it, 7.0 has all they ask of us. */
  static final String VERSION = "7.0.0";

  private RedisCompat() {}

  // ---- INFO ---------------------------------------------------------------------------------

  /** INFO [section ...]: no section, "default", "all" or "everything" give every section. */
  static String info(ConnectionHandler c, byte[][] a) {
    Set<String> wanted = new LinkedHashSet<>();
    for (int i = 1; i < a.length; i++) wanted.add(Resp.ascii(a[i]).toLowerCase(Locale.ROOT));
    boolean all = wanted.isEmpty() || wanted.contains("default") || wanted.contains("all")
        || wanted.contains("everything");
    Node node = c.node;
    Map<String, String> sections = new LinkedHashMap<>();
    sections.put("server", "redis_version:" + VERSION + "\r\nkvs_version:0.1.0\r\n"
        + "redis_mode:standalone\r\nos:" + System.getProperty("os.name") + "\r\n"
        + "process_id:" + ProcessHandle.current().pid() + "\r\n"
        + "tcp_port:" + node.port() + "\r\nkvs_server_id:" + node.config.id() + "\r\n");
    Limits limits = node.config.limits();
    sections.put("clients", "connected_clients:" + node.clients.connected + "\r\n"
        + "maxclients:" + limits.maxClients() + "\r\n");
    sections.put("persistence", "loading:0\r\nkvs_storage:rocksdb\r\nkvs_fsync:"
        + (node.config.fsync() ? 1 : 0) + "\r\n");
    sections.put("stats", "rejected_connections:" + node.clients.rejected + "\r\n"
        + "client_output_buffer_limit_disconnections:"
        + node.clients.outputBufferLimitDisconnections + "\r\n");
    sections.put("replication", "role:master\r\nconnected_slaves:0\r\n"
        + "kvs_linked_peers:" + node.links.linkedPeers().size() + "\r\n"
        + "kvs_version_vector:" + node.replica.vv() + "\r\n");
    long[] keys = {0, 0}; // live keys, of which with an expiry
    if (all || wanted.contains("keyspace")) {
      node.replica.forEachLive(e -> {
        keys[0]++;
        if (e.hasExpiry()) keys[1]++;
      });
    }
    sections.put("keyspace", keys[0] > 0
        ? "db0:keys=" + keys[0] + ",expires=" + keys[1] + ",avg_ttl=0\r\n" : "");
    StringBuilder sb = new StringBuilder();
    sections.forEach((name, body) -> {
      if (!all && !wanted.contains(name)) return;
      if (sb.length() > 0) sb.append("\r\n");
      sb.append("# ").append(Character.toUpperCase(name.charAt(0))).append(name.substring(1))
          .append("\r\n").append(body);
    });
    return sb.toString();
  }

  // ---- CONFIG GET ---------------------------------------------------------------------------

  /**
   * CONFIG GET pattern [pattern ...]: the parameters tools probe (redis-benchmark asks for
   * {@code save} and {@code appendonly}), as name-value pairs, each once.
   */
  static RedisMessage configGet(ConnectionHandler c, byte[][] a) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("appendonly", "no"); // durability comes from RocksDB's write-ahead log instead
    params.put("bind", c.node.config.host());
    params.put("client-output-buffer-limit", "normal "
        + c.node.config.limits().clientOutputBufferLimit() + " 0 0");
    params.put("databases", "1");
    params.put("maxclients", Integer.toString(c.node.config.limits().maxClients()));
    params.put("maxmemory", "0");
    params.put("port", Integer.toString(c.node.port()));
    params.put("proto-max-bulk-len", Integer.toString(c.node.config.limits().bulkBytesMax()));
    params.put("save", "");
    params.put("timeout", Integer.toString(c.node.config.limits().clientTimeoutSeconds()));
    Set<String> names = new LinkedHashSet<>();
    for (int i = 2; i < a.length; i++) {
      byte[] pattern = Resp.ascii(a[i]).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.ISO_8859_1);
      for (String name : params.keySet()) {
        if (Glob.matches(pattern, Resp.bytes(name))) names.add(name);
      }
    }
    List<RedisMessage> out = new ArrayList<>();
    for (String name : names) {
      out.add(Resp.bulk(name));
      out.add(Resp.bulk(params.get(name)));
    }
    return Resp.array(out);
  }

  // ---- COMMAND ------------------------------------------------------------------------------

  /**
   * COMMAND [COUNT | LIST | INFO [name ...] | DOCS [name ...] | HELP], from the same declarations
   * that dispatch uses ({@link Commands#table()}).
   */
  static RedisMessage command(byte[][] a) {
    Map<String, CommandSpec> table = Commands.table();
    String sub = a.length == 1 ? "INFO" : Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
    List<String> names = new ArrayList<>();
    for (int i = 2; i < a.length; i++) names.add(Resp.ascii(a[i]).toUpperCase(Locale.ROOT));
    boolean everything = names.isEmpty();
    if (everything) names.addAll(table.keySet());
    List<RedisMessage> out = new ArrayList<>();
    switch (sub) {
      case "COUNT" -> {
        return Resp.integer(table.size());
      }
      case "LIST" -> {
        for (String name : table.keySet()) out.add(Resp.bulk(name.toLowerCase(Locale.ROOT)));
      }
      case "INFO" -> {
        for (String name : names) {
          CommandSpec spec = table.get(name);
          out.add(spec == null ? Resp.NIL : info(spec));
        }
      }
      case "DOCS" -> {
        for (String name : names) {
          CommandSpec spec = table.get(name);
          if (spec == null) continue;
          out.add(Resp.bulk(name.toLowerCase(Locale.ROOT)));
          out.add(Resp.array(List.of(
              Resp.bulk("summary"), Resp.bulk(spec.summary()),
              Resp.bulk("since"), Resp.bulk("0.1.0"),
              Resp.bulk("group"), Resp.bulk(name.startsWith("KVS.") ? "kvs" : "generic"))));
        }
      }
      case "HELP" -> {
        out.add(Resp.simple("COMMAND [COUNT | LIST | INFO [<name> ...] | DOCS [<name> ...]]"));
      }
      default -> {
        return Resp.error("ERR unknown subcommand '" + CommandSupport.printable(a[1])
            + "'. Try COMMAND HELP.");
      }
    }
    return Resp.array(out);
  }

  /** One entry of COMMAND INFO, Redis 7's ten fields. */
  private static RedisMessage info(CommandSpec spec) {
    List<RedisMessage> flags = new ArrayList<>();
    for (CommandSpec.Flag f : spec.flags()) flags.add(Resp.simple(f.text));
    return Resp.array(List.of(
        Resp.bulk(spec.name().toLowerCase(Locale.ROOT)),
        Resp.integer(spec.arity()),
        Resp.array(flags),
        Resp.integer(spec.keys().first()),
        Resp.integer(spec.keys().last()),
        Resp.integer(spec.keys().step()),
        Resp.array(List.of()),
        Resp.array(List.of()),
        Resp.array(List.of()),
        Resp.array(List.of())));
  }

  // ---- CLIENT -------------------------------------------------------------------------------

  /** Redis's rule for client names and library attributes: printable ASCII without spaces. */
  static boolean isClientName(byte[] name) {
    for (byte b : name) {
      if (b < '!' || b > '~') return false;
    }
    return true;
  }

  static long clientId(ConnectionHandler c) {
    return c.ctx.channel().id().hashCode() & 0x7fffffffL;
  }

  /** CLIENT INFO's line for this connection (CLIENT LIST shows only this one, too). */
  static String clientLine(ConnectionHandler c) {
    return "id=" + clientId(c) + " addr=" + address(c.ctx.channel().remoteAddress())
        + " laddr=" + address(c.ctx.channel().localAddress())
        + " name=" + (c.clientName == null ? "" : c.clientName) + " db=0 resp=2\n";
  }

  private static String address(java.net.SocketAddress a) {
    if (a instanceof java.net.InetSocketAddress i) {
      return i.getAddress().getHostAddress() + ":" + i.getPort();
    }
    return String.valueOf(a);
  }
}
