package kvs.core;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * incarnation's bound stays frozen at its last covered advert (until an operator retires it:
 * {@link #retireOriginByOperator}), and an origin that appears in a vector but whose adverts were never heard allows
 * nothing. That must not last: a replica that collected before such an origin showed up differs
 * in digest from the others until they collect too. So a new incarnation enters the last
 * durable state of the one it succeeds ({@link Replica#predecessor}) as that one's advert, and
 * only a wiped server's lost incarnation stays unheard (docs/design.md, Tombstone collection).
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
  /** Servers retired for good: never members again, their adverts ignored. */
  private final Set<Integer> retiredServers = new TreeSet<>();
  /** Dead incarnations retired for good: their bound no longer counts, their adverts ignored. */
  private final Set<Long> retiredOrigins = new TreeSet<>();
  /** At most this many retired servers and incarnations are remembered each (the lowest go). */
  public static final int RETIRED_MAX = 4096;

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
   * unknown server, of an origin that is not that server's or was retired, one older than what
   * is known of the same origin (relayed adverts may arrive out of order), or the same again.
   */
  public boolean advert(int serverId, long origin, VersionVector vv, long clock) {
    Member m = members.get(serverId);
    if (m == null || Origins.serverId(origin) != serverId) return false;
    if (retiredOrigins.contains(origin)) return false;
    Origin o = m.origins.get(origin);
    if (o == null) {
      if (m.origins.size() == ORIGINS_MAX) forgetOldest(m);
      o = new Origin();
      m.origins.put(origin, o);
    } else if (!vv.covers(o.vv) || clock < o.clock || (clock == o.clock && vv.equals(o.vv))) {
      return false; // older, or the same advert again (relayed by several peers)
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

  /**
   * The highest clock advertised by an incarnation of {@code serverId} other than {@code origin}
   * that is known here and not retired, or -1. The incarnation with the highest advertised clock
   * is a member's current one; see {@link Replica#outrankEarlierIncarnations}.
   */
  public long highestClockOfOtherIncarnations(int serverId, long origin) {
    Member m = members.get(serverId);
    if (m == null) return -1;
    long highest = -1;
    for (Map.Entry<Long, Origin> e : m.origins.entrySet()) {
      if (e.getKey() != origin) highest = Math.max(highest, e.getValue().clock);
    }
    return highest;
  }

  /** Removes a member for good: it no longer holds collection back. */
  public void retire(int serverId) {
    if (!members.containsKey(serverId)) {
      throw new IllegalArgumentException("server " + serverId + " is not a member");
    }
    if (members.size() == 1) throw new IllegalStateException("the last member cannot retire");
    members.remove(serverId);
    remember(retiredServers, serverId);
  }

  /**
   * Makes {@code serverId} a member, not heard from yet (nothing is stable until it is): a
   * server learns the cluster's membership from its links and from what its peers relay. Returns
   * false, changing nothing, for a member already known and for a retired server, which never
   * comes back as the same member (docs/deployment.md, Retiring a server).
   */
  public boolean join(int serverId) {
    if (serverId < 0) throw new IllegalArgumentException("bad server id " + serverId);
    if (members.containsKey(serverId) || retiredServers.contains(serverId)) return false;
    members.put(serverId, new Member());
    return true;
  }

  /** True when {@code serverId} was retired ({@link #retire}, or relayed by a peer). */
  public boolean isRetired(int serverId) {
    return retiredServers.contains(serverId);
  }

  /**
   * Why a link with server {@code peerId} must be refused, or null: a server retired for good
   * never links again (docs/deployment.md, If a retired server comes back). The server's
   * handshake asks this on both sides ({@code Collector.refusal}), and so does the simulator.
   */
  public String linkRefusal(int peerId) {
    return isRetired(peerId) ? "server " + peerId + " was retired from this cluster"
        + " (KVS.RETIRE) and may not rejoin; start it on an empty data directory under a new id"
        : null;
  }

  /** True when the incarnation {@code origin} was retired ({@link #retireOrigin}). */
  public boolean isRetiredOrigin(long origin) {
    return retiredOrigins.contains(origin);
  }

  /** The members, in ascending order of server ids. */
  public Set<Integer> members() {
    return java.util.Collections.unmodifiableSet(members.keySet());
  }

  /**
   * Retires a dead incarnation for good: its frozen bound no longer limits collection and its
   * adverts are ignored from now on. Its member's current incarnation cannot be retired (retire
   * the server instead). The caller vouches that none of its writes is still on its way beyond
   * every member's vector (docs/deployment.md: after a {@code stabilize}, every member holds the
   * same data, so each of its surviving writes is held or superseded everywhere). Returns false
   * when it was retired already.
   *
   * @throws IllegalStateException when it is the current incarnation of its member
   */
  public boolean retireOrigin(long origin) {
    if (retiredOrigins.contains(origin)) return false;
    Member m = members.get(Origins.serverId(origin));
    if (m != null && m.current == origin) {
      throw new IllegalStateException(Origins.toString(origin) + " is the current incarnation of"
          + " server " + Origins.serverId(origin) + "; retire the server instead");
    }
    if (m != null) m.origins.remove(origin);
    remember(retiredOrigins, origin);
    return true;
  }

  /**
   * An operator's {@code KVS.RETIRE} of a dead incarnation, given on the server {@code selfId}
   * that now runs as {@code selfOrigin} (docs/deployment.md, A dead incarnation): the server and
   * the simulator's operator both go through here, so what the simulator checks is what the
   * server does. Returns false when it was retired already.
   *
   * @throws IllegalArgumentException when it is the incarnation the server runs as
   * @throws IllegalStateException when this server takes it for its member's current incarnation
   *     (it has not heard of a newer one yet: the operator retries once it has)
   */
  public boolean retireOriginByOperator(int selfId, long selfOrigin, long origin) {
    if (Origins.serverId(origin) == selfId && origin == selfOrigin) {
      throw new IllegalArgumentException(Origins.toString(origin)
          + " is this server's own incarnation");
    }
    return retireOrigin(origin);
  }

  /**
   * An operator's {@code KVS.RETIRE} of a server for good, given on the server {@code selfId}
   * (docs/deployment.md, Retiring a server); a server not known yet is remembered as retired all
   * the same. Returns false when it was retired already.
   *
   * @throws IllegalArgumentException when it names {@code selfId}
   * @throws IllegalStateException when it is the last member
   */
  public boolean retireServerByOperator(int selfId, int serverId) {
    if (serverId == selfId) {
      throw new IllegalArgumentException("a server cannot retire itself; run KVS.RETIRE on another");
    }
    if (isRetired(serverId)) return false;
    join(serverId);
    retire(serverId);
    return true;
  }

  private static <T> void remember(Set<T> set, T value) {
    if (set.size() == RETIRED_MAX) set.remove(set.iterator().next());
    set.add(value);
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
      min = VersionVector.min(min, vv); // a member's effective vector: sealed reads as all
    }
    return min;
  }

  /**
   * The origins this server may seal in {@code mine}, its replica's vector (docs/design.md,
   * Compacting the vector entries of retired incarnations): each origin D with an entry there
   * that is retired here, is no member's current incarnation, that no member's current advert
   * shows sealed, and whose entry equals both the stable vector's and the highest entry of D in
   * any member's current advert. Then every member holds the same writes of D, and the operator
   * vouched at retirement that none is still on its way, so no member will ever hold more of D.
   * Once a member sealed D, how much of D there is no longer shows in its vector: the others
   * then take the seal from its closing vector, with the writes of D they lack (simulator seed
   * 8998: a wiped server holding D up to 1, whose peers had all sealed D, took its own entry
   * for the highest, sealed, and never got D's later writes). Empty while a member is unheard
   * of.
   */
  public Set<Long> sealable(VersionVector mine) {
    Set<Long> out = new TreeSet<>();
    VersionVector stable = null;
    for (Map.Entry<Long, Long> e : mine.asMap().entrySet()) {
      long d = e.getKey();
      if (!retiredOrigins.contains(d)) continue;
      if (stable == null) stable = stableVector();
      long highest = 0;
      boolean skip = false;
      for (Member m : members.values()) {
        if (m.current < 0) return out;
        if (m.current == d) {
          skip = true;
          break;
        }
        VersionVector vv = m.origins.get(m.current).vv;
        if (vv.isSealed(d)) {
          skip = true; // not by this rule: a peer's closing vector seals it
          break;
        }
        highest = Math.max(highest, vv.get(d));
      }
      if (!skip && e.getValue() == highest && stable.get(d) >= highest) out.add(d);
    }
    return out;
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
        if (owner != null && !owner.origins.containsKey(origin)
            && !retiredOrigins.contains(origin)) {
          return -1;
        }
      }
    }
    return bound;
  }

  // ---- persistence and the wire --------------------------------------------------------------

  private static final byte STATE_FORMAT = 1;
  private static final byte ADVERT_FORMAT = 1;
  /** Caps on what a decoded record or advert may announce, checked before allocating. */
  private static final int MEMBERS_MAX = 65_536;

  /**
   * Everything this object knows, for the server's metadata (it must outlive restarts: what it
   * holds are facts about others' durable states). {@link #decode} gives back an equal object.
   */
  public byte[] encode() {
    int size = 1 + 4 + 4 + 8 * retiredServers.size() + 4 + 8 * retiredOrigins.size();
    for (Member m : members.values()) {
      size += 4 + 8 + 8 + 4;
      for (Origin o : m.origins.values()) {
        size += 8 + 8 + 8 + o.vv.encodedSize() + 4 + 16 * o.pending.size();
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(STATE_FORMAT).putInt(members.size());
    for (Map.Entry<Integer, Member> e : members.entrySet()) {
      Member m = e.getValue();
      b.putInt(e.getKey()).putLong(m.current).putLong(m.floor).putInt(m.origins.size());
      for (Map.Entry<Long, Origin> oe : m.origins.entrySet()) {
        Origin o = oe.getValue();
        b.putLong(oe.getKey()).putLong(o.clock).putLong(o.coveredClock);
        o.vv.encodeTo(b);
        b.putInt(o.pending.size());
        for (long[] p : o.pending) b.putLong(p[0]).putLong(p[1]);
      }
    }
    b.putInt(retiredServers.size());
    for (int id : retiredServers) b.putLong(id);
    b.putInt(retiredOrigins.size());
    for (long origin : retiredOrigins) b.putLong(origin);
    return b.array();
  }

  /** Reads {@link #encode}'s form; {@link CorruptDataException} on anything malformed. */
  public static Stability decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      if (u8(b) != STATE_FORMAT) throw new CorruptDataException("stability: unknown format");
      int n = count(b, 20);
      Stability s = new Stability();
      for (int i = 0; i < n; i++) {
        int id = i32(b);
        if (id < 0 || s.members.containsKey(id)) {
          throw new CorruptDataException("stability: bad member");
        }
        Member m = new Member();
        m.current = i64(b);
        m.floor = i64(b);
        int origins = count(b, 28);
        for (int j = 0; j < origins; j++) {
          long origin = i64(b);
          Origin o = new Origin();
          o.clock = i64(b);
          o.coveredClock = i64(b);
          o.vv = VersionVector.decodeFrom(b);
          int pending = count(b, 16);
          for (int k = 0; k < pending; k++) o.pending.addLast(new long[] {i64(b), i64(b)});
          if (Origins.serverId(origin) != id || m.origins.put(origin, o) != null) {
            throw new CorruptDataException("stability: bad origin");
          }
        }
        if (m.current >= 0 && !m.origins.containsKey(m.current)) {
          throw new CorruptDataException("stability: unknown current origin");
        }
        s.members.put(id, m);
      }
      int retired = count(b, 8);
      for (int i = 0; i < retired; i++) s.retiredServers.add(Math.toIntExact(i64(b)));
      int retiredOrigins = count(b, 8);
      for (int i = 0; i < retiredOrigins; i++) s.retiredOrigins.add(i64(b));
      if (b.hasRemaining()) throw new CorruptDataException("stability: trailing bytes");
      if (s.members.isEmpty()) throw new CorruptDataException("stability: no members");
      return s;
    } catch (ArithmeticException e) {
      throw new CorruptDataException("stability: bad retired server id");
    }
  }

  private Stability() {}

  // Reads that say "truncated" as corrupt data instead of throwing the buffer's own exception.
  private static byte u8(ByteBuffer b) {
    if (b.remaining() < 1) throw new CorruptDataException("stability: truncated");
    return b.get();
  }

  private static int i32(ByteBuffer b) {
    if (b.remaining() < 4) throw new CorruptDataException("stability: truncated");
    return b.getInt();
  }

  private static long i64(ByteBuffer b) {
    if (b.remaining() < 8) throw new CorruptDataException("stability: truncated");
    return b.getLong();
  }

  /** A count followed by at least {@code each} bytes per item, checked against what remains. */
  private static int count(ByteBuffer b, int each) {
    int n = i32(b);
    if (n < 0 || n > MEMBERS_MAX || (long) n * each > b.remaining()) {
      throw new CorruptDataException("stability: bad count " + n);
    }
    return n;
  }

  /**
   * What a server tells its peers (the {@code KVS.STABLE} message, docs/internal-protocol.md):
   * the members it knows, the servers and incarnations retired, and the newest advert it knows of
   * every origin ({@link #forEachKnown}), its own durable state included. No bound or covered
   * clock travels: those depend on the receiver's own membership.
   */
  public byte[] encodeAdvert() {
    int[] size = {1 + 4 + 4 * members.size() + 4 + 4 * retiredServers.size() + 4
        + 8 * retiredOrigins.size() + 4};
    int[] known = {0};
    forEachKnown((id, origin, vv, clock) -> {
      size[0] += 4 + 8 + 8 + vv.encodedSize();
      known[0]++;
    });
    ByteBuffer b = ByteBuffer.allocate(size[0]);
    b.put(ADVERT_FORMAT).putInt(members.size());
    for (int id : members.keySet()) b.putInt(id);
    b.putInt(retiredServers.size());
    for (int id : retiredServers) b.putInt(id);
    b.putInt(retiredOrigins.size());
    for (long o : retiredOrigins) b.putLong(o);
    b.putInt(known[0]);
    forEachKnown((id, origin, vv, clock) -> {
      b.putInt(id).putLong(origin).putLong(clock);
      vv.encodeTo(b);
    });
    return b.array();
  }

  /** One peer's {@link #encodeAdvert}, decoded: the receiver checks it whole before using it. */
  public record Heard(Set<Integer> members, Set<Integer> retiredServers, Set<Long> retiredOrigins,
      java.util.List<Known> known) {}

  /** One advert of one origin, as relayed. */
  public record Known(int serverId, long origin, VersionVector vv, long clock) {}

  /** Decodes a peer's advert; {@link CorruptDataException} on anything malformed. */
  public static Heard decodeAdvert(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (u8(b) != ADVERT_FORMAT) {
      throw new CorruptDataException("stability advert: unknown format");
    }
    Set<Integer> ms = new TreeSet<>();
    for (int i = count(b, 4); i > 0; i--) ms.add(nonNegative(i32(b)));
    Set<Integer> rs = new TreeSet<>();
    for (int i = count(b, 4); i > 0; i--) rs.add(nonNegative(i32(b)));
    Set<Long> ro = new TreeSet<>();
    for (int i = count(b, 8); i > 0; i--) ro.add(i64(b));
    java.util.List<Known> known = new java.util.ArrayList<>();
    for (int i = count(b, 24); i > 0; i--) {
      int id = nonNegative(i32(b));
      long origin = i64(b);
      long clock = i64(b);
      VersionVector vv = VersionVector.decodeFrom(b);
      if (origin < 0 || Origins.serverId(origin) != id || clock < 0) {
        throw new CorruptDataException("stability advert: bad origin");
      }
      known.add(new Known(id, origin, vv, clock));
    }
    if (b.hasRemaining()) throw new CorruptDataException("stability advert: trailing bytes");
    return new Heard(ms, rs, ro, known);
  }

  private static int nonNegative(int id) {
    if (id < 0) throw new CorruptDataException("stability advert: negative server id");
    return id;
  }

  /**
   * Takes in what a peer relayed ({@link #decodeAdvert}): its retired servers first (a retired
   * member leaves, unless it is the last one), then its members (each not known nor retired
   * joins, unheard), then every advert, then its retired incarnations. Returns true when
   * anything changed.
   */
  public boolean hear(Heard heard) {
    boolean changed = false;
    for (int id : heard.retiredServers()) {
      if (members.containsKey(id) && members.size() > 1) {
        retire(id);
        changed = true;
      } else if (!retiredServers.contains(id) && !members.containsKey(id)) {
        remember(retiredServers, id);
        changed = true;
      }
    }
    for (int id : heard.members()) changed |= join(id);
    for (Known k : heard.known()) changed |= advert(k.serverId(), k.origin(), k.vv(), k.clock());
    // After the adverts: the message that tells of a retired incarnation usually brings its
    // successor's advert too, which makes the retired one no longer current here. Taken before
    // them, the retirement was skipped, and a peer says it again only when what it knows changes
    // again, which in a quiet cluster may be never: this server would keep the dead
    // incarnation's frozen bound, and collect less than the others for good.
    for (long origin : heard.retiredOrigins()) {
      Member m = members.get(Origins.serverId(origin));
      // Not heard of a newer incarnation yet: retired when the peer says it again, once it has.
      if (m != null && m.current == origin) continue;
      changed |= retireOrigin(origin);
    }
    return changed;
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
