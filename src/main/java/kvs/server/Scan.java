package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import kvs.core.Elements;
import kvs.net.Resp;

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
 *
 * <p>A cursor holds, in its low {@link #POSITION_BITS} bits, the number of entries already
 * examined, in key order, tombstones included, and above them a tag drawn at random when the
 * scan began (so two scans at the same position have different cursors); clients treat it as
 * an opaque number and stop at 0, as with Redis. A call examines at most COUNT entries, so, as
 * with Redis, a page may hold fewer keys than COUNT, or none, before the end. The server
 * remembers, for the cursors it handed out lately ({@link ResumePoints}), the key to go on from,
 * whichever connection comes back with the cursor (a client with a connection pool may use
 * another for each call): the call seeks there and costs what it examines, not what lies before
 * it, so a full scan is linear in the keyspace, not quadratic. A cursor it has forgotten is
 * counted from the first key by its position. As with Redis, a key present for the whole scan
 * is returned; one that comes or goes meanwhile may or may not be, and one may be returned
 * twice. (Counting a forgotten cursor from the first key keeps that promise because entries are
 * never removed, tombstones included: the entry at a position can only move to a smaller key,
 * so the scan goes on from there or before it, repeating keys, never skipping one.)
 */
final class Scan {
  private static final int COUNT_MAX = 100_000;
  /** Bits of a cursor that count the entries examined: up to 2^40, a trillion. */
  static final int POSITION_BITS = 40;
  private static final long POSITION_MASK = (1L << POSITION_BITS) - 1;
  /** Tags are 1 to 2^23 - 1: with the position, a cursor stays a positive signed 64-bit number. */
  private static final int TAG_BITS = 63 - POSITION_BITS;

  private Scan() {}

  /**
   * The key each recently handed-out cursor goes on from: at most {@link #MAX_POINTS} cursors
   * and {@link #MAX_KEY_BYTES} bytes of keys, the least recently used dropped first. Event loop
   * only.
   */
  static final class ResumePoints {
    static final int MAX_POINTS = 4_096;
    static final long MAX_KEY_BYTES = 16L << 20;
    private long keyBytes;
    private final LinkedHashMap<Long, byte[]> byCursor = new LinkedHashMap<>(64, 0.75f, true);

    /** The key {@code cursor} goes on from, or null; kept, so a call repeated resumes too. */
    byte[] get(long cursor) {
      return byCursor.get(cursor);
    }

    void put(long cursor, byte[] key) {
      byte[] old = byCursor.put(cursor, key);
      keyBytes += key.length - (old == null ? 0 : old.length);
      var eldest = byCursor.entrySet().iterator();
      while (byCursor.size() > MAX_POINTS || keyBytes > MAX_KEY_BYTES) {
        keyBytes -= eldest.next().getValue().length;
        eldest.remove();
      }
    }
  }

  /**
   * Where the scan of {@code cursor} goes on: the point remembered for it (null: from the start,
   * also for a cursor forgotten or never handed out), how many entries to pass first (a
   * forgotten cursor's position; 0 otherwise), and the scan's tag (drawn anew for cursor 0).
   * Shared by SCAN, HSCAN and SSCAN ({@link ElementScan}), whose cursors live in one
   * {@link ResumePoints}.
   */
  record Resume(byte[] point, long skip, long tag) {}

  static Resume resume(ResumePoints points, long cursor) {
    if (cursor == 0) {
      return new Resume(null, 0, 1 + ThreadLocalRandom.current().nextLong((1L << TAG_BITS) - 1));
    }
    byte[] from = points.get(cursor);
    return new Resume(from, from != null ? 0 : cursor & POSITION_MASK, cursor >>> POSITION_BITS);
  }

  /**
   * The cursor that follows {@code cursor} after a call that examined {@code examined} entries
   * and stopped before {@code next} (null: the end, cursor 0), remembered in {@code points}
   * with {@code next}. Past 2^40 entries examined the scan ends.
   */
  static long advance(ResumePoints points, long cursor, long tag, long examined, byte[] next) {
    long position = (cursor & POSITION_MASK) + examined;
    if (next == null || position > POSITION_MASK) return 0;
    long nextCursor = tag << POSITION_BITS | position;
    points.put(nextCursor, next);
    return nextCursor;
  }

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
    ResumePoints points = c.node.scanResumePoints;
    Resume resume = resume(points, cursor);
    byte[] from = resume.point();
    // a cursor forgotten (or never handed out): count its position from the first key
    long skip = resume.skip();
    byte[] p = pattern;
    String wanted = type;
    int max = count;
    List<RedisMessage> keys = new ArrayList<>();
    long[] seen = {0, 0}; // entries skipped, entries examined
    byte[][] next = {null};
    c.node.replica.forEachFrom(from, e -> {
      if (Elements.isElementKey(e.key())) return false; // they sort after every user key
      if (seen[0] < skip) {
        seen[0]++;
        return true;
      }
      if (seen[1] == max) {
        next[0] = e.key();
        return false;
      }
      seen[1]++;
      if (p == null || Glob.matches(p, e.key())) {
        kvs.core.Entry shown = c.node.replica.shownAt(e);
        if (shown != null && (wanted == null || wanted.equals(KeyCommands.typeName(shown)))) {
          keys.add(Resp.bulk(e.key()));
        }
      }
      return true;
    });
    long nextCursor = advance(points, cursor, resume.tag(), seen[1], next[0]);
    c.replies.add(Resp.array(List.of(Resp.bulk(Long.toString(nextCursor)), Resp.array(keys))));
  }

}
