package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kvs.net.Resp;

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
 *
 * <p>The cursor is the number of entries already examined, in key order, tombstones included;
 * clients treat it as an opaque number and stop at 0, as with Redis. A call examines at most
 * COUNT entries, so, as with Redis, a page may hold fewer keys than COUNT, or none, before the
 * end. A connection remembers, for the last cursors it was given, the key to go on from: the
 * next call seeks there, and costs what it examines, not what lies before it (a full scan with
 * {@code redis-cli --scan} is linear in the keyspace, not quadratic). A cursor the connection was
 * not given (another connection's, or one forgotten) is counted from the first key, as before.
 * As with Redis, a key present for the whole scan is returned; one that comes or goes meanwhile
 * may or may not be, and one may be returned twice.
 */
final class Scan {
  private static final int COUNT_MAX = 100_000;
  /** Resume points a connection keeps: enough for a few scans interleaved on one connection. */
  private static final int RESUME_POINTS = 16;
  private static final AttributeKey<Map<Long, byte[]>> RESUME =
      AttributeKey.valueOf("kvs.scan.resume");

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
    Map<Long, byte[]> resume = resumePoints(c);
    byte[] from = cursor == 0 ? null : resume.get(cursor);
    long skip = cursor == 0 || from != null ? 0 : cursor; // a cursor not ours: count from the start
    byte[] p = pattern;
    boolean stringsOnly = type == null || type.equals("string");
    int max = count;
    List<RedisMessage> keys = new ArrayList<>();
    long[] seen = {0, 0}; // entries skipped, entries examined
    byte[][] next = {null};
    long now = c.node.replica.now();
    c.node.replica.forEachFrom(from, e -> {
      if (seen[0] < skip) {
        seen[0]++;
        return true;
      }
      if (seen[1] == max) {
        next[0] = e.key();
        return false;
      }
      seen[1]++;
      if (e.liveAt(now) && stringsOnly && (p == null || Glob.matches(p, e.key()))) {
        keys.add(Resp.bulk(e.key()));
      }
      return true;
    });
    long nextCursor = 0;
    if (next[0] != null) {
      nextCursor = cursor + seen[1];
      resume.put(nextCursor, next[0]);
    }
    c.replies.add(Resp.array(List.of(Resp.bulk(Long.toString(nextCursor)), Resp.array(keys))));
  }

  private static Map<Long, byte[]> resumePoints(ConnectionHandler c) {
    Map<Long, byte[]> m = c.ctx.channel().attr(RESUME).get();
    if (m == null) {
      m = new LinkedHashMap<>(RESUME_POINTS * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
          return size() > RESUME_POINTS;
        }
      };
      c.ctx.channel().attr(RESUME).set(m);
    }
    return m;
  }
}
