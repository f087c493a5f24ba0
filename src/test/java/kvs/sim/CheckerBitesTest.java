package kvs.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import kvs.sim.Violation.Rule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A checker that never fails proves nothing: each deliberately broken variant of the server or
 * client (Variants) must fail some seed within a small budget, on a seed its unbroken base passes,
 * so that what the checker caught is the variant and nothing else. And it must be caught by the
 * rule its defect breaks: a variant caught only by some unrelated rule would show that the rule
 * meant for it cannot fail.
 */
class CheckerBitesTest {
  private static final int SEEDS_MAX = 2_000;

  /** The rules that may catch each variant first (its defect shows there). */
  private static final Map<String, Set<Rule>> EXPECTED = Map.ofEntries(
      Map.entry("no-session-check", Set.of(Rule.SESSION)),
      Map.entry("same-incarnation-after-wipe", Set.of(Rule.DOT_REUSE)),
      Map.entry("early-vector", Set.of(Rule.SESSION, Rule.LOST_WRITE, Rule.CONVERGENCE)),
      Map.entry("write-without-client-clock", Set.of(Rule.SESSION)),
      Map.entry("same-incarnation-after-crash", Set.of(Rule.DOT_REUSE)),
      Map.entry("failed-scan-ends-silently",
          Set.of(Rule.CONVERGENCE, Rule.LOST_WRITE, Rule.SESSION)),
      Map.entry("ignores-closing-vector", Set.of(Rule.CONVERGENCE)),
      Map.entry("drops-remote-deletes", Set.of(Rule.SESSION, Rule.CONVERGENCE, Rule.LOST_WRITE)),
      Map.entry("reply-before-log-write", Set.of(Rule.LOST_WRITE)),
      Map.entry("postpones-forever", Set.of(Rule.CONVERGENCE)),
      Map.entry("skips-origin-for-good", Set.of(Rule.CONVERGENCE)));

  static Stream<Behavior> brokenVariants() {
    return Variants.BROKEN.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenVariants")
  void isCaught(Behavior broken) {
    int confounded = 0;
    for (long seed = 1; seed <= SEEDS_MAX; seed++) {
      SimResult r = Simulator.run(seed, broken, false);
      if (r.passed()) continue;
      if (!Simulator.run(seed, Variants.BASE, false).passed()) {
        confounded++; // fails without the variant too (a defect of the core): proves nothing
        continue;
      }
      System.out.println(broken + " caught by " + r.rule() + " at seed " + seed + " (step " + r.failedAtStep()
          + ", " + confounded + " confounded seeds skipped): " + r.failure());
      Set<Rule> expected = EXPECTED.get(broken.name());
      if (expected == null) fail("no expected rule listed for variant " + broken);
      if (!expected.stream().map(Rule::name).toList().contains(r.rule())) {
        fail(broken + " was caught by " + r.rule() + ", not by " + expected + ": " + r.failure());
      }
      return;
    }
    fail(broken + " was not caught within " + SEEDS_MAX + " seeds (" + confounded
        + " seeds failed without the variant too)");
  }
}
