package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;
import java.util.Locale;
import kvs.core.Entry;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * Expiry (docs/design.md, Expiry): SETNX, SETEX, PSETEX, GETEX, EXPIRE, PEXPIRE, EXPIREAT,
 * PEXPIREAT, TTL, PTTL, PERSIST, EXPIRETIME, PEXPIRETIME, and the option parsing SET shares.
 *
 * <p>An expiry is an absolute time in the entry, compared with the server's time for expiry
 * ({@code Replica.now}: its wall clock, never below its hybrid clock). Changing an expiry is a
 * write: a new version of the key with the same value and the new expiry, replicated like any
 * write. Every read goes through the session check (ERR_DEP) like GET.
 */
final class ExpiryCommands {
  private ExpiryCommands() {}

  /** The sweep of expired values runs this often on the event loop... */
  static final long SWEEP_INTERVAL_MS = 100;
  /** ...and examines at most this many entries each time, so it never holds the loop long. */
  static final int SWEEP_SLICE = 1_000;

  static final String ERR_SYNTAX = "ERR syntax error";

  /**
   * Starts the background removal of expired values on the node's loop: every
   * {@link #SWEEP_INTERVAL_MS} ms, the keys reads found expired and the next
   * {@link #SWEEP_SLICE} entries of the store, from where the previous slice stopped, round and
   * round ({@code Replica.sweepExpired}: each expired value becomes a remnant, one commit per
   * slice, digest and vector unchanged). A storage failure stops the server as on every path.
   */
  static void startSweep(Node node) {
    byte[][] from = {null};
    node.loop.scheduleWithFixedDelay(() -> {
      if (node.isClosed()) return;
      try {
        from[0] = node.replica.sweepExpired(from[0], SWEEP_SLICE, node.clock.millis());
      } catch (RuntimeException e) {
        // A storage failure has stopped the server already (its handler runs before the
        // throw); anything else must not end the sweep for good: the next slice starts over.
        from[0] = null;
        org.slf4j.LoggerFactory.getLogger(ExpiryCommands.class)
            .warn("server {}: sweep of expired values failed: {}", node.config.id(), e.toString());
      }
    }, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }
  static final String ERR_NOT_INTEGER = "ERR value is not an integer or out of range";

  static List<CommandSpec> declarations() {
    return List.of(
        command("SETNX", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Sets a key's value only when the key does not exist, in this session.")
            .handler(ExpiryCommands::setnx),
        command("SETEX", 4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(Keys.ONE)
            .summary("Sets a key's value and its time to live in seconds.")
            .handler((c, a) -> setex(c, a, 1000, "setex")),
        command("PSETEX", 4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(Keys.ONE)
            .summary("Sets a key's value and its time to live in milliseconds.")
            .handler((c, a) -> setex(c, a, 1, "psetex")),
        command("GETEX", -2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Gets a key's value and sets or removes its expiry.")
            .handler(ExpiryCommands::getex),
        command("EXPIRE", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Sets a key's time to live in seconds: a replicated write of the key.")
            .handler((c, a) -> expire(c, a, 1000, false, "expire")),
        command("PEXPIRE", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Sets a key's time to live in milliseconds: a replicated write of the key.")
            .handler((c, a) -> expire(c, a, 1, false, "pexpire")),
        command("EXPIREAT", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Sets a key's expiry to a Unix time in seconds: a replicated write.")
            .handler((c, a) -> expire(c, a, 1000, true, "expireat")),
        command("PEXPIREAT", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Sets a key's expiry to a Unix time in milliseconds: a replicated write.")
            .handler((c, a) -> expire(c, a, 1, true, "pexpireat")),
        command("TTL", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("A key's time to live in seconds: -1 without expiry, -2 without the key.")
            .handler((c, a) -> ttl(c, a, false, false)),
        command("PTTL", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("A key's time to live in milliseconds: -1 without expiry, -2 without the key.")
            .handler((c, a) -> ttl(c, a, true, false)),
        command("EXPIRETIME", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("A key's expiry as a Unix time in seconds: -1 without, -2 without the key.")
            .handler((c, a) -> ttl(c, a, false, true)),
        command("PEXPIRETIME", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("A key's expiry as a Unix time in ms: -1 without, -2 without the key.")
            .handler((c, a) -> ttl(c, a, true, true)),
        command("PERSIST", 2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Removes a key's expiry: a replicated write of the key.")
            .handler(ExpiryCommands::persist));
  }

  // ---- options of SET and GETEX ------------------------------------------------------------

  /** What SET's or GETEX's options asked for; {@code error} set when they are refused. */
  static final class Options {
    boolean nx;
    boolean xx;
    boolean get;
    boolean keepTtl;
    boolean persist;
    /** EX, PX, EXAT or PXAT, upper case; null when none. */
    String unit;
    byte[] amount;
    /** The absolute expiry asked for (Unix ms), when {@link #unit} is set and it parsed. */
    long expiry;
    String error;
  }

  /**
   * Parses {@code a[from..]} as Redis 7 does for SET ({@code forSet}) or GETEX: first the
   * option words (any conflict or unknown word is {@code ERR syntax error}), then the amount
   * (not an integer: Redis's integer error; zero, negative or out of range:
   * {@code ERR invalid expire time in '<command>' command}).
   */
  static Options parseOptions(byte[][] a, int from, boolean forSet, String command, long now) {
    Options o = new Options();
    for (int i = from; i < a.length; i++) {
      String w = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      boolean hasNext = i + 1 < a.length;
      boolean expiring = o.unit != null || o.keepTtl || o.persist;
      switch (w) {
        case "NX" -> {
          if (!forSet || o.xx) return syntax(o);
          o.nx = true;
        }
        case "XX" -> {
          if (!forSet || o.nx) return syntax(o);
          o.xx = true;
        }
        case "GET" -> {
          if (!forSet) return syntax(o);
          o.get = true;
        }
        case "KEEPTTL" -> {
          if (!forSet || expiring) return syntax(o);
          o.keepTtl = true;
        }
        case "PERSIST" -> {
          if (forSet || expiring) return syntax(o);
          o.persist = true;
        }
        case "EX", "PX", "EXAT", "PXAT" -> {
          if (expiring || !hasNext) return syntax(o);
          o.unit = w;
          o.amount = a[++i];
        }
        default -> {
          return syntax(o);
        }
      }
    }
    if (o.unit != null) {
      Long n = CounterCommands.parseStrictLong(o.amount);
      if (n == null) {
        o.error = ERR_NOT_INTEGER;
        return o;
      }
      long ms = o.unit.startsWith("E") ? toMillis(n, 1000) : n;
      boolean relative = !o.unit.endsWith("AT");
      if (n <= 0 || ms == Long.MIN_VALUE || relative && ms > Long.MAX_VALUE - now) {
        o.error = invalidExpire(command);
        return o;
      }
      o.expiry = relative ? now + ms : ms;
    }
    return o;
  }

  private static Options syntax(Options o) {
    o.error = ERR_SYNTAX;
    return o;
  }

  static String invalidExpire(String command) {
    return "ERR invalid expire time in '" + command + "' command";
  }


  /** {@code n * unit}, or {@link Long#MIN_VALUE} when it overflows. */
  private static long toMillis(long n, long unit) {
    if (unit == 1) return n;
    if (n > Long.MAX_VALUE / unit || n < Long.MIN_VALUE / unit + 1) return Long.MIN_VALUE;
    return n * unit;
  }

  /**
   * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL], replies as Redis 7: OK, or
   * nil when NX/XX refused it; with GET the old value (nil when there was none) either way.
   */
  static void set(ConnectionHandler c, byte[][] a) {
    long now = c.node.replica.now();
    Options o = parseOptions(a, 3, true, "set", now);
    if (o.error != null) {
      c.replies.add(Resp.error(o.error));
      return;
    }
    Entry current = null;
    if (o.nx || o.xx || o.get || o.keepTtl) {
      // SET ... GET answers the old value, which must be a string; otherwise SET replaces any type
      ReadResult r = o.get ? CommandSupport.readString(c, a[1]) : CommandSupport.read(c, a[1]);
      if (r == null) return;
      current = r.status() == ReadStatus.FOUND ? r.entry() : null;
    }
    RedisMessage old = current == null ? Resp.NIL : Resp.bulk(current.value());
    if (o.nx && current != null || o.xx && current == null) {
      c.replies.add(o.get ? old : Resp.NIL);
      return;
    }
    long expiry = o.unit != null ? o.expiry : o.keepTtl && current != null ? current.expiry() : 0;
    if (expiry != 0 && expiry <= now) {
      // EXAT or PXAT in the past: Redis sets and at once expires the key, i.e. deletes it.
      CommandSupport.delete(c, List.of(a[1]), w -> o.get ? old : Resp.OK);
      return;
    }
    CommandSupport.write(c, List.of(a[1]), List.of(a[2]), new long[] {expiry},
        w -> o.get ? old : Resp.OK);
  }

  /** SETNX key value: 1 when set, 0 when the key exists. */
  private static void setnx(ConnectionHandler c, byte[][] a) {
    Entry current = readLive(c, a[1]);
    if (current == MISSING) return;
    if (current != null) {
      c.replies.add(Resp.integer(0));
      return;
    }
    CommandSupport.write(c, List.of(a[1]), List.of(a[2]), w -> Resp.integer(1));
  }

  /** SETEX key seconds value, PSETEX key milliseconds value. */
  private static void setex(ConnectionHandler c, byte[][] a, long unit, String name) {
    Long n = CounterCommands.parseStrictLong(a[2]);
    if (n == null) {
      c.replies.add(Resp.error(ERR_NOT_INTEGER));
      return;
    }
    long now = c.node.replica.now();
    long ms = toMillis(n, unit);
    if (n <= 0 || ms == Long.MIN_VALUE || ms > Long.MAX_VALUE - now) {
      c.replies.add(Resp.error(invalidExpire(name)));
      return;
    }
    CommandSupport.write(c, List.of(a[1]), List.of(a[3]), new long[] {now + ms}, w -> Resp.OK);
  }

  /** GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: the value; the expiry changes by a write. */
  private static void getex(ConnectionHandler c, byte[][] a) {
    long now = c.node.replica.now();
    Options o = parseOptions(a, 2, false, "getex", now);
    if (o.error != null) {
      c.replies.add(Resp.error(o.error));
      return;
    }
    Entry current = readLive(c, a[1], true);
    if (current == MISSING) return;
    if (current == null) {
      c.replies.add(Resp.NIL);
      return;
    }
    RedisMessage value = Resp.bulk(current.value());
    if (o.unit != null && o.expiry <= now) {
      CommandSupport.delete(c, List.of(a[1]), w -> value);
    } else if (o.unit != null || o.persist && current.hasExpiry()) {
      CommandSupport.rewriteExpiry(c, a[1], o.persist ? 0 : o.expiry, w -> value);
    } else {
      c.replies.add(value);
    }
  }

  /**
   * EXPIRE key seconds [NX|XX|GT|LT] and its millisecond and absolute forms: 1 when the expiry
   * was set (a time at or before now deletes the key, as in Redis), 0 when the key does not
   * exist or the condition refused it. No expiry counts as an infinite one for GT and LT.
   */
  private static void expire(ConnectionHandler c, byte[][] a, long unit, boolean absolute,
      String name) {
    boolean nx = false;
    boolean xx = false;
    boolean gt = false;
    boolean lt = false;
    for (int i = 3; i < a.length; i++) {
      String w = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      switch (w) {
        case "NX" -> nx = true;
        case "XX" -> xx = true;
        case "GT" -> gt = true;
        case "LT" -> lt = true;
        default -> {
          c.replies.add(Resp.error("ERR Unsupported option " + CommandSupport.printable(a[i])));
          return;
        }
      }
    }
    if (nx && (xx || gt || lt)) {
      c.replies.add(Resp.error("ERR NX and XX, GT or LT options at the same time are not"
          + " compatible"));
      return;
    }
    if (gt && lt) {
      c.replies.add(Resp.error("ERR GT and LT options at the same time are not compatible"));
      return;
    }
    Long n = CounterCommands.parseStrictLong(a[2]);
    if (n == null) {
      c.replies.add(Resp.error(ERR_NOT_INTEGER));
      return;
    }
    long now = c.node.replica.now();
    long ms = toMillis(n, unit);
    if (ms == Long.MIN_VALUE && unit != 1
        || !absolute && (ms > 0 ? ms > Long.MAX_VALUE - now : ms < Long.MIN_VALUE + now)) {
      c.replies.add(Resp.error(invalidExpire(name)));
      return;
    }
    long when = absolute ? ms : now + ms;
    Entry current = readLive(c, a[1]);
    if (current == MISSING) return;
    if (current == null) {
      c.replies.add(Resp.integer(0));
      return;
    }
    long have = current.hasExpiry() ? current.expiry() : Long.MAX_VALUE; // none: infinite
    if (nx && current.hasExpiry() || xx && !current.hasExpiry()
        || gt && when <= have || lt && when >= have) {
      c.replies.add(Resp.integer(0));
      return;
    }
    if (when <= now) {
      CommandSupport.delete(c, List.of(a[1]), w -> Resp.integer(1));
    } else {
      CommandSupport.rewriteExpiry(c, a[1], when, w -> Resp.integer(1));
    }
  }

  /** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 without the key, -1 without expiry. */
  private static void ttl(ConnectionHandler c, byte[][] a, boolean millis, boolean absolute) {
    Entry current = readLive(c, a[1]);
    if (current == MISSING) return;
    long reply;
    if (current == null) {
      reply = -2;
    } else if (!current.hasExpiry()) {
      reply = -1;
    } else {
      long t = absolute ? current.expiry() : Math.max(0, current.expiry() - c.node.replica.now());
      reply = millis ? t : (t + 500) / 1000;
    }
    c.replies.add(Resp.integer(reply));
  }

  /** PERSIST key: 1 when an expiry was removed (a write), 0 otherwise. */
  private static void persist(ConnectionHandler c, byte[][] a) {
    Entry current = readLive(c, a[1]);
    if (current == MISSING) return;
    if (current == null || !current.hasExpiry()) {
      c.replies.add(Resp.integer(0));
      return;
    }
    CommandSupport.rewriteExpiry(c, a[1], 0, w -> Resp.integer(1));
  }

  /** Stands for a refused read: ERR_DEP has been answered. */
  private static final Entry MISSING = new Entry(new byte[0], null, 0, 0, 1);

  /**
   * The key's live entry in this session, null when it has none (absent, deleted or expired),
   * or {@link #MISSING} after answering ERR_DEP.
   */
  private static Entry readLive(ConnectionHandler c, byte[] key) {
    return readLive(c, key, false);
  }

  /** As {@link #readLive(ConnectionHandler, byte[])}; a hash answers WRONGTYPE when {@code string}. */
  private static Entry readLive(ConnectionHandler c, byte[] key, boolean string) {
    ReadResult r = string ? CommandSupport.readString(c, key) : CommandSupport.read(c, key);
    if (r == null) return MISSING;
    return r.status() == ReadStatus.FOUND ? r.entry() : null;
  }
}
