package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The hybrid clock must issue strictly increasing values whatever the wall clock does (stand
 * still, go backwards, jump far ahead, be negative), and every issued value must be above the
 * caller's floor and above everything the clock has observed.
 */
class HlcProperties {
  /** Clocks beyond this are not reachable from a wall clock before the year 10,000 or so. */
  static final long CLOCK_MAX = 1L << 62;

  /** One step of a clock's life: a tick with a wall reading and floor, or an observation. */
  record Step(boolean observe, long wallMillis, long value) {}

  @Provide
  Arbitrary<List<Step>> lives() {
    Arbitrary<Long> wall = Arbitraries.oneOf(
        Arbitraries.longs().between(0, 5),                       // stuck near the epoch
        Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_000_020L), // realistic, jittery
        Arbitraries.longs().between(-1_000_000L, -1),            // negative readings
        Arbitraries.longs().between(0, (1L << 46)),              // anywhere, incl. far jumps
        Arbitraries.just(Long.MIN_VALUE));
    Arbitrary<Long> value = Arbitraries.oneOf(
        Arbitraries.just(0L),
        Arbitraries.longs().between(0, 1L << 20),
        Arbitraries.longs().between(1_700_000_000_000L << 16, (1_700_000_000_100L << 16)),
        Arbitraries.longs().between(0, CLOCK_MAX));
    Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 3), wall, value)
        .as((kind, w, v) -> new Step(kind == 0, w, kind == 1 ? 0 : v));
    return step.list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 2000)
  void ticksAreStrictlyIncreasingAndAboveEverythingSeen(
      @ForAll("lives") List<Step> life, @ForAll @LongRange(min = 0, max = 1L << 50) long recovered) {
    Hlc hlc = new Hlc(recovered);
    long highestSeen = recovered; // issued or observed
    long lastIssued = Long.MIN_VALUE;
    for (Step s : life) {
      if (s.observe()) {
        hlc.observe(s.value());
        highestSeen = Math.max(highestSeen, s.value());
        assertThat(hlc.current()).isEqualTo(highestSeen);
        continue;
      }
      long t = hlc.tick(s.wallMillis(), s.value());
      assertThat(t).as("strictly above the previous tick").isGreaterThan(lastIssued);
      assertThat(t).as("strictly above everything issued or observed").isGreaterThan(highestSeen);
      assertThat(t).as("strictly above atLeastAbove").isGreaterThan(s.value());
      if (s.wallMillis() >= 0) {
        assertThat(Hlc.physicalMillis(t)).as("never behind the wall clock")
            .isGreaterThanOrEqualTo(s.wallMillis());
      }
      assertThat(hlc.current()).isEqualTo(t);
      lastIssued = t;
      highestSeen = t;
    }
  }

  @Property
  void aClockRecoveredFromAValueIssuesAboveIt(
      @ForAll @LongRange(min = 0, max = CLOCK_MAX) long recovered,
      @ForAll @LongRange(min = -5, max = 1L << 40) long wall) {
    assertThat(new Hlc(recovered).tick(wall, 0)).isGreaterThan(recovered);
  }

  @Property
  void physicalPartIsTheWallClockWhenItLeads(
      @ForAll @LongRange(min = 1, max = 1L << 46) long wall,
      @ForAll @IntRange(min = 0, max = 2000) int stuckTicks) {
    Hlc hlc = new Hlc(0);
    long t = hlc.tick(wall, 0);
    assertThat(t).isEqualTo(wall << 16);
    assertThat(Hlc.physicalMillis(t)).isEqualTo(wall);
    // the wall clock standing still: the logical counter counts up, physical part stays
    for (int i = 1; i <= stuckTicks; i++) {
      assertThat(hlc.tick(wall, 0)).isEqualTo((wall << 16) + i);
    }
  }

  @Example
  void backwardsWallClockKeepsCountingFromTheHighestValue() {
    Hlc hlc = new Hlc(0);
    long t1 = hlc.tick(1_000, 0);
    long t2 = hlc.tick(10, 0); // wall clock went back 990 ms
    long t3 = hlc.tick(-50, 0);
    assertThat(t1).isEqualTo(1_000L << 16);
    assertThat(t2).isEqualTo(t1 + 1);
    assertThat(t3).isEqualTo(t1 + 2);
    long t4 = hlc.tick(2_000, 0); // and jumped ahead again
    assertThat(t4).isEqualTo(2_000L << 16);
  }

  @Example
  void observedTimestampsAndFloorsPushTheClock() {
    Hlc hlc = new Hlc(0);
    hlc.observe(5_000L << 16);
    assertThat(hlc.tick(1_000, 0)).isEqualTo((5_000L << 16) + 1);
    hlc.observe(3); // lower observations change nothing
    assertThat(hlc.current()).isEqualTo((5_000L << 16) + 1);
    assertThat(hlc.tick(1_000, 9_000L << 16)).isEqualTo((9_000L << 16) + 1);
  }

  /**
   * The clock's contract is "strictly above everything issued or observed, whatever the inputs".
   * An observed clock of {@code Long.MAX_VALUE - 1} (a peer's entry, or a client's session token:
   * both decoders accept any non-negative clock) makes the next tick {@code Long.MAX_VALUE} and the
   * one after that overflow to a value far below it. The clock must refuse (throw) rather than go
   * backwards silently.
   */
  @Example
  void nearTheCeilingTheClockNeverGoesBackwardsSilently() {
    Hlc hlc = new Hlc(0);
    hlc.observe(Long.MAX_VALUE - 1);
    long t1 = hlc.tick(1_000, 0);
    assertThat(t1).isEqualTo(Long.MAX_VALUE);
    long t2;
    try {
      t2 = hlc.tick(1_000, 0);
    } catch (RuntimeException refused) {
      return; // refusing is acceptable; returning a smaller value is not
    }
    assertThat(t2).as("tick after issuing Long.MAX_VALUE").isGreaterThan(t1);
  }

  /** No long is above {@code Long.MAX_VALUE}: the only correct answer is to refuse. */
  @Example
  void aFloorAtTheCeilingIsRefusedNotUndercut() {
    Hlc hlc = new Hlc(0);
    assertThatThrownBy(() -> hlc.tick(1_000, Long.MAX_VALUE))
        .as("tick(1000, Long.MAX_VALUE) returned a value below the floor instead of refusing")
        .isInstanceOf(RuntimeException.class);
  }
}
