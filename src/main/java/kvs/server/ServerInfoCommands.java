package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import kvs.core.Replica.ReadResult;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;

/** What tools ask of the server about itself: TIME, SLOWLOG, MEMORY (INFO: {@link ServerInfo}). */
final class ServerInfoCommands {
  /**
   * What a stored entry costs beyond its key and value bytes: its clock, origin and sequence,
   * RocksDB's per-record overhead, and the replication log's record of it (which holds the key
   * again).
   */
  static final int ENTRY_OVERHEAD_BYTES = 64;

  private ServerInfoCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("TIME", 1, Access.AUTHENTICATED).flags(Flag.LOADING, Flag.STALE, Flag.FAST)
            .summary("Answers this server's clock: Unix seconds and microseconds.")
            .handler(ServerInfoCommands::time),
        command("SLOWLOG", -2, Access.AUTHENTICATED).flags(Flag.ADMIN, Flag.LOADING, Flag.STALE)
            .summary("SLOWLOG GET [count], LEN, RESET: commands slower than 10 ms.")
            .handler(ServerInfoCommands::slowlog),
        command("MEMORY", -2, Access.AUTHENTICATED).flags(Flag.READONLY)
            .summary("MEMORY USAGE key [SAMPLES count]: the bytes a key takes, estimated.")
            .handler(ServerInfoCommands::memory));
  }

  /** TIME. */
  private static void time(ConnectionHandler c, byte[][] a) {
    long micros;
    if (c.node.clock == Clock.SYSTEM) {
      java.time.Instant now = java.time.Instant.now();
      micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    } else {
      micros = c.node.clock.millis() * 1_000; // a test's clock: milliseconds only
    }
    c.replies.add(Resp.array(List.of(Resp.bulk(Long.toString(micros / 1_000_000)),
        Resp.bulk(Long.toString(micros % 1_000_000)))));
  }

  /** SLOWLOG GET [count] | LEN | RESET | HELP. */
  private static void slowlog(ConnectionHandler c, byte[][] a) {
    String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
    ServerStats stats = c.node.stats;
    if (sub.equals("GET") && a.length <= 3) {
      long count = 10;
      if (a.length == 3) {
        count = StringEditCommands.parseLong(a[2]);
        if (count < -1) {
          c.replies.add(Resp.error("ERR count should be greater than or equal to -1"));
          return;
        }
        if (count == -1) count = Long.MAX_VALUE;
      }
      List<RedisMessage> out = new ArrayList<>();
      for (ServerStats.SlowEntry e : stats.slowlog) {
        if (out.size() >= count) break;
        List<RedisMessage> args = new ArrayList<>();
        for (byte[] arg : e.args()) args.add(Resp.bulk(arg));
        out.add(Resp.array(List.of(Resp.integer(e.id()), Resp.integer(e.unixSeconds()),
            Resp.integer(e.micros()), Resp.array(args), Resp.bulk(e.addr()),
            Resp.bulk(e.name()))));
      }
      c.replies.add(Resp.array(out));
    } else if (sub.equals("LEN") && a.length == 2) {
      c.replies.add(Resp.integer(stats.slowlog.size()));
    } else if (sub.equals("RESET") && a.length == 2) {
      stats.slowlog.clear();
      c.replies.add(Resp.OK);
    } else if (sub.equals("HELP") && a.length == 2) {
      c.replies.add(Resp.array(List.of(
          Resp.simple("SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
          Resp.simple("GET [<count>]"),
          Resp.simple("    Return top <count> entries from the slowlog (default: 10, -1 mean"
              + " all)."),
          Resp.simple("LEN"),
          Resp.simple("    Return the length of the slowlog."),
          Resp.simple("RESET"),
          Resp.simple("    Reset the slowlog."),
          Resp.simple("HELP"),
          Resp.simple("    Print this help."))));
    } else if (List.of("GET", "LEN", "RESET", "HELP").contains(sub)) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("slowlog|" + sub)));
    } else {
      c.replies.add(Resp.error("ERR unknown subcommand '" + CommandSupport.printable(a[1])
          + "'. Try SLOWLOG HELP."));
    }
  }

  /** MEMORY USAGE key [SAMPLES count] | STATS | HELP. */
  private static void memory(ConnectionHandler c, byte[][] a) {
    String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
    if (sub.equals("USAGE") && a.length >= 3) {
      if (a.length != 3 && !(a.length == 5
          && Resp.ascii(a[3]).equalsIgnoreCase("SAMPLES"))) {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
      if (a.length == 5 && StringEditCommands.parseLong(a[4]) < 0) {
        c.replies.add(Resp.error(a.length == 5 && StringEditCommands.parseLong(a[4])
            == Long.MIN_VALUE ? StringEditCommands.NOT_INTEGER : "ERR syntax error"));
        return;
      }
      ReadResult r = CommandSupport.read(c, a[2]);
      if (r == null) return;
      byte[] v = StringEditCommands.valueOf(r);
      long bytes = v == null ? 0 : v.length;
      if (v != null && r.entry().kind() == kvs.core.Entry.KIND_HASH) {
        bytes = 0; // a hash: its fields, each stored as an entry of its own (names and values)
        for (kvs.core.Replica.HashField f : c.node.replica.hashFields(c.session, a[2])) {
          // as a field's element key and value (increments aside)
          bytes += 1 + 4 + a[2].length + 1 + f.name().length + f.value().length;
        }
      }
      byte kind = v == null ? kvs.core.Entry.KIND_STRING : r.entry().kind();
      if (kind == kvs.core.Entry.KIND_SET || kind == kvs.core.Entry.KIND_ZSET) {
        bytes = 0; // a set: its members, each stored per origin that wrote it, with its register
        byte[] prefix = kvs.core.Elements.prefix(a[2], kind);
        long[] sum = {0};
        c.node.replica.forEachFrom(prefix, e -> {
          if (!kvs.core.Elements.startsWith(e.key(), prefix)) return false;
          sum[0] += e.key().length + (e.value() == null ? 0 : e.value().length);
          return true;
        });
        bytes = sum[0];
      }
      c.replies.add(v == null ? Resp.NIL : Resp.integer(usage(a[2].length, bytes)));
    } else if (sub.equals("STATS") && a.length == 2) {
      List<RedisMessage> out = new ArrayList<>();
      out.add(Resp.bulk("peak.allocated"));
      out.add(Resp.integer(ServerInfo.usedMemory()));
      out.add(Resp.bulk("total.allocated"));
      out.add(Resp.integer(ServerInfo.usedMemory()));
      c.replies.add(Resp.array(out));
    } else if (sub.equals("HELP") && a.length == 2) {
      c.replies.add(Resp.array(List.of(
          Resp.simple("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
          Resp.simple("STATS"),
          Resp.simple("    Return information about the memory usage of the server."),
          Resp.simple("USAGE <key> [SAMPLES <count>]"),
          Resp.simple("    Return memory in bytes used by <key> and its value (an estimate)."),
          Resp.simple("HELP"),
          Resp.simple("    Print this help."))));
    } else if (List.of("USAGE", "STATS", "HELP").contains(sub)) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("memory|" + sub)));
    } else {
      c.replies.add(Resp.error("ERR unknown subcommand '" + CommandSupport.printable(a[1])
          + "'. Try MEMORY HELP."));
    }
  }

  /** The estimate MEMORY USAGE answers: the key twice (store and log), the value, overhead. */
  static long usage(int keyBytes, long valueBytes) {
    return 2L * keyBytes + valueBytes + ENTRY_OVERHEAD_BYTES;
  }
}
