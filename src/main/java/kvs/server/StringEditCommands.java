package kvs.server;

import static kvs.server.CommandSpec.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * The string commands that read a value and write one from it: GETSET, GETDEL, APPEND, SETRANGE,
 * MSETNX, and the reads STRLEN and GETRANGE, with Redis 7's replies and errors.
 *
 * <p>A read-modify-write runs on the event loop between two other commands, so on the server
 * that takes it nothing comes in between; what it writes is then one ordinary write of the
 * whole new value, replicated and merged by last-writer-wins. Two APPENDs to the same key on two
 * servers at the same time therefore keep one of them (the one later on the cluster clock), not
 * both; within one session or on one server, they compose as in Redis.
 */
final class StringEditCommands {
  static final String TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  static final String NOT_INTEGER = "ERR value is not an integer or out of range";

  private StringEditCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("GETSET", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Sets a key's value and answers the previous one.")
            .handler(StringEditCommands::getset),
        command("GETDEL", 2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Answers a key's value and deletes the key.")
            .handler(StringEditCommands::getdel),
        command("APPEND", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Appends to a key's value (one last-writer-wins write of the whole value).")
            .handler(StringEditCommands::append),
        command("STRLEN", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers the length of a key's value.")
            .handler(StringEditCommands::strlen),
        command("GETRANGE", 4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers a substring of a key's value.")
            .handler(StringEditCommands::getrange),
        command("SETRANGE", 4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(Keys.ONE)
            .summary("Overwrites part of a key's value at an offset (one write of the whole"
                + " value).")
            .handler(StringEditCommands::setrange),
        command("MSETNX", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(Keys.PAIRS)
            .summary("Sets keys to values in one atomic write, only if none of them exists.")
            .handler(StringEditCommands::msetnx));
  }

  static byte[] valueOf(ReadResult r) {
    return r.status() == ReadStatus.FOUND ? r.entry().value() : null;
  }

  /** GETSET key value. */
  private static void getset(ConnectionHandler c, byte[][] a) {
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    byte[] old = valueOf(r);
    CommandSupport.write(c, List.of(a[1]), List.of(a[2]),
        w -> old == null ? Resp.NIL : Resp.bulk(old));
  }

  /** GETDEL key: nothing is written when the key is absent. */
  private static void getdel(ConnectionHandler c, byte[][] a) {
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    byte[] old = valueOf(r);
    if (old == null) {
      c.replies.add(Resp.NIL);
      return;
    }
    CommandSupport.delete(c, List.of(a[1]), w -> Resp.bulk(old));
  }

  /** The expiry of the key a read found (0 when none, or when the key is absent). */
  static long expiryOf(ReadResult r) {
    return r.status() == ReadStatus.FOUND ? r.entry().expiry() : 0;
  }

  /** APPEND key value: answers the new length. */
  private static void append(ConnectionHandler c, byte[][] a) {
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    byte[] old = valueOf(r);
    if (old == null) old = new byte[0];
    if ((long) old.length + a[2].length > c.node.config.limits().valueBytesMax()) {
      c.replies.add(Resp.error(TOO_BIG));
      return;
    }
    byte[] next = Arrays.copyOf(old, old.length + a[2].length);
    System.arraycopy(a[2], 0, next, old.length, a[2].length);
    // As in Redis, the key keeps its time to live.
    CommandSupport.write(c, List.of(a[1]), List.of(next), new long[] {expiryOf(r)},
        w -> Resp.integer(next.length));
  }

  /** STRLEN key. */
  private static void strlen(ConnectionHandler c, byte[][] a) {
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    byte[] v = valueOf(r);
    c.replies.add(Resp.integer(v == null ? 0 : v.length));
  }

  /**
   * The integer in {@code b} as Redis's string2ll reads it (no "+", no leading zero, no "-0"), or
   * {@link Long#MIN_VALUE} when it is not one.
   */
  static long parseLong(byte[] b) {
    Long v = CounterCommands.parseStrictLong(b);
    return v == null ? Long.MIN_VALUE : v;
  }

  /** GETRANGE key start end: Redis's rules for negative and out-of-range offsets. */
  private static void getrange(ConnectionHandler c, byte[][] a) {
    long start = parseLong(a[2]);
    long end = parseLong(a[3]);
    if (start == Long.MIN_VALUE || end == Long.MIN_VALUE) {
      c.replies.add(Resp.error(NOT_INTEGER));
      return;
    }
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    byte[] v = valueOf(r);
    if (v == null) v = new byte[0];
    long len = v.length;
    if (start < 0 && end < 0 && start > end) {
      c.replies.add(Resp.bulk(new byte[0]));
      return;
    }
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (len == 0 || start > end) {
      c.replies.add(Resp.bulk(new byte[0]));
      return;
    }
    c.replies.add(Resp.bulk(Arrays.copyOfRange(v, (int) start, (int) end + 1)));
  }

  /** SETRANGE key offset value: pads with zero bytes; answers the new length. */
  private static void setrange(ConnectionHandler c, byte[][] a) {
    long offset = parseLong(a[2]);
    if (offset == Long.MIN_VALUE) {
      c.replies.add(Resp.error(NOT_INTEGER));
      return;
    }
    if (offset < 0) {
      c.replies.add(Resp.error("ERR offset is out of range"));
      return;
    }
    ReadResult r = CommandSupport.readString(c, a[1]);
    if (r == null) return;
    byte[] old = valueOf(r);
    byte[] part = a[3];
    if (part.length == 0) {
      // Redis writes nothing for an empty value, and answers the current length.
      c.replies.add(Resp.integer(old == null ? 0 : old.length));
      return;
    }
    if (offset > c.node.config.limits().valueBytesMax() - part.length) { // no overflow near 2^63
      c.replies.add(Resp.error(TOO_BIG));
      return;
    }
    int off = (int) offset;
    int oldLen = old == null ? 0 : old.length;
    byte[] next = new byte[Math.max(oldLen, off + part.length)];
    if (old != null) System.arraycopy(old, 0, next, 0, oldLen);
    System.arraycopy(part, 0, next, off, part.length);
    CommandSupport.write(c, List.of(a[1]), List.of(next), new long[] {expiryOf(r)},
        w -> Resp.integer(next.length));
  }

  /** MSETNX key value [key value ...]: 1 when all were set, 0 (nothing written) otherwise. */
  private static void msetnx(ConnectionHandler c, byte[][] a) {
    if (a.length % 2 != 1) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("msetnx")));
      return;
    }
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    boolean anyExists = false;
    for (int i = 1; i < a.length; i += 2) {
      ReadResult r = CommandSupport.read(c, a[i]);
      if (r == null) return;
      if (r.status() == ReadStatus.FOUND) anyExists = true;
      keys.add(a[i]);
      values.add(a[i + 1]);
    }
    if (anyExists) {
      c.replies.add(Resp.integer(0));
      return;
    }
    CommandSupport.write(c, keys, values, w -> Resp.integer(1));
  }
}
