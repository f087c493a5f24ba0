package kvs.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The soak of issue 15 (bounded metadata): three servers take {@code ops} SET/DEL operations
 * over {@code keys} keys (a third through each server, pipelined), then the cluster converges,
 * collects its tombstones (every server's collection rests: a whole pass found nothing more) and
 * compacts ({@code KVS.COMPACT}). Reported: each server's store on disk against a server that
 * only ever held the live keys (the same keys and values written once into a fresh server, then
 * compacted), the servers' resident memory over time, and a full {@code redis-cli --scan} of
 * {@code scanKeys} keys on a lone server, in keys/s and as a ratio to the same scan of a local
 * redis-server holding the same keys.
 */
final class Soak {
  private static final int VALUE_BYTES = 100;
  private static final int PIPELINE = 1_000;
  private static final long RSS_SAMPLE_MS = 1_000;
  /** The RSS level at one minute is the highest sample from 60 s to 90 s (rssRows). */
  private static final long RSS_LEVEL_FROM_MS = 60_000;
  private static final long RSS_LEVEL_UNTIL_MS = 90_000;

  private final Launch launch;
  private final Path work;
  private final PrintStream log;
  private final List<Bench.Row> rows;
  private final long seed;
  private final int ops;
  private final int keys;
  private final int scanKeys;
  private final int heapMb;

  /**
   * @param launch how the servers run: as long-running ones ({@code kvs cluster}'s flags)
   * @param heapMb a fixed heap for the servers ({@code -Xms} = {@code -Xmx}, every page touched
   *     at start), or 0 for the JVM's default. The JVM grows its heap lazily towards a quarter of
   *     the machine's memory, so with the default a growing resident size cannot tell a heap
   *     that is still being sized from a leak; with a fixed heap what grows is the rest (RocksDB,
   *     direct buffers, metadata), which is what the flat check is about.
   */
  Soak(Launch launch, Path work, PrintStream log, List<Bench.Row> rows, long seed, int ops,
      int keys, int scanKeys, int heapMb) {
    this.heapMb = heapMb;
    this.launch = heapMb == 0 ? launch : launch.withFlags(List.of("-Xms" + heapMb + "m",
        "-Xmx" + heapMb + "m", "-XX:+AlwaysPreTouch"));
    this.work = work;
    this.log = log;
    this.rows = rows;
    this.seed = seed;
    this.ops = ops;
    this.keys = keys;
    this.scanKeys = scanKeys;
  }

  Map<String, Object> run() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("servers", 3);
    d.put("operations", ops);
    d.put("keys", keys);
    d.put("value_bytes", VALUE_BYTES);
    d.put("server_heap_mb", heapMb == 0 ? "JVM default" : heapMb);
    List<Map<String, Object>> live;
    try (LocalCluster c = LocalCluster.start(launch, work.resolve("soak"), 3)) {
      if (c.awaitConverged(10_000) < 0) throw new IOException("the servers did not link");
      RssSampler rss = new RssSampler(c);
      rss.start();
      try {
        long t0 = System.nanoTime();
        load(c);
        double loadS = (System.nanoTime() - t0) / 1e9;
        d.put("load_seconds", loadS);
        d.put("load_ops_per_s", ops / loadS);
        rows.add(new Bench.Row("soak", ops + " SET/DEL over " + keys + " keys, 3 servers",
            ops / loadS, "ops/s", null, null, null));
        double convergedMs = c.awaitConverged(300_000);
        if (convergedMs < 0) throw new IOException("the servers did not converge in 300 s");
        d.put("converged_after_load_ms", convergedMs);
        long t1 = System.nanoTime();
        List<Long> collected = awaitCollectionRests(c, 300_000);
        double collectMs = (System.nanoTime() - t1) / 1e6;
        d.put("collection_rests_after_ms", collectMs);
        d.put("collected_entries", collected);
        rows.add(new Bench.Row("soak", "converged, then every collection at rest", collectMs,
            "ms", null, null, null));
        for (int i = 0; i < 3; i++) {
          rows.add(new Bench.Row("soak", "tombstones collected, server " + i, collected.get(i),
              "entries", null, null, null));
        }
        if (c.awaitConverged(60_000) < 0) throw new IOException("states differ after collection");
        for (int i = 0; i < 3; i++) compact(c, i);
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < 3; i++) sizes.add(storeBytes(work.resolve("soak/server-" + i)));
        d.put("store_bytes_after_compaction", sizes);
        live = liveKeys(c);
        d.put("live_keys", live.size());
        long reference = referenceBytes(live);
        d.put("reference_store_bytes", reference);
        for (int i = 0; i < 3; i++) {
          double ratio = (double) sizes.get(i) / reference;
          d.put("store_ratio_server_" + i, ratio);
          rows.add(new Bench.Row("soak", "server " + i + " store on disk after compaction",
              sizes.get(i) / 1e6, "MB", ratio, "<= 2x a store of the " + live.size()
                  + " live keys (" + String.format(Locale.ROOT, "%.2f MB", reference / 1e6) + ")",
              ratio <= 2.0));
        }
      } finally {
        rss.stop();
      }
      List<List<Long>> samples = new ArrayList<>();
      for (long[] x : rss.samples()) samples.add(List.of(x[0], x[1], x[2], x[3]));
      d.put("rss_samples_ms_and_bytes", samples);
      rssRows(rss.samples(), d);
    }
    scan(d);
    return d;
  }

  /** A third of the operations through each server, at once, pipelined. */
  private void load(LocalCluster c) throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<Exception> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int s = 0; s < 3; s++) {
      int server = s;
      int share = ops / 3 + (s < ops % 3 ? 1 : 0);
      Thread t = new Thread(() -> {
        SplittableRandom rnd = new SplittableRandom(seed * 31 + server);
        byte[] value = new byte[VALUE_BYTES];
        try (Jedis j = c.plain(server)) {
          Pipeline p = j.pipelined();
          for (int i = 0; i < share; i++) {
            byte[] key = key(rnd.nextInt(keys));
            if (rnd.nextBoolean()) {
              for (int b = 0; b < VALUE_BYTES; b++) value[b] = (byte) ('a' + rnd.nextInt(26));
              p.set(key, value.clone());
            } else {
              p.del(key);
            }
            if ((i + 1) % PIPELINE == 0) p.sync();
          }
          p.sync();
        } catch (Exception e) {
          failures.add(e);
        }
      }, "soak-load-" + s);
      threads.add(t);
      t.start();
    }
    long lastReport = System.nanoTime();
    for (Thread t : threads) {
      while (t.isAlive()) {
        t.join(1_000);
        if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(10)) {
          log.println("bench: soak: loading ...");
          lastReport = System.nanoTime();
        }
      }
    }
    if (!failures.isEmpty()) {
      throw new IOException("load failed: " + failures.get(0), failures.get(0));
    }
  }

  private static byte[] key(int i) {
    return String.format(Locale.ROOT, "soak:%07d", i).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Waits until every server's collection rests (a whole pass found nothing more to collect) and
   * the states are equal; returns each server's collected entries.
   */
  private List<Long> awaitCollectionRests(LocalCluster c, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      List<Long> collected = new ArrayList<>();
      boolean resting = true;
      for (int i = 0; i < 3; i++) {
        try (Jedis j = c.admin(i)) {
          String info = j.info("collection");
          // At rest on the final stable vector: every server's durable adverts cover everything.
          String state = new String((byte[]) j.sendCommand(LocalCluster.Cmd.STATE),
              StandardCharsets.ISO_8859_1);
          String vv = state.substring(state.indexOf(' ') + 1).replace(" ", "");
          resting &= info.contains("collection_resting:1")
              && info.contains("stability_stable_vector:" + vv + "\r\n");
          collected.add(field(info, "collected_entries"));
        }
      }
      if (resting && c.awaitConverged(0) >= 0) return collected;
      if (System.nanoTime() > deadline) {
        throw new IOException("collection did not come to rest within " + timeoutMs + " ms");
      }
      Thread.sleep(100); // polling interval of a bounded wait
    }
  }

  private static long field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) return Long.parseLong(line.substring(name.length() + 1));
    }
    return -1;
  }

  private static void compact(LocalCluster c, int i) {
    try (Jedis j = c.admin(i)) {
      j.sendCommand(() -> "KVS.COMPACT".getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** The live keys and values, read from server 0 (SCAN and MGET). */
  private static List<Map<String, Object>> liveKeys(LocalCluster c) {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Jedis j = c.plain(0)) {
      byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
      do {
        ScanResult<byte[]> page = j.scan(cursor, new ScanParams().count(1_000));
        List<byte[]> ks = page.getResult();
        if (!ks.isEmpty()) {
          List<byte[]> vs = j.mget(ks.toArray(new byte[0][]));
          for (int i = 0; i < ks.size(); i++) {
            if (vs.get(i) == null) continue;
            Map<String, Object> kv = new LinkedHashMap<>();
            kv.put("k", ks.get(i));
            kv.put("v", vs.get(i));
            out.add(kv);
          }
        }
        cursor = page.getCursorAsBytes();
      } while (!java.util.Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    }
    return out;
  }

  /** The store of a fresh server that is given the live keys once, compacted. */
  private long referenceBytes(List<Map<String, Object>> live) throws Exception {
    Path dir = work.resolve("soak-reference");
    try (LocalCluster ref = LocalCluster.start(launch, dir, 1); Jedis j = ref.plain(0)) {
      Pipeline p = j.pipelined();
      int n = 0;
      for (Map<String, Object> kv : live) {
        p.set((byte[]) kv.get("k"), (byte[]) kv.get("v"));
        if (++n % PIPELINE == 0) p.sync();
      }
      p.sync();
      compact(ref, 0);
      return storeBytes(dir.resolve("server-0"));
    }
  }

  /** Bytes of a data directory's table files, live log and manifests (RocksDB's own logs not). */
  static long storeBytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).filter(f -> {
        String n = f.getFileName().toString();
        return n.endsWith(".sst") || n.endsWith(".log") && !n.startsWith("LOG")
            || n.startsWith("MANIFEST") || n.startsWith("OPTIONS") || n.equals("CURRENT");
      }).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0; // removed meanwhile
        }
      }).sum();
    }
  }

  /**
   * The RSS figures. Flat means: after the first minute, the three servers together never
   * exceed 1.2x their level at one minute, where the level is the highest sample of the half
   * minute that follows (one sample would make the check depend on where a collection left the
   * heap in that second).
   */
  private void rssRows(List<long[]> samples, Map<String, Object> d) {
    if (samples.isEmpty()) return;
    long start = samples.get(0)[0];
    long level = -1;
    long maxAfterMinute = 0;
    long maxAll = 0;
    for (long[] s : samples) {
      long sum = s[1] + s[2] + s[3];
      maxAll = Math.max(maxAll, sum);
      long at = s[0] - start;
      if (at >= RSS_LEVEL_FROM_MS && at < RSS_LEVEL_UNTIL_MS) level = Math.max(level, sum);
      if (at >= RSS_LEVEL_FROM_MS) maxAfterMinute = Math.max(maxAfterMinute, sum);
    }
    long last = samples.get(samples.size() - 1)[1] + samples.get(samples.size() - 1)[2]
        + samples.get(samples.size() - 1)[3];
    d.put("rss_max_bytes_3_servers", maxAll);
    d.put("rss_last_bytes_3_servers", last);
    d.put("rss_seconds_sampled", (samples.get(samples.size() - 1)[0] - start) / 1000.0);
    rows.add(new Bench.Row("soak", "RSS of the 3 servers, max over the run", maxAll / 1e6, "MB",
        null, null, null));
    rows.add(new Bench.Row("soak", "RSS of the 3 servers at the end", last / 1e6, "MB", null,
        null, null));
    long lastAt = samples.get(samples.size() - 1)[0] - start;
    if (level > 0 && lastAt >= RSS_LEVEL_UNTIL_MS) {
      double growth = (double) maxAfterMinute / level;
      d.put("rss_level_at_one_minute_bytes", level);
      d.put("rss_max_after_one_minute_bytes", maxAfterMinute);
      rows.add(new Bench.Row("soak", "RSS max after the first minute / RSS level at 1 min",
          growth, "x", null, "flat (<= 1.2x)", growth <= 1.2));
    } else {
      rows.add(new Bench.Row("soak", "RSS after the first minute: run shorter than 90 s",
          Double.NaN, "", null, null, null));
    }
  }

  // ---- a full scan ---------------------------------------------------------------------------

  private void scan(Map<String, Object> d) throws Exception {
    Path cli = RedisTools.which("redis-cli");
    d.put("scan_keys", scanKeys);
    try (LocalCluster lone = LocalCluster.start(launch, work.resolve("soak-scan"), 1)) {
      fill(lone.plain(0));
      double kvs = scanRate(cli, lone.servers().get(0).port(), () -> lone.plain(0));
      d.put("kvs_scan_keys_per_s", kvs);
      Double ratio = null;
      Path redisServer = RedisTools.which("redis-server");
      if (redisServer != null) {
        try (RedisTools.Server redis = new RedisTools.Server(redisServer,
            work.resolve("soak-redis"))) {
          fill(new Jedis("127.0.0.1", redis.port));
          double r = scanRate(cli, redis.port, () -> new Jedis("127.0.0.1", redis.port));
          d.put("redis_scan_keys_per_s", r);
          ratio = kvs / r;
          rows.add(new Bench.Row("soak", "redis-server full SCAN of " + scanKeys + " keys", r,
              "keys/s", 1.0, null, null));
        }
      }
      d.put("scan_ratio_to_redis", ratio);
      rows.add(new Bench.Row("soak", "kvs full SCAN of " + scanKeys + " keys ("
          + (cli != null ? "redis-cli --scan" : "Jedis SCAN, COUNT 10") + ")", kvs, "keys/s",
          ratio, null, null));
    }
  }

  private void fill(Jedis j) {
    try (j) {
      byte[] value = new byte[VALUE_BYTES];
      java.util.Arrays.fill(value, (byte) 'v');
      List<byte[]> batch = new ArrayList<>();
      for (int i = 0; i < scanKeys; i++) {
        batch.add(String.format(Locale.ROOT, "scan:%08d", i).getBytes(StandardCharsets.US_ASCII));
        batch.add(value);
        if (batch.size() == 2 * PIPELINE || i == scanKeys - 1) {
          j.mset(batch.toArray(new byte[0][]));
          batch.clear();
        }
      }
    }
  }

  /**
   * Keys per second of a full scan: {@code redis-cli --scan} (its default COUNT) when it is on
   * the PATH, else a Jedis SCAN loop with COUNT 10. Checks every key came back.
   */
  private double scanRate(Path cli, int port, java.util.function.Supplier<Jedis> connect)
      throws Exception {
    long t0 = System.nanoTime();
    long seen = 0;
    if (cli != null) {
      Process p = new ProcessBuilder(cli.toString(), "-p", Integer.toString(port), "--scan")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
          StandardCharsets.ISO_8859_1))) {
        java.util.Set<String> unique = new java.util.HashSet<>();
        for (String line; (line = r.readLine()) != null; ) {
          if (line.startsWith("scan:")) unique.add(line);
        }
        seen = unique.size();
      }
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("redis-cli --scan did not end within 600 s");
      }
    } else {
      java.util.Set<String> unique = new java.util.HashSet<>();
      try (Jedis j = connect.get()) {
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
          ScanResult<String> page = j.scan(cursor, new ScanParams().count(10));
          for (String k : page.getResult()) if (k.startsWith("scan:")) unique.add(k);
          cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
      }
      seen = unique.size();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    if (seen != scanKeys) {
      throw new IOException("the scan of port " + port + " returned " + seen + " of " + scanKeys
          + " keys");
    }
    return scanKeys / s;
  }

  /** Samples each server's resident memory (/proc/PID/status VmRSS) every second. */
  private static final class RssSampler {
    private final LocalCluster cluster;
    private final List<long[]> samples = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stop;
    private Thread thread;

    RssSampler(LocalCluster cluster) {
      this.cluster = cluster;
    }

    void start() {
      thread = new Thread(() -> {
        while (!stop) {
          long[] s = new long[4];
          s[0] = System.currentTimeMillis();
          for (int i = 0; i < 3; i++) s[i + 1] = rss(cluster.servers().get(i).process().pid());
          samples.add(s);
          try {
            Thread.sleep(RSS_SAMPLE_MS); // the sampling period, not a synchronisation
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "soak-rss");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      stop = true;
      thread.interrupt();
      thread.join(5_000);
    }

    List<long[]> samples() {
      synchronized (samples) {
        return new ArrayList<>(samples);
      }
    }

    private static long rss(long pid) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException | NumberFormatException e) {
        return 0;
      }
      return 0;
    }
  }
}
