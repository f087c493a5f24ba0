package kvs.server;

import java.util.Locale;
import kvs.net.Resp;

/**
 * The arguments of HSCAN and SSCAN ({@code key cursor [MATCH pattern] [COUNT count]}, and
 * NOVALUES for HSCAN), checked as Redis 7 checks them. A scan answers every element in one page
 * (cursor 0), so COUNT is checked and otherwise ignored.
 */
record ElementScan(byte[] pattern, boolean values) {

  /** The parsed arguments of {@code a}, or null after answering the error. */
  static ElementScan parse(ConnectionHandler c, byte[][] a, boolean noValuesAllowed) {
    long cursor = StringEditCommands.parseLong(a[2]);
    if (cursor == Long.MIN_VALUE || cursor < 0) {
      c.replies.add(Resp.error("ERR invalid cursor"));
      return null;
    }
    byte[] pattern = null;
    boolean values = true;
    for (int i = 3; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if (opt.equals("MATCH") && i + 1 < a.length) {
        pattern = a[++i];
      } else if (opt.equals("COUNT") && i + 1 < a.length) {
        long n = StringEditCommands.parseLong(a[++i]);
        if (n == Long.MIN_VALUE) {
          c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
          return null;
        }
        if (n < 1) {
          c.replies.add(Resp.error("ERR syntax error"));
          return null;
        }
      } else if (noValuesAllowed && opt.equals("NOVALUES")) {
        values = false;
      } else {
        c.replies.add(Resp.error("ERR syntax error"));
        return null;
      }
    }
    return new ElementScan(pattern, values);
  }

  /** Whether an element's name matches the MATCH pattern (all do without one). */
  boolean matches(byte[] name) {
    return pattern == null || Glob.matches(pattern, name);
  }
}
