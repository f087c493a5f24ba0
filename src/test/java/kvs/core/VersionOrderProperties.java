package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Last-writer-wins order {@code (clock, origin)}: a strict total order on versions that every
 * server computes identically, so replicas that saw the same writes pick the same winner.
 */
class VersionOrderProperties {
  /** A naive reference: lexicographic on (clock, origin). */
  static final Comparator<Entry> REFERENCE =
      Comparator.comparingLong(Entry::clock).thenComparingLong(Entry::origin);

  @Provide
  Arbitrary<Entry> entries() {
    // small ranges so that equal clocks, equal origins and equal versions are common
    Arbitrary<Long> clock = Arbitraries.oneOf(
        Arbitraries.longs().between(0, 4), Arbitraries.longs().between(0, Long.MAX_VALUE));
    Arbitrary<Long> origin = Arbitraries.oneOf(
        Arbitraries.of(Origins.of(0, 0), Origins.of(0, -1), Origins.of(1, 7), Origins.of(2, 0),
            Origins.of(Integer.MAX_VALUE, -1)),
        Arbitraries.longs().between(0, Long.MAX_VALUE));
    Arbitrary<Long> seq = Arbitraries.longs().between(1, 3);
    Arbitrary<byte[]> value = Arbitraries.of(new byte[] {1}, new byte[] {2}).injectNull(0.2);
    return Combinators.combine(clock, origin, seq, value)
        .as((c, o, s, v) -> new Entry(new byte[] {'k'}, v, c, o, s));
  }

  static int cmp(Entry a, Entry b) {
    return Integer.signum(Entry.compareVersions(a.clock(), a.origin(), b.clock(), b.origin()));
  }

  @Property(tries = 2000)
  void agreesWithTheReferenceOrder(@ForAll("entries") Entry a, @ForAll("entries") Entry b) {
    assertThat(cmp(a, b)).isEqualTo(Integer.signum(REFERENCE.compare(a, b)));
  }

  @Property(tries = 2000)
  void antisymmetricAndTotal(@ForAll("entries") Entry a, @ForAll("entries") Entry b) {
    assertThat(cmp(a, b)).isEqualTo(-cmp(b, a));
    boolean sameVersion = a.clock() == b.clock() && a.origin() == b.origin();
    assertThat(cmp(a, b) == 0).isEqualTo(sameVersion);
    // exactly one of: a wins, b wins, same version
    int winners = (a.supersedes(b) ? 1 : 0) + (b.supersedes(a) ? 1 : 0) + (sameVersion ? 1 : 0);
    assertThat(winners).isEqualTo(1);
    assertThat(a.supersedes(b)).isEqualTo(cmp(a, b) > 0);
  }

  @Property(tries = 2000)
  void transitive(
      @ForAll("entries") Entry a, @ForAll("entries") Entry b, @ForAll("entries") Entry c) {
    if (cmp(a, b) <= 0 && cmp(b, c) <= 0) assertThat(cmp(a, c)).isLessThanOrEqualTo(0);
    if (a.supersedes(b) && b.supersedes(c)) assertThat(a.supersedes(c)).isTrue();
  }

  @Property
  void supersedesIsIrreflexiveAndBeatsAbsence(@ForAll("entries") Entry a) {
    assertThat(a.supersedes(a)).isFalse();
    assertThat(a.supersedes(null)).isTrue();
    assertThat(a.sameDot(a)).isTrue();
    assertThat(a.sameDot(null)).isFalse();
  }

  /**
   * Every "server" folds the writes it received, in its own arrival order, with supersedes; all
   * of them must end with the same winner, the reference maximum.
   */
  @Property(tries = 500)
  void everyArrivalOrderPicksTheSameWinner(
      @ForAll @Size(max = 12) List<@From("entries") Entry> writes, @ForAll long seed) {
    if (writes.isEmpty()) return;
    // distinct versions, as the protocol guarantees (an origin's clock strictly increases)
    List<Entry> distinct = new ArrayList<>();
    for (Entry w : writes) {
      if (distinct.stream().noneMatch(d -> cmp(d, w) == 0)) distinct.add(w);
    }
    Entry expected = Collections.max(distinct, REFERENCE);
    Random random = new Random(seed);
    for (int server = 0; server < 5; server++) {
      List<Entry> arrival = new ArrayList<>(distinct);
      Collections.shuffle(arrival, random);
      Entry current = null;
      for (Entry e : arrival) {
        if (e.supersedes(current)) current = e;
      }
      assertThat(current).as("winner on server %d", server).isEqualTo(expected);
    }
  }

  @Example
  void clockDecidesFirstThenOrigin() {
    long low = Origins.of(1, 0);
    long high = Origins.of(2, 0);
    assertThat(Entry.compareVersions(10, high, 11, low)).isNegative();
    assertThat(Entry.compareVersions(11, low, 11, high)).isNegative();
    assertThat(Entry.compareVersions(11, high, 11, high)).isZero();
    // an incarnation with its top bit set still orders as a larger origin of the same server
    assertThat(Entry.compareVersions(5, Origins.of(1, -1), 5, Origins.of(1, 1))).isPositive();
  }

  @Example
  void equalityAndFingerprintFollowContentNotIdentity() {
    Entry a = Entry.write(new byte[] {1, 2}, new byte[] {3}, 7, Origins.of(1, 1), 4);
    Entry b = Entry.write(new byte[] {1, 2}, new byte[] {3}, 7, Origins.of(1, 1), 4);
    Entry tomb = Entry.tombstone(new byte[] {1, 2}, 7, Origins.of(1, 1), 4);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
    assertThat(a).isNotEqualTo(tomb);
    assertThat(a.fingerprint()).isNotEqualTo(tomb.fingerprint());
    assertThat(tomb.isTombstone()).isTrue();
    assertThat(a.isTombstone()).isFalse();
  }
}
