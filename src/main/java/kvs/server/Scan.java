package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import kvs.core.Elements;
import kvs.net.Resp;

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
 *
 * <p>A cursor holds, in its low {@link #PREFIX_BITS} bits, the first {@link #PREFIX_BYTES} bytes
 * of the key the scan goes on from (zero-padded), and above them a tag given to each cursor
 * handed out ({@link ResumePoints#nextTag}); clients treat it as an opaque number and stop at 0,
 * as with Redis. A call examines at most COUNT entries (tombstones included), so, as with Redis,
 * a page may hold fewer keys than COUNT, or none, before the end. The server remembers, for the
 * cursors it handed out lately ({@link ResumePoints}), the whole key to go on from, whichever
 * connection comes back with the cursor (a client with a connection pool may use another for
 * each call): the call seeks there and costs what it examines, so a full scan is linear in the
 * keyspace. A cursor it has forgotten seeks to the key prefix the cursor carries (its trailing
 * zero bytes dropped), which sorts at or before the key the scan was to go on from: it may
 * return again keys that share that prefix, never skips one. As with Redis, a key present for
 * the whole scan is returned; one that comes or goes meanwhile may or may not be, and one may be
 * returned twice. Nothing here depends on what lies before the resume key, so tombstones
 * collected meanwhile (docs/design.md, Tombstone collection) change nothing: the scan goes on in
 * key order from where it stopped, or before. (Until collection, a forgotten cursor counted
 * entries from the first key instead, which was correct only because entries were never
 * removed, and linear in the position.)
 */
final class Scan {
  private static final int COUNT_MAX = 100_000;
  /** Bytes of the resume key a cursor carries. */
  static final int PREFIX_BYTES = 6;
  /** Bits of a cursor that carry the resume key's prefix. */
  static final int PREFIX_BITS = 8 * PREFIX_BYTES;
  private static final long PREFIX_MASK = (1L << PREFIX_BITS) - 1;
  /** Tags are 1 to 2^15 - 1: with the prefix, a cursor stays a positive signed 64-bit number. */
  private static final int TAG_BITS = 63 - PREFIX_BITS;

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
    private long lastTag;

    /**
     * A tag for a cursor handed out: tags go round 1 to 2^15 - 1 in turn, one per page, so no
     * two cursors handed out less than 32,767 pages apart are equal, whatever their keys share:
     * one scan's pages always differ (with a tag per scan, pages whose resume keys share their
     * first 6 bytes would be one cursor, and the scan would go round for ever). A cursor kept
     * longer (retried again and again) may meet its tag again: {@link #put} then keeps the
     * smaller key, so one of the two scans repeats keys and neither skips any.
     */
    long nextTag() {
      lastTag = lastTag % ((1L << TAG_BITS) - 1) + 1;
      return lastTag;
    }
    private final LinkedHashMap<Long, byte[]> byCursor = new LinkedHashMap<>(64, 0.75f, true);

    /** The key {@code cursor} goes on from, or null; kept, so a call repeated resumes too. */
    byte[] get(long cursor) {
      return byCursor.get(cursor);
    }

    void put(long cursor, byte[] key) {
      byte[] old = byCursor.get(cursor);
      // Two scans whose tags and key prefixes collide share a cursor: the smaller key serves
      // both (the one further on repeats keys, neither skips any).
      if (old != null && java.util.Arrays.compareUnsigned(old, key) < 0) key = old;
      byCursor.put(cursor, key);
      keyBytes += key.length - (old == null ? 0 : old.length);
      var eldest = byCursor.entrySet().iterator();
      while (byCursor.size() > MAX_POINTS || keyBytes > MAX_KEY_BYTES) {
        keyBytes -= eldest.next().getValue().length;
        eldest.remove();
      }
    }
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
          // Redis's errors (as ElementScan's); any 64-bit count is taken, at most COUNT_MAX
          Long n = CounterCommands.parseStrictLong(a[++i]);
          if (n == null) {
            c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
            return;
          }
          if (n < 1) {
            c.replies.add(Resp.error("ERR syntax error"));
            return;
          }
          count = (int) Math.min(n, COUNT_MAX);
        }
        case "TYPE" -> type = Resp.ascii(a[++i]).toLowerCase(Locale.ROOT);
        default -> {
          c.replies.add(Resp.error("ERR syntax error"));
          return;
        }
      }
    }
    ResumePoints points = c.node.scanResumePoints;
    byte[] remembered = points.get(cursor);
    byte[] from = remembered != null ? remembered : forgottenFrom(cursor);
    byte[] p = pattern;
    String wanted = type;
    int max = count;
    List<RedisMessage> keys = new ArrayList<>();
    int[] seen = {0}; // entries examined
    byte[][] next = {null};
    c.node.replica.forEachFrom(from, e -> {
      if (Elements.isElementKey(e.key())) return false; // they sort after every user key
      if (seen[0] == max) {
        next[0] = e.key();
        return false;
      }
      seen[0]++;
      if (p == null || Glob.matches(p, e.key())) {
        kvs.core.Entry shown = c.node.replica.shownAt(e);
        if (shown != null && (wanted == null || wanted.equals(KeyCommands.typeName(shown)))) {
          keys.add(Resp.bulk(e.key()));
        }
      }
      return true;
    });
    long nextCursor = handOut(points, next[0], next[0]);
    c.replies.add(Resp.array(List.of(Resp.bulk(Long.toString(nextCursor)), Resp.array(keys))));
  }

  /**
   * Where a scan whose cursor the server does not remember goes on (null for cursor 0: the
   * start): the key prefix the cursor carries, at or before the key it was to go on from. Shared
   * by SCAN, HSCAN and SSCAN ({@link ElementScan}, whose prefixes are of the element's sub-key).
   */
  static byte[] forgottenFrom(long cursor) {
    return cursor == 0 ? null : prefixKey(cursor & PREFIX_MASK);
  }

  /**
   * The cursor handed out for a page that stopped before {@code next} (null: the end, cursor 0):
   * a new tag and {@code next}'s prefix, remembered in {@code points} with {@code remember} (the
   * stored key to seek to, which for an element scan is {@code next} under its family's prefix).
   */
  static long handOut(ResumePoints points, byte[] next, byte[] remember) {
    if (next == null) return 0;
    long cursor = points.nextTag() << PREFIX_BITS | prefixBits(next);
    points.put(cursor, remember);
    return cursor;
  }

  /** The first {@link #PREFIX_BYTES} bytes of {@code key}, zero-padded, as a number. */
  static long prefixBits(byte[] key) {
    long bits = 0;
    for (int i = 0; i < PREFIX_BYTES; i++) bits = bits << 8 | (i < key.length ? key[i] & 0xFF : 0);
    return bits;
  }

  /**
   * The key a prefix stands for, trailing zero bytes dropped: it sorts at or before every key
   * whose {@link #prefixBits} these are (a key sorts after its own prefixes).
   */
  static byte[] prefixKey(long bits) {
    byte[] key = new byte[PREFIX_BYTES];
    for (int i = PREFIX_BYTES - 1; i >= 0; i--) {
      key[i] = (byte) bits;
      bits >>>= 8;
    }
    int n = PREFIX_BYTES;
    while (n > 0 && key[n - 1] == 0) n--;
    return java.util.Arrays.copyOf(key, n);
  }
}
