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
import kvs.core.SessionToken;
import kvs.core.VersionVector;
import kvs.net.Resp;

/**
 * The command table. Each command is data (name, arity, flags) plus a handler, and each handler
 * is preceded by its syntax. Arity follows Redis: a positive number is exact, a negative one is
 * a minimum, both counting the command name.
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

  private static RedisMessage dotReply(Entry e) {
    return Resp.array(List.of(Resp.integer(e.origin()), Resp.integer(e.seq()),
        Resp.integer(e.clock())));
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
      c.replies.flush();
      c.ctx.close();
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
    // DBSIZE
    define("DBSIZE", 1, Access.AUTHENTICATED, (c, a) -> {
      long[] n = {0};
      c.node.replica.forEachLive(e -> n[0]++);
      c.replies.add(Resp.integer(n[0]));
    });
    // SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    define("SCAN", -2, Access.AUTHENTICATED, Scan::run);
    // INFO [section]
    define("INFO", -1, Access.AUTHENTICATED, (c, a) -> c.replies.add(Resp.bulk(info(c.node))));
    // CONFIG GET parameter: nothing is configurable at run time; tools only probe
    define("CONFIG", -2, Access.AUTHENTICATED, (c, a) -> c.replies.add(
        "GET".equalsIgnoreCase(Resp.ascii(a[1])) ? Resp.array(List.of())
            : Resp.error("ERR CONFIG " + printable(a[1]) + " is not supported")));
    // COMMAND [COUNT | DOCS | INFO ...]
    define("COMMAND", -1, Access.AUTHENTICATED, (c, a) -> c.replies.add(
        a.length > 1 && "COUNT".equalsIgnoreCase(Resp.ascii(a[1]))
            ? Resp.integer(TABLE.size()) : Resp.array(List.of())));
    // HELLO [protover [AUTH username password] [SETNAME clientname]]
    define("HELLO", -1, Access.ANYONE, Commands::hello);
    // AUTH [username] password
    define("AUTH", -2, Access.ANYONE, (c, a) -> {
      if (a.length > 3) {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
      auth(c, a[a.length - 1]);
    });
    // CLIENT SETNAME name | GETNAME | SETINFO attr value | ID | INFO
    define("CLIENT", -2, Access.AUTHENTICATED, (c, a) -> {
      String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
      switch (sub) {
        case "SETNAME" -> {
          if (a.length != 3) {
            c.replies.add(Resp.error("ERR wrong number of arguments for 'client|setname' command"));
          } else {
            c.clientName = Resp.ascii(a[2]);
            c.replies.add(Resp.OK);
          }
        }
        case "GETNAME" -> c.replies.add(c.clientName == null ? Resp.NIL : Resp.bulk(c.clientName));
        case "SETINFO" -> c.replies.add(Resp.OK);
        case "ID" -> c.replies.add(Resp.integer(c.ctx.channel().id().hashCode() & 0x7fffffffL));
        case "INFO" -> c.replies.add(Resp.bulk("id=" + (c.ctx.channel().id().hashCode() & 0x7fffffffL)
            + " addr=" + c.ctx.channel().remoteAddress() + " name=" + (c.clientName == null ? "" : c.clientName) + "\n"));
        default -> c.replies.add(Resp.error("ERR unknown subcommand '" + printable(a[1])
            + "'. Try CLIENT SETNAME, GETNAME, SETINFO, ID or INFO."));
      }
    });

    // KVS.SESSION [token]: export the session token, or adopt one (merged into this session)
    define("KVS.SESSION", -1, Access.AUTHENTICATED, (c, a) -> {
      if (a.length == 1) {
        c.replies.add(Resp.bulk(c.session.toText()));
      } else if (a.length == 2) {
        try {
          c.session.mergeFrom(SessionToken.fromText(Resp.ascii(a[1])));
          c.replies.add(Resp.OK);
        } catch (CorruptDataException e) {
          c.replies.add(Resp.error("ERR invalid session token: " + e.getMessage()));
        }
      } else {
        c.replies.add(Resp.error("ERR wrong number of arguments for 'kvs.session' command"));
      }
    });
    // KVS.PUT key value: like SET, replying [origin, seq, clock] for the client's own token
    define("KVS.PUT", 3, Access.AUTHENTICATED,
        (c, a) -> write(c, List.of(a[1]), List.of(a[2]), w -> dotReply(w.get(0))));
    // KVS.DEL key: writes a tombstone, replying [origin, seq, clock]
    define("KVS.DEL", 2, Access.AUTHENTICATED, (c, a) -> write(c, List.of(a[1]),
        Collections.singletonList(null), w -> dotReply(w.get(0))));
    // KVS.GET key: [value or nil, origin, seq, clock], [nil] when never written, or ERR_DEP
    define("KVS.GET", 2, Access.AUTHENTICATED, (c, a) -> {
      ReadResult r = c.node.replica.read(c.session, a[1]);
      if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
        c.replies.add(Resp.error(ERR_DEP));
      } else if (r.entry() == null) {
        c.replies.add(Resp.array(List.of(Resp.NIL)));
      } else {
        Entry e = r.entry();
        c.replies.add(Resp.array(List.of(Resp.bulk(e.value()), Resp.integer(e.origin()),
            Resp.integer(e.seq()), Resp.integer(e.clock()))));
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

  private static void auth(ConnectionHandler c, byte[] password) {
    String pass = c.node.config.requirePass();
    if (pass == null) {
      c.replies.add(Resp.error("ERR AUTH <password> called without any password configured for"
          + " the default user. Are you sure your configuration is correct?"));
    } else if (secretMatches(password, pass)) {
      c.authenticated = true;
      c.replies.add(Resp.OK);
    } else {
      c.replies.add(Resp.error("WRONGPASS invalid username-password pair or user is disabled."));
    }
  }

  private static void hello(ConnectionHandler c, byte[][] a) {
    int i = 1;
    if (a.length > 1) {
      String ver = Resp.ascii(a[1]);
      if (!"2".equals(ver)) {
        c.replies.add(Resp.error("NOPROTO unsupported protocol version " + printable(a[1])
            + "; this server speaks RESP2"));
        return;
      }
      i = 2;
    }
    for (; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if ("AUTH".equals(opt) && i + 2 < a.length) {
        String pass = c.node.config.requirePass();
        if (pass != null && !secretMatches(a[i + 2], pass)) {
          c.replies.add(Resp.error("WRONGPASS invalid username-password pair or user is disabled."));
          return;
        }
        c.authenticated = true;
        i += 2;
      } else if ("SETNAME".equals(opt) && i + 1 < a.length) {
        c.clientName = Resp.ascii(a[++i]);
      } else {
        c.replies.add(Resp.error("ERR syntax error in HELLO option '" + printable(a[i]) + "'"));
        return;
      }
    }
    if (!c.authenticated) {
      c.replies.add(Resp.error("NOAUTH HELLO must be called with the client already authenticated,"
          + " otherwise the HELLO <proto> AUTH <user> <pass> option can be used"));
      return;
    }
    c.replies.add(Resp.array(List.of(
        Resp.bulk("server"), Resp.bulk("kvs"),
        Resp.bulk("version"), Resp.bulk(RedisCompat.VERSION),
        Resp.bulk("proto"), Resp.integer(2),
        Resp.bulk("id"), Resp.integer(c.ctx.channel().id().hashCode() & 0x7fffffffL),
        Resp.bulk("mode"), Resp.bulk("standalone"),
        Resp.bulk("role"), Resp.bulk("master"),
        Resp.bulk("modules"), Resp.array(List.of()))));
  }

  private static String info(Node node) {
    long[] keys = {0};
    node.replica.forEachLive(e -> keys[0]++);
    return "# Server\r\nredis_version:" + RedisCompat.VERSION + "\r\nkvs_version:0.1.0\r\n"
        + "redis_mode:standalone\r\ntcp_port:" + node.port() + "\r\n"
        + "kvs_server_id:" + node.config.id() + "\r\n"
        + "\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
        + "kvs_linked_peers:" + node.links.linkedPeers().size() + "\r\n"
        + "kvs_version_vector:" + node.replica.vv() + "\r\n"
        + "\r\n# Keyspace\r\n" + (keys[0] > 0 ? "db0:keys=" + keys[0] + ",expires=0,avg_ttl=0\r\n" : "");
  }
}
