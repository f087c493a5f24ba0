package kvs.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;
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
    for (long seed = 1; seed <= SEEDS_MAX; seed++) {
      SimResult r = Simulator.run(seed, broken, false);
      if (r.passed()) continue;
      SimResult base = Simulator.run(seed, Variants.BASE, false);
      assertTrue(base.passed(), "seed " + seed + " fails without the variant too: "
          + base.summary());
      System.out.println(broken + " caught at seed " + seed + " (step " + r.failedAtStep()
          + "): " + r.failure());
      return;
    }
    fail(broken + " was not caught within " + SEEDS_MAX + " seeds");
  }
}
