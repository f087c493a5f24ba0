package kvs.sim;

/**
 * One server's wall clock as the simulation sees it (after tigerbeetle's src/testing/time.zig):
 * it runs at its own rate (drift), and the fault injector makes it jump forward or backward, the
 * way NTP steps and VM migrations do. The replica never reads it; the simulated server passes
 * {@link #read} into {@code Replica.write} exactly where the real server passes its clock.
 */
final class SimClock {
  private long wallMillis;
  private long lastNowMillis;
  private int ratePermille;
  private long remainder;

  SimClock(long startWallMillis, int ratePermille) {
    this.wallMillis = startWallMillis;
    this.ratePermille = ratePermille;
  }

  /** The wall clock at simulated time {@code nowMillis} (never before the previous call's). */
  long read(long nowMillis) {
    long scaled = (nowMillis - lastNowMillis) * ratePermille + remainder;
    wallMillis += scaled / 1000;
    remainder = scaled % 1000;
    lastNowMillis = nowMillis;
    return wallMillis;
  }

  /** Steps the clock by {@code deltaMillis}, possibly backwards (never below zero). */
  void jump(long nowMillis, long deltaMillis) {
    read(nowMillis);
    wallMillis = Math.max(0, wallMillis + deltaMillis);
  }

  /** From now on the clock advances {@code ratePermille}/1000 ms per simulated ms. */
  void setRate(long nowMillis, int ratePermille) {
    read(nowMillis);
    this.ratePermille = ratePermille;
  }
}
