package kvs.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A checker that never fails proves nothing: each deliberately broken variant of the server or
 * client (Variants) must fail some seed within a small budget, on a seed its unbroken base passes,
 * so that what the checker caught is the variant and nothing else.
 */
class CheckerBitesTest {
  private static final int SEEDS_MAX = 2_000;

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
      System.out.println(broken + " caught at seed " + seed + " (step " + r.failedAtStep()
          + ", " + confounded + " confounded seeds skipped): " + r.failure());
      return;
    }
    fail(broken + " was not caught within " + SEEDS_MAX + " seeds (" + confounded
        + " seeds failed without the variant too)");
  }
}
