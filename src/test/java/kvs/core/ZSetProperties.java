package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kvs.core.ReplicaHarness.Node;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

/**
 * Sorted sets (SortedSets, Replica.zadd, zrem, zscore, zsetMembers, copyZset, deletion) against a
 * model of events, with replicas that ZADD, ZINCRBY and ZREM members, delete the key, overwrite
 * it with a string, and exchange random, possibly cut-off deltas in any order, with crashes.
 *
 * <p>The model keeps every write of a member as an event: its dot, whether it adds or removes,
 * the score it assigns (a ZADD, or a ZINCRBY of a member its replica did not show: 0) or the
 * assignment it carried (a ZINCRBY of a shown member: the one winning on its replica), its
 * increment, and the events of the member its replica held when it ran (an event is held once
 * the replica's register of that member and origin is at the event's sequence or later). A
 * replica shows, under a set head, each member with a live add (held, not covered by the
 * winning head's recorded vector, observed by no remove it holds, not followed by a later held
 * event of its own origin, which replaces its word); its score is the highest
 * assignment by version among those its live adds carry, plus every increment the replica holds
 * that neither that assignment nor any remove it holds had observed, from each origin whose
 * latest held event of the member is a live add. Nothing in the model reads a register's value.
 */
class ZSetProperties {
  static final int N = 3;
  static final byte[] KEY = b("z");
  static final String[] MEMBERS = {"a", "b", "c"};

  /** kind: 0-2 ZADD, 3-5 ZINCRBY, 6-7 ZREM, 8 DEL, 9 SET, 10-12 sync, 13 partial sync, 14 crash. */
  record Op(int kind, int a, int b, int member, int wallStep, int cut, int amount) {}

  record HeadWrite(Entry entry, VersionVector seen) {}

  /**
   * A write of {@code member}: an add (with an assignment of its own, {@code assigns}, or the
   * one it carried, {@code carried}) or a remove; its increment; what it observed.
   */
  record Event(String member, long origin, long seq, long clock, boolean add, boolean assigns,
      double score, Event carried, long increment, Set<Event> observed) {
    Event assignment() {
      return assigns ? this : carried;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Event e && e.origin == origin && e.seq == seq;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(origin * 31 + seq);
    }

    @Override
    public String toString() {
      return member + "@" + origin + ":" + seq + (add ? " add" : " rem")
          + (assigns ? " =" + score : "") + (increment != 0 ? " +" + increment : "");
    }
  }

  @Provide
  Arbitrary<List<Op>> runs() {
    return Combinators.combine(Arbitraries.integers().between(0, 14),
        Arbitraries.integers().between(0, N - 1), Arbitraries.integers().between(1, N - 1),
        Arbitraries.integers().between(0, MEMBERS.length - 1),
        Arbitraries.integers().between(-30, 60), Arbitraries.integers().between(0, 9),
        Arbitraries.integers().between(-5, 9))
        .as(Op::new).list().ofMaxSize(60).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 1000)
  void everyReplicaShowsTheModel(@ForAll("runs") List<Op> run) {
    List<Node> nodes = new ArrayList<>();
    long[] wall = new long[N];
    for (int i = 0; i < N; i++) {
      nodes.add(new Node(i + 1));
      wall[i] = 10_000 + 13L * i;
    }
    List<HeadWrite> heads = new ArrayList<>();
    List<Event> events = new ArrayList<>();
    for (Op op : run) {
      Node a = nodes.get(op.a());
      Node b = nodes.get((op.a() + op.b()) % N);
      wall[op.a()] += op.wallStep();
      long now = wall[op.a()];
      Entry head = a.replica.liveEntry(KEY);
      boolean string = head != null && head.kind() == Entry.KIND_STRING;
      String m = MEMBERS[op.member()];
      switch (op.kind()) {
        case 0, 1, 2, 3, 4, 5 -> {
          if (string) break; // WRONGTYPE
          boolean incr = op.kind() >= 3;
          VersionVector seen = a.replica.vv();
          Set<Event> observed = held(a.replica, events, m);
          Event winner = winner(a.replica, heads, events, m);
          Replica.ZUpdate u = incr
              ? new Replica.ZUpdate(b(m), null, BigDecimal.valueOf(op.amount()))
              : new Replica.ZUpdate(b(m), (double) op.amount(), null);
          for (Entry e : a.replica.zadd(new SessionToken(), KEY, List.of(u), now).written()) {
            if (e.kind() == Entry.KIND_ZSET) {
              heads.add(new HeadWrite(e, seen));
            } else {
              boolean assigns = !incr || winner == null;
              events.add(new Event(m, e.origin(), e.seq(), e.clock(), true, assigns,
                  incr ? 0 : op.amount(), assigns ? null : winner, incr ? op.amount() : 0,
                  observed));
            }
          }
        }
        case 6, 7 -> {
          if (string) break;
          Set<Event> observed = held(a.replica, events, m);
          for (Entry e : a.replica.zrem(new SessionToken(), KEY, List.of(b(m)), now).written()) {
            events.add(new Event(m, e.origin(), e.seq(), e.clock(), false, false, 0, null, 0,
                observed));
          }
        }
        case 8 -> {
          VersionVector seen = a.replica.vv();
          Replica.Deletion d = a.replica.deletion(KEY);
          Entry e = a.replica.write(new SessionToken(), List.of(KEY),
              java.util.Collections.singletonList(d.value()), new byte[] {d.kind()}, null, now)
              .get(0);
          heads.add(new HeadWrite(e, seen));
        }
        case 9 -> heads.add(new HeadWrite(a.replica.put(new SessionToken(), KEY, b("s"), now),
            new VersionVector()));
        case 10, 11, 12 -> ReplicaHarness.sync(a.replica, b.replica, 1 + op.cut() * 40);
        case 13 -> {
          List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 60);
          ReplicaHarness.applyAll(b.replica, chunks.subList(0, op.cut() % chunks.size()));
        }
        default -> a.restart();
      }
      assertThat(shown(a.replica)).as("after %s on replica %d", op, op.a())
          .isEqualTo(expected(a.replica, heads, events));
    }
    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);
    String first = shown(replicas.get(0));
    for (Replica r : replicas) {
      assertThat(r.digest()).isEqualTo(replicas.get(0).digest());
      assertThat(live(r)).isEqualTo(live(replicas.get(0)));
      assertThat(shown(r)).isEqualTo(first).isEqualTo(expected(r, heads, events));
    }
  }

  /**
   * Found by the property above: a replica holds a register of another server's (its delta cut
   * off, so its vector does not cover it) under a key that reads as absent (that server's SET
   * arrived, then a DEL here); a ZINCRBY here made a new head that no longer hid the register,
   * and took its member as present, adding to the other server's score instead of starting
   * from 0 as the client, who saw no key, expects.
   */
  @Example
  void aZincrbyOfAKeyThatReadsAsAbsentStartsAfresh() {
    everyReplicaShowsTheModel(List.of(new Op(0, 1, 1, 1, 0, 0, 1), new Op(9, 1, 1, 0, 0, 0, 0),
        new Op(13, 1, 2, 0, 0, 2, 0), new Op(8, 0, 1, 0, 0, 0, 0), new Op(3, 0, 1, 1, 0, 0, 9)));
  }

  static boolean held(Replica r, Event x) {
    Entry e = r.peek(Elements.key(KEY, Entry.KIND_ZSET, Sets.subKey(b(x.member()), x.origin())));
    return e != null && e.seq() >= x.seq();
  }

  static Set<Event> held(Replica r, List<Event> events, String member) {
    Set<Event> out = new HashSet<>();
    for (Event x : events) if (x.member().equals(member) && held(r, x)) out.add(x);
    return out;
  }

  /** What reads show: null (no key), "string:VALUE", or member=score (ZSCORE agrees). */
  static String shown(Replica r) {
    Replica.ReadResult res = r.read(new SessionToken(), KEY);
    if (res.status() != Replica.ReadStatus.FOUND) return null;
    if (res.entry().kind() != Entry.KIND_ZSET) return "string:" + s(res.entry().value());
    Map<String, Double> members = new TreeMap<>();
    for (Replica.ZMember m : r.zsetMembers(new SessionToken(), KEY)) {
      assertThat(members.put(s(m.member()), m.score())).as("listed once").isNull();
    }
    for (String m : MEMBERS) {
      assertThat(r.zscore(new SessionToken(), KEY, b(m))).as(m).isEqualTo(members.get(m));
    }
    assertThat(members).as("a sorted set that reads as present has a member").isNotEmpty();
    return members.toString();
  }

  /** The winning head write of the replica's key, or null when it has none. */
  static HeadWrite headOf(Replica r, List<HeadWrite> heads) {
    Entry head = r.peek(KEY);
    if (head == null || head.isTombstone()) return null;
    HeadWrite w = heads.stream().filter(h -> h.entry().sameDot(head)).findFirst().orElseThrow();
    assertThat(w.entry()).isEqualTo(head);
    return w;
  }

  /** The live adds of {@code member}: held, not hidden by the head, observed by no held remove. */
  static List<Event> liveAdds(Replica r, HeadWrite w, List<Event> events, String member) {
    List<Event> out = new ArrayList<>();
    for (Event x : events) {
      if (!x.member().equals(member) || !x.add() || !held(r, x)
          || w.seen().covers(x.origin(), x.seq())) {
        continue;
      }
      boolean removed = events.stream().anyMatch(rm -> !rm.add() && rm.observed().contains(x)
          && held(r, rm));
      // An origin's later write of the member replaces its earlier word (it saw it).
      boolean replaced = events.stream().anyMatch(y -> y.member().equals(member)
          && y.origin() == x.origin() && y.seq() > x.seq() && held(r, y));
      if (!removed && !replaced) out.add(x);
    }
    return out;
  }

  /** The winning assignment of {@code member} on {@code r} as the model sees it, or null. */
  static Event winner(Replica r, List<HeadWrite> heads, List<Event> events, String member) {
    HeadWrite w = headOf(r, heads);
    if (w == null || w.entry().kind() != Entry.KIND_ZSET || !w.entry().liveAt(r.now())) {
      return null;
    }
    Event best = null;
    for (Event x : liveAdds(r, w, events, member)) {
      Event a = x.assignment();
      if (best == null || Entry.compareVersions(a.clock(), a.origin(), best.clock(),
          best.origin()) > 0) {
        best = a;
      }
    }
    return best;
  }

  static String expected(Replica r, List<HeadWrite> heads, List<Event> events) {
    HeadWrite w = headOf(r, heads);
    if (w == null) return null;
    if (w.entry().kind() == Entry.KIND_STRING) return "string:" + s(w.entry().value());
    Map<String, Double> members = new TreeMap<>();
    for (String m : MEMBERS) {
      List<Event> live = liveAdds(r, w, events, m);
      Event win = winner(r, heads, events, m);
      if (win == null) continue;
      // Origins whose latest held event of the member is a live add.
      Set<Long> counting = new HashSet<>();
      Map<Long, Event> latest = new HashMap<>();
      for (Event x : events) {
        if (x.member().equals(m) && held(r, x)) latest.merge(x.origin(), x,
            (p, q) -> p.seq() >= q.seq() ? p : q);
      }
      latest.forEach((o, x) -> {
        if (live.contains(x)) counting.add(o);
      });
      long sum = 0;
      for (Event x : events) {
        if (!x.member().equals(m) || x.increment() == 0 || !held(r, x)
            || !counting.contains(x.origin()) || win.observed().contains(x)) {
          continue;
        }
        boolean cancelled = events.stream().anyMatch(rm -> !rm.add() && held(r, rm)
            && rm.observed().contains(x));
        if (!cancelled) sum += x.increment();
      }
      members.put(m, win.score() + sum);
    }
    return members.isEmpty() ? null : members.toString();
  }

  // ---- the merge of register states: a join ------------------------------------------------

  /** A replica's registers of one member: register key (origin) to its entry. */
  record State(Map<Long, Entry> registers) {
    /** The merge replication performs per entry: the later version of each register. */
    State merge(State o) {
      Map<Long, Entry> out = new HashMap<>(registers);
      o.registers.forEach((k, e) -> out.merge(k, e,
          (x, y) -> Entry.compareVersions(x.clock(), x.origin(), y.clock(), y.origin()) >= 0
              ? x : y));
      return new State(out);
    }

    SortedSets.State read() {
      return SortedSets.state(new ArrayList<>(registers.values()), new VersionVector());
    }
  }

  @Provide
  Arbitrary<State> states() {
    // Register of origin o at sequence q: the clock grows with q (one origin's writes are
    // ordered), and its content is a function of the dot, since a dot names one write.
    Arbitrary<Entry> reg = Combinators.combine(Arbitraries.longs().between(1, 3),
        Arbitraries.longs().between(1, 6))
        .as((o, q) -> {
          Map<Long, SortedSets.Mark> rm = new HashMap<>();
          Map<Long, SortedSets.Mark> cancels = new HashMap<>();
          for (long p = 1; p <= 3; p++) {
            if ((o + q + p) % 2 == 0) {
              rm.put(p, new SortedSets.Mark((q * p) % 6 + 1, BigDecimal.valueOf(p * q % 5)));
            }
            if ((o * q + p) % 3 == 0) {
              cancels.put(p, new SortedSets.Mark((q + p) % 6 + 1, BigDecimal.valueOf(p % 4)));
            }
          }
          boolean added = (o * 7 + q) % 3 != 0;
          SortedSets.Assign assign = !added ? null
              : new SortedSets.Assign(q % 2 == 0 ? q * 10 + o : 0, o, (o * q) % 7, cancels);
          SortedSets.Register r = new SortedSets.Register(added, rm, BigDecimal.valueOf(q * o),
              assign);
          return new Entry(Elements.key(KEY, Entry.KIND_ZSET, Sets.subKey(b("m"), o)),
              r.encode(assign != null && assign.clock() == 0), q * 10 + o, o, q, 0);
        });
    return reg.list().ofMaxSize(4).map(l -> {
      State s = new State(Map.of());
      for (Entry e : l) s = s.merge(new State(Map.of(e.origin(), e)));
      return s;
    });
  }

  @Property(tries = 300)
  void mergeIsCommutativeAssociativeIdempotent(@ForAll("states") State x,
      @ForAll("states") State y, @ForAll("states") State z) {
    assertThat(x.merge(y)).isEqualTo(y.merge(x));
    assertThat(x.merge(y).merge(z)).isEqualTo(x.merge(y.merge(z)));
    assertThat(x.merge(x)).isEqualTo(x);
    assertThat(x.merge(y).read()).isEqualTo(y.merge(x).read());
    assertThat(x.merge(y).merge(z).read()).isEqualTo(x.merge(y.merge(z)).read());
  }

  @Property(tries = 200)
  void registersRoundTrip(@ForAll boolean added, @ForAll("doubles") double score,
      @ForAll long clock) {
    Map<Long, SortedSets.Mark> marks = Map.of(3L, new SortedSets.Mark(5, new BigDecimal("-1.5")),
        1L, new SortedSets.Mark(2, BigDecimal.TEN));
    SortedSets.Assign a = added ? new SortedSets.Assign(Math.abs(clock) + 1, 7, score, marks)
        : null;
    SortedSets.Register r = new SortedSets.Register(added, marks, new BigDecimal("12.25"), a);
    Entry e = new Entry(b("k"), r.encode(false), 99, 4, 1, 0);
    assertThat(SortedSets.Register.decode(e)).isEqualTo(r);
    if (added) {
      SortedSets.Register own = SortedSets.Register.decode(new Entry(b("k"), r.encode(true), 99,
          4, 1, 0));
      assertThat(own.assign().clock()).isEqualTo(99);
      assertThat(own.assign().origin()).isEqualTo(4);
    }
  }

  @Provide
  Arbitrary<Double> doubles() {
    return Arbitraries.oneOf(Arbitraries.doubles(), Arbitraries.of(Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE));
  }

  /** A copied sorted set holds the source's members and scores, nothing dst held before. */
  @Property(tries = 100)
  void copyTakesExactlyTheSourcesMembers(@ForAll("runs") List<Op> run) {
    Node n = new Node(1);
    long wall = 1_000;
    byte[] dst = b("dst");
    for (Op op : run) {
      wall += Math.abs(op.wallStep()) + 1;
      byte[] key = op.a() == 0 ? dst : KEY;
      byte[] m = b(MEMBERS[op.member()]);
      if (op.kind() < 4) {
        n.replica.zadd(new SessionToken(), key,
            List.of(new Replica.ZUpdate(m, (double) op.amount(), null)), wall);
      } else if (op.kind() < 9) {
        n.replica.zadd(new SessionToken(), key,
            List.of(new Replica.ZUpdate(m, null, BigDecimal.valueOf(op.amount()))), wall);
      } else {
        n.replica.zrem(new SessionToken(), key, List.of(m), wall);
      }
    }
    if (n.replica.liveEntry(KEY) == null) return;
    String source = shown(n.replica);
    n.replica.copyZset(new SessionToken(), KEY, dst, true, wall + 1);
    assertThat(shown(n.replica)).isNull();
    Map<String, Double> members = new TreeMap<>();
    for (Replica.ZMember m : n.replica.zsetMembers(new SessionToken(), dst)) {
      members.put(s(m.member()), m.score());
    }
    assertThat(members.toString()).isEqualTo(source);
  }
}
