package kvs.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

/**
 * Thousands of seeded whole-cluster simulations of the real server's behaviour (see Simulator
 * and docs/simulation.md). A failure names its seeds and a command that replays one with a trace.
 *
 * <p>System properties: {@code -Dsim.seed=S} replays one seed and prints its trace;
 * {@code -Dsim.variant=NAME} picks another behaviour (see Variants); {@code -Dsim.runs=N} and
 * {@code -Dsim.first=S} change the batch, e.g. for a soak run.
 */
class SimulationTest {
  private static final int RUNS = Integer.getInteger("sim.runs", 10_000);
  private static final long FIRST_SEED = Long.getLong("sim.first", 1);
  private static final int FAILURES_SHOWN = 10;

  @Test
  void seededRunsPass() {
    Behavior behavior = Variants.byName(System.getProperty("sim.variant", "correct"));
    String replay = System.getProperty("sim.seed");
    if (replay != null) {
      replay(Long.parseLong(replay), behavior);
      return;
    }
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    SimRunner.Batch batch = SimRunner.run(FIRST_SEED, RUNS, behavior, threads, false);
    System.out.println("simulation (" + behavior + "): " + batch.stats() + "; "
        + batch.elapsedMillis() + " ms on " + threads + " threads");
    if (!batch.failures().isEmpty()) {
      StringBuilder sb = new StringBuilder().append(batch.failures().size()).append(" of ")
          .append(RUNS).append(" seeds failed (").append(behavior).append("), lowest first:");
      batch.failures().stream().limit(FAILURES_SHOWN)
          .forEach(r -> sb.append("\n").append(r.summary()));
      fail(sb.toString());
    }
  }

  @Test
  void aSeedReplaysExactly() {
    for (long seed = 1; seed <= 30; seed++) {
      SimResult a = Simulator.run(seed, Behavior.CORRECT, false);
      SimResult b = Simulator.run(seed, Behavior.CORRECT, true);
      assertEquals(a.fingerprint(), b.fingerprint(), "seed " + seed + " fingerprint");
      assertEquals(a.failure(), b.failure(), "seed " + seed + " outcome");
      assertEquals(a.stats().toString(), b.stats().toString(), "seed " + seed + " course");
    }
  }

  /**
   * Runs with wipes collect too, once the simulated operator has retired the lost incarnations
   * (docs/simulation.md, rule 9): a change that left them out of collection again, or an operator
   * who never retires, would pass every other check of the suite.
   */
  @Test
  void runsWithWipesCollectOnceTheOperatorRetires() {
    SimStats stats = SimRunner.run(1, 100, Behavior.CORRECT, 1, false).stats();
    org.assertj.core.api.Assertions.assertThat(stats.retirements).as("retirements").isPositive();
    org.assertj.core.api.Assertions.assertThat(stats.collectedAfterRetirement)
        .as("entries collected after a wipe and a retirement").isPositive();
  }

  /**
   * The operator retires servers for good too (docs/simulation.md, rule 9), collection resumes
   * after it, and a retired server started again by mistake is refused its links: a change that
   * left these paths unexercised would pass every other check of the suite.
   */
  @Test
  void serversRetiredForGoodReleaseCollectionAndAreRefusedWhenTheyComeBack() {
    SimStats stats = SimRunner.run(1, 100, Behavior.CORRECT, 1, false).stats();
    org.assertj.core.api.Assertions.assertThat(stats.serverRetirements).as("servers retired")
        .isPositive();
    org.assertj.core.api.Assertions.assertThat(stats.collectedAfterServerRetirement)
        .as("entries collected after a server retirement").isPositive();
    org.assertj.core.api.Assertions.assertThat(stats.retiredComebacks)
        .as("retired servers started again").isPositive();
    org.assertj.core.api.Assertions.assertThat(stats.retiredLinksRefused)
        .as("links of retired servers refused").isPositive();
  }

  private static void replay(long seed, Behavior behavior) {
    SimResult r = Simulator.run(seed, behavior, true);
    System.out.println("seed " + seed + " (" + behavior + "): " + r.config());
    r.trace().forEach(System.out::println);
    System.out.println(r.stats());
    if (!r.passed()) fail(r.summary());
    System.out.println(r.summary());
  }
}
