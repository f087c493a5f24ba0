package kvs.cli;

import java.util.concurrent.Callable;
import kvs.sim.Behavior;
import kvs.sim.SimResult;
import kvs.sim.SimRunner;
import kvs.sim.Simulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "sim",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the deterministic whole-cluster simulation of the protocol core (docs/simulation.md).",
      "",
      "Seeds S, S+1, ... each drive one simulated cluster through faults, healing and the",
      "checker. Use it for soak runs beyond the test suite's 10,000 seeds, and to replay one",
      "seed with its trace (--runs 1 --trace). Exits 1 when any seed fails."
    })
public final class SimCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--seed", description = "First seed (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--runs", description = "Number of seeds to run (default: ${DEFAULT-VALUE}).")
  long runs = 10_000;

  @Option(names = "--threads",
      description = "Worker threads; each run stays single-threaded (default: all cores).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--trace", description = "With --runs 1: print the run's event trace.")
  boolean trace;

  @Option(names = "--failures-shown", description = "Failures to print (default: ${DEFAULT-VALUE}).")
  int failuresShown = 10;

  @Override
  public Integer call() {
    if (runs < 1) throw bad("--runs must be >= 1, got " + runs);
    if (threads < 1) throw bad("--threads must be >= 1, got " + threads);
    if (failuresShown < 0) throw bad("--failures-shown must be >= 0, got " + failuresShown);
    if (trace) {
      if (runs != 1) throw bad("--trace needs --runs 1, got " + runs);
      SimResult r = Simulator.run(seed, Behavior.CORRECT, true);
      System.out.println("seed " + seed + ": " + r.config());
      r.trace().forEach(System.out::println);
      System.out.println(r.stats());
      System.out.println(r.summary());
      return r.passed() ? 0 : 1;
    }
    SimRunner.Batch batch = SimRunner.run(seed, runs, Behavior.CORRECT, threads, false);
    System.out.println("seeds " + seed + ".." + (seed + runs - 1) + ": " + batch.stats());
    System.out.println(batch.failures().size() + " failed, " + batch.elapsedMillis() + " ms on "
        + threads + " thread(s)");
    batch.failures().stream().limit(failuresShown).forEach(r -> System.out.println(r.summary()
        + "\n  or:     ./kvs sim --seed " + r.seed() + " --runs 1 --trace"));
    return batch.failures().isEmpty() ? 0 : 1;
  }

  /** A bad option value: picocli's usage error (status 2), not a stack trace. */
  private ParameterException bad(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
