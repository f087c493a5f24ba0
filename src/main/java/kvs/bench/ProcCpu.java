package kvs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time a process has used, split into user and system time, as Linux reports it in
 * {@code /proc/PID/stat} (fields 14 and 15). The kernel counts them in USER_HZ ticks, which is
 * 100 per second on every Linux ABI the project runs on, so a figure is good to 10 ms per
 * process: the bench's runs are long enough (seconds of CPU) for that not to matter.
 */
record ProcCpu(double userMs, double systemMs) {
  /** USER_HZ: /proc counts CPU time in hundredths of a second. */
  private static final double MS_PER_TICK = 10.0;

  double totalMs() {
    return userMs + systemMs;
  }

  ProcCpu minus(ProcCpu earlier) {
    return new ProcCpu(userMs - earlier.userMs, systemMs - earlier.systemMs);
  }

  ProcCpu plus(ProcCpu other) {
    return new ProcCpu(userMs + other.userMs, systemMs + other.systemMs);
  }

  /** The same split, per operation, in microseconds. */
  ProcCpu perOpUs(long operations) {
    return new ProcCpu(userMs * 1000 / operations, systemMs * 1000 / operations);
  }

  /** The CPU time process {@code pid} (all its threads) has used so far. */
  static ProcCpu of(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    int close = stat.lastIndexOf(')');
    if (close < 0) throw new IOException("/proc/" + pid + "/stat: no command name");
    String[] f = stat.substring(close + 2).trim().split(" ");
    if (f.length < 13) throw new IOException("/proc/" + pid + "/stat: too few fields");
    // f[0] is field 3 (state), so utime (field 14) is f[11] and stime (field 15) is f[12].
    return new ProcCpu(Long.parseLong(f[11]) * MS_PER_TICK, Long.parseLong(f[12]) * MS_PER_TICK);
  }

  static boolean available() {
    return Files.isReadable(Path.of("/proc/self/stat"));
  }
}
