package kvs.server;

import static kvs.server.CommandSpec.command;

import java.util.ArrayList;
import java.util.List;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/** The commands on keys whatever their values: DEL, EXISTS, TYPE, DBSIZE, SCAN. */
final class KeyCommands {
  private KeyCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("DEL", -2, Access.AUTHENTICATED).flags(Flag.WRITE).keys(Keys.ALL)
            .summary("Deletes keys: a replicated tombstone each.")
            .handler(KeyCommands::del),
        command("EXISTS", -2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ALL)
            .summary("Counts the keys that have a value as this session sees them, or ERR_DEP.")
            .handler(KeyCommands::exists),
        command("TYPE", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Answers string or none, as this session sees it.")
            .handler(KeyCommands::type),
        command("DBSIZE", 1, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .summary("Counts the keys that have a value on this server.")
            .handler(KeyCommands::dbsize),
        // SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
        command("SCAN", -2, Access.AUTHENTICATED).flags(Flag.READONLY)
            .summary("Iterates over this server's keys, with MATCH and COUNT.")
            .handler(Scan::run));
  }

  /** DEL key [key ...]: writes a tombstone for each key; replies how many were present here. */
  static void del(ConnectionHandler c, byte[][] a) {
    List<byte[]> keys = new ArrayList<>();
    long present = 0;
    for (int i = 1; i < a.length; i++) {
      if (c.node.replica.liveEntry(a[i]) != null) present++;
      keys.add(a[i]);
    }
    long n = present;
    CommandSupport.delete(c, keys, w -> Resp.integer(n));
  }

  /**
   * EXISTS key [key ...], and TOUCH (there is no access time to update, so it counts the keys
   * that exist, as EXISTS does).
   */
  static void exists(ConnectionHandler c, byte[][] a) {
    long n = 0;
    for (int i = 1; i < a.length; i++) {
      ReadResult r = CommandSupport.read(c, a[i]);
      if (r == null) return;
      if (r.status() == ReadStatus.FOUND) n++;
    }
    c.replies.add(Resp.integer(n));
  }

  /** TYPE key: string (a counter is one too, as in Redis), hash, or none. */
  private static void type(ConnectionHandler c, byte[][] a) {
    ReadResult r = c.node.replica.read(c.session, a[1]);
    c.replies.add(switch (r.status()) {
      case FOUND -> Resp.simple(typeName(r.entry()));
      case NOT_FOUND -> Resp.simple("none");
      case MISSING_DEPENDENCY -> Resp.error(CommandSupport.ERR_DEP);
    });
  }

  /** The name TYPE answers for a live key (a counter is a string, as in Redis). */
  static String typeName(kvs.core.Entry shown) {
    return switch (shown.kind()) {
      case kvs.core.Entry.KIND_HASH -> "hash";
      case kvs.core.Entry.KIND_SET -> "set";
      case kvs.core.Entry.KIND_ZSET -> "zset";
      default -> "string";
    };
  }

  /**
   * DBSIZE: the keys holding a value (Replica.keyCount: from the count the replica keeps with its
   * metadata, in constant time, while the server holds no counter or hash). As in Redis, a key
   * that has expired counts until it is removed (the sweep, within about N/10,000 s; a read of it
   * hastens that).
   */
  private static void dbsize(ConnectionHandler c, byte[][] a) {
    c.replies.add(Resp.integer(c.node.replica.keyCount()));
  }
}
