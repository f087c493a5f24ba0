package kvs.core;

/** A write refused because a clock it must be stamped above is implausibly far ahead. */
public final class ClockAheadException extends RuntimeException {
  public ClockAheadException(String message) {
    super(message);
  }
}
