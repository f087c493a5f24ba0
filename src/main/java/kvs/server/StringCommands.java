package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.List;
import kvs.core.Entry;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/** The string commands: SET, GET, MGET, MSET, in this connection's session. */
final class StringCommands {
  private StringCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("SET", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM).keys(Keys.ONE)
            .summary("Sets a key to a value, in this session, with NX, XX, GET, EX, PX, EXAT,"
                + " PXAT and KEEPTTL.")
            .handler(StringCommands::set),
        command("GET", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Gets a key's value, at least as new as this session has seen, or ERR_DEP.")
            .handler(StringCommands::get),
        command("MGET", -2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ALL)
            .summary("Gets the values of keys, at least as new as this session has seen, or"
                + " ERR_DEP.")
            .handler(StringCommands::mget),
        command("MSET", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(Keys.PAIRS)
            .summary("Sets keys to values in one atomic write, in this session.")
            .handler(StringCommands::mset));
  }

  /** SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT time|KEEPTTL]: see ExpiryCommands.set. */
  private static void set(ConnectionHandler c, byte[][] a) {
    if (a.length == 3) {
      CommandSupport.write(c, List.of(a[1]), List.of(a[2]), w -> Resp.OK);
      return;
    }
    ExpiryCommands.set(c, a);
  }

  /** GET key. */
  private static void get(ConnectionHandler c, byte[][] a) {
    ReadResult r = c.node.replica.read(c.session, a[1]);
    c.replies.add(switch (r.status()) {
      case FOUND -> r.entry().kind() == Entry.KIND_HASH ? Resp.error(CommandSupport.WRONGTYPE)
          : Resp.bulk(r.entry().value());
      case NOT_FOUND -> Resp.NIL;
      case MISSING_DEPENDENCY -> Resp.error(CommandSupport.ERR_DEP);
    });
  }

  /** MGET key [key ...]. */
  private static void mget(ConnectionHandler c, byte[][] a) {
    List<RedisMessage> out = new ArrayList<>(a.length - 1);
    for (int i = 1; i < a.length; i++) {
      ReadResult r = CommandSupport.read(c, a[i]);
      if (r == null) return;
      // as in Redis, a key of another type reads as nil
      out.add(r.status() == ReadStatus.FOUND && r.entry().kind() != Entry.KIND_HASH
          ? Resp.bulk(r.entry().value()) : Resp.NIL);
    }
    c.replies.add(Resp.array(out));
  }

  /** MSET key value [key value ...]. */
  private static void mset(ConnectionHandler c, byte[][] a) {
    if (a.length % 2 != 1) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("mset")));
      return;
    }
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 1; i < a.length; i += 2) {
      keys.add(a[i]);
      values.add(a[i + 1]);
    }
    CommandSupport.write(c, keys, values, w -> Resp.OK);
  }
}
