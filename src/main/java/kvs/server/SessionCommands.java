package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;
import kvs.core.Entry;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * The session commands of the client library: KVS.SESSION to carry a session between servers,
 * and KVS.PUT, KVS.GET, KVS.DEL, which answer each write's dot and the session's token with it.
 */
final class SessionCommands {
  private SessionCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("KVS.SESSION", -1, Access.AUTHENTICATED).flags(Flag.FAST)
            .summary("Answers this connection's session token, adopts one (merged into the"
                + " session), or with RESET starts the session afresh.")
            .handler(SessionCommands::session),
        command("KVS.PUT", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(Keys.ONE)
            .summary("SET for the client library: answers the write's [origin, seq, clock,"
                + " session token].")
            .handler(SessionCommands::put),
        command("KVS.DEL", 2, Access.AUTHENTICATED).flags(Flag.WRITE).keys(Keys.ONE)
            .summary("DEL of one key for the client library: answers [origin, seq, clock,"
                + " session token].")
            .handler(SessionCommands::del),
        command("KVS.GET", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("GET for the client library: answers [value, origin, seq, clock, session"
                + " token], or ERR_DEP.")
            .handler(SessionCommands::get));
  }

  /**
   * KVS.SESSION [token | RESET]: export the session token, adopt one (merged into this session),
   * or start the session afresh.
   */
  private static void session(ConnectionHandler c, byte[][] a) {
    if (a.length == 1) {
      c.replies.add(Resp.bulk(c.tokens().issue(c.session)));
    } else if (a.length == 2 && Resp.ascii(a[1]).equalsIgnoreCase("RESET")) {
      // The way out of a session that depends on writes no reachable server holds (its
      // server lost them, or is gone for good): every read would be ERR_DEP otherwise.
      c.session.reset();
      c.replies.add(Resp.OK);
    } else if (a.length == 2) {
      try {
        // Checked whole before the merge, so a refused token changes nothing.
        c.session.mergeFrom(c.tokens().adopt(Resp.ascii(a[1]), c.node.clock.millis()));
        c.replies.add(Resp.OK);
      } catch (SessionTokens.InvalidTokenException e) {
        c.replies.add(Resp.error("ERR invalid session token: " + e.getMessage()));
      }
    } else {
      c.replies.add(Resp.error(CommandSupport.wrongArity("kvs.session")));
    }
  }

  /**
   * KVS.PUT key value: like SET, replying [origin, seq, clock, token]: the write's dot and clock,
   * and the session's token after it, so the client can carry the session elsewhere even when
   * this server is gone by then.
   */
  private static void put(ConnectionHandler c, byte[][] a) {
    CommandSupport.write(c, List.of(a[1]), List.of(a[2]), w -> dotReply(c, w.get(0)));
  }

  /**
   * KVS.DEL key: deletes as DEL does (a tombstone, or a counter's reset), replying [origin, seq,
   * clock, token].
   */
  private static void del(ConnectionHandler c, byte[][] a) {
    CommandSupport.delete(c, List.of(a[1]), w -> dotReply(c, w.get(0)));
  }

  /**
   * KVS.GET key: [value or nil, origin, seq, clock, token], [nil] when never written (the session
   * is unchanged then), or ERR_DEP.
   */
  private static void get(ConnectionHandler c, byte[][] a) {
    ReadResult r = c.node.replica.read(c.session, a[1]);
    if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
      c.replies.add(Resp.error(CommandSupport.ERR_DEP));
    } else if (r.entry() == null) {
      c.replies.add(Resp.array(List.of(Resp.NIL)));
    } else if (r.status() == ReadStatus.FOUND && r.entry().kind() == Entry.KIND_HASH) {
      c.replies.add(Resp.error(CommandSupport.WRONGTYPE));
    } else {
      Entry e = r.entry();
      // Not found with an entry: a tombstone, an expired value or a counter's reset, whose
      // version the session has taken in; the value is none of the client's business.
      byte[] value = r.status() == ReadStatus.FOUND ? e.value() : null;
      c.replies.add(Resp.array(List.of(Resp.bulk(value), Resp.integer(e.origin()),
          Resp.integer(e.seq()), Resp.integer(e.clock()),
          Resp.bulk(c.tokens().issue(c.session)))));
    }
  }

  /** {@code [origin, seq, clock, token]}: the token is the session's right after the write. */
  private static RedisMessage dotReply(ConnectionHandler c, Entry e) {
    return Resp.array(List.of(Resp.integer(e.origin()), Resp.integer(e.seq()),
        Resp.integer(e.clock()), Resp.bulk(c.tokens().issue(c.session))));
  }
}
