package kvs.sim;

/**
 * A property the checker demands did not hold. Carries the rule it broke and a one-line
 * description; tests that prove the checker bites (CheckerBitesTest) assert the rule.
 */
final class Violation extends RuntimeException {
  /** The properties of docs/simulation.md, one per way a run can fail. */
  enum Rule {
    /** A dot was issued twice, or an entry carries other content than its dot was issued with. */
    DOT_REUSE,
    /** An entry or a vector names a write that was never issued. */
    NEVER_ISSUED,
    /** Read your writes, monotonic reads, or a session's write stamped below what it saw. */
    SESSION,
    /** A write that no fault destroyed is missing after healing, or a deleted key came back. */
    LOST_WRITE,
    /** The cluster did not converge after faults stopped, or converged to different data. */
    CONVERGENCE,
    /** A replica's memory disagrees with its disk or with its own entries (digest, restart). */
    DURABLE_STATE,
    /**
     * A counter read other than its model says: its base plus every increment the reading
     * server holds that the counter's head did not cancel (docs/simulation.md, rule 9).
     */
    COUNTER,
    /**
     * A hash shown other than its model says: the fields whose entries its winning head did not
     * hide (docs/simulation.md, rule 10).
     */
    HASH,
    /**
     * A set shown other than its observed-remove model says: the members with an add the server
     * holds that no remove it holds had seen and its winning head did not hide
     * (docs/simulation.md, rule 11).
     */
    SET,
    /**
     * A sorted set shown other than its model says: the members with a live add, each scored by
     * the winning assignment plus the increments neither it nor a held remove had seen
     * (docs/simulation.md, rule 12).
     */
    ZSET,
    /**
     * A value served at or after its expiry on the reading server's clock, a value reported
     * absent before its expiry on that server's time for expiry, or an expired value served
     * again by the same server (docs/simulation.md, rule 7).
     */
    EXPIRY,
    /** A replica held part of an atomic batch (a transaction) without the rest. */
    BATCH,
    /** A read or a write returned something malformed. */
    REPLY,
    /**
     * A server retired for good ({@code KVS.RETIRE <id>}) linked with a member that knew of the
     * retirement, or a write it took after its retirement reached a member (docs/simulation.md,
     * rule 9).
     */
    RETIRED
  }

  final Rule rule;

  Violation(Rule rule, String message) {
    super(message, null, false, false);
    this.rule = rule;
  }

  @Override
  public String getMessage() {
    return "[" + rule + "] " + super.getMessage();
  }
}
