package kvs.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import kvs.core.VersionVector;
import kvs.net.Limits;
import kvs.net.Resp;

/**
 * INFO [section ...], with the sections and fields Redis monitoring reads (redis-cli --stat,
 * exporters): Server, Clients, Memory, Persistence, Stats, Replication, CPU, Keyspace. Fields
 * this server has no meaning for are left out rather than invented; kvs's own are prefixed
 * {@code kvs_}.
 *
 * <p>The Keyspace section reads the key counts the replica keeps with its metadata, as DBSIZE:
 * constant time.
 */
final class ServerInfo {
  /** A random run id per process, as Redis's run_id. */
  private static final String RUN_ID = runId();
  private static long peakMemory;

  private ServerInfo() {}

  private static String runId() {
    StringBuilder sb = new StringBuilder();
    java.security.SecureRandom r = new java.security.SecureRandom();
    for (int i = 0; i < 40; i++) sb.append(Character.forDigit(r.nextInt(16), 16));
    return sb.toString();
  }

  /** The JVM's heap in use: what this process allocated for its data and work. */
  static long usedMemory() {
    Runtime rt = Runtime.getRuntime();
    long used = rt.totalMemory() - rt.freeMemory();
    synchronized (ServerInfo.class) {
      peakMemory = Math.max(peakMemory, used);
    }
    return used;
  }

  /** Resident memory from /proc (Linux), else the committed heap. */
  static long rssMemory() {
    try {
      String[] statm = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
      return Long.parseLong(statm[1]) * 4096;
    } catch (IOException | RuntimeException e) {
      return Runtime.getRuntime().totalMemory();
    }
  }

  /** The store's memory figures as {@code kvs_NAME:VALUE} lines (RocksDbStore.memoryStats). */
  private static String storeMemory(Node node) {
    StringBuilder b = new StringBuilder();
    b.append("kvs_heap_committed:").append(Runtime.getRuntime().totalMemory()).append("\r\n");
    node.store.memoryStats().forEach((k, v) -> b.append("kvs_").append(k).append(':').append(v)
        .append("\r\n"));
    return b.toString();
  }

  /** Redis's human form: 1.50M, 812.00K, 12B. */
  static String human(long bytes) {
    if (bytes < 1024) return bytes + "B";
    String[] units = {"K", "M", "G", "T", "P"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.2f%s", v, units[u]);
  }

  /** Process CPU seconds, {user, system}: /proc/self/stat on Linux, else all as user. */
  static double[] cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // Fields 14 and 15 of stat(5), counted from the state field (3): utime, stime, in ticks.
      return new double[] {Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0};
    } catch (IOException | RuntimeException e) {
      java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
        return new double[] {sun.getProcessCpuTime() / 1e9, 0};
      }
      return new double[] {0, 0};
    }
  }

  static String info(ConnectionHandler c, byte[][] a) {
    Set<String> wanted = new LinkedHashSet<>();
    for (int i = 1; i < a.length; i++) wanted.add(Resp.ascii(a[i]).toLowerCase(Locale.ROOT));
    boolean all = wanted.isEmpty() || wanted.contains("default") || wanted.contains("all")
        || wanted.contains("everything");
    Node node = c.node;
    ServerStats stats = node.stats;
    Map<String, String> sections = new LinkedHashMap<>();
    long uptime = stats.uptimeSeconds();
    java.time.Instant now = java.time.Instant.now();
    sections.put("server", "redis_version:" + RedisCompat.VERSION + "\r\n"
        + "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
        + "redis_mode:standalone\r\nos:" + System.getProperty("os.name") + " "
        + System.getProperty("os.version") + " " + System.getProperty("os.arch") + "\r\n"
        + "arch_bits:64\r\n"
        + "process_id:" + ProcessHandle.current().pid() + "\r\n"
        + "run_id:" + RUN_ID + "\r\n"
        + "tcp_port:" + node.port() + "\r\n"
        + "server_time_usec:" + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000)
        + "\r\n"
        + "uptime_in_seconds:" + uptime + "\r\nuptime_in_days:" + uptime / 86_400 + "\r\n"
        + "hz:10\r\nconfigured_hz:10\r\n"
        + "kvs_version:0.1.0\r\nkvs_server_id:" + node.config.id() + "\r\n");
    Limits limits = node.config.limits();
    sections.put("clients", "connected_clients:" + node.clients.connected + "\r\n"
        + "cluster_connections:0\r\n"
        + "maxclients:" + limits.maxClients() + "\r\n"
        + "blocked_clients:0\r\ntracking_clients:0\r\n");
    long used = usedMemory();
    long rss = rssMemory();
    long peak;
    synchronized (ServerInfo.class) {
      peak = peakMemory;
    }
    sections.put("memory", "used_memory:" + used + "\r\n"
        + "used_memory_human:" + human(used) + "\r\n"
        + "used_memory_rss:" + rss + "\r\n"
        + "used_memory_rss_human:" + human(rss) + "\r\n"
        + "used_memory_peak:" + peak + "\r\n"
        + "used_memory_peak_human:" + human(peak) + "\r\n"
        + "maxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\n"
        + "mem_fragmentation_ratio:"
        + String.format(Locale.ROOT, "%.2f", used == 0 ? 0.0 : (double) rss / used) + "\r\n"
        + "mem_allocator:jvm\r\n" + storeMemory(node));
    sections.put("persistence", "loading:0\r\nkvs_storage:rocksdb\r\nkvs_fsync:"
        + (node.config.fsync() ? 1 : 0) + "\r\n");
    sections.put("stats", "total_connections_received:" + stats.connectionsReceived + "\r\n"
        + "total_commands_processed:" + stats.commandsProcessed + "\r\n"
        + "instantaneous_ops_per_sec:" + stats.instantaneousOpsPerSec() + "\r\n"
        + "rejected_connections:" + node.clients.rejected + "\r\n"
        + "expired_keys:0\r\nevicted_keys:0\r\n"
        + "client_output_buffer_limit_disconnections:"
        + node.clients.outputBufferLimitDisconnections + "\r\n");
    sections.put("replication", replication(node));
    double[] cpu = cpuSeconds();
    sections.put("cpu", String.format(Locale.ROOT, "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n"
        + "used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n", cpu[1], cpu[0]));
    sections.put("collection", node.collector.info());
    long keys = node.replica.keyCount();
    sections.put("keyspace", keys > 0 ? "db0:keys=" + keys + ",expires="
        + node.replica.expiringValueCount() + ",avg_ttl=0\r\n" : "");
    StringBuilder sb = new StringBuilder();
    sections.forEach((name, body) -> {
      if (!all && !wanted.contains(name)) return;
      if (sb.length() > 0) sb.append("\r\n");
      sb.append("# ").append(name.equals("cpu") ? "CPU"
              : Character.toUpperCase(name.charAt(0)) + name.substring(1))
          .append("\r\n").append(body);
    });
    return sb.toString();
  }

  /**
   * Role master (every server takes writes), no Redis replicas; then each linked peer with how
   * many of this server's writes it is not yet known to hold ({@code kvs_peer<id>:lag_writes}).
   */
  private static String replication(Node node) {
    StringBuilder sb = new StringBuilder("role:master\r\nconnected_slaves:0\r\n");
    VersionVector mine = node.replica.vv();
    sb.append("kvs_linked_peers:").append(node.links.linkedPeers().size()).append("\r\n");
    sb.append("kvs_version_vector:").append(mine).append("\r\n");
    Map<Integer, Long> lag = new java.util.TreeMap<>();
    node.links.forEach(link -> {
      VersionVector theirs = link.peerHas();
      long behind = 0;
      for (Map.Entry<Long, Long> e : mine.asMap().entrySet()) {
        behind += Math.max(0, e.getValue() - theirs.get(e.getKey()));
      }
      lag.merge(link.peerId, behind, Math::min);
    });
    lag.forEach((id, behind) -> sb.append("kvs_peer").append(id).append(":state=linked,lag_writes=")
        .append(behind).append("\r\n"));
    return sb.toString();
  }
}
