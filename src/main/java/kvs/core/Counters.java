package kvs.core;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Counters that merge: concurrent increments on different servers all count.
 *
 * <p>A counter is a head entry under the user key ({@link Entry#KIND_COUNTER}) and one element
 * entry per origin that incremented it ({@link Elements#counterKey}). An origin's element holds
 * the running total of that origin's increments and only that origin writes it, so its newest
 * version is its total and last-writer-wins merges it exactly. The head holds a base (the value
 * of the string the counter started from, or 0) and, per origin, the contribution it
 * <em>cancels</em>: the (sequence, total) of that origin's element as the writer of the head saw
 * it. The counter's value is the base plus, for every origin, its total minus what the head
 * cancels of it, counting only elements newer (by sequence of their own origin) than the one
 * the head saw. So an increment the head's writer had seen is cancelled, and one it had not seen
 * (concurrent with it) still counts: an observed reset.
 *
 * <p>A head flagged {@link Head#reset} is what DEL writes on a counter: the key reads as absent
 * unless some element is newer than what the reset saw (an increment concurrent with the DEL),
 * and then as the sum of those newer increments.
 *
 * <p>Numbers a client gives and values it reads are decimals ({@link BigDecimal}) rounded to 34
 * significant digits ({@link MathContext#DECIMAL128}): exact for every 64-bit integer, so INCR is
 * exact. Running totals and what a head cancels of them are kept exactly (only digits beyond
 * {@link #SCALE_MAX} after the point round away): a total of 1e34 + 1 rounded to 1e34 would make
 * the increment after a reset count nothing. Every replica sums the same entries to the same
 * value whatever the order. Pure: no I/O, no charsets (ASCII by hand).
 */
public final class Counters {
  /** Significant digits kept in a total and in a value. */
  public static final MathContext PRECISION = MathContext.DECIMAL128;
  /** The longest number text accepted (Redis's MAX_LONG_DOUBLE_CHARS). */
  public static final int TEXT_MAX = 5 * 1024;
  /**
   * Digits kept after the decimal point: smaller amounts round away, so a number's text stays
   * short whatever exponent a client writes (Redis, with its long double, prints 17).
   */
  public static final int SCALE_MAX = 400;
  /**
   * Digits kept before the decimal point: a number text with more is refused, so that no number
   * is larger than what Redis's long double can hold and print (about 1.19e4932).
   */
  public static final int INTEGER_DIGITS_MAX = 4900;
  /**
   * The longest text of a running total or a cancel, kept exactly: a sign, every digit a
   * bounded number may have on both sides of the point, and the point.
   */
  static final int TOTAL_TEXT_MAX = 1 + INTEGER_DIGITS_MAX + 1 + SCALE_MAX;
  /**
   * Numbers of smaller magnitude than 1e-4950 are refused, as Redis refuses the ones its long
   * double cannot hold (strtold's underflow); they would round to 0 at {@link #SCALE_MAX} anyway.
   */
  static final int EXPONENT_MIN = -4950;
  private static final byte HEAD_FORMAT = 1;
  private static final byte FLAG_RESET = 1;

  private Counters() {}

  /** What a head saw of one origin's element: its sequence and its total. */
  public record Cancel(long seq, BigDecimal total) {}

  /**
   * A counter's head: whether it is a reset (DEL), the base, and per origin what it cancels.
   */
  public record Head(boolean reset, BigDecimal base, SortedMap<Long, Cancel> cancelled) {
    public Head {
      cancelled = Collections.unmodifiableSortedMap(new TreeMap<>(cancelled));
    }

    public byte[] encode() {
      byte[] baseText = format(base);
      ByteBuffer b = ByteBuffer.allocate(2 + 2 + baseText.length + cancelsSize(cancelled));
      b.put(HEAD_FORMAT).put(reset ? FLAG_RESET : 0);
      b.putShort((short) baseText.length).put(baseText);
      putCancels(b, cancelled);
      return b.array();
    }

    /** Reads {@link #encode()}'s form; throws CorruptDataException on anything else. */
    public static Head decode(byte[] value) {
      ByteBuffer b = ByteBuffer.wrap(value);
      need(b, 2);
      if (b.get() != HEAD_FORMAT) throw new CorruptDataException("counter head: unknown format");
      byte flags = b.get();
      if ((flags & ~FLAG_RESET) != 0) throw new CorruptDataException("counter head: bad flags");
      BigDecimal base = number(b, "counter head");
      SortedMap<Long, Cancel> cancelled = getCancels(b, "counter head");
      if (b.hasRemaining()) throw new CorruptDataException("counter head: trailing bytes");
      return new Head((flags & FLAG_RESET) != 0, base, cancelled);
    }

    private static void need(ByteBuffer b, int bytes) {
      Counters.need(b, bytes, "counter head");
    }
  }

  /** The bytes {@link #putCancels} writes for {@code cancelled}. */
  static int cancelsSize(SortedMap<Long, Cancel> cancelled) {
    int size = 4;
    for (Cancel c : cancelled.values()) size += 8 + 8 + 2 + format(c.total()).length;
    return size;
  }

  /** Writes a cancel map: {@code count:4 [origin:8 seq:8 totalLength:2 total]...}. */
  static void putCancels(ByteBuffer b, SortedMap<Long, Cancel> cancelled) {
    b.putInt(cancelled.size());
    for (Map.Entry<Long, Cancel> c : cancelled.entrySet()) {
      byte[] t = format(c.getValue().total());
      b.putLong(c.getKey()).putLong(c.getValue().seq()).putShort((short) t.length).put(t);
    }
  }

  /** Reads {@link #putCancels}' form; {@code what} names the value in errors. */
  static SortedMap<Long, Cancel> getCancels(ByteBuffer b, String what) {
    need(b, 4, what);
    int n = b.getInt();
    if (n < 0 || n > b.remaining() / 18) throw new CorruptDataException(what + ": bad count " + n);
    SortedMap<Long, Cancel> cancelled = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      need(b, 16, what);
      long origin = b.getLong();
      long seq = b.getLong();
      cancelled.put(origin, new Cancel(seq, exactNumber(b, what)));
    }
    return cancelled;
  }

  private static void need(ByteBuffer b, int bytes, String what) {
    if (b.remaining() < bytes) throw new CorruptDataException(what + ": truncated");
  }

  private static BigDecimal number(ByteBuffer b, String what) {
    BigDecimal v = parse(numberText(b, what));
    if (v == null) throw new CorruptDataException(what + ": bad number");
    return v;
  }

  /** A cancel's total, read exactly as {@link #totalOf} reads the total it cancels. */
  private static BigDecimal exactNumber(ByteBuffer b, String what) {
    BigDecimal v = parseTotal(numberText(b, what));
    if (v == null) throw new CorruptDataException(what + ": bad number");
    return v;
  }

  private static byte[] numberText(ByteBuffer b, String what) {
    need(b, 2, what);
    int len = Short.toUnsignedInt(b.getShort());
    need(b, len, what);
    byte[] text = new byte[len];
    b.get(text);
    return text;
  }

  /**
   * The counter's value from its head and the contribution elements stored under its key (in
   * any order), or null when it reads as absent (a reset that nothing came after).
   */
  public static BigDecimal value(Head head, List<Entry> contributions) {
    BigDecimal sum = uncancelled(head.cancelled(), Map.of(), contributions);
    if (sum == null) return head.reset() ? null : round(head.base());
    return round(head.base().add(sum));
  }

  /**
   * The sum, over {@code contributions} (each an origin's running total, in any order), of what
   * neither cancel map cancels: an origin's total minus the later (by sequence) of the two
   * cancels of that origin, counting only a contribution newer than that cancel; null when no
   * contribution is newer than what they cancel (so nothing is added, not even a zero). Two
   * cancel maps because a hash field's increments are cancelled both by the field's register
   * and by the hash's head ({@link Hashes}).
   */
  public static BigDecimal uncancelled(Map<Long, Cancel> a, Map<Long, Cancel> b,
      List<Entry> contributions) {
    BigDecimal sum = BigDecimal.ZERO;
    boolean unobserved = false;
    for (Entry e : contributions) {
      BigDecimal total = totalOf(e);
      if (total == null) continue;
      Cancel ca = a.get(e.origin());
      Cancel cb = b.get(e.origin());
      Cancel c = ca == null ? cb : cb == null || ca.seq() >= cb.seq() ? ca : cb;
      if (c == null) {
        sum = sum.add(total);
        unobserved = true;
      } else if (e.seq() > c.seq()) {
        sum = sum.add(total.subtract(c.total()));
        unobserved = true;
      }
    }
    return unobserved ? sum : null;
  }

  /** {@code v} rounded as a counter's value is: {@link #PRECISION}, then {@link #SCALE_MAX}. */
  public static BigDecimal round(BigDecimal v) {
    return scaled(v.round(PRECISION));
  }

  /**
   * {@code v} with at most {@link #SCALE_MAX} digits after the point. A number below
   * 10^-(SCALE_MAX + 1) is 0 there; it is not divided down, which would cost time in its
   * exponent (a client's 1e-20000000 took 15 s).
   */
  private static BigDecimal scaled(BigDecimal v) {
    if (v.scale() <= SCALE_MAX) return v;
    if ((long) v.precision() - v.scale() <= -(SCALE_MAX + 1)) return BigDecimal.ZERO;
    return v.setScale(SCALE_MAX, java.math.RoundingMode.HALF_EVEN);
  }

  /** What a new head cancels: every contribution as it is stored now. */
  public static SortedMap<Long, Cancel> cancelAll(List<Entry> contributions) {
    SortedMap<Long, Cancel> out = new TreeMap<>();
    for (Entry e : contributions) {
      BigDecimal total = totalOf(e);
      if (total != null) out.put(e.origin(), new Cancel(e.seq(), total));
    }
    return out;
  }

  /**
   * The total an element holds, or null for an entry that is not a contribution of its own
   * origin (a tombstone, or one whose key names another origin: only an origin writes its own
   * contribution, so such an entry can come only from a broken peer and counts nowhere).
   */
  static BigDecimal totalOf(Entry e) {
    if (e.value() == null) return null;
    byte[] k = e.key();
    if (k.length < 8 || ByteBuffer.wrap(k, k.length - 8, 8).getLong() != e.origin()) return null;
    return parseTotal(e.value());
  }

  /**
   * The contribution element value holding {@code total}, rounded as {@link #parse} reads it
   * back (so what is stored is what every replica reads).
   *
   * @throws TotalOutOfRange when the rounded total is not a number {@link #parse} accepts (more
   *     than {@link #INTEGER_DIGITS_MAX} integer digits, or longer than {@link #TEXT_MAX}): stored,
   *     it would read as no contribution at all and silently lose the origin's increments
   */
  public static byte[] encodeTotal(BigDecimal total) {
    BigDecimal t = exactBounded(total);
    byte[] text = t == null ? null : format(t);
    if (text == null || text.length > TOTAL_TEXT_MAX) throw new TotalOutOfRange();
    return text;
  }

  /**
   * An origin's running total would leave the range a stored number may have: the increment is
   * refused (Redis's "increment would produce NaN or Infinity") and nothing is written.
   */
  public static final class TotalOutOfRange extends RuntimeException {
    public TotalOutOfRange() {
      super("increment would produce NaN or Infinity", null, false, false);
    }
  }

  /**
   * A decimal number written in ASCII (as INCRBYFLOAT accepts: sign, digits, point, exponent),
   * rounded to {@link #PRECISION}; null when {@code text} is not one or is longer than
   * {@link #TEXT_MAX}.
   */
  public static BigDecimal parse(byte[] text) {
    char[] chars = numberChars(text, TEXT_MAX);
    if (chars == null) return null;
    try {
      return bounded(new BigDecimal(chars, PRECISION));
    } catch (NumberFormatException | ArithmeticException e) {
      return null;
    }
  }

  /**
   * A stored running total or cancel, read exactly (as {@link #encodeTotal} wrote it); null when
   * {@code text} is not a number in range.
   */
  static BigDecimal parseTotal(byte[] text) {
    char[] chars = numberChars(text, TOTAL_TEXT_MAX);
    if (chars == null) return null;
    try {
      return exactBounded(new BigDecimal(chars));
    } catch (NumberFormatException | ArithmeticException e) {
      return null;
    }
  }

  /** The characters of a number text, or null when one is not a number's or it is too long. */
  private static char[] numberChars(byte[] text, int lengthMax) {
    if (text.length == 0 || text.length > lengthMax) return null;
    char[] chars = new char[text.length];
    for (int i = 0; i < text.length; i++) {
      int ch = text[i] & 0xff;
      boolean ok = ch >= '0' && ch <= '9' || ch == '-' || ch == '+' || ch == '.' || ch == 'e'
          || ch == 'E';
      if (!ok) return null;
      chars[i] = (char) ch;
    }
    return chars;
  }

  /**
   * {@code v} rounded to {@link #PRECISION} and {@link #SCALE_MAX}, or null when it has more
   * than {@link #INTEGER_DIGITS_MAX} digits before the point or is smaller than 10^{@link
   * #EXPONENT_MIN} (and not 0).
   */
  public static BigDecimal bounded(BigDecimal v) {
    return exactBounded(v.round(PRECISION));
  }

  /** As {@link #bounded}, without rounding to {@link #PRECISION}: running totals stay exact. */
  static BigDecimal exactBounded(BigDecimal v) {
    long magnitude = (long) v.precision() - v.scale(); // |v| < 10^magnitude
    if (magnitude > INTEGER_DIGITS_MAX) return null;
    if (v.signum() != 0 && magnitude <= EXPONENT_MIN) return null;
    return scaled(v);
  }

  /** The number as Redis writes it: plain digits, no exponent, no trailing zeros after a point. */
  public static byte[] format(BigDecimal v) {
    BigDecimal s = v.signum() == 0 ? BigDecimal.ZERO : v.stripTrailingZeros();
    String text = s.toPlainString();
    byte[] out = new byte[text.length()];
    for (int i = 0; i < out.length; i++) out[i] = (byte) text.charAt(i);
    return out;
  }
}
