package kvs.sim;

import java.util.List;

/**
 * The outcome of one run. {@code failure} is null when every check passed, else {@code rule}
 * names the property that broke (a {@code Violation.Rule}, or {@link #THREW}); {@code fingerprint}
 * summarizes the final state and the course of the run, so two runs of one seed can be compared.
 */
public record SimResult(long seed, String behavior, SimConfig config, String failure,
    String rule, int failedAtStep, SimStats stats, long fingerprint, List<String> trace) {
  /** The rule of a run that threw instead of breaking a checked property. */
  public static final String THREW = "THREW";


  public boolean passed() {
    return failure == null;
  }

  /** A one-line command that replays this run under the test suite, with its trace. */
  public String replayCommand() {
    return "mvn -q -o test -Dtest=SimulationTest -Dsim.seed=" + seed
        + (behavior.equals(Behavior.CORRECT.name()) ? "" : " -Dsim.variant=" + behavior);
  }

  public String summary() {
    return passed() ? "seed " + seed + " passed"
        : "seed " + seed + " (" + behavior + ") failed at step " + failedAtStep + ": " + failure
            + "\n  replay: " + replayCommand();
  }
}
