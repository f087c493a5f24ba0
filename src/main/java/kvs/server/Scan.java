package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import kvs.net.Resp;

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
 *
 * <p>The cursor is the number of live keys already returned, in key order; clients treat it as
 * an opaque number and stop at 0, as with Redis. Keys added or removed during a scan may shift
 * it, so, as with Redis, a key present for the whole scan may not be returned twice but a key
 * that comes or goes meanwhile may or may not be.
 */
final class Scan {
  private static final int COUNT_MAX = 100_000;

  private Scan() {}

  static void run(ConnectionHandler c, byte[][] a) {
    long cursor;
    try {
      cursor = Long.parseLong(Resp.ascii(a[1]));
      if (cursor < 0) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      c.replies.add(Resp.error("ERR invalid cursor"));
      return;
    }
    byte[] pattern = null;
    int count = 10;
    String type = null;
    for (int i = 2; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if (i + 1 >= a.length) {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
      switch (opt) {
        case "MATCH" -> pattern = a[++i];
        case "COUNT" -> {
          try {
            count = Integer.parseInt(Resp.ascii(a[++i]));
          } catch (NumberFormatException e) {
            count = -1;
          }
          if (count < 1) {
            c.replies.add(Resp.error("ERR value is out of range, must be positive"));
            return;
          }
          count = Math.min(count, COUNT_MAX);
        }
        case "TYPE" -> type = Resp.ascii(a[++i]).toLowerCase(Locale.ROOT);
        default -> {
          c.replies.add(Resp.error("ERR syntax error"));
          return;
        }
      }
    }
    long start = cursor;
    long end = cursor + count;
    byte[] p = pattern;
    boolean stringsOnly = type == null || type.equals("string");
    List<RedisMessage> keys = new ArrayList<>();
    long[] index = {0};
    c.node.replica.forEachLive(e -> {
      long i = index[0]++;
      if (i >= start && i < end && stringsOnly && (p == null || Glob.matches(p, e.key()))) {
        keys.add(Resp.bulk(e.key()));
      }
    });
    long next = end >= index[0] ? 0 : end;
    c.replies.add(Resp.array(List.of(Resp.bulk(Long.toString(next)), Resp.array(keys))));
  }
}
