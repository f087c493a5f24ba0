package kvs.core;

/**
 * A hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014) packed in one long:
 * wall milliseconds in the high 48 bits, a logical counter in the low 16.
 *
 * <p>The clock never reads time itself: callers pass the wall clock in, so a simulation can make
 * it drift, jump or go backwards. Whatever the wall clock does, {@link #tick} returns a value
 * strictly above every value this clock has issued or observed, which is what makes a write that
 * causally follows another win over it under last-writer-wins.
 */
public final class Hlc {
  static final int LOGICAL_BITS = 16;

  private long last;

  public Hlc(long recovered) {
    this.last = recovered;
  }

  /** Issues a new timestamp above everything seen so far and above {@code atLeastAbove}. */
  public long tick(long wallMillis, long atLeastAbove) {
    long physical = Math.max(0, Math.min(wallMillis, Long.MAX_VALUE >>> LOGICAL_BITS)) << LOGICAL_BITS;
    long base = Math.max(last, atLeastAbove);
    if (base == Long.MAX_VALUE) {
      // Wrapping around would order this write before everything: refuse instead.
      throw new ClockAheadException("the hybrid clock has reached its maximum value");
    }
    long next = Math.max(physical, base + 1);
    last = next;
    return next;
  }

  /** Takes in a timestamp seen on a message so later ticks are above it. */
  public void observe(long timestamp) {
    if (timestamp > last) last = timestamp;
  }

  public long current() {
    return last;
  }

  public static long physicalMillis(long timestamp) {
    return timestamp >>> LOGICAL_BITS;
  }
}
