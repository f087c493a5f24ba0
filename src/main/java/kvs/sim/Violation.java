package kvs.sim;

/** A property the checker demands did not hold. Carries a one-line description. */
final class Violation extends RuntimeException {
  Violation(String message) {
    super(message, null, false, false);
  }
}
