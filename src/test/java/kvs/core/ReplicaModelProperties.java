package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

/**
 * Replicas and sessions checked step by step against a deliberately naive reference, in the
 * style of etcd-io/raft {@code quorum/quick_test.go}. The reference keeps full sets of dots: for
 * every replica, the dots it knows through its own writes and completed deltas ({@code known}) and
 * every dot it has heard of, including entries of deltas not yet closed ({@code heard}); for every
 * session, every dot it has observed. It decides "may serve" by set inclusion and computes each
 * key's value as the highest version among the dots a replica has heard of.
 *
 * <p>The real replica, with per-origin vectors, logs of current writes and skipping of superseded
 * writes, must agree after every step: same data; a vector at least what the reference knows and
 * at most what it heard of; every dot the vector covers held or superseded (the invariant that
 * makes a session check per origin sound); a read served whenever the reference may serve, and
 * never older than what the session saw. These checks do not fix when exactly a vector may rise,
 * only that every rise is safe.
 */
class ReplicaModelProperties {
  static final int REPLICAS = 3;
  static final int SESSIONS = 3;
  static final String[] KEYS = {"a", "b", "c"};

  record Dot(long origin, long seq) {
    static Dot of(Entry e) {
      return new Dot(e.origin(), e.seq());
    }
  }

  enum Kind { WRITE, DELETE, READ, SYNC, OPEN, STEP, DROP, RESTART }

  /** One step; the integers are reduced modulo whatever they index. */
  record Op(Kind kind, int x, int y, int z, int w) {}

  @SuppressWarnings("unchecked")
  static Arbitrary<Op> ops(List<Kind> kinds, List<Integer> weights) {
    Tuple2<Integer, Kind>[] freq = new Tuple2[kinds.size()];
    for (int i = 0; i < kinds.size(); i++) freq[i] = Tuple.of(weights.get(i), kinds.get(i));
    Arbitrary<Integer> small = Arbitraries.integers().between(0, 1000);
    return Combinators.combine(Arbitraries.frequency(freq), small, small, small, small).as(Op::new);
  }

  /** Deltas are delivered whole and at once (no interleaving, no lost chunks). */
  @Provide
  Arbitrary<List<Op>> atomicRuns() {
    return ops(List.of(Kind.WRITE, Kind.DELETE, Kind.READ, Kind.SYNC, Kind.RESTART),
        List.of(6, 1, 6, 4, 1)).list().ofMinSize(1).ofMaxSize(60)
        .withSizeDistribution(RandomDistribution.uniform());
  }

  /** Deltas stream chunk by chunk, interleaved with everything else, and links break mid-delta. */
  @Provide
  Arbitrary<List<Op>> streamingRuns() {
    return ops(List.of(Kind.WRITE, Kind.DELETE, Kind.READ, Kind.SYNC, Kind.OPEN, Kind.STEP,
        Kind.DROP, Kind.RESTART), List.of(6, 1, 3, 5, 4, 6, 1, 1)).list().ofMinSize(1).ofMaxSize(100)
        .withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 400)
  void agreesWithTheReferenceWhenDeltasArriveWhole(@ForAll("atomicRuns") List<Op> run) {
    new World().run(run);
  }

  /**
   * Fails today: see ReplicaTest.coverageForwardedWhileAPartialDeltaIsAppliedKeepsReadYourWrites.
   * About 2.5% of runs hit that bug, so 1000 tries miss it with probability about 1e-11.
   */
  @Property(tries = 1000)
  void agreesWithTheReferenceWhenDeltasStreamInChunks(@ForAll("streamingRuns") List<Op> run) {
    new World().run(run);
  }

  /**
   * A short failing run, found by hand (ReplicaTest spells out the same scenario): r1 writes key a
   * twice, so its delta to r0 carries only its second write; r0 applies that chunk (which
   * replaces r0's own write of a) but not the closing one, then syncs to r2.
   */
  @Example
  void partiallyAppliedDeltaForwardedToAThirdReplica() {
    new World().run(List.of(
        new Op(Kind.WRITE, 0, 0, 0, 15), // s0 writes a at r0 (r0's dot 1)
        new Op(Kind.WRITE, 1, 1, 0, 15), // s1 writes a at r1 (r1's dot 1)
        new Op(Kind.WRITE, 1, 1, 0, 15), // s1 writes a at r1 again (r1's dot 2), beats r0's
        new Op(Kind.OPEN, 1, 1, 0, 1), // r1 -> r0, one entry per chunk
        new Op(Kind.STEP, 0, 0, 0, 0), // r1's dot 2 arrives at r0; no closing chunk yet
        new Op(Kind.SYNC, 0, 1, 59, 1), // r0 -> r2, complete
        new Op(Kind.READ, 2, 0, 0, 0))); // s0 reads a at r2
  }

  /** A delta in flight: the real stream and the reference's view of the sender at its snapshot. */
  record Pending(int from, int to, Replica.DeltaStream stream, Set<Dot> knownAtOpen,
      Set<Dot> heardAtOpen, VersionVector vvAtOpen, int maxBytes) {}

  static final class World {
    final List<Node> nodes = new ArrayList<>();
    final List<SessionToken> tokens = new ArrayList<>();
    final Map<Dot, Entry> writes = new HashMap<>();
    final List<Set<Dot>> known = new ArrayList<>();
    final List<Set<Dot>> heard = new ArrayList<>();
    final List<Set<Dot>> observed = new ArrayList<>();
    final List<Pending> pending = new ArrayList<>();
    final long[] wall = new long[REPLICAS];
    final List<String> trace = new ArrayList<>();

    World() {
      for (int i = 0; i < REPLICAS; i++) {
        nodes.add(new Node(i + 1));
        known.add(new HashSet<>());
        heard.add(new HashSet<>());
        wall[i] = 1_000 + 37L * i;
      }
      for (int i = 0; i < SESSIONS; i++) {
        tokens.add(new SessionToken());
        observed.add(new HashSet<>());
      }
    }

    int served;
    int refused;
    int closed;
    int partialEntries;

    void run(List<Op> run) {
      for (Op op : run) {
        step(op);
        for (int r = 0; r < REPLICAS; r++) check(r);
      }
      for (Pending p : pending) p.stream().close();
      Statistics.label("reads served").collect(served > 0);
      Statistics.label("reads refused").collect(refused > 0);
      Statistics.label("deltas closed").collect(Math.min(closed, 5));
      Statistics.label("entries applied from unclosed deltas").collect(Math.min(partialEntries, 3));
    }

    void step(Op op) {
      int r = op.x() % REPLICAS;
      switch (op.kind()) {
        case WRITE, DELETE -> write(op.y() % SESSIONS, r, KEYS[op.z() % KEYS.length],
            op.kind() == Kind.DELETE ? null : "v" + op.w(), op.w() % 40 - 15);
        case READ -> read(op.y() % SESSIONS, r, KEYS[op.z() % KEYS.length]);
        case SYNC -> {
          int to = (r + 1 + op.y() % (REPLICAS - 1)) % REPLICAS;
          Pending p = open(r, to, 1 + op.z() % 60, op.w() % 5 == 0);
          while (!pending.isEmpty() && pending.contains(p)) deliver(p);
        }
        case OPEN -> open(r, (r + 1 + op.y() % (REPLICAS - 1)) % REPLICAS, 1 + op.z() % 60,
            op.w() % 5 == 0);
        case STEP -> {
          if (!pending.isEmpty()) deliver(pending.get(op.y() % pending.size()));
        }
        case DROP -> {
          if (!pending.isEmpty()) {
            Pending p = pending.remove(op.y() % pending.size());
            p.stream().close();
            trace.add("drop " + p.from() + "->" + p.to());
          }
        }
        case RESTART -> restart(r);
      }
    }

    void write(int s, int r, String key, String value, long wallStep) {
      Node n = nodes.get(r);
      wall[r] = wall[r] + wallStep; // drifts, stands still, goes backwards
      SessionToken token = SessionToken.fromText(tokens.get(s).toText());
      long highestHeard = maxClock(heard.get(r));
      long highestSession = maxClock(observed.get(s));
      Entry e = n.replica.put(token, b(key), value == null ? null : b(value), wall[r]);
      trace.add("s" + s + " writes " + key + "=" + value + " at r" + r + " -> " + e);
      Dot dot = Dot.of(e);
      assertThat(e.origin()).isEqualTo(n.origin());
      assertThat(e.seq()).as("next dot of r%d", r)
          .isEqualTo(maxSeq(writes.keySet(), n.origin()) + 1);
      assertThat(writes).as("dots are never reused").doesNotContainKey(dot);
      assertThat(e.clock()).as("stamped above everything r%d has heard of", r)
          .isGreaterThan(highestHeard);
      assertThat(e.clock()).as("stamped above everything s%d has seen", s)
          .isGreaterThan(highestSession);
      writes.put(dot, e);
      known.get(r).add(dot);
      heard.get(r).add(dot);
      observed.get(s).add(dot);
      tokens.set(s, token);
      checkToken(s);
    }

    void read(int s, int r, String key) {
      Node n = nodes.get(r);
      SessionToken token = SessionToken.fromText(tokens.get(s).toText());
      boolean mayServe = known.get(r).containsAll(observed.get(s));
      boolean vectorCovers = n.replica.vv().covers(vectorOf(observed.get(s)));
      ReadResult result = n.replica.read(token, b(key));
      boolean serves = result.status() != ReadStatus.MISSING_DEPENDENCY;
      trace.add("s" + s + " reads " + key + " at r" + r + " -> " + result);
      if (mayServe) {
        assertThat(serves).as("r%d must serve s%d: it knows every dot s%d saw", r, s, s).isTrue();
      }
      assertThat(serves).as("r%d serves s%d exactly when its vector covers the session", r, s)
          .isEqualTo(vectorCovers);
      if (serves) served++; else refused++;
      if (!serves) {
        assertThat(token).isEqualTo(tokens.get(s));
        return;
      }
      Entry expected = expectedEntry(r, key);
      assertThat(result.entry()).isEqualTo(expected);
      assertThat(result.status()).isEqualTo(expected == null || expected.isTombstone()
          ? ReadStatus.NOT_FOUND : ReadStatus.FOUND);
      // the session guarantees themselves: nothing older than what the session wrote or read
      for (Dot d : observed.get(s)) {
        Entry seen = writes.get(d);
        if (!java.util.Arrays.equals(seen.key(), b(key))) continue;
        assertThat(result.entry()).as("s%d saw %s", s, seen).isNotNull();
        assertThat(result.entry().sameDot(seen) || result.entry().supersedes(seen))
            .as("s%d read %s after seeing %s", s, result.entry(), seen).isTrue();
      }
      if (result.entry() != null) observed.get(s).add(Dot.of(result.entry()));
      tokens.set(s, token);
      checkToken(s);
    }

    Pending open(int from, int to, int maxBytes, boolean staleVector) {
      VersionVector peerHas = staleVector ? new VersionVector() : nodes.get(to).replica.vv();
      VersionVector vv = nodes.get(from).replica.vv();
      Replica.DeltaStream stream = nodes.get(from).replica.openDelta(peerHas);
      assertThat(stream.target()).isEqualTo(vv);
      Pending p = new Pending(from, to, stream, new HashSet<>(known.get(from)),
          new HashSet<>(heard.get(from)), vv, maxBytes);
      pending.add(p);
      trace.add("open " + from + "->" + to + " max " + maxBytes + (staleVector ? " stale" : ""));
      return p;
    }

    void deliver(Pending p) {
      DeltaChunk chunk = p.stream().next(p.maxBytes());
      assertThat(chunk).as("an unfinished stream yields chunks").isNotNull();
      chunk = DeltaChunk.decode(chunk.encode());
      trace.add("chunk " + p.from() + "->" + p.to() + " " + chunk.entries()
          + (chunk.isLast() ? " closing " + chunk.completes() : ""));
      for (Entry e : chunk.entries()) {
        assertThat(p.heardAtOpen()).as("a delta carries only what its sender had when it opened")
            .contains(Dot.of(e));
        assertThat(e).isEqualTo(writes.get(Dot.of(e)));
      }
      nodes.get(p.to()).replica.applyDelta(chunk);
      for (Entry e : chunk.entries()) heard.get(p.to()).add(Dot.of(e));
      if (!chunk.isLast()) partialEntries += chunk.entries().size();
      if (chunk.isLast()) {
        closed++;
        assertThat(chunk.completes()).isEqualTo(p.vvAtOpen());
        known.get(p.to()).addAll(p.knownAtOpen());
        heard.get(p.to()).addAll(dotsCoveredBy(p.vvAtOpen()));
        pending.remove(p);
        assertThat(p.stream().next(p.maxBytes())).isNull();
      }
    }

    void restart(int r) {
      Node n = nodes.get(r);
      pending.removeIf(p -> {
        if (p.from() != r && p.to() != r) return false;
        p.stream().close();
        return true;
      });
      VersionVector vv = n.replica.vv();
      long clock = n.replica.clock();
      long digest = n.replica.digest();
      long origin = n.origin();
      n.restart();
      trace.add("restart r" + r);
      assertThat(n.origin()).isEqualTo(origin);
      assertThat(n.replica.vv()).isEqualTo(vv);
      assertThat(n.replica.clock()).as("clock of r%d after restart", r).isEqualTo(clock);
      assertThat(n.replica.digest()).isEqualTo(digest);
    }

    /** The reference value of a key: the highest version among the writes r has heard of. */
    Entry expectedEntry(int r, String key) {
      Entry best = null;
      for (Dot d : heard.get(r)) {
        Entry w = writes.get(d);
        if (java.util.Arrays.equals(w.key(), b(key)) && w.supersedes(best)) best = w;
      }
      return best;
    }

    void check(int r) {
      Replica replica = nodes.get(r).replica;
      try {
        Set<Dot> k = known.get(r);
        for (Dot d : k) assertThat(d.seq() == 1 || k.contains(new Dot(d.origin(), d.seq() - 1)))
            .as("reference knowledge is a prefix per origin").isTrue();
        VersionVector vv = replica.vv();
        assertThat(vv.covers(vectorOf(k)))
            .as("vector of r%d %s covers what it knows %s", r, vv, vectorOf(k)).isTrue();
        for (Dot d : dotsCoveredBy(vv)) {
          assertThat(heard.get(r)).as("r%d covers %s, which it never heard of", r, d).contains(d);
          Entry w = writes.get(d);
          Entry held = replica.peek(w.key());
          assertThat(held != null && (held.sameDot(w) || held.supersedes(w)))
              .as("r%d covers %s so it must hold it or a newer write of its key, but holds %s",
                  r, w, held).isTrue();
        }
        long digest = 0;
        List<Entry> live = new ArrayList<>();
        for (String key : KEYS) {
          Entry expected = expectedEntry(r, key);
          assertThat(replica.peek(b(key))).as("r%d holds for key %s", r, key).isEqualTo(expected);
          if (expected != null) digest += expected.fingerprint();
          if (expected != null && !expected.isTombstone()) live.add(expected);
        }
        assertThat(replica.digest()).as("digest of r%d", r).isEqualTo(digest);
        assertThat(ReplicaHarness.live(replica)).isEqualTo(live);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "\ntrace:\n  " + String.join("\n  ", trace), e);
      }
    }

    static Set<Dot> dotsCoveredBy(VersionVector vv) {
      Set<Dot> dots = new HashSet<>();
      vv.asMap().forEach((origin, upto) -> {
        for (long seq = 1; seq <= upto; seq++) dots.add(new Dot(origin, seq));
      });
      return dots;
    }

    void checkToken(int s) {
      assertThat(tokens.get(s).deps()).isEqualTo(vectorOf(observed.get(s)));
      assertThat(tokens.get(s).clock()).isEqualTo(maxClock(observed.get(s)));
    }

    long maxClock(Set<Dot> dots) {
      long max = 0;
      for (Dot d : dots) max = Math.max(max, writes.get(d).clock());
      return max;
    }

    static long maxSeq(Set<Dot> dots, long origin) {
      long max = 0;
      for (Dot d : dots) if (d.origin() == origin) max = Math.max(max, d.seq());
      return max;
    }

    static VersionVector vectorOf(Set<Dot> dots) {
      TreeMap<Long, Long> max = new TreeMap<>();
      for (Dot d : dots) max.merge(d.origin(), d.seq(), Math::max);
      VersionVector v = new VersionVector();
      max.forEach(v::raise);
      return v;
    }
  }
}
