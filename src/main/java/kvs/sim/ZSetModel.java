package kvs.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.core.Sets;

/**
 * The simulation's oracle for a sorted-set key: the merged specification of docs/design.md
 * ("Data types: sorted sets"), in events, with no reference to how the code stores them.
 *
 * <p>Every ZADD, ZINCRBY and ZREM of a member is an event with its dot and clock and the events
 * of that member its server held when it ran (an event is held once the server's entry for that
 * member and origin is at the event's sequence or later), decided from that server's state. An
 * add either makes an assignment of its own (a ZADD: its score; a ZINCRBY of a member this model
 * says its server did not show: 0) or carries the assignment winning on its server (a ZINCRBY of
 * a shown member); a ZINCRBY also has its increment. Heads as for sets.
 *
 * <p>A server must show, under a sorted-set head, each member with a <em>live</em> add (held,
 * not hidden by the head, observed by no remove it holds, not followed by a held later write of
 * its own origin, which replaces that origin's word), with the score: the assignment of the
 * highest version among those its live adds carry, plus every increment it holds that neither
 * that assignment nor any held remove observed, from each origin whose latest held event of the
 * member is a live add. So concurrent increments all count, an increment a later ZADD saw does
 * not, and an add wins over a remove that had not seen it.
 */
final class ZSetModel extends HeadedKeyModel {
  /** One write of a member (see the class comment). */
  static final class Event {
    final int member;
    final long origin;
    final long seq;
    final long clock;
    final boolean add;
    final boolean assigns;
    final long score;
    final Event carried;
    final long increment;
    final Set<Event> observed;

    Event(int member, Entry e, boolean add, boolean assigns, long score, Event carried,
        long increment, Set<Event> observed) {
      this.member = member;
      this.origin = e.origin();
      this.seq = e.seq();
      this.clock = e.clock();
      this.add = add;
      this.assigns = assigns;
      this.score = score;
      this.carried = carried;
      this.increment = increment;
      this.observed = observed;
    }

    Event assignment() {
      return assigns ? this : carried;
    }
  }

  private final String[] members;
  private final List<Event> events = new ArrayList<>();

  ZSetModel(byte[] key, String[] members) {
    super(key);
    this.members = members;
  }

  byte[] member(int m) {
    return members[m].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private boolean held(Replica r, Event x) {
    Entry e = r.peek(Elements.key(key, Entry.KIND_ZSET, Sets.subKey(member(x.member), x.origin)));
    return e != null && e.seq() >= x.seq;
  }

  /** The events of {@code member} that {@code r} holds now (before a write it is about to run). */
  Set<Event> observed(Replica r, int member) {
    Set<Event> out = new HashSet<>();
    for (Event x : events) if (x.member == member && held(r, x)) out.add(x);
    return out;
  }

  /** The winning head write on {@code r} if it makes the key a live sorted set, else null. */
  private HeadWrite zsetHead(Replica r, long expiryNow) {
    HeadWrite w = headOf(r);
    return w == null || w.kind() != HeadKind.TYPED || w.entry().expiredAt(expiryNow) ? null : w;
  }

  private List<Event> liveAdds(Replica r, HeadWrite w, int member) {
    List<Event> out = new ArrayList<>();
    for (Event x : events) {
      if (x.member != member || !x.add || !held(r, x) || w.hides().covers(x.origin, x.seq)) {
        continue;
      }
      boolean removed = false;
      for (Event y : events) {
        // Removed by a held remove that observed it, or replaced by a later held write of its
        // own origin (an origin's later word on the member replaces its earlier one).
        if (!y.add && y.observed.contains(x) && held(r, y)
            || y.member == member && y.origin == x.origin && y.seq > x.seq && held(r, y)) {
          removed = true;
          break;
        }
      }
      if (!removed) out.add(x);
    }
    return out;
  }

  /**
   * The assignment winning for {@code member} on {@code r} (the one a ZINCRBY there carries),
   * or null when the model says {@code r} does not show the member.
   */
  Event winner(Replica r, int member, long expiryNow) {
    HeadWrite w = zsetHead(r, expiryNow);
    return w == null ? null : winner(r, w, member);
  }

  private Event winner(Replica r, HeadWrite w, int member) {
    Event best = null;
    for (Event x : liveAdds(r, w, member)) {
      Event a = x.assignment();
      if (best == null || Entry.compareVersions(a.clock, a.origin, best.clock, best.origin) > 0) {
        best = a;
      }
    }
    return best;
  }

  /** A ZADD (score), or ZINCRBY (increment, carrying {@code winner} or assigning when null). */
  ElementWrite added(Entry e, int member, boolean incr, long amount, Event winner,
      Set<Event> observed, int client) {
    boolean assigns = !incr || winner == null;
    events.add(new Event(member, e, true, assigns, incr ? 0 : amount, assigns ? null : winner,
        incr ? amount : 0, observed));
    return elementWritten(e, client);
  }

  ElementWrite removed(Entry e, int member, Set<Event> observed, int client) {
    events.add(new Event(member, e, false, false, 0, null, 0, observed));
    return elementWritten(e, client);
  }

  @Override
  String typedExpected(Replica r, HeadWrite w) {
    Map<String, Double> shown = new TreeMap<>();
    for (int m = 0; m < members.length; m++) {
      List<Event> live = liveAdds(r, w, m);
      Event win = winner(r, w, m);
      if (win == null) continue;
      Map<Long, Event> latest = new HashMap<>();
      for (Event x : events) {
        if (x.member == m && held(r, x)) {
          latest.merge(x.origin, x, (p, q) -> p.seq >= q.seq ? p : q);
        }
      }
      Set<Long> counting = new HashSet<>();
      latest.forEach((o, x) -> {
        if (live.contains(x)) counting.add(o);
      });
      long sum = 0;
      for (Event x : events) {
        if (x.member != m || x.increment == 0 || !held(r, x) || !counting.contains(x.origin)
            || win.observed.contains(x)) {
          continue;
        }
        boolean cancelled = false;
        for (Event rm : events) {
          if (!rm.add && rm.observed.contains(x) && held(r, rm)) {
            cancelled = true;
            break;
          }
        }
        if (!cancelled) sum += x.increment;
      }
      shown.put(members[m], (double) (win.score + sum));
    }
    return shown.isEmpty() ? null : shown.toString();
  }

  @Override
  String typedShown(Replica r, kvs.core.SessionToken session) {
    Map<String, Double> shown = new TreeMap<>();
    for (Replica.ZMember m : r.zsetMembers(session, key)) {
      shown.put(CounterModel.latin1(m.member()), m.score());
    }
    return shown.toString();
  }

  @Override
  Violation.Rule rule() {
    return Violation.Rule.ZSET;
  }

  @Override
  String elementsMake() {
    return "its adds, increments and removes make ";
  }
}
