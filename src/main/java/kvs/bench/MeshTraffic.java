package kvs.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bytes the servers send each other, read from the kernel's per-socket counters ({@code ss -tinp}:
 * {@code bytes_sent}, {@code data_segs_out}). A socket counts when a server process owns it and
 * its peer address is another socket owned by a server: a peer link, not a client or admin
 * connection. Each direction of a link is counted once, by its sender. Payload bytes only: TCP
 * and IP headers are not in {@code bytes_sent}.
 */
final class MeshTraffic {
  private static final Pattern ADDRS = Pattern.compile("^(?:[A-Z][A-Z-]*\\s+)?\\d+\\s+\\d+\\s+(\\S+)\\s+(\\S+)");
  private static final Pattern PID = Pattern.compile("pid=(\\d+)");
  private static final Pattern BYTES_SENT = Pattern.compile("\\bbytes_sent:(\\d+)");
  private static final Pattern SEGS = Pattern.compile("\\bdata_segs_out:(\\d+)");

  /** One socket's counters. */
  record Socket(String local, String peer, long pid, long bytesSent, long segsOut) {}

  /** What the links carried between two snapshots. */
  record Traffic(long bytes, long segments, long bytesOnOriginLinks, long bytesOnOtherLinks) {}

  private MeshTraffic() {}

  static boolean available() {
    return RedisTools.which("ss") != null;
  }

  /** The peer-link sockets of the processes {@code pids}, keyed by local and peer address. */
  static Map<String, Socket> snapshot(Set<Long> pids) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ss", "-tinpH", "state", "established")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    Map<String, Socket> all = new HashMap<>();
    String[] lines = out.split("\n");
    for (int i = 0; i < lines.length; i++) {
      Matcher a = ADDRS.matcher(lines[i]);
      if (!a.find()) continue;
      Matcher pid = PID.matcher(lines[i]);
      String stats = i + 1 < lines.length && lines[i + 1].startsWith("\t") ? lines[++i] : "";
      if (!pid.find() || !pids.contains(Long.parseLong(pid.group(1)))) continue;
      Socket s = new Socket(a.group(1), a.group(2), Long.parseLong(pid.group(1)),
          find(BYTES_SENT, stats), find(SEGS, stats));
      all.put(s.local() + ">" + s.peer(), s);
    }
    Set<String> locals = new HashSet<>();
    for (Socket s : all.values()) locals.add(s.local());
    all.values().removeIf(s -> !locals.contains(s.peer()));
    return all;
  }

  private static long find(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /**
   * The difference between two snapshots; a link counts as an origin link when the process
   * {@code originPid} owns either end of it.
   */
  static Traffic diff(Map<String, Socket> before, Map<String, Socket> after, long originPid) {
    Map<String, Long> pidByLocal = new HashMap<>();
    for (Socket s : after.values()) pidByLocal.put(s.local(), s.pid());
    long bytes = 0;
    long segs = 0;
    long origin = 0;
    long other = 0;
    for (Map.Entry<String, Socket> e : after.entrySet()) {
      Socket a = e.getValue();
      Socket b = before.get(e.getKey());
      long db = a.bytesSent() - (b == null ? 0 : b.bytesSent());
      long ds = a.segsOut() - (b == null ? 0 : b.segsOut());
      bytes += db;
      segs += ds;
      boolean touchesOrigin = a.pid() == originPid
          || Long.valueOf(originPid).equals(pidByLocal.get(a.peer()));
      if (touchesOrigin) {
        origin += db;
      } else {
        other += db;
      }
    }
    return new Traffic(bytes, segs, origin, other);
  }
}
