package kvs.sim;

import java.util.SplittableRandom;

/**
 * The shape of one simulated run, drawn from its seed ("swarm testing", Groce et al. 2012): each
 * run gets its own cluster size, key space, chunk size and mix of fault rates, some fault kinds
 * switched off entirely, so that across many seeds both gentle and hostile schedules occur.
 *
 * <p>Rates are per mille per step unless named otherwise (storage faults are per commit and per
 * log scan; power cuts are a percentage of crashes). Times are simulated milliseconds.
 */
public record SimConfig(
    int servers,
    int clients,
    int keys,
    int faultSteps,
    int healStepsMax,
    int stepMsMax,
    int delayMsMax,
    int chunkBytesMax,
    int windowChunks,
    int valueBytesMax,
    int opPercent,
    int movePercent,
    int replyLossPercent,
    int partitionPermille,
    int oneWayPercent,
    int healPermille,
    int dropPermille,
    int crashPermille,
    int downStepsMax,
    int wipePercent,
    int clockJumpPermille,
    int clockJumpMsMax,
    int stallTimeoutMs,
    int redialMsMax,
    int commitFailPermille,
    int scanFailPermille,
    int powerCutPercent,
    int writeBackPercent) {

  /** Upper bound on heal steps: enough for a stalled link to time out and every delta to flow. */
  static final int HEAL_STEPS_MAX = 600;

  static SimConfig draw(SplittableRandom r) {
    int servers = 2 + r.nextInt(4); // 2..5
    int stepMsMax = 1 + r.nextInt(20);
    return new SimConfig(
        servers,
        1 + r.nextInt(4),
        1 + r.nextInt(8),
        150 + r.nextInt(251),
        HEAL_STEPS_MAX,
        stepMsMax,
        r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(60),
        // Small chunks make multi-chunk deltas, the case the closing vector exists for.
        r.nextBoolean() ? 1 + r.nextInt(64) : 64 + r.nextInt(1024),
        1 + r.nextInt(6),
        r.nextInt(4) == 0 ? 200 : 24,
        20 + r.nextInt(61),
        r.nextInt(30),
        r.nextInt(3) == 0 ? 0 : r.nextInt(6),
        enabled(r, 60),
        r.nextInt(101),
        enabled(r, 80),
        enabled(r, 40),
        enabled(r, 20),
        5 + r.nextInt(80),
        r.nextInt(3) == 0 ? 0 : r.nextInt(60),
        enabled(r, 30),
        1 + r.nextInt(10_000),
        100 + r.nextInt(900),
        1 + r.nextInt(200),
        // Storage faults, drawn last so that the draws above stay those of earlier versions.
        r.nextInt(3) == 0 ? 0 : r.nextInt(8), // per commit
        r.nextInt(3) == 0 ? 0 : r.nextInt(20), // per log scan
        r.nextInt(4) == 0 ? 0 : r.nextInt(101), // crashes that are power cuts
        1 + r.nextInt(50)); // steps in which the operating system writes back
  }

  /** A rate that is switched off in a quarter of the runs, else up to {@code max} per mille. */
  private static int enabled(SplittableRandom r, int max) {
    return r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(max);
  }
}
