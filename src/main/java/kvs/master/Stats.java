package kvs.master;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Counts and times the commands of one master run for {@code --stats} (SPEC section 2): per kind
 * of command a latency histogram (HdrHistogram, in nanoseconds, 3 significant digits).
 */
final class Stats {
  private final long startNanos;
  private final Map<Command.Kind, Histogram> byKind = new EnumMap<>(Command.Kind.class);
  private final Map<Command.Kind, Long> totalNanos = new EnumMap<>(Command.Kind.class);
  private long commands;
  private long errors;

  Stats(long startNanos) {
    this.startNanos = startNanos;
  }

  /** Records one script command; {@code kind} is null for a line that did not parse. */
  void record(Command.Kind kind, long nanos, boolean failed) {
    commands++;
    if (failed) {
      errors++;
    }
    if (kind != null) {
      byKind.computeIfAbsent(kind, k -> new Histogram(3)).recordValue(Math.max(0, nanos));
      totalNanos.merge(kind, Math.max(0, nanos), Long::sum);
    }
  }

  long commands() {
    return commands;
  }

  long errors() {
    return errors;
  }

  /** The one-line JSON object of SPEC section 2. */
  String toJson(long nowNanos) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"commands\": ").append(commands)
        .append(", \"errors\": ").append(errors)
        .append(", \"seconds\": ").append(fmt((nowNanos - startNanos) / 1e9))
        .append(", \"by_command\": {");
    boolean first = true;
    for (Map.Entry<Command.Kind, Histogram> e : byKind.entrySet()) {
      Histogram h = e.getValue();
      sb.append(first ? "" : ", ").append('"').append(e.getKey().word()).append("\": {")
          .append("\"count\": ").append(h.getTotalCount())
          .append(", \"total_ms\": ").append(fmt(totalNanos.get(e.getKey()) / 1e6))
          .append(", \"p50_ms\": ").append(fmt(h.getValueAtPercentile(50) / 1e6))
          .append(", \"p99_ms\": ").append(fmt(h.getValueAtPercentile(99) / 1e6))
          .append(", \"max_ms\": ").append(fmt(h.getMaxValue() / 1e6))
          .append('}');
      first = false;
    }
    return sb.append("}}").toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
