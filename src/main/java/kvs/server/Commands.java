package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kvs.core.ClockAheadException;
import kvs.core.CorruptDataException;
import kvs.core.Entry;
import kvs.core.Origins;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.core.VersionVector;
import kvs.net.Resp;

/**
 * The command table. Each command is data (name, arity, who may run it) plus a handler, and each
 * handler is preceded by its syntax; {@link #META} adds what {@code COMMAND} tells Redis tools.
 * Arity follows Redis: a positive number is exact, a negative one is a minimum, both counting the
 * command name.
 *
 * <p>What the Redis tools send was checked against this table (redis-cli 7.0 one-shot and
 * interactive, redis-benchmark {@code -t set,get,mset}, Jedis 5, Lettuce 7): redis-cli's start-up
 * {@code COMMAND DOCS}, redis-benchmark's {@code CONFIG GET save} and {@code CONFIG GET
 * appendonly}, Jedis's and Lettuce's {@code CLIENT SETINFO}, Lettuce's {@code HELLO 3} (answered
 * {@code NOPROTO}, upon which Lettuce falls back to RESP2 and {@code AUTH}). Any other command gets
 * Redis's own {@code ERR unknown command} reply.
 */
final class Commands {
  static final String ERR_DEP = "ERR_DEP this server lacks writes the session has already seen;"
      + " retry later or on another server";

  private Commands() {}

  /** Who may run a command. */
  enum Access { ANYONE, AUTHENTICATED, ADMIN }

  @FunctionalInterface
  interface Handler {
    void run(ConnectionHandler c, byte[][] args);
  }

  record Spec(String name, int arity, Access access, Handler handler) {}

  private static final Map<String, Spec> TABLE = new HashMap<>();

  private static void define(String name, int arity, Access access, Handler handler) {
    TABLE.put(name, new Spec(name, arity, access, handler));
  }

  static Map<String, Spec> table() {
    return Collections.unmodifiableMap(TABLE);
  }

  /**
   * What {@code COMMAND INFO} and {@code COMMAND DOCS} report of a command: Redis's command flags,
   * the first and last argument that is a key and the step between keys (0, 0, 0 for none; a
   * negative last counts from the end), and a one-line summary.
   */
  record Meta(List<String> flags, int firstKey, int lastKey, int keyStep, String summary) {}

  /** The cluster's own commands: for its members (docs/internal-protocol.md). */
  private static final Meta INTERNAL = new Meta(List.of("admin", "noscript"), 0, 0, 0,
      "Cluster-internal; needs the cluster secret.");

  private static final Map<String, Meta> META = Map.ofEntries(
      meta("PING", "fast stale", 0, 0, 0, "Answers PONG, or the message."),
      meta("ECHO", "fast stale", 0, 0, 0, "Answers the message."),
      meta("QUIT", "fast no-auth", 0, 0, 0, "Closes the connection."),
      meta("SELECT", "fast loading stale", 0, 0, 0, "Selects database 0, the only one."),
      meta("SET", "write denyoom", 1, 1, 1, "Sets a key to a value, in this session."),
      meta("GET", "readonly fast", 1, 1, 1,
          "Gets a key's value, at least as new as this session has seen, or ERR_DEP."),
      meta("MGET", "readonly fast", 1, -1, 1,
          "Gets the values of keys, at least as new as this session has seen, or ERR_DEP."),
      meta("MSET", "write denyoom", 1, -1, 2,
          "Sets keys to values in one atomic write, in this session."),
      meta("DEL", "write", 1, -1, 1, "Deletes keys: a replicated tombstone each."),
      meta("EXISTS", "readonly fast", 1, -1, 1,
          "Counts the keys that have a value as this session sees them, or ERR_DEP."),
      meta("TYPE", "readonly fast", 1, 1, 1, "Answers string or none, as this session sees it."),
      meta("DBSIZE", "readonly fast", 0, 0, 0, "Counts the keys that have a value on this server."),
      meta("SCAN", "readonly", 0, 0, 0, "Iterates over this server's keys, with MATCH and COUNT."),
      meta("INFO", "loading stale", 0, 0, 0, "Describes the server, by section."),
      meta("CONFIG", "admin loading stale", 0, 0, 0,
          "CONFIG GET answers the parameters tools probe; nothing can be set."),
      meta("COMMAND", "loading stale", 0, 0, 0, "Describes commands: COUNT, INFO, DOCS, LIST."),
      meta("HELLO", "noscript loading stale fast no-auth", 0, 0, 0,
          "Handshake: RESP2 only (HELLO 3 answers NOPROTO), with AUTH and SETNAME."),
      meta("AUTH", "noscript loading stale fast no-auth", 0, 0, 0,
          "Authenticates the connection to a server started with --requirepass."),
      meta("CLIENT", "noscript loading stale", 0, 0, 0,
          "CLIENT SETNAME, GETNAME, SETINFO, ID, INFO, LIST."),
      meta("KVS.SESSION", "fast", 0, 0, 0,
          "Answers this connection's session token, adopts one (merged into the session), or"
              + " with RESET starts the session afresh."),
      meta("KVS.PUT", "write denyoom", 1, 1, 1,
          "SET for the client library: answers the write's [origin, seq, clock, session token]."),
      meta("KVS.DEL", "write", 1, 1, 1,
          "DEL of one key for the client library: answers [origin, seq, clock, session token]."),
      meta("KVS.GET", "readonly fast", 1, 1, 1,
          "GET for the client library: answers [value, origin, seq, clock, session token], or"
              + " ERR_DEP."));

  private static Map.Entry<String, Meta> meta(String name, String flags, int firstKey,
      int lastKey, int keyStep, String summary) {
    return Map.entry(name, new Meta(List.of(flags.split(" ")), firstKey, lastKey, keyStep, summary));
  }

  static Meta meta(String name) {
    return META.getOrDefault(name, INTERNAL);
  }

  static void dispatch(ConnectionHandler c, byte[][] args) {
    String name = Resp.ascii(args[0]).toUpperCase(Locale.ROOT);
    Spec spec = TABLE.get(name);
    if (spec == null) {
      c.replies.add(Resp.error(unknownCommand(args)));
      return;
    }
    if (spec.arity > 0 ? args.length != spec.arity : args.length < -spec.arity) {
      c.replies.add(Resp.error("ERR wrong number of arguments for '"
          + name.toLowerCase(Locale.ROOT) + "' command"));
      return;
    }
    if (spec.access != Access.ANYONE && !c.authenticated) {
      c.replies.add(Resp.error("NOAUTH Authentication required."));
      return;
    }
    if (spec.access == Access.ADMIN && !c.admin) {
      c.replies.add(Resp.error("NOPERM this command is for cluster members; use KVS.ADMIN"));
      return;
    }
    spec.handler.run(c, args);
  }

  private static String unknownCommand(byte[][] args) {
    StringBuilder sb = new StringBuilder("ERR unknown command '")
        .append(printable(args[0])).append("', with args beginning with: ");
    for (int i = 1; i < Math.min(args.length, 4); i++) sb.append('\'').append(printable(args[i])).append("' ");
    return sb.toString();
  }

  private static String printable(byte[] b) {
    String s = new String(b, 0, Math.min(b.length, 128), StandardCharsets.ISO_8859_1);
    return s.replaceAll("[^\\x20-\\x7e]", "?");
  }

  // ---- validation --------------------------------------------------------------------------

  private static boolean checkKey(ConnectionHandler c, byte[] key) {
    if (key.length > c.node.config.limits().keyBytesMax()) {
      c.replies.add(Resp.error("ERR key is " + key.length + " bytes; the limit is "
          + c.node.config.limits().keyBytesMax()));
      return false;
    }
    return true;
  }

  private static boolean checkValue(ConnectionHandler c, byte[] value) {
    if (value.length > c.node.config.limits().valueBytesMax()) {
      c.replies.add(Resp.error("ERR value is " + value.length + " bytes; the limit is "
          + c.node.config.limits().valueBytesMax()));
      return false;
    }
    return true;
  }

  private static boolean secretMatches(byte[] given, String expected) {
    return expected != null && MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes and replies once the write is durable; {@code reply} is built from the entries. */
  private static void write(ConnectionHandler c, List<byte[]> keys, List<byte[]> values,
      java.util.function.Function<List<Entry>, RedisMessage> reply) {
    for (byte[] k : keys) if (!checkKey(c, k)) return;
    for (byte[] v : values) if (v != null && !checkValue(c, v)) return;
    Node node = c.node;
    List<Entry> written;
    try {
      written = node.replica.write(c.session, keys, values, node.clock.millis());
    } catch (ClockAheadException e) {
      c.replies.add(Resp.error("ERR " + e.getMessage()));
      return;
    }
    node.onOwnWrite(written);
    RedisMessage answer = reply.apply(written);
    if (c.replies.isEmpty() && !node.config.fsync()) {
      c.replies.add(answer);
    } else {
      ReplyQueue.Slot slot = c.replies.defer();
      node.whenDurable(() -> slot.complete(answer));
    }
  }

  /** {@code [origin, seq, clock, token]}: the token is the session's right after the write. */
  private static RedisMessage dotReply(ConnectionHandler c, Entry e) {
    return Resp.array(List.of(Resp.integer(e.origin()), Resp.integer(e.seq()),
        Resp.integer(e.clock()), Resp.bulk(c.tokens().issue(c.session))));
  }

  private static int parseInt(byte[] b, int min, int max) {
    try {
      int v = Integer.parseInt(Resp.ascii(b));
      if (v < min || v > max) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      return Integer.MIN_VALUE;
    }
  }

  static {
    // PING [message]
    define("PING", -1, Access.AUTHENTICATED, (c, a) -> {
      if (a.length > 2) {
        c.replies.add(Resp.error("ERR wrong number of arguments for 'ping' command"));
      } else {
        c.replies.add(a.length == 1 ? Resp.simple("PONG") : Resp.bulk(a[1]));
      }
    });
    // ECHO message
    define("ECHO", 2, Access.AUTHENTICATED, (c, a) -> c.replies.add(Resp.bulk(a[1])));
    // QUIT
    define("QUIT", -1, Access.ANYONE, (c, a) -> {
      c.replies.add(Resp.OK);
      c.replies.closeWhenSent(); // after the replies before it, deferred ones too, as Redis
    });
    // SELECT index: one keyspace, numbered 0
    define("SELECT", 2, Access.AUTHENTICATED, (c, a) -> c.replies.add(
        "0".equals(Resp.ascii(a[1])) ? Resp.OK : Resp.error("ERR DB index is out of range")));

    // SET key value
    define("SET", -3, Access.AUTHENTICATED, (c, a) -> {
      if (a.length != 3) {
        c.replies.add(Resp.error("ERR SET options (EX, PX, NX, XX, GET, KEEPTTL) are not supported"));
        return;
      }
      write(c, List.of(a[1]), List.of(a[2]), w -> Resp.OK);
    });
    // GET key
    define("GET", 2, Access.AUTHENTICATED, (c, a) -> {
      ReadResult r = c.node.replica.read(c.session, a[1]);
      c.replies.add(switch (r.status()) {
        case FOUND -> Resp.bulk(r.entry().value());
        case NOT_FOUND -> Resp.NIL;
        case MISSING_DEPENDENCY -> Resp.error(ERR_DEP);
      });
    });
    // MGET key [key ...]
    define("MGET", -2, Access.AUTHENTICATED, (c, a) -> {
      List<RedisMessage> out = new ArrayList<>(a.length - 1);
      for (int i = 1; i < a.length; i++) {
        ReadResult r = c.node.replica.read(c.session, a[i]);
        if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
          c.replies.add(Resp.error(ERR_DEP));
          return;
        }
        out.add(r.status() == ReadStatus.FOUND ? Resp.bulk(r.entry().value()) : Resp.NIL);
      }
      c.replies.add(Resp.array(out));
    });
    // MSET key value [key value ...]
    define("MSET", -3, Access.AUTHENTICATED, (c, a) -> {
      if (a.length % 2 != 1) {
        c.replies.add(Resp.error("ERR wrong number of arguments for 'mset' command"));
        return;
      }
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 1; i < a.length; i += 2) {
        keys.add(a[i]);
        values.add(a[i + 1]);
      }
      write(c, keys, values, w -> Resp.OK);
    });
    // DEL key [key ...]: writes a tombstone for each key; replies how many were present here
    define("DEL", -2, Access.AUTHENTICATED, (c, a) -> {
      List<byte[]> keys = new ArrayList<>();
      long present = 0;
      for (int i = 1; i < a.length; i++) {
        Entry e = c.node.replica.peek(a[i]);
        if (e != null && !e.isTombstone()) present++;
        keys.add(a[i]);
      }
      long n = present;
      write(c, keys, Collections.nCopies(keys.size(), null), w -> Resp.integer(n));
    });
    // EXISTS key [key ...]
    define("EXISTS", -2, Access.AUTHENTICATED, (c, a) -> {
      long n = 0;
      for (int i = 1; i < a.length; i++) {
        ReadResult r = c.node.replica.read(c.session, a[i]);
        if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
          c.replies.add(Resp.error(ERR_DEP));
          return;
        }
        if (r.status() == ReadStatus.FOUND) n++;
      }
      c.replies.add(Resp.integer(n));
    });
    // TYPE key: every value is a string
    define("TYPE", 2, Access.AUTHENTICATED, (c, a) -> {
      ReadResult r = c.node.replica.read(c.session, a[1]);
      c.replies.add(switch (r.status()) {
        case FOUND -> Resp.simple("string");
        case NOT_FOUND -> Resp.simple("none");
        case MISSING_DEPENDENCY -> Resp.error(ERR_DEP);
      });
    });
    // DBSIZE
    define("DBSIZE", 1, Access.AUTHENTICATED, (c, a) -> {
      long[] n = {0};
      c.node.replica.forEachLive(e -> n[0]++);
      c.replies.add(Resp.integer(n[0]));
    });
    // SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    define("SCAN", -2, Access.AUTHENTICATED, Scan::run);
    // INFO [section ...]
    define("INFO", -1, Access.AUTHENTICATED, (c, a) -> c.replies.add(Resp.bulk(RedisCompat.info(c, a))));
    // CONFIG GET parameter [parameter ...] | CONFIG RESETSTAT: nothing is settable; tools probe
    define("CONFIG", -2, Access.AUTHENTICATED, (c, a) -> {
      String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
      if (sub.equals("GET") && a.length > 2) {
        c.replies.add(RedisCompat.configGet(c, a));
      } else if (sub.equals("RESETSTAT") && a.length == 2) {
        c.replies.add(Resp.OK);
      } else if (sub.equals("GET") || sub.equals("RESETSTAT")) {
        c.replies.add(Resp.error("ERR wrong number of arguments for 'config|"
            + sub.toLowerCase(Locale.ROOT) + "' command"));
      } else {
        c.replies.add(Resp.error("ERR CONFIG " + printable(a[1]) + " is not supported;"
            + " servers take their settings on the command line (kvs server --help)"));
      }
    });
    // COMMAND [COUNT | LIST | INFO [name ...] | DOCS [name ...]]
    define("COMMAND", -1, Access.AUTHENTICATED, (c, a) -> c.replies.add(RedisCompat.command(a)));
    // HELLO [protover [AUTH username password] [SETNAME clientname]]
    define("HELLO", -1, Access.ANYONE, Commands::hello);
    // AUTH [username] password: the only user is "default", as in Redis without ACLs
    define("AUTH", -2, Access.ANYONE, (c, a) -> {
      if (a.length > 3) {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
      auth(c, a.length == 3 ? a[1] : null, a[a.length - 1]);
    });
    // CLIENT SETNAME name | GETNAME | SETINFO LIB-NAME|LIB-VER value | ID | INFO | LIST | HELP
    define("CLIENT", -2, Access.AUTHENTICATED, (c, a) -> {
      String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
      int arity = switch (sub) {
        case "SETNAME" -> 3;
        case "SETINFO" -> 4;
        case "GETNAME", "ID", "INFO", "HELP" -> 2;
        case "LIST" -> -2;
        default -> 0;
      };
      if (arity == 0) {
        c.replies.add(Resp.error("ERR unknown subcommand '" + printable(a[1])
            + "'. Try CLIENT HELP."));
        return;
      }
      if (arity > 0 ? a.length != arity : a.length < -arity) {
        c.replies.add(Resp.error("ERR wrong number of arguments for 'client|"
            + sub.toLowerCase(Locale.ROOT) + "' command"));
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
            c.replies.add(Resp.error("ERR Unrecognized option '" + printable(a[2]) + "'"));
          } else if (!RedisCompat.isClientName(a[3])) {
            c.replies.add(Resp.error("ERR " + attr + " cannot contain spaces, newlines or"
                + " special characters."));
          } else {
            c.replies.add(Resp.OK); // accepted and not kept: nothing here reports it
          }
        }
        case "ID" -> c.replies.add(Resp.integer(RedisCompat.clientId(c)));
        case "INFO", "LIST" -> c.replies.add(Resp.bulk(RedisCompat.clientLine(c)));
        default -> c.replies.add(Resp.array(List.of(
            Resp.simple("CLIENT <subcommand> [<arg> ...]. Subcommands are:"),
            Resp.simple("GETNAME, SETNAME <name>, SETINFO LIB-NAME|LIB-VER <value>,"
                + " ID, INFO, LIST (this connection only), HELP"))));
      }
    });

    // KVS.SESSION [token | RESET]: export the session token, adopt one (merged into this
    // session), or start the session afresh
    define("KVS.SESSION", -1, Access.AUTHENTICATED, (c, a) -> {
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
        c.replies.add(Resp.error("ERR wrong number of arguments for 'kvs.session' command"));
      }
    });
    // KVS.PUT key value: like SET, replying [origin, seq, clock, token]: the write's dot and
    // clock, and the session's token after it, so the client can carry the session elsewhere
    // even when this server is gone by then
    define("KVS.PUT", 3, Access.AUTHENTICATED,
        (c, a) -> write(c, List.of(a[1]), List.of(a[2]), w -> dotReply(c, w.get(0))));
    // KVS.DEL key: writes a tombstone, replying [origin, seq, clock, token]
    define("KVS.DEL", 2, Access.AUTHENTICATED, (c, a) -> write(c, List.of(a[1]),
        Collections.singletonList(null), w -> dotReply(c, w.get(0))));
    // KVS.GET key: [value or nil, origin, seq, clock, token], [nil] when never written (the
    // session is unchanged then), or ERR_DEP
    define("KVS.GET", 2, Access.AUTHENTICATED, (c, a) -> {
      ReadResult r = c.node.replica.read(c.session, a[1]);
      if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
        c.replies.add(Resp.error(ERR_DEP));
      } else if (r.entry() == null) {
        c.replies.add(Resp.array(List.of(Resp.NIL)));
      } else {
        Entry e = r.entry();
        c.replies.add(Resp.array(List.of(Resp.bulk(e.value()), Resp.integer(e.origin()),
            Resp.integer(e.seq()), Resp.integer(e.clock()),
            Resp.bulk(c.tokens().issue(c.session)))));
      }
    });

    // KVS.ADMIN secret: makes this an admin connection of the cluster's master or operator
    define("KVS.ADMIN", 2, Access.ANYONE, (c, a) -> {
      if (secretMatches(a[1], c.node.config.secret())) {
        c.admin = true;
        c.authenticated = true;
        c.replies.add(Resp.OK);
      } else {
        c.replies.add(Resp.error("ERR wrong cluster secret"));
      }
    });
    // KVS.PEER secret serverId origin vv: a peer dialling in (see PeerLink)
    define("KVS.PEER", 5, Access.ANYONE, (c, a) -> {
      if (!secretMatches(a[1], c.node.config.secret())) {
        c.replies.add(Resp.error("ERR wrong cluster secret"));
        c.replies.flush();
        c.ctx.close();
        return;
      }
      int peerId = parseInt(a[2], 0, Integer.MAX_VALUE);
      long peerOrigin = -1;
      VersionVector peerHas = null;
      try {
        peerOrigin = Long.parseLong(Resp.ascii(a[3]));
        peerHas = VersionVector.decode(a[4]);
      } catch (CorruptDataException | NumberFormatException e) {
        peerId = Integer.MIN_VALUE;
      }
      if (peerOrigin < 0 || Origins.serverId(peerOrigin) != peerId) peerId = Integer.MIN_VALUE;
      if (peerId == Integer.MIN_VALUE || peerId == c.node.config.id()) {
        c.replies.add(Resp.error("ERR bad peer handshake"));
      } else if (c.node.links.isBlocked(peerId)) {
        c.replies.add(Resp.error("ERR link to server " + peerId + " is blocked"));
      } else {
        c.replies.flush();
        PeerLink.accept(c.node, c.ctx, peerId, peerOrigin, peerHas);
      }
    });
    // KVS.LINK.BLOCK peerId
    define("KVS.LINK.BLOCK", 2, Access.ADMIN, (c, a) -> {
      int peer = parseInt(a[1], 0, Integer.MAX_VALUE);
      if (peer < 0) {
        c.replies.add(Resp.error("ERR bad server id"));
        return;
      }
      ReplyQueue.Slot slot = c.replies.defer();
      c.node.links.block(peer).addListener(f -> slot.complete(Resp.OK));
    });
    // KVS.LINK.UNBLOCK peerId
    define("KVS.LINK.UNBLOCK", 2, Access.ADMIN, (c, a) -> {
      int peer = parseInt(a[1], 0, Integer.MAX_VALUE);
      if (peer < 0) {
        c.replies.add(Resp.error("ERR bad server id"));
        return;
      }
      c.node.links.unblock(peer);
      c.replies.add(Resp.OK);
    });
    // KVS.LINK.CONNECT peerId host port
    define("KVS.LINK.CONNECT", 4, Access.ADMIN, (c, a) -> {
      int peer = parseInt(a[1], 0, Integer.MAX_VALUE);
      int port = parseInt(a[3], 1, 65535);
      if (peer < 0 || port < 0) {
        c.replies.add(Resp.error("ERR bad server id or port"));
        return;
      }
      ReplyQueue.Slot slot = c.replies.defer();
      c.node.links.connect(peer, InetSocketAddress.createUnresolved(Resp.ascii(a[2]), port))
          .addListener(f -> slot.complete(f.isSuccess() ? Resp.OK
              : Resp.error("ERR cannot link to server " + peer + ": "
                  + (f.cause() == null ? "unknown" : f.cause().getMessage()))));
    });
    // KVS.STATE
    define("KVS.STATE", 1, Access.ADMIN, (c, a) -> c.replies.add(Resp.bulk(c.node.stateText())));
    // KVS.AWAIT state timeoutMs
    define("KVS.AWAIT", 3, Access.ADMIN, (c, a) -> {
      int timeout = parseInt(a[2], 0, 600_000);
      if (timeout < 0) {
        c.replies.add(Resp.error("ERR bad timeout"));
        return;
      }
      c.node.watchers.await(c.replies.defer(), Resp.ascii(a[1]), timeout);
    });
    // KVS.DUMP
    define("KVS.DUMP", 1, Access.ADMIN, (c, a) -> {
      List<RedisMessage> out = new ArrayList<>();
      c.node.replica.forEachLive(e -> {
        out.add(Resp.bulk(e.key()));
        out.add(Resp.bulk(e.value()));
      });
      c.replies.add(Resp.array(out));
    });
  }

  private static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";

  /** Whether {@code user} (null: not given) and {@code password} are the default user's. */
  private static boolean passwordMatches(ConnectionHandler c, byte[] user, byte[] password) {
    String pass = c.node.config.requirePass();
    boolean defaultUser = user == null || Resp.ascii(user).equals("default");
    if (pass == null) return defaultUser; // like Redis's "nopass" default user: any password
    return defaultUser && secretMatches(password, pass);
  }

  private static void auth(ConnectionHandler c, byte[] user, byte[] password) {
    if (c.node.config.requirePass() == null && user == null) {
      c.replies.add(Resp.error("ERR AUTH <password> called without any password configured for"
          + " the default user. Are you sure your configuration is correct?"));
    } else if (passwordMatches(c, user, password)) {
      c.authenticated = true;
      c.replies.add(Resp.OK);
    } else {
      c.replies.add(Resp.error(WRONGPASS));
    }
  }

  /**
   * HELLO [protover [AUTH username password] [SETNAME clientname]]. Only RESP2 is spoken: HELLO 3
   * answers NOPROTO, as a Redis 5 would, and clients (Lettuce) fall back to RESP2 and AUTH. Like
   * Redis, nothing changes unless every option is valid.
   */
  private static void hello(ConnectionHandler c, byte[][] a) {
    int i = 1;
    if (a.length > 1) {
      long ver;
      try {
        ver = Long.parseLong(Resp.ascii(a[1]));
      } catch (NumberFormatException e) {
        ver = -1;
      }
      if (ver < 2 || ver > 3) {
        c.replies.add(Resp.error(ver < 0 ? "ERR Protocol version is not an integer or out of range"
            : "NOPROTO unsupported protocol version"));
        return;
      }
      if (ver == 3) {
        c.replies.add(Resp.error("NOPROTO unsupported protocol version; this server speaks RESP2"));
        return;
      }
      i = 2;
    }
    boolean authenticate = false;
    String name = c.clientName;
    for (; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if ("AUTH".equals(opt) && i + 2 < a.length) {
        if (!passwordMatches(c, a[i + 1], a[i + 2])) {
          c.replies.add(Resp.error(WRONGPASS));
          return;
        }
        authenticate = true;
        i += 2;
      } else if ("SETNAME".equals(opt) && i + 1 < a.length) {
        if (!RedisCompat.isClientName(a[i + 1])) {
          c.replies.add(Resp.error("ERR Client names cannot contain spaces, newlines or"
              + " special characters."));
          return;
        }
        name = a[i + 1].length == 0 ? null : Resp.ascii(a[i + 1]);
        i++;
      } else {
        c.replies.add(Resp.error("ERR syntax error in HELLO option '" + printable(a[i]) + "'"));
        return;
      }
    }
    if (!c.authenticated && !authenticate) {
      c.replies.add(Resp.error("NOAUTH HELLO must be called with the client already authenticated,"
          + " otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate"
          + " the client and select the RESP protocol version at the same time"));
      return;
    }
    c.authenticated = true;
    c.clientName = name;
    c.replies.add(Resp.array(List.of(
        Resp.bulk("server"), Resp.bulk("kvs"),
        Resp.bulk("version"), Resp.bulk(RedisCompat.VERSION),
        Resp.bulk("proto"), Resp.integer(2),
        Resp.bulk("id"), Resp.integer(RedisCompat.clientId(c)),
        Resp.bulk("mode"), Resp.bulk("standalone"),
        Resp.bulk("role"), Resp.bulk("master"),
        Resp.bulk("modules"), Resp.array(List.of()))));
  }

}
