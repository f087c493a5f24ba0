package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;
import java.util.Locale;
import kvs.core.Elements;
import kvs.net.Resp;

/**
 * HSCAN and SSCAN ({@code key cursor [MATCH pattern] [COUNT count]}, and NOVALUES for HSCAN):
 * the arguments, checked as Redis 7 checks them, and the paging.
 *
 * <p>A call reads one page of the key's elements from where the cursor left off, examining
 * about COUNT stored entries (tombstones and hidden elements included, so a page may hold fewer
 * elements than COUNT, or none, before the end), and answers the cursor of the next page, 0 at
 * the end. Cursors are SCAN's ({@link Scan#forgottenFrom}, {@link Scan#handOut}): a tag and the
 * first bytes of the element to go on from, the server remembering for each cursor it handed
 * out lately the whole element key (stored with the key and element family it belongs to, so a
 * cursor of another scan is never taken for this one), whichever connection comes back with
 * it. Each call seeks there: its cost is what it examines, not what lies before it. A cursor
 * the server has forgotten (or never handed out) seeks to the element prefix it carries, at or
 * before where it stopped: elements may come twice, none present for the whole scan is missed. As with Redis, an element present
 * for the whole scan is returned at least once; one added or removed meanwhile may or may not
 * be.
 */
record ElementScan(long cursor, byte[] pattern, boolean values, int count) {
  /** The largest COUNT honoured; a larger one is taken as this. */
  static final int COUNT_MAX = 100_000;

  /** The parsed arguments of {@code a}, or null after answering the error. */
  static ElementScan parse(ConnectionHandler c, byte[][] a, boolean noValuesAllowed) {
    long cursor;
    try {
      cursor = Long.parseLong(Resp.ascii(a[2])); // as loose as Redis's strtoul: "+1", "01"
    } catch (NumberFormatException e) {
      cursor = -1;
    }
    if (cursor < 0) {
      c.replies.add(Resp.error("ERR invalid cursor"));
      return null;
    }
    byte[] pattern = null;
    boolean values = true;
    int count = 10;
    for (int i = 3; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if (opt.equals("MATCH") && i + 1 < a.length) {
        pattern = a[++i];
      } else if (opt.equals("COUNT") && i + 1 < a.length) {
        Long n = CounterCommands.parseStrictLong(a[++i]);
        if (n == null) {
          c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
          return null;
        }
        if (n < 1) {
          c.replies.add(Resp.error("ERR syntax error"));
          return null;
        }
        count = (int) Math.min(n, COUNT_MAX);
      } else if (noValuesAllowed && opt.equals("NOVALUES")) {
        values = false;
      } else {
        c.replies.add(Resp.error("ERR syntax error"));
        return null;
      }
    }
    return new ElementScan(cursor, pattern, values, count);
  }

  /** Whether an element's name matches the MATCH pattern (all do without one). */
  boolean matches(byte[] name) {
    return pattern == null || Glob.matches(pattern, name);
  }

  /**
   * One page from {@code from} (a sub-key of the element family; null: the first element):
   * the reply's elements, the sub-key of the next page (null: the end) and the entries examined.
   */
  record Page(List<RedisMessage> elements, byte[] next, long examined) {}

  /** Reads one page of about {@code budget} entries from {@code from}. */
  interface Pager {
    Page page(byte[] from, int budget);
  }

  /**
   * Answers {@code [cursor, [elements]]} for the page where this scan's cursor goes on, over
   * the element family whose keys begin with {@code prefix} ({@link Elements#prefix}).
   */
  void run(ConnectionHandler c, byte[] prefix, Pager pager) {
    Scan.ResumePoints points = c.node.scanResumePoints;
    byte[] remembered = points.get(cursor);
    // a cursor remembered for another key's scan is as good as forgotten here
    byte[] from = remembered != null && Elements.startsWith(remembered, prefix)
        ? Elements.subKey(prefix, remembered) : Scan.forgottenFrom(cursor);
    Page p = pager.page(from, count);
    long next = Scan.handOut(points, p.next(),
        p.next() == null ? null : Elements.join(prefix, p.next()));
    c.replies.add(Resp.array(List.of(Resp.bulk(Long.toString(next)),
        Resp.array(p.elements()))));
  }
}
