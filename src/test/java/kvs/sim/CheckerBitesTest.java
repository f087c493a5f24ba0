package kvs.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import kvs.sim.Violation.Rule;
import org.junit.jupiter.api.AfterAll;
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
          Set.of(Rule.CONVERGENCE, Rule.LOST_WRITE, Rule.SESSION, Rule.BATCH)),
      Map.entry("ignores-closing-vector", Set.of(Rule.CONVERGENCE)),
      Map.entry("drops-remote-deletes",
          Set.of(Rule.SESSION, Rule.CONVERGENCE, Rule.LOST_WRITE, Rule.BATCH)),
      Map.entry("reply-before-log-write", Set.of(Rule.LOST_WRITE)),
      Map.entry("postpones-forever", Set.of(Rule.CONVERGENCE)),
      Map.entry("skips-origin-for-good", Set.of(Rule.CONVERGENCE)),
      Map.entry("ignores-remote-expiry", Set.of(Rule.EXPIRY)),
      Map.entry("drops-expiry-on-wire", Set.of(Rule.EXPIRY)),
      Map.entry("splits-batches", Set.of(Rule.BATCH)),
      Map.entry("counter-keeps-latest", Set.of(Rule.LOST_WRITE, Rule.SESSION)),
      Map.entry("hash-delete-is-a-tombstone", Set.of(Rule.HASH)),
      Map.entry("collects-unstable",
          Set.of(Rule.LOST_WRITE, Rule.CONVERGENCE, Rule.SESSION, Rule.BATCH)),
      Map.entry("ignores-clock-bound",
          Set.of(Rule.LOST_WRITE, Rule.CONVERGENCE, Rule.SESSION, Rule.BATCH)),
      Map.entry("set-remove-wins", Set.of(Rule.SET)),
      Map.entry("zset-score-keeps-latest", Set.of(Rule.ZSET)),
      Map.entry("hash-field-incr-keeps-latest", Set.of(Rule.HASH)),
      Map.entry("retires-without-agreement",
          Set.of(Rule.LOST_WRITE, Rule.CONVERGENCE, Rule.SESSION, Rule.BATCH)),
      Map.entry("collects-elements-unstable",
          Set.of(Rule.SET, Rule.HASH, Rule.CONVERGENCE, Rule.LOST_WRITE, Rule.SESSION)),
      Map.entry("collects-zset-elements-unstable",
          Set.of(Rule.ZSET, Rule.CONVERGENCE, Rule.LOST_WRITE, Rule.SESSION)),
      Map.entry("retires-server-without-agreement",
          Set.of(Rule.LOST_WRITE, Rule.CONVERGENCE, Rule.SESSION, Rule.BATCH, Rule.COUNTER,
              Rule.HASH, Rule.SET, Rule.ZSET)),
      Map.entry("accepts-retired-server-links", Set.of(Rule.RETIRED)),
      Map.entry("seals-unretired", Set.of(Rule.CONVERGENCE, Rule.LOST_WRITE, Rule.SESSION,
          Rule.BATCH, Rule.SET, Rule.ZSET, Rule.HASH)));

  /** docs/simulation.md holds the table of what caught each variant between these lines. */
  static final String TABLE_BEGIN = "<!-- CheckerBitesTest: variants table -->";
  static final String TABLE_END = "<!-- end of CheckerBitesTest's table -->";
  /** The row of each variant caught in this run, by name. */
  private static final Map<String, String> ROWS = new java.util.concurrent.ConcurrentHashMap<>();

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
      ROWS.put(broken.name(), "| `" + broken.name() + "` | " + ((Variants.Broken) broken).breaks
          + " | " + r.rule() + ", seed " + seed + " |");
      return;
    }
    fail(broken + " was not caught within " + SEEDS_MAX + " seeds (" + confounded
        + " seeds failed without the variant too)");
  }

  /**
   * The table in docs/simulation.md is this run's, not kept by hand: when every variant was
   * caught, the doc must hold exactly the rows this run produced. {@code -Dsim.updateDocs=true}
   * rewrites them (after a change that moves the seeds), else a stale table fails the build.
   */
  @AfterAll
  static void docsHoldThisRunsTable() throws java.io.IOException {
    if (ROWS.size() != Variants.BROKEN.size()) return; // a subset ran, or a variant failed
    StringBuilder table = new StringBuilder("| variant (`-Dsim.variant=`) | what it breaks |"
        + " caught by |\n|---|---|---|\n");
    for (Behavior b : Variants.BROKEN) table.append(ROWS.get(b.name())).append('\n');
    java.nio.file.Path doc = java.nio.file.Path.of("docs", "simulation.md");
    String text = java.nio.file.Files.readString(doc);
    int from = text.indexOf(TABLE_BEGIN);
    int to = text.indexOf(TABLE_END);
    if (from < 0 || to < from) fail(doc + " lacks the markers of the variants table");
    String current = text.substring(from + TABLE_BEGIN.length() + 1, to);
    if (current.equals(table.toString())) return;
    if (Boolean.getBoolean("sim.updateDocs")) {
      java.nio.file.Files.writeString(doc, text.substring(0, from + TABLE_BEGIN.length() + 1)
          + table + text.substring(to));
      return;
    }
    org.assertj.core.api.Assertions.assertThat(current)
        .as(doc + "'s variants table is not this run's; regenerate it with"
            + " mvn -q -o test -Dtest=CheckerBitesTest -Dsim.updateDocs=true")
        .isEqualTo(table.toString());
  }
}
