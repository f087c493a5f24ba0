package kvs.server;

import static kvs.server.CommandSpec.command;

import java.math.BigDecimal;
import java.util.List;
import kvs.core.Counters;
import kvs.core.Replica;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * The counter commands: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, with Redis 7's replies and
 * errors. Unlike the read-modify-write string commands (StringEditCommands), an increment is not
 * a write of the whole new value: it raises this server's own contribution to the key
 * ({@code kvs.core.Counters}), so increments made on different servers at the same time all
 * count. The key stays a string for every other command (TYPE answers string, GET the number),
 * as a counter is in Redis.
 */
final class CounterCommands {
  static final String NOT_INTEGER = StringEditCommands.NOT_INTEGER;
  static final String OVERFLOW = "ERR increment or decrement would overflow";
  static final String NOT_FLOAT = "ERR value is not a valid float";
  static final String NAN_OR_INFINITY = "ERR increment would produce NaN or Infinity";

  private CounterCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("INCR", 2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Adds 1 to a counter; increments on different servers all count.")
            .handler((c, a) -> incrBy(c, a[1], 1)),
        command("DECR", 2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Subtracts 1 from a counter; decrements on different servers all count.")
            .handler((c, a) -> incrBy(c, a[1], -1)),
        command("INCRBY", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Adds an integer to a counter; increments on different servers all count.")
            .handler((c, a) -> incrByArgument(c, a, false)),
        command("DECRBY", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Subtracts an integer from a counter; decrements on different servers all"
                + " count.")
            .handler((c, a) -> incrByArgument(c, a, true)),
        command("INCRBYFLOAT", 3, Access.AUTHENTICATED)
            .flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST).keys(Keys.ONE)
            .summary("Adds a decimal number to a counter; increments on different servers all"
                + " count.")
            .handler(CounterCommands::incrByFloat));
  }

  /**
   * A 64-bit integer written as Redis's string2ll accepts it (an optional minus, then digits
   * without leading zeros), or null.
   */
  static Long parseStrictLong(byte[] b) {
    int n = b.length;
    if (n == 0 || n > 20) return null;
    int i = b[0] == '-' ? 1 : 0;
    if (i == n || b[i] == '0' && (n > i + 1 || i == 1)) return null; // "-", "01", "-0"
    for (int j = i; j < n; j++) if (b[j] < '0' || b[j] > '9') return null;
    try {
      return Long.parseLong(Resp.ascii(b));
    } catch (NumberFormatException e) {
      return null; // out of range
    }
  }

  /** INCRBY key increment | DECRBY key decrement. */
  private static void incrByArgument(ConnectionHandler c, byte[][] a, boolean negate) {
    Long by = parseStrictLong(a[2]);
    if (by == null) {
      c.replies.add(Resp.error(NOT_INTEGER));
      return;
    }
    if (negate && by == Long.MIN_VALUE) {
      c.replies.add(Resp.error("ERR decrement would overflow"));
      return;
    }
    incrBy(c, a[1], negate ? -by : by);
  }

  /** Adds {@code by} to the counter {@code key}: its value must be a 64-bit integer, and stay one. */
  private static void incrBy(ConnectionHandler c, byte[] key, long by) {
    if (!CommandSupport.checkKey(c, key)) return;
    ReadResult r = CommandSupport.readString(c, key);
    if (r == null) return;
    long current = 0;
    if (r.status() == ReadStatus.FOUND) {
      Long v = parseStrictLong(r.entry().value());
      if (v == null) {
        c.replies.add(Resp.error(NOT_INTEGER));
        return;
      }
      current = v;
    }
    long next;
    try {
      next = Math.addExact(current, by);
    } catch (ArithmeticException e) {
      c.replies.add(Resp.error(OVERFLOW));
      return;
    }
    increment(c, key, BigDecimal.valueOf(by), Resp.integer(next));
  }

  /** INCRBYFLOAT key increment: answers the new value as a bulk string. */
  private static void incrByFloat(ConnectionHandler c, byte[][] a) {
    if (!CommandSupport.checkKey(c, a[1])) return;
    BigDecimal by = Counters.parse(a[2]);
    if (by == null) {
      c.replies.add(Resp.error(NOT_FLOAT));
      return;
    }
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    BigDecimal current = BigDecimal.ZERO;
    if (r.status() == ReadStatus.FOUND) {
      current = Counters.parse(r.entry().value());
      if (current == null) {
        c.replies.add(Resp.error(NOT_FLOAT));
        return;
      }
    }
    BigDecimal next = Counters.bounded(current.add(by));
    if (next == null) {
      c.replies.add(Resp.error(NAN_OR_INFINITY));
      return;
    }
    increment(c, a[1], by, Resp.bulk(Counters.format(next)));
  }

  /**
   * Writes the increment (checked by the caller against the value it read in this loop turn, so
   * nothing came in between) and answers {@code reply} once it is durable.
   */
  private static void increment(ConnectionHandler c, byte[] key, BigDecimal by,
      io.netty.handler.codec.redis.RedisMessage reply) {
    Replica.Increment done = CommandSupport.attempt(c,
        (replica, now) -> replica.increment(c.session, key, by, now));
    if (done == null) return;
    CommandSupport.committed(c, done.written(), reply);
  }
}
