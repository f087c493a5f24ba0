package kvs.server;

import io.netty.channel.ChannelOutboundBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import kvs.net.Resp;

/**
 * CLIENT SETNAME, GETNAME, SETINFO, ID, INFO, LIST and KILL, over every client connection of
 * this server (peers' replication links and admin connections are not clients and are neither
 * listed nor killed), in Redis 7's formats; and the group COMMAND DOCS gives each command.
 */
final class ClientCommands {
  private ClientCommands() {}

  /** Connections that are this server's clients now. */
  static List<ServerStats.Client> clients(Node node) {
    List<ServerStats.Client> out = new ArrayList<>();
    for (ServerStats.Client cl : node.stats.connections.values()) {
      ConnectionHandler h = cl.handler;
      if (h.admin || h.ctx == null || h.ctx.isRemoved() || !h.ctx.channel().isActive()) continue;
      out.add(cl);
    }
    return out;
  }

  /** One connection's CLIENT LIST line, without the newline: Redis 7's fields. */
  static String line(ConnectionHandler c) {
    ServerStats.Client cl = ServerStats.client(c);
    long now = System.nanoTime();
    long id = cl == null ? 0 : cl.id;
    long age = cl == null ? 0 : TimeUnit.NANOSECONDS.toSeconds(now - cl.createdNanos);
    long idle = cl == null ? 0 : TimeUnit.NANOSECONDS.toSeconds(now - cl.lastCommandNanos);
    ChannelOutboundBuffer out = c.ctx.channel().unsafe().outboundBuffer();
    long omem = out == null ? 0 : out.totalPendingWriteBytes();
    String cmd = cl == null ? "NULL" : cl.cmd();
    return "id=" + id + " addr=" + RedisCompat.address(c.ctx.channel().remoteAddress())
        + " laddr=" + RedisCompat.address(c.ctx.channel().localAddress())
        + " fd=-1 name=" + (c.clientName == null ? "" : c.clientName)
        + " age=" + age + " idle=" + idle + " flags=" + (c.transaction.inMulti() ? "x" : "N")
        + " db=0 sub=0 psub=0 ssub=0 multi=" + c.transaction.queuedCount()
        + " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" + omem
        + " tot-mem=" + omem + " events=r cmd=" + cmd + " user=default redir=-1 resp=" + c.replies.protocol();
  }

  /** CLIENT subcommand [arg ...]. */
  static void client(ConnectionHandler c, byte[][] a) {
    String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
    int arity = switch (sub) {
      case "SETNAME" -> 3;
      case "SETINFO" -> 4;
      case "GETNAME", "ID", "INFO", "HELP" -> 2;
      case "LIST" -> -2;
      case "KILL" -> -3;
      default -> 0;
    };
    if (arity == 0) {
      c.replies.add(Resp.error("ERR unknown subcommand '" + CommandSupport.printable(a[1])
          + "'. Try CLIENT HELP."));
      return;
    }
    if (arity > 0 ? a.length != arity : a.length < -arity) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("client|" + sub)));
      return;
    }
    switch (sub) {
      case "SETNAME" -> {
        if (!RedisCompat.isClientName(a[2])) {
          c.replies.add(Resp.error("ERR Client names cannot contain spaces, newlines or"
              + " special characters."));
        } else {
          c.clientName = a[2].length == 0 ? null : Resp.ascii(a[2]);
          c.replies.add(Resp.OK);
        }
      }
      case "GETNAME" -> c.replies.add(c.clientName == null ? Resp.NIL : Resp.bulk(c.clientName));
      case "SETINFO" -> {
        String attr = Resp.ascii(a[2]).toLowerCase(Locale.ROOT);
        if (!attr.equals("lib-name") && !attr.equals("lib-ver")) {
          c.replies.add(Resp.error("ERR Unrecognized option '" + CommandSupport.printable(a[2])
              + "'"));
        } else if (!RedisCompat.isClientName(a[3])) {
          c.replies.add(Resp.error("ERR " + attr + " cannot contain spaces, newlines or"
              + " special characters."));
        } else {
          c.replies.add(Resp.OK); // accepted and not kept: nothing here reports it
        }
      }
      case "ID" -> c.replies.add(Resp.integer(RedisCompat.clientId(c)));
      case "INFO" -> c.replies.add(Resp.verbatim(line(c) + "\n"));
      case "LIST" -> list(c, a);
      case "KILL" -> kill(c, a);
      default -> c.replies.add(Resp.array(List.of(
          Resp.simple("CLIENT <subcommand> [<arg> ...]. Subcommands are:"),
          Resp.simple("GETNAME, SETNAME <name>, SETINFO LIB-NAME|LIB-VER <value>, ID, INFO,"
              + " LIST [TYPE normal|master|replica|pubsub] [ID <id> ...],"
              + " KILL <ip:port> | KILL [ID <id>] [ADDR <ip:port>] [LADDR <ip:port>]"
              + " [TYPE <type>] [USER <user>] [SKIPME yes|no] [MAXAGE <seconds>], HELP"))));
    }
  }

  /** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]. */
  private static void list(ConnectionHandler c, byte[][] a) {
    Set<Long> ids = null;
    boolean none = false;
    if (a.length > 2) {
      String opt = Resp.ascii(a[2]).toUpperCase(Locale.ROOT);
      if (opt.equals("TYPE") && a.length == 4) {
        String type = Resp.ascii(a[3]).toLowerCase(Locale.ROOT);
        if (!List.of("normal", "master", "replica", "slave", "pubsub").contains(type)) {
          c.replies.add(Resp.error("ERR Unknown client type '" + CommandSupport.printable(a[3])
              + "'"));
          return;
        }
        none = !type.equals("normal");
      } else if (opt.equals("ID") && a.length > 3) {
        ids = new HashSet<>();
        for (int i = 3; i < a.length; i++) {
          long id = StringEditCommands.parseLong(a[i]);
          if (id <= 0) {
            c.replies.add(Resp.error("ERR Invalid client ID"));
            return;
          }
          ids.add(id);
        }
      } else {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
    }
    StringBuilder sb = new StringBuilder();
    if (!none) {
      for (ServerStats.Client cl : clients(c.node)) {
        if (ids == null || ids.contains(cl.id)) sb.append(line(cl.handler)).append('\n');
      }
    }
    c.replies.add(Resp.verbatim(sb.toString()));
  }

  /**
   * CLIENT KILL ip:port (old form: OK, or an error when no client has that address) | CLIENT
   * KILL filter value [filter value ...] (the number of clients killed; SKIPME yes by default).
   */
  private static void kill(ConnectionHandler c, byte[][] a) {
    boolean oldForm = a.length == 3;
    Long id = null;
    String addr = null;
    String laddr = null;
    String type = null;
    Long maxAge = null;
    boolean skipMe = true;
    if (oldForm) {
      addr = Resp.ascii(a[2]);
      skipMe = false;
    } else {
      if (a.length % 2 != 0) {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
      for (int i = 2; i < a.length; i += 2) {
        String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
        String val = Resp.ascii(a[i + 1]);
        switch (opt) {
          case "ID" -> {
            long v = StringEditCommands.parseLong(a[i + 1]);
            if (v <= 0) {
              c.replies.add(Resp.error("ERR client-id should be greater than 0"));
              return;
            }
            id = v;
          }
          case "ADDR" -> addr = val;
          case "LADDR" -> laddr = val;
          case "TYPE" -> {
            type = val.toLowerCase(Locale.ROOT);
            if (!List.of("normal", "master", "replica", "slave", "pubsub").contains(type)) {
              c.replies.add(Resp.error("ERR Unknown client type '"
                  + CommandSupport.printable(a[i + 1]) + "'"));
              return;
            }
          }
          case "USER" -> {
            if (!val.equals("default")) {
              c.replies.add(Resp.error("ERR No such user '" + CommandSupport.printable(a[i + 1])
                  + "'"));
              return;
            }
          }
          case "SKIPME" -> {
            if (val.equalsIgnoreCase("yes")) {
              skipMe = true;
            } else if (val.equalsIgnoreCase("no")) {
              skipMe = false;
            } else {
              c.replies.add(Resp.error("ERR syntax error"));
              return;
            }
          }
          case "MAXAGE" -> {
            long v = StringEditCommands.parseLong(a[i + 1]);
            if (v == Long.MIN_VALUE) {
              c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
              return;
            }
            maxAge = v;
          }
          default -> {
            c.replies.add(Resp.error("ERR syntax error"));
            return;
          }
        }
      }
    }
    List<ServerStats.Client> victims = new ArrayList<>();
    long now = System.nanoTime();
    for (ServerStats.Client cl : clients(c.node)) {
      ConnectionHandler h = cl.handler;
      if (skipMe && h == c) continue;
      if (id != null && cl.id != id) continue;
      if (addr != null && !addr.equals(RedisCompat.address(h.ctx.channel().remoteAddress()))) {
        continue;
      }
      if (laddr != null && !laddr.equals(RedisCompat.address(h.ctx.channel().localAddress()))) {
        continue;
      }
      if (type != null && !type.equals("normal")) continue;
      if (maxAge != null && TimeUnit.NANOSECONDS.toSeconds(now - cl.createdNanos) < maxAge) {
        continue;
      }
      victims.add(cl);
    }
    if (oldForm && victims.isEmpty()) {
      c.replies.add(Resp.error("ERR No such client"));
      return;
    }
    c.replies.add(oldForm ? Resp.OK : Resp.integer(victims.size()));
    for (ServerStats.Client v : victims) {
      if (v.handler == c) {
        c.replies.closeWhenSent(); // as Redis: this reply first, then the connection closes
      } else {
        v.handler.ctx.close();
      }
    }
  }

  /** Redis 7's command groups, for COMMAND DOCS (redis-cli's HELP @group). */
  private static final Map<String, String> GROUPS = groups();

  private static Map<String, String> groups() {
    Map<String, String> m = new java.util.HashMap<>();
    for (String s : List.of("GET", "SET", "MGET", "MSET", "MSETNX", "GETSET", "GETDEL", "APPEND",
        "STRLEN", "GETRANGE", "SETRANGE", "SETNX", "SETEX", "PSETEX", "GETEX", "INCR", "DECR",
        "INCRBY", "DECRBY", "INCRBYFLOAT")) {
      m.put(s, "string");
    }
    for (String s : List.of("PING", "ECHO", "QUIT", "SELECT", "HELLO", "AUTH", "CLIENT")) {
      m.put(s, "connection");
    }
    for (String s : List.of("INFO", "CONFIG", "COMMAND", "DBSIZE", "FLUSHALL", "FLUSHDB", "TIME",
        "SLOWLOG", "MEMORY")) {
      m.put(s, "server");
    }
    for (String s : List.of("MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH")) {
      m.put(s, "transactions");
    }
    return m;
  }

  /** The COMMAND DOCS group of a command: Redis's, or kvs for this store's own. */
  static String group(String name) {
    if (name.startsWith("KVS.")) return "kvs";
    return GROUPS.getOrDefault(name, "generic");
  }
}
