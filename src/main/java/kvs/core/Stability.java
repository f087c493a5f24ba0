package kvs.core;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one server knows of the causal stability of the cluster: from the adverts of every member
 * (its origin, vector and hybrid clock, each describing durable state), the <b>stable vector</b>,
 * the pointwise minimum of the members' vectors, and the <b>clock bound</b> below which no write
 * that is not yet everywhere can be stamped. A tombstone or expiry remnant whose dot the stable
 * vector covers and whose clock is at or below the bound is needed by no one any more
 * ({@link Replica#collectStable}): every member holds it or a newer write of its key, and any
 * write still on its way anywhere is stamped above it, so it would win over it anyway.
 *
 * <p>The bound: a member that advertised clock {@code c} when its vector held its own writes up
 * to {@code s} stamps every later write of that origin above {@code c} (its hybrid clock never
 * goes back, and a restart after a power cut starts from the durable clock, at least what it
 * advertised, as a new incarnation). Once the stable vector covers {@code s}, every write of that
 * origin not yet everywhere is above {@code c}. The member's bound is the highest such
 * {@code c}; the cluster's is the lowest over the members.
 *
 * <p>Membership is fixed at construction; {@link #retire} removes a member for good. While any
 * member has not been heard from, nothing is stable. Adverts must describe durable state (what
 * survives a power cut): an advert of state that a crash can take back would let others collect
 * a tombstone the member then no longer holds, and an older write it still holds would come back.
 * Pure: no I/O, no clock; bounded by the membership ({@link #PENDING_MAX} adverts per member).
 */
public final class Stability {
  /** Adverts per member kept until the stable vector covers them; beyond, the newest is replaced. */
  public static final int PENDING_MAX = 64;

  private static final class Member {
    long origin = -1;
    VersionVector vv;
    /** {ownSeq, clock} of adverts not yet covered, ascending in both. */
    final ArrayDeque<long[]> pending = new ArrayDeque<>();
    /** The highest clock of an advert whose own writes the stable vector covers; -1: none. */
    long coveredClock = -1;
    /** The clock of the newest advert taken in (what is relayed to others). */
    long clock;
  }

  /** What {@link #forEachKnown} reports: one member's newest advert. */
  @FunctionalInterface
  public interface KnownVisitor {
    void visit(int serverId, long origin, VersionVector vv, long clock);
  }

  private final Map<Integer, Member> members = new TreeMap<>();

  public Stability(Collection<Integer> serverIds) {
    if (serverIds.isEmpty()) throw new IllegalArgumentException("no members");
    for (int id : serverIds) members.put(id, new Member());
  }

  /** True when {@code serverId} is a member (not retired). */
  public boolean isMember(int serverId) {
    return members.containsKey(serverId);
  }

  /**
   * Takes in a member's advert of its durable state: its origin (current incarnation), vector
   * and hybrid clock. An advert of a retired or unknown server is ignored (returns false); so is
   * one older than what is known of the same origin (adverts relayed by others may arrive out
   * of order). A new origin of a member (a new incarnation) replaces what was known of it.
   */
  public boolean advert(int serverId, long origin, VersionVector vv, long clock) {
    Member m = members.get(serverId);
    if (m == null) return false;
    if (origin != m.origin) {
      // Relayed from an earlier life: a new incarnation opens one tick above the durable clock
      // of the last (Replica.open), so the durable state of an earlier one shows a lower clock.
      if (m.origin >= 0 && clock <= m.clock) return false;
      m.origin = origin;
      m.vv = vv.copy();
      m.pending.clear();
      m.coveredClock = -1;
    } else {
      long[] last = m.pending.peekLast();
      if (!vv.covers(m.vv)) return false; // older than what is known: ignore
      m.vv = vv.copy();
      if (last != null && (vv.get(origin) < last[0] || clock < last[1])) return false;
    }
    m.clock = clock;
    long[] advert = {vv.get(origin), clock};
    if (m.pending.size() == PENDING_MAX) m.pending.pollLast(); // a newer one stands in for it
    m.pending.addLast(advert);
    return true;
  }

  /**
   * The newest advert known of each member: what a server passes on in its own adverts, so that
   * members without a direct link (a chain) hear of each other.
   */
  public void forEachKnown(KnownVisitor visitor) {
    for (Map.Entry<Integer, Member> e : members.entrySet()) {
      Member m = e.getValue();
      if (m.vv != null) visitor.visit(e.getKey(), m.origin, m.vv.copy(), m.clock);
    }
  }

  /** Removes a member for good: it no longer holds collection back. */
  public void retire(int serverId) {
    if (members.remove(serverId) == null) {
      throw new IllegalArgumentException("server " + serverId + " is not a member");
    }
    if (members.isEmpty()) throw new IllegalStateException("the last member cannot retire");
  }

  /** The pointwise minimum of the members' vectors; empty while a member is unheard of. */
  public VersionVector stableVector() {
    VersionVector min = null;
    for (Member m : members.values()) {
      if (m.vv == null) return new VersionVector();
      if (min == null) {
        min = m.vv.copy();
        continue;
      }
      VersionVector next = new VersionVector();
      for (Map.Entry<Long, Long> e : min.asMap().entrySet()) {
        long v = Math.min(e.getValue(), m.vv.get(e.getKey()));
        if (v > 0) next.raise(e.getKey(), v);
      }
      min = next;
    }
    return min;
  }

  /**
   * The clock at or below which every write not yet on every member is known to be stamped
   * above; -1 while some member has no advert the stable vector covers.
   */
  public long clockBound() {
    VersionVector stable = stableVector();
    long bound = Long.MAX_VALUE;
    for (Member m : members.values()) {
      if (m.vv == null) return -1;
      while (!m.pending.isEmpty() && stable.covers(m.origin, m.pending.peekFirst()[0])) {
        m.coveredClock = Math.max(m.coveredClock, m.pending.pollFirst()[1]);
      }
      bound = Math.min(bound, m.coveredClock);
    }
    return bound;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<Integer, Member> e : members.entrySet()) {
      Member m = e.getValue();
      if (sb.length() > 1) sb.append("; ");
      sb.append(e.getKey()).append(": ");
      if (m.vv == null) {
        sb.append("unheard");
        continue;
      }
      sb.append(Origins.toString(m.origin)).append(' ').append(m.vv).append(" @").append(m.clock)
          .append(" covered @").append(m.coveredClock).append(", ").append(m.pending.size())
          .append(" pending");
    }
    return sb.append('}').toString();
  }
}
