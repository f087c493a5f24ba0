package kvs.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs many seeds ({@code firstSeed}, {@code firstSeed + 1}, ...) on a few threads. Each run is
 * independent and single-threaded, so the threads change only how fast the batch finishes, never
 * what any seed does; failures come back sorted by seed.
 */
public final class SimRunner {
  private SimRunner() {}

  /** What a batch did: the summed counters and every failed run, lowest seed first. */
  public record Batch(SimStats stats, List<SimResult> failures, long elapsedMillis) {}

  public static Batch run(long firstSeed, long runs, Behavior behavior, int threads,
      boolean stopAtFirstFailure) {
    if (runs < 0) throw new IllegalArgumentException("runs must be >= 0, got " + runs);
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    long start = System.nanoTime();
    AtomicLong next = new AtomicLong();
    AtomicLong lowestFailedIndex = new AtomicLong(Long.MAX_VALUE);
    SimStats total = new SimStats();
    List<SimResult> failures = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        SimStats mine = new SimStats();
        List<SimResult> myFailures = new ArrayList<>();
        for (long i = next.getAndIncrement(); i < runs; i = next.getAndIncrement()) {
          // Once a failure is known, finish only the lower seeds, so the lowest one is reported.
          if (stopAtFirstFailure && i > lowestFailedIndex.get()) break;
          SimResult r = Simulator.run(firstSeed + i, behavior, false);
          mine.add(r.stats());
          if (!r.passed()) {
            myFailures.add(r);
            lowestFailedIndex.accumulateAndGet(i, Math::min);
          }
        }
        synchronized (total) {
          total.add(mine);
          failures.addAll(myFailures);
        }
      }, "sim-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      try {
        w.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for simulation threads", e);
      }
    }
    failures.sort(Comparator.comparingLong(SimResult::seed));
    return new Batch(total, failures, (System.nanoTime() - start) / 1_000_000);
  }
}
