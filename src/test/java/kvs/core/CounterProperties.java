package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import kvs.core.ReplicaHarness.Node;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

/**
 * Counters (Counters, Replica.increment, Replica.deletion) against a sequential reference model,
 * with replicas that take increments, deletes and string writes of one key and exchange random,
 * possibly cut-off deltas in random order, with crashes.
 *
 * <p>The model knows nothing of per-origin totals or cancel maps: it keeps every increment as an
 * event and, for every write of the key's head, the set of increments its replica had seen when
 * it wrote it. A replica must read: for a string head, the string; for a counter head, its base
 * plus every increment the replica has seen that the head had not; for a reset (DEL) head that
 * every seen increment was known to, nothing. This is checked on the replica that ran each
 * operation, right after it (the local, sequential view), and on every replica once all have
 * exchanged everything (convergence; the merge being a per-entry maximum, the order and the
 * repetition of deltas cannot matter, and the random schedules check that it does not).
 */
class CounterProperties {
  static final int N = 3;
  static final byte[] KEY = b("counter");

  /**
   * kind: 0-4 INCRBY d, 5 INCRBYFLOAT 0.5, 6 DEL, 7 SET "7", 8 SET "x", 9-11 sync, 12 partial
   * sync, 13 restart.
   */
  record Op(int kind, int a, int b, int delta, int wallStep, int cut) {}

  record Inc(long origin, long seq, BigDecimal delta) {}

  record HeadWrite(Entry entry, Set<Inc> saw) {}

  @Provide
  Arbitrary<List<Op>> runs() {
    return Combinators.combine(Arbitraries.integers().between(0, 13),
        Arbitraries.integers().between(0, N - 1), Arbitraries.integers().between(1, N - 1),
        Arbitraries.integers().between(-5, 9), Arbitraries.integers().between(-30, 60),
        Arbitraries.integers().between(0, 9))
        .as(Op::new).list().ofMaxSize(60).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 400)
  void everyReplicaReadsTheModelsValueBeforeAndAfterExchanging(@ForAll("runs") List<Op> run) {
    List<Node> nodes = new ArrayList<>();
    long[] wall = new long[N];
    for (int i = 0; i < N; i++) {
      nodes.add(new Node(i + 1));
      wall[i] = 10_000 + 13L * i;
    }
    List<Inc> incs = new ArrayList<>();
    List<HeadWrite> heads = new ArrayList<>();
    for (Op op : run) {
      Node a = nodes.get(op.a());
      Node b = nodes.get((op.a() + op.b()) % N);
      wall[op.a()] += op.wallStep();
      long now = wall[op.a()];
      switch (op.kind()) {
        case 0, 1, 2, 3, 4, 5 -> {
          String shown = read(a.replica, now);
          if (shown != null && Counters.parse(b(shown)) == null) break; // INCR refuses "x"
          BigDecimal d = op.kind() == 5 ? new BigDecimal("0.5") : BigDecimal.valueOf(op.delta());
          Set<Inc> saw = seen(a.replica, incs);
          Replica.Increment done = a.replica.increment(new SessionToken(), KEY, d, now);
          Entry own = done.written().get(done.written().size() - 1);
          incs.add(new Inc(own.origin(), own.seq(), d));
          if (done.written().size() == 2) heads.add(new HeadWrite(done.written().get(0), saw));
          BigDecimal before = shown == null ? BigDecimal.ZERO : Counters.parse(b(shown));
          assertThat(done.value()).as("INCR answers the value before plus the increment")
              .isEqualByComparingTo(before.add(d));
        }
        case 6 -> {
          Set<Inc> saw = seen(a.replica, incs);
          Replica.Deletion deletion = a.replica.deletion(KEY);
          Entry e = a.replica.write(new SessionToken(), List.of(KEY),
              java.util.Collections.singletonList(deletion.value()),
              new byte[] {deletion.kind()}, null, now).get(0);
          heads.add(new HeadWrite(e, saw));
        }
        case 7, 8 -> {
          Entry e = a.replica.put(new SessionToken(), KEY, b(op.kind() == 7 ? "7" : "x"), now);
          heads.add(new HeadWrite(e, Set.of()));
        }
        case 9, 10, 11 -> ReplicaHarness.sync(a.replica, b.replica, 1 + op.cut() * 40);
        case 12 -> {
          List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 60);
          ReplicaHarness.applyAll(b.replica, chunks.subList(0, op.cut() % chunks.size()));
        }
        default -> a.restart();
      }
      assertThat(read(a.replica, now)).as("after %s on replica %d", op, op.a())
          .isEqualTo(expected(a.replica, incs, heads));
    }

    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);
    String first = read(replicas.get(0), Long.MAX_VALUE / 4);
    BigDecimal all = incs.stream().map(Inc::delta).reduce(BigDecimal.ZERO, BigDecimal::add);
    if (heads.isEmpty() && !incs.isEmpty()) {
      assertThat(new BigDecimal(first)).as("no lost increment").isEqualByComparingTo(all);
    }
    for (Replica r : replicas) {
      assertThat(r.digest()).isEqualTo(replicas.get(0).digest());
      assertThat(live(r)).isEqualTo(live(replicas.get(0)));
      assertThat(read(r, Long.MAX_VALUE / 4)).isEqualTo(first)
          .isEqualTo(expected(r, incs, heads));
    }
  }

  /** Concurrent increments on every replica, exchanged in any order, sum up exactly. */
  @Property(tries = 200)
  void concurrentIncrementsAllCount(@ForAll("runs") List<Op> run) {
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < N; i++) nodes.add(new Node(i + 1));
    long wall = 5_000;
    long sum = 0;
    for (Op op : run) {
      wall += op.wallStep();
      Node a = nodes.get(op.a());
      if (op.kind() < 9) {
        a.replica.increment(new SessionToken(), KEY, BigDecimal.valueOf(op.delta()), wall);
        sum += op.delta();
      } else if (op.kind() < 12) {
        ReplicaHarness.sync(a.replica, nodes.get((op.a() + op.b()) % N).replica);
      } else if (op.kind() == 13) {
        a.restart();
      }
    }
    List<Replica> replicas = nodes.stream().map(n -> n.replica).toList();
    ReplicaHarness.exchangeUntilQuiet(replicas);
    for (Replica r : replicas) {
      String v = read(r, wall);
      if (run.stream().anyMatch(o -> o.kind() < 9)) {
        assertThat(v).isEqualTo(Long.toString(sum));
      } else {
        assertThat(v).isNull();
      }
    }
  }

  /** The key's value as a read on {@code r} shows it, or null. */
  static String read(Replica r, long wall) {
    Replica.ReadResult res = r.read(new SessionToken(), KEY, wall);
    return res.status() == Replica.ReadStatus.FOUND ? s(res.entry().value()) : null;
  }

  /** The increments {@code r} holds: those whose origin's stored contribution is that recent. */
  static Set<Inc> seen(Replica r, List<Inc> incs) {
    Set<Inc> out = new HashSet<>();
    for (Inc i : incs) {
      Entry own = r.peek(Elements.counterKey(KEY, i.origin()));
      if (own != null && own.seq() >= i.seq()) out.add(i);
    }
    return out;
  }

  /** What the model says {@code r} must read. */
  static String expected(Replica r, List<Inc> incs, List<HeadWrite> heads) {
    Entry head = r.peek(KEY);
    if (head == null || head.isTombstone()) return null;
    HeadWrite w = heads.stream().filter(h -> h.entry().sameDot(head)).findFirst().orElseThrow();
    assertThat(w.entry()).isEqualTo(head);
    if (head.kind() == Entry.KIND_STRING) return s(head.value());
    Counters.Head h = Counters.Head.decode(head.value());
    BigDecimal v = h.base();
    boolean any = false;
    for (Inc i : seen(r, incs)) {
      if (!w.saw().contains(i)) {
        v = v.add(i.delta());
        any = true;
      }
    }
    if (h.reset() && !any) return null;
    return s(Counters.format(v));
  }

  @Property(tries = 200)
  void numbersRoundTripThroughTheirText(@ForAll long n) {
    BigDecimal v = BigDecimal.valueOf(n);
    assertThat(Counters.parse(Counters.format(v))).isEqualByComparingTo(v);
    assertThat(s(Counters.format(v))).isEqualTo(Long.toString(n));
  }

  @Property(tries = 100)
  void headsRoundTrip(@ForAll("runs") List<Op> run) {
    java.util.SortedMap<Long, Counters.Cancel> cancelled = new java.util.TreeMap<>();
    for (Op op : run) {
      cancelled.put((long) op.a() * 1000 + op.cut(),
          new Counters.Cancel(op.wallStep() + 100, BigDecimal.valueOf(op.delta(), op.b())));
    }
    Counters.Head h = new Counters.Head(run.size() % 2 == 0, new BigDecimal("-1.25"), cancelled);
    Counters.Head back = Counters.Head.decode(h.encode());
    assertThat(back.reset()).isEqualTo(h.reset());
    assertThat(back.base()).isEqualByComparingTo(h.base());
    assertThat(back.cancelled().keySet()).isEqualTo(h.cancelled().keySet());
    assertThat(Arrays.equals(back.encode(), h.encode())).isTrue();
    byte[] bytes = h.encode();
    for (int cut = 0; cut < bytes.length; cut++) {
      byte[] truncated = Arrays.copyOf(bytes, cut);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Counters.Head.decode(truncated))
          .isInstanceOf(CorruptDataException.class);
    }
  }
}
