package kvs.core;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
 * <p>The bound rests on one promise per origin (one process lifetime of a server): an origin
 * that advertised clock {@code c} when its vector held its own writes up to {@code s} stamps
 * every later write above {@code c}, since its hybrid clock never goes back while it lives. Once
 * the stable vector covers {@code s}, every write of that origin not yet everywhere is above
 * {@code c}. The origin's bound is the highest such {@code c}; the cluster's is the lowest over
 * every origin of every member, earlier incarnations included: an incarnation that ended in a
 * power cut may have writes that survive on other servers and are still on their way, stamped
 * above its last covered advert, whatever the next incarnation's clock. So an earlier
 * incarnation's bound stays frozen at its last covered advert (until retirement of incarnations
 * exists), and an origin that appears in a vector but whose adverts were never heard allows
 * nothing.
 *
 * <p>Membership is fixed at construction; {@link #retire} removes a member for good. While any
 * member has not been heard from, nothing is stable. Adverts must describe durable state (what
 * survives a power cut): an advert of state that a crash can take back would let others collect
 * a tombstone the member then no longer holds, while it still holds an older write of the key.
 * What a server knows here is facts about others' durable states, so it stays true across the
 * server's own restarts and belongs in its durable metadata. Pure: no I/O, no clock; bounded:
 * {@link #PENDING_MAX} adverts per origin, {@link #ORIGINS_MAX} origins per member (beyond, the
 * oldest origin's bound is folded into a floor that only ever lowers the member's bound).
 */
public final class Stability {
  /** Adverts kept per origin until the stable vector covers them; beyond, the newest goes. */
  public static final int PENDING_MAX = 64;
  /** Incarnations remembered per member; older ones only lower the member's floor. */
  public static final int ORIGINS_MAX = 64;

  /** What is known of one origin (one incarnation of a member). */
  private static final class Origin {
    VersionVector vv;
    long clock = -1;
    /** {ownSeq, clock} of adverts not yet covered, ascending in both. */
    final ArrayDeque<long[]> pending = new ArrayDeque<>();
    /** The highest clock of an advert whose own writes the stable vector covers; -1: none. */
    long coveredClock = -1;
  }

  private static final class Member {
    /** By origin, in the order first heard. */
    final LinkedHashMap<Long, Origin> origins = new LinkedHashMap<>();
    /** The current incarnation: the one with the highest advertised clock. */
    long current = -1;
    /** The bound of origins forgotten beyond {@link #ORIGINS_MAX}. */
    long floor = Long.MAX_VALUE;
  }

  /** What {@link #forEachKnown} reports: the newest advert known of one origin. */
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
   * Takes in an advert of a member's durable state: its origin, vector and hybrid clock, heard
   * from it or relayed by another server. Ignored (returns false): an advert of a retired or
   * unknown server, of an origin that is not that server's, or one older than what is known of
   * the same origin (relayed adverts may arrive out of order).
   */
  public boolean advert(int serverId, long origin, VersionVector vv, long clock) {
    Member m = members.get(serverId);
    if (m == null || Origins.serverId(origin) != serverId) return false;
    Origin o = m.origins.get(origin);
    if (o == null) {
      if (m.origins.size() == ORIGINS_MAX) forgetOldest(m);
      o = new Origin();
      m.origins.put(origin, o);
    } else if (!vv.covers(o.vv) || clock < o.clock) {
      return false;
    }
    o.vv = vv.copy();
    o.clock = clock;
    if (m.current < 0 || clock > m.origins.get(m.current).clock) m.current = origin;
    if (o.pending.size() == PENDING_MAX) o.pending.pollLast(); // a newer one stands in for it
    o.pending.addLast(new long[] {vv.get(origin), clock});
    return true;
  }

  private static void forgetOldest(Member m) {
    Iterator<Map.Entry<Long, Origin>> it = m.origins.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Origin> e = it.next();
      if (e.getKey() == m.current) continue;
      m.floor = Math.min(m.floor, e.getValue().coveredClock);
      it.remove();
      return;
    }
  }

  /**
   * The newest advert known of each origin of each member: what a server passes on in its own
   * adverts, so that members without a direct link (a chain), and servers that never heard an
   * earlier incarnation, learn of them.
   */
  public void forEachKnown(KnownVisitor visitor) {
    for (Map.Entry<Integer, Member> e : members.entrySet()) {
      for (Map.Entry<Long, Origin> o : e.getValue().origins.entrySet()) {
        visitor.visit(e.getKey(), o.getKey(), o.getValue().vv.copy(), o.getValue().clock);
      }
    }
  }

  /** Removes a member for good: it no longer holds collection back. */
  public void retire(int serverId) {
    if (!members.containsKey(serverId)) {
      throw new IllegalArgumentException("server " + serverId + " is not a member");
    }
    if (members.size() == 1) throw new IllegalStateException("the last member cannot retire");
    members.remove(serverId);
  }

  /** The pointwise minimum of the members' current vectors; empty while one is unheard of. */
  public VersionVector stableVector() {
    VersionVector min = null;
    for (Member m : members.values()) {
      if (m.current < 0) return new VersionVector();
      VersionVector vv = m.origins.get(m.current).vv;
      if (min == null) {
        min = vv.copy();
        continue;
      }
      VersionVector next = new VersionVector();
      for (Map.Entry<Long, Long> e : min.asMap().entrySet()) {
        long v = Math.min(e.getValue(), vv.get(e.getKey()));
        if (v > 0) next.raise(e.getKey(), v);
      }
      min = next;
    }
    return min;
  }

  /**
   * The clock at or below which every write not yet on every member is known to be stamped
   * above; -1 while some origin of a member has no advert the stable vector covers, or an origin
   * of a member shows in a vector without any advert of its own known.
   */
  public long clockBound() {
    VersionVector stable = stableVector();
    long bound = Long.MAX_VALUE;
    for (Member m : members.values()) {
      if (m.current < 0) return -1;
      for (Map.Entry<Long, Origin> e : m.origins.entrySet()) {
        Origin o = e.getValue();
        while (!o.pending.isEmpty() && stable.covers(e.getKey(), o.pending.peekFirst()[0])) {
          o.coveredClock = Math.max(o.coveredClock, o.pending.pollFirst()[1]);
        }
        bound = Math.min(bound, o.coveredClock);
      }
      bound = Math.min(bound, m.floor);
      // An incarnation others hold writes of, never heard from: its promise is unknown.
      for (long origin : m.origins.get(m.current).vv.asMap().keySet()) {
        Member owner = members.get(Origins.serverId(origin));
        if (owner != null && !owner.origins.containsKey(origin)) return -1;
      }
    }
    return bound;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<Integer, Member> e : members.entrySet()) {
      Member m = e.getValue();
      if (sb.length() > 1) sb.append("; ");
      sb.append(e.getKey()).append(':');
      if (m.current < 0) sb.append(" unheard");
      for (Map.Entry<Long, Origin> o : m.origins.entrySet()) {
        Origin x = o.getValue();
        sb.append(' ').append(Origins.toString(o.getKey()))
            .append(o.getKey() == m.current ? " (current) " : " ").append(x.vv)
            .append(" @").append(x.clock).append(" covered @").append(x.coveredClock);
      }
      if (m.floor != Long.MAX_VALUE) sb.append(" floor @").append(m.floor);
    }
    return sb.append('}').toString();
  }
}
