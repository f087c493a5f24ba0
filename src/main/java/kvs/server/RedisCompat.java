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

  /** INFO [section ...]: see {@link ServerInfo}. */
  static String info(ConnectionHandler c, byte[][] a) {
    return ServerInfo.info(c, a);
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
    // The largest value a client can store: a larger one is refused (the frame limit is larger,
    // for replication's chunks, but no client value of that size is taken).
    params.put("proto-max-bulk-len", Integer.toString(c.node.config.limits().valueBytesMax()));
    params.put("save", "");
    params.put("slowlog-log-slower-than", Long.toString(ServerStats.SLOWLOG_SLOWER_THAN_MICROS));
    params.put("slowlog-max-len", Integer.toString(ServerStats.SLOWLOG_MAX_LEN));
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
    return Resp.map(out); // a map in RESP3, as Redis 7
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
          out.add(Resp.map(List.of(
              Resp.bulk("summary"), Resp.bulk(spec.summary()),
              Resp.bulk("since"), Resp.bulk("0.1.0"),
              Resp.bulk("group"), Resp.bulk(ClientCommands.group(name)))));
        }
        return Resp.map(out); // name, docs, ...: a map of maps in RESP3, as Redis 7
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
        Resp.set(flags), // flags, ACL categories and tips are sets in RESP3, as Redis 7
        Resp.integer(spec.keys().first()),
        Resp.integer(spec.keys().last()),
        Resp.integer(spec.keys().step()),
        Resp.set(List.of()),
        Resp.set(List.of()),
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
    ServerStats.Client client = ServerStats.client(c);
    return client == null ? 0 : client.id;
  }

  /** CLIENT INFO's line for this connection, as CLIENT LIST shows each. */
  static String clientLine(ConnectionHandler c) {
    return ClientCommands.line(c) + "\n";
  }

  static String address(java.net.SocketAddress a) {
    if (a instanceof java.net.InetSocketAddress i) {
      return i.getAddress().getHostAddress() + ":" + i.getPort();
    }
    return String.valueOf(a);
  }
}
