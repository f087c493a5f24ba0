package kvs.server;

import static kvs.server.CommandSpec.command;

import java.util.List;
import java.util.Locale;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;

/**
 * The connection and server commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, CLIENT, and INFO,
 * CONFIG and COMMAND, whose replies {@link RedisCompat} builds in the shapes Redis 7 gives them.
 * Replies are protocol-neutral ({@link kvs.net.Resp3}): a map is written as a RESP3 map after
 * HELLO 3 and as a flat array in RESP2, INFO's text as a verbatim string or a bulk string.
 */
final class ConnectionCommands {
  private static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";

  private ConnectionCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("PING", -1, Access.AUTHENTICATED).flags(Flag.FAST, Flag.STALE)
            .summary("Answers PONG, or the message.")
            .handler(ConnectionCommands::ping),
        command("ECHO", 2, Access.AUTHENTICATED).flags(Flag.FAST, Flag.STALE)
            .summary("Answers the message.")
            .handler((c, a) -> c.replies.add(Resp.bulk(a[1]))),
        command("QUIT", -1, Access.ANYONE).flags(Flag.FAST, Flag.NO_AUTH)
            .summary("Closes the connection.")
            .handler(ConnectionCommands::quit),
        command("SELECT", 2, Access.AUTHENTICATED).flags(Flag.FAST, Flag.LOADING, Flag.STALE)
            .summary("Selects database 0, the only one.")
            .handler(ConnectionCommands::select),
        command("INFO", -1, Access.AUTHENTICATED).flags(Flag.LOADING, Flag.STALE)
            .summary("Describes the server, by section.")
            .handler((c, a) -> c.replies.add(Resp.verbatim(RedisCompat.info(c, a)))),
        command("CONFIG", -2, Access.AUTHENTICATED).flags(Flag.ADMIN, Flag.LOADING, Flag.STALE)
            .summary("CONFIG GET answers the parameters tools probe; nothing can be set.")
            .handler(ConnectionCommands::config),
        // COMMAND [COUNT | LIST | INFO [name ...] | DOCS [name ...]]
        command("COMMAND", -1, Access.AUTHENTICATED).flags(Flag.LOADING, Flag.STALE)
            .summary("Describes commands: COUNT, INFO, DOCS, LIST.")
            .handler((c, a) -> c.replies.add(RedisCompat.command(a))),
        command("HELLO", -1, Access.ANYONE)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.FAST, Flag.NO_AUTH)
            .summary("Handshake: HELLO 3 switches to RESP3, HELLO 2 to RESP2; AUTH, SETNAME.")
            .handler(ConnectionCommands::hello),
        command("AUTH", -2, Access.ANYONE)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.FAST, Flag.NO_AUTH)
            .summary("Authenticates the connection to a server started with --requirepass.")
            .handler(ConnectionCommands::auth),
        command("CLIENT", -2, Access.AUTHENTICATED)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE)
            .summary("CLIENT SETNAME, GETNAME, SETINFO, ID, INFO, LIST, KILL.")
            .handler(ClientCommands::client));
  }

  /** PING [message]. */
  private static void ping(ConnectionHandler c, byte[][] a) {
    if (a.length > 2) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("ping")));
    } else {
      c.replies.add(a.length == 1 ? Resp.simple("PONG") : Resp.bulk(a[1]));
    }
  }

  /** QUIT. */
  private static void quit(ConnectionHandler c, byte[][] a) {
    c.replies.add(Resp.OK);
    c.replies.closeWhenSent(); // after the replies before it, deferred ones too, as Redis
  }

  /** SELECT index: one keyspace, numbered 0. */
  private static void select(ConnectionHandler c, byte[][] a) {
    c.replies.add("0".equals(Resp.ascii(a[1])) ? Resp.OK
        : Resp.error("ERR DB index is out of range"));
  }

  /**
   * CONFIG GET parameter [parameter ...] | CONFIG RESETSTAT: nothing is settable; tools probe.
   */
  private static void config(ConnectionHandler c, byte[][] a) {
    String sub = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
    if (sub.equals("GET") && a.length > 2) {
      c.replies.add(RedisCompat.configGet(c, a));
    } else if (sub.equals("RESETSTAT") && a.length == 2) {
      c.replies.add(Resp.OK);
    } else if (sub.equals("GET") || sub.equals("RESETSTAT")) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("config|" + sub)));
    } else {
      c.replies.add(Resp.error("ERR CONFIG " + CommandSupport.printable(a[1])
          + " is not supported; servers take their settings on the command line"
          + " (kvs server --help)"));
    }
  }

  /** AUTH [username] password: the only user is "default", as in Redis without ACLs. */
  private static void auth(ConnectionHandler c, byte[][] a) {
    if (a.length > 3) {
      c.replies.add(Resp.error("ERR syntax error"));
      return;
    }
    byte[] user = a.length == 3 ? a[1] : null;
    byte[] password = a[a.length - 1];
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

  /** Whether {@code user} (null: not given) and {@code password} are the default user's. */
  private static boolean passwordMatches(ConnectionHandler c, byte[] user, byte[] password) {
    String pass = c.node.config.requirePass();
    boolean defaultUser = user == null || Resp.ascii(user).equals("default");
    if (pass == null) return defaultUser; // like Redis's "nopass" default user: any password
    return defaultUser && CommandSupport.secretMatches(password, pass);
  }

  /**
   * HELLO [protover [AUTH username password] [SETNAME clientname]], as Redis 7: protover 3
   * switches the connection to RESP3 (this reply is the first in it), 2 back to RESP2, none keeps
   * it; AUTH authenticates as AUTH does; the reply is a map (a flat array in RESP2). Nothing
   * changes unless every option is valid and the connection is (or gets) authenticated.
   */
  private static void hello(ConnectionHandler c, byte[][] a) {
    int ver = 0;
    if (a.length > 1) {
      String v = Resp.ascii(a[1]);
      long parsed;
      try {
        parsed = v.startsWith("+") ? Long.MIN_VALUE : Long.parseLong(v);
      } catch (NumberFormatException e) {
        parsed = Long.MIN_VALUE;
      }
      if (parsed == Long.MIN_VALUE) {
        c.replies.add(Resp.error("ERR Protocol version is not an integer or out of range"));
        return;
      }
      if (parsed < 2 || parsed > 3) {
        c.replies.add(Resp.error("NOPROTO unsupported protocol version"));
        return;
      }
      ver = (int) parsed;
    }
    byte[] user = null;
    byte[] password = null;
    byte[] name = null;
    for (int i = ver == 0 ? 1 : 2; i < a.length; i++) {
      int more = a.length - 1 - i;
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if ("AUTH".equals(opt) && more >= 2) {
        user = a[i + 1];
        password = a[i + 2];
        i += 2;
      } else if ("SETNAME".equals(opt) && more >= 1) {
        if (!RedisCompat.isClientName(a[i + 1])) {
          c.replies.add(Resp.error("ERR Client names cannot contain spaces, newlines or"
              + " special characters."));
          return;
        }
        name = a[i + 1];
        i++;
      } else {
        c.replies.add(Resp.error("ERR Syntax error in HELLO option '"
            + CommandSupport.printable(a[i]) + "'"));
        return;
      }
    }
    if (user != null) {
      if (!passwordMatches(c, user, password)) {
        c.replies.add(Resp.error(WRONGPASS));
        return;
      }
      c.authenticated = true;
    }
    if (!c.authenticated) {
      c.replies.add(Resp.error("NOAUTH HELLO must be called with the client already authenticated,"
          + " otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate"
          + " the client and select the RESP protocol version at the same time"));
      return;
    }
    if (name != null) c.clientName = name.length == 0 ? null : Resp.ascii(name);
    if (ver != 0) c.replies.protocol(ver);
    c.replies.add(Resp.map(List.of(
        Resp.bulk("server"), Resp.bulk("kvs"),
        Resp.bulk("version"), Resp.bulk(RedisCompat.VERSION),
        Resp.bulk("proto"), Resp.integer(c.replies.protocol()),
        Resp.bulk("id"), Resp.integer(RedisCompat.clientId(c)),
        Resp.bulk("mode"), Resp.bulk("standalone"),
        Resp.bulk("role"), Resp.bulk("master"),
        Resp.bulk("modules"), Resp.array(List.of()))));
  }
}
