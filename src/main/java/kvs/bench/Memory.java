package kvs.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The memory target of issue 10: {@code keys} distinct keys of 100 bytes, SET pipelined through
 * one connection into a local redis-server (no persistence) and into a lone kvs server started
 * as long-running servers are; once kvs is quiet (no RocksDB flush or compaction running or
 * pending, and its resident size steady over a second), each process's resident memory
 * (/proc/PID/status VmRSS), their ratio against the target (kvs at most 2x Redis), kvs's store on
 * disk, and where kvs's memory goes (its {@code INFO memory}: heap used and committed, RocksDB's
 * memtables, block cache and table readers, the entry cache).
 */
final class Memory {
  private static final int VALUE_BYTES = 100;
  private static final int PIPELINE = 1_000;
  /** The ratio issue 10 asks for: kvs's RSS at most twice Redis's. */
  static final double TARGET_RATIO = 2.0;
  private static final long QUIET_TIMEOUT_MS = 300_000;
  private static final long POLL_MS = 250;

  private final Launch launch;
  private final Path work;
  private final PrintStream log;
  private final List<Bench.Row> rows;
  private final long seed;
  private final int keys;

  Memory(Launch launch, Path work, PrintStream log, List<Bench.Row> rows, long seed, int keys) {
    this.launch = launch;
    this.work = work;
    this.log = log;
    this.rows = rows;
    this.seed = seed;
    this.keys = keys;
  }

  Map<String, Object> run() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("keys", keys);
    d.put("value_bytes", VALUE_BYTES);
    d.put("server_java_flags", launch.flags);
    Long redisRss = null;
    Path redisServer = RedisTools.which("redis-server");
    if (redisServer != null) {
      try (RedisTools.Server redis = new RedisTools.Server(redisServer,
          work.resolve("memory-redis"))) {
        long before = rss(redis.pid());
        try (Jedis j = new Jedis("127.0.0.1", redis.port)) {
          load(j);
        }
        redisRss = rss(redis.pid());
        log.printf(Locale.ROOT, "bench: memory: redis-server holds %d keys, RSS %.0f MB%n", keys,
            redisRss / 1e6);
        d.put("redis_rss_bytes_empty", before);
        d.put("redis_rss_bytes", redisRss);
        rows.add(new Bench.Row("memory", "redis-server RSS, " + keys + " keys of 100 B",
            redisRss / 1e6, "MB", 1.0, null, null));
      }
    } else {
      d.put("redis", "redis-server is not on the PATH; no ratio");
    }
    Path dir = work.resolve("memory");
    try (LocalCluster lone = LocalCluster.start(launch, dir, 1)) {
      long pid = lone.servers().get(0).process().pid();
      d.put("kvs_rss_bytes_empty", rss(pid));
      long t0 = System.nanoTime();
      try (Jedis j = lone.plain(0)) {
        load(j);
      }
      double loadS = (System.nanoTime() - t0) / 1e9;
      d.put("kvs_load_seconds", loadS);
      log.printf(Locale.ROOT, "bench: memory: kvs loaded %d keys in %.1f s; waiting for rest%n",
          keys, loadS);
      double quietMs;
      Map<String, Long> info;
      try (Jedis j = lone.plain(0)) {
        long t1 = System.nanoTime();
        info = awaitQuiet(j, pid);
        quietMs = (System.nanoTime() - t1) / 1e6;
      }
      long kvsRss = rss(pid);
      long disk = Soak.storeBytes(dir.resolve("server-0"));
      d.put("quiet_after_ms", quietMs);
      d.put("kvs_rss_bytes", kvsRss);
      d.put("kvs_store_bytes", disk);
      d.put("kvs_info_memory", info);
      Double ratio = redisRss == null ? null : (double) kvsRss / redisRss;
      d.put("rss_ratio_to_redis", ratio);
      rows.add(new Bench.Row("memory", "kvs server RSS, same keys, at rest", kvsRss / 1e6, "MB",
          ratio, String.format(Locale.ROOT, "<= %.0fx redis", TARGET_RATIO),
          ratio == null ? null : ratio <= TARGET_RATIO));
      rows.add(new Bench.Row("memory", "kvs store on disk (SST files, live log, manifest)",
          disk / 1e6, "MB", null, null, null));
      breakdown(info, "heap_used", "  Java heap used");
      breakdown(info, "heap_committed", "  Java heap committed");
      breakdown(info, "kvs_rocksdb_memtables", "  RocksDB memtables (all column families)");
      breakdown(info, "kvs_rocksdb_block_cache",
          "  RocksDB block cache (the memtables are charged to it)");
      breakdown(info, "kvs_rocksdb_table_readers", "  RocksDB table readers (index, filters)");
      breakdown(info, "kvs_entry_cache_bytes", "  entry cache (its budget's count)");
    }
    return d;
  }

  private void breakdown(Map<String, Long> info, String name, String figure) {
    Long v = info.get(name);
    if (v != null) rows.add(new Bench.Row("memory", figure, v / 1e6, "MB", null, null, null));
  }

  /** {@code keys} distinct keys, each SET once with its own 100 random letters, pipelined. */
  private void load(Jedis j) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Pipeline p = j.pipelined();
    for (int i = 0; i < keys; i++) {
      byte[] value = new byte[VALUE_BYTES];
      for (int b = 0; b < VALUE_BYTES; b++) value[b] = (byte) ('a' + rnd.nextInt(26));
      p.set(String.format(Locale.ROOT, "mem:%08d", i).getBytes(StandardCharsets.US_ASCII), value);
      if ((i + 1) % PIPELINE == 0) p.sync();
    }
    p.sync();
  }

  /**
   * Waits until the server is quiet: RocksDB has no flush or compaction running or pending in
   * two polls in a row, and the resident size moved by less than 1% over the last second. Returns
   * the last {@code INFO memory} figures.
   */
  private Map<String, Long> awaitQuiet(Jedis j, long pid) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIET_TIMEOUT_MS);
    int idlePolls = 0;
    long rssSecondAgo = -1;
    long secondStarted = System.nanoTime();
    while (true) {
      Map<String, Long> info = infoMemory(j.info("memory"));
      Long busy = info.get("kvs_rocksdb_busy");
      idlePolls = busy != null && busy == 0 ? idlePolls + 1 : 0;
      long now = System.nanoTime();
      if (now - secondStarted >= TimeUnit.SECONDS.toNanos(1)) {
        long rss = rss(pid);
        boolean steady = rssSecondAgo > 0 && Math.abs(rss - rssSecondAgo) < rssSecondAgo / 100;
        if (steady && idlePolls >= 2) return info;
        rssSecondAgo = rss;
        secondStarted = now;
      }
      if (now > deadline) {
        throw new IOException("the kvs server was not quiet within " + QUIET_TIMEOUT_MS + " ms");
      }
      Thread.sleep(POLL_MS); // the polling interval of a bounded wait on a checked condition
    }
  }

  /** The numeric fields of INFO memory that say where memory goes, by name. */
  static Map<String, Long> infoMemory(String info) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) continue;
      String name = line.substring(0, colon);
      if (!name.startsWith("kvs_") && !name.equals("used_memory")
          && !name.equals("used_memory_rss")) {
        continue;
      }
      try {
        long v = Long.parseLong(line.substring(colon + 1).trim());
        m.put(name.equals("used_memory") ? "heap_used"
            : name.equals("kvs_heap_committed") ? "heap_committed" : name, v);
      } catch (NumberFormatException e) {
        // not a number: not a figure of ours
      }
    }
    return m;
  }

  /** The resident size of process {@code pid} (VmRSS of /proc/PID/status), in bytes. */
  static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }
    throw new IOException("/proc/" + pid + "/status has no VmRSS");
  }
}
