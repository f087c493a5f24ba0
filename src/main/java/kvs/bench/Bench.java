package kvs.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import kvs.process.Trees;
import redis.clients.jedis.Jedis;

/**
 * The benchmarks of SPEC section 8 in one run: the two-hop ceiling from a local redis-server, the
 * three master scenarios, RESP load against five servers and against one redis-server, joinServer
 * latency, and the bytes a replicated write costs in a full mesh. Prints a table and writes JSON.
 *
 * <p>Every throughput is also given as a ratio to a baseline measured in the same run (the
 * ceiling, or the local Redis under the same load), because absolute rates on a shared two-core
 * machine drift from one minute to the next. Nothing here asserts a target: a miss is reported,
 * not thrown. A scenario that fails is reported as failed and the others still run.
 */
public final class Bench {
  /** Scenario names, in the order they run. */
  public static final List<String> SCENARIOS =
      List.of("ceiling", "hops", "tree", "churn", "heal", "resp", "join", "mesh", "cpu", "soak",
          "memory");

  /** How a run is configured; {@code classpath} holds kvs.cli.Main (normally target/kvs.jar). */
  public record Options(boolean quick, Set<String> scenarios, Path out, long seed, int servers,
      boolean keepWork, Path jfrDir, String classpath, int soakOps, int soakHeapMb) {}

  /** Sizes of one run: the SPEC's, or the smoke run's. */
  private record Sizes(int servers, int ceilingRequests, int treePuts, int treeMaxValue,
      int churnCommands, long healBytes, int healValueBytes, int respRequestsEach, int joins,
      int meshWrites, int cpuRequests, int soakOps, int soakKeys, int scanKeys,
      int memoryKeys) {
    static Sizes of(boolean quick, int servers, int soakOps) {
      return quick
          ? new Sizes(servers > 0 ? servers : 3, 5_000, 60, 1_600, 120, 1L << 20, 64 * 1024,
              500, 2, 50, 2_000, soakOps > 0 ? soakOps : 6_000, 500, 10_000, 20_000)
          : new Sizes(servers > 0 ? servers : 5, 50_000, 4_000, 1_600, 25_000, 200L << 20,
              100 * 1024, 20_000, 10, 2_000, 100_000, soakOps > 0 ? soakOps : 1_000_000, 10_000,
              1_000_000, 1_000_000);
    }
  }

  /** One line of the table. {@code ratio}, {@code target} and {@code met} may be null. */
  record Row(String scenario, String figure, double value, String unit, Double ratio,
      String target, Boolean met) {}

  private final Options options;
  private final Sizes sizes;
  private final PrintStream log;
  private final Launch launch;
  /**
   * How the servers the bench starts itself (hops, resp, mesh, cpu) run: as long-running servers
   * ({@code kvs cluster}'s, or one started by hand), with the full compiler. The master
   * scenarios' servers and the join scenario's spawns keep the quick-start flags of
   * {@link #launch}, as the master starts them.
   */
  private final Launch serverLaunch;
  private final List<Row> rows = new ArrayList<>();
  private final Map<String, Object> details = new LinkedHashMap<>();
  private Path work;
  /** Half of a single-connection Redis ping-pong rate, or null when not measured. */
  private Double ceiling;

  private Bench(Options options, PrintStream log) {
    this.options = options;
    this.sizes = Sizes.of(options.quick(), options.servers(), options.soakOps());
    this.log = log;
    this.launch = Launch.of(options.classpath());
    this.serverLaunch = Launch.longRunning(options.classpath());
  }

  /** Runs the selected scenarios, prints the table on {@code out}, writes the JSON; returns 0. */
  public static int run(Options options, PrintStream out, PrintStream log) throws IOException {
    return new Bench(options, log).run(out);
  }

  private int run(PrintStream out) throws IOException {
    String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    String loadBefore = loadAverage();
    work = Files.createTempDirectory("kvs-bench-");
    try {
      for (String s : SCENARIOS) {
        if (!options.scenarios().contains(s)) continue;
        log.println("bench: " + s + " ...");
        long t0 = System.nanoTime();
        try {
          details.put(s, runScenario(s));
        } catch (Exception e) {
          Map<String, Object> failed = new LinkedHashMap<>();
          failed.put("error", String.valueOf(e.getMessage() == null ? e : e.getMessage()));
          details.put(s, failed);
          rows.add(new Row(s, "FAILED: " + failed.get("error"), Double.NaN, "", null, null, null));
          log.println("bench: " + s + " failed: " + failed.get("error"));
        }
        log.printf(Locale.ROOT, "bench: %s done in %.1f s%n", s, (System.nanoTime() - t0) / 1e9);
      }
    } finally {
      if (!options.keepWork()) {
        Trees.delete(work);
      } else {
        log.println("bench: work files kept in " + work);
      }
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("started", started);
    doc.put("finished", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    doc.put("quick", options.quick());
    doc.put("seed", options.seed());
    doc.put("machine", machine(loadBefore));
    doc.put("ceiling_two_hop_ops", ceiling);
    List<Object> rowList = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("scenario", r.scenario());
      m.put("figure", r.figure());
      m.put("value", r.value());
      m.put("unit", r.unit());
      m.put("ratio", r.ratio());
      m.put("target", r.target());
      m.put("met", r.met());
      rowList.add(m);
    }
    doc.put("rows", rowList);
    doc.put("scenarios", details);
    Path outFile = options.out();
    if (outFile.getParent() != null) Files.createDirectories(outFile.getParent());
    Files.writeString(outFile, Json.write(doc) + "\n", StandardCharsets.UTF_8);
    printTable(out, started, loadBefore);
    out.println("JSON: " + outFile);
    return 0;
  }

  private Map<String, Object> runScenario(String s) throws Exception {
    return switch (s) {
      case "ceiling" -> ceiling();
      case "hops" -> hops();
      case "tree" -> tree();
      case "churn" -> churn();
      case "heal" -> heal();
      case "resp" -> resp();
      case "join" -> join();
      case "mesh" -> mesh();
      case "cpu" -> cpu();
      case "soak" -> new Soak(serverLaunch, work, log, rows, options.seed(), sizes.soakOps(),
          sizes.soakKeys(), sizes.scanKeys(), options.soakHeapMb()).run();
      case "memory" -> new Memory(serverLaunch, work, log, rows, options.seed(),
          sizes.memoryKeys()).run();
      default -> throw new IllegalArgumentException("unknown scenario " + s);
    };
  }

  // ---- the ceiling ---------------------------------------------------------------------------

  private Map<String, Object> ceiling() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    Path server = RedisTools.which("redis-server");
    Path bench = RedisTools.which("redis-benchmark");
    if (server == null || bench == null) {
      d.put("skipped", "redis-server or redis-benchmark is not on the PATH; no ratios");
      rows.add(new Row("ceiling", "skipped: redis-server/redis-benchmark absent", Double.NaN, "",
          null, null, null));
      return d;
    }
    try (RedisTools.Server redis = new RedisTools.Server(server, work.resolve("redis-ceiling"))) {
      Map<String, RedisTools.Load> r = RedisTools.benchmark(bench, List.of(redis.port), 1,
          sizes.ceilingRequests(), "ping", 0, 0);
      RedisTools.Load mbulk = r.get("PING_MBULK");
      if (mbulk == null) mbulk = r.values().iterator().next();
      ceiling = mbulk.aggregateRps() / 2;
      r.forEach((k, v) -> d.put(k.toLowerCase(Locale.ROOT) + "_rps", v.aggregateRps()));
      d.put("requests", sizes.ceilingRequests());
      d.put("two_hop_ceiling_ops", ceiling);
      rows.add(new Row("ceiling", "redis-benchmark -c 1 " + mbulk.test(), mbulk.aggregateRps(),
          "ops/s", null, null, null));
      rows.add(new Row("ceiling", "two-hop ceiling (half of it)", ceiling, "ops/s", 1.0, null,
          null));
    }
    return d;
  }

  /**
   * Where a master command's time goes, one hop at a time: single-connection round trips
   * (redis-benchmark -c 1) of PING, SET and GET against one kvs server alone and against server 0
   * of a full mesh, next to redis-server's PING. A master put is two such hops plus the master and
   * the client agent; the ceiling assumes each hop costs what a redis PING costs.
   */
  private Map<String, Object> hops() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    Path bench = RedisTools.which("redis-benchmark");
    if (bench == null) {
      d.put("skipped", "redis-benchmark is not on the PATH");
      rows.add(new Row("hops", "skipped: redis-benchmark absent", Double.NaN, "", null, null,
          null));
      return d;
    }
    int requests = sizes.ceilingRequests() / 5;
    d.put("requests", requests);
    try (LocalCluster lone = LocalCluster.start(serverLaunch, work.resolve("hops-lone"), 1)) {
      hop(d, bench, lone, "ping", "lone server PING", requests, 0);
      hop(d, bench, lone, "set", "lone server SET 100 B", requests, 100);
      hop(d, bench, lone, "get", "lone server GET 100 B", requests, 100);
    }
    if (options.quick()) return d; // the smoke run spares itself the mesh's server starts
    try (LocalCluster mesh = LocalCluster.start(serverLaunch, work.resolve("hops-mesh"),
        sizes.servers())) {
      hop(d, bench, mesh, "set", "server 0 of a mesh of " + sizes.servers() + ", SET 100 B",
          requests, 100);
      hop(d, bench, mesh, "set", "server 0 of a mesh of " + sizes.servers() + ", SET 1600 B",
          requests, 1600);
    }
    return d;
  }

  private void hop(Map<String, Object> d, Path bench, LocalCluster c, String test, String figure,
      int requests, int dataSize) throws Exception {
    Map<String, RedisTools.Load> r = RedisTools.benchmark(bench,
        List.of(c.servers().get(0).port()), 1, requests, test, dataSize, 100_000);
    RedisTools.Load l = test.equals("ping") && r.containsKey("PING_MBULK") ? r.get("PING_MBULK")
        : r.values().iterator().next();
    double us = 1e6 / l.aggregateRps();
    d.put(figure.replace(' ', '_').replace(",", "").toLowerCase(Locale.ROOT) + "_us", us);
    // A ratio to the ceiling's one hop: redis PING round trip = 1 / (2 x ceiling).
    Double hopRatio = ceiling == null ? null : (1e6 / (2 * ceiling)) / us;
    rows.add(new Row("hops", "-c 1 round trip, " + figure, us, "us", hopRatio, null, null));
  }

  private Double ratio(double value) {
    return ceiling == null || ceiling <= 0 ? null : value / ceiling;
  }

  // ---- the master scenarios ------------------------------------------------------------------

  private Map<String, Object> tree() throws Exception {
    Scripts.Script script = new Scripts(options.seed()).tree(work.resolve("tree.txt"),
        sizes.servers(), sizes.treePuts(), sizes.treeMaxValue(), 1000);
    MasterRunner.Result r = runMaster(script, "tree");
    Map<String, Object> d = masterDetails(script, r);
    putPhaseRows("tree", r, 0.70, d);
    stabilizeRow("tree", "stabilize after the puts", r, 50, d);
    return d;
  }

  private Map<String, Object> churn() throws Exception {
    Scripts.Script script = new Scripts(options.seed() + 1).churn(work.resolve("churn.txt"),
        sizes.servers(), sizes.churnCommands(), 8_000, 10_000);
    MasterRunner.Result r = runMaster(script, "churn");
    Map<String, Object> d = masterDetails(script, r);
    MasterRunner.CommandStats get = r.command("get");
    if (get.count() > 0) d.put("get_phase_cmds_per_s", get.count() / (get.totalMs() / 1000));
    putPhaseRows("churn", r, 0.50, d);
    stabilizeRow("churn", "stabilize at the end", r, Double.NaN, d);
    return d;
  }

  private Map<String, Object> heal() throws Exception {
    Scripts.Script script = new Scripts(options.seed() + 2).heal(work.resolve("heal.txt"),
        sizes.servers(), sizes.healBytes(), sizes.healValueBytes());
    MasterRunner.Result r = runMaster(script, "heal");
    Map<String, Object> d = masterDetails(script, r);
    MasterRunner.CommandStats put = r.command("put");
    MasterRunner.CommandStats create = r.command("createConnection");
    MasterRunner.CommandStats stab = r.command("stabilize");
    double mbPerS = script.valueBytes() / 1e6 / (put.totalMs() / 1000);
    d.put("divergent_mb", script.valueBytes() / 1e6);
    d.put("put_phase_mb_per_s", mbPerS);
    d.put("create_connection_total_ms", create.totalMs());
    d.put("heal_to_converged_ms", create.totalMs() + stab.totalMs());
    putPhaseRows("heal", r, Double.NaN, d);
    rows.add(new Row("heal", "put phase, value MB/s", mbPerS, "MB/s", null, null, null));
    stabilizeRow("heal", String.format(Locale.ROOT, "stabilize after healing %.0f MB",
        script.valueBytes() / 1e6), r, 3000, d);
    rows.add(new Row("heal", "createConnection x" + create.count() + " + stabilize",
        create.totalMs() + stab.totalMs(), "ms", null, null, null));
    return d;
  }

  private MasterRunner.Result runMaster(Scripts.Script script, String name) throws Exception {
    Path jfr = null;
    if (options.jfrDir() != null) {
      jfr = Files.createDirectories(options.jfrDir().resolve(name)).toAbsolutePath();
    }
    log.printf(Locale.ROOT, "bench: %s: %d commands, %d puts, %.1f MB of values%n", name,
        script.commands(), script.puts(), script.valueBytes() / 1e6);
    return new MasterRunner(launch).run(script.file(), work, name, 3600, jfr);
  }

  private static Map<String, Object> masterDetails(Scripts.Script s, MasterRunner.Result r) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("commands", r.commands());
    d.put("puts", s.puts());
    d.put("gets", s.gets());
    d.put("value_bytes", s.valueBytes());
    d.put("seconds", r.seconds());
    d.put("exit_code", r.exitCode());
    d.put("errors", r.errors());
    if (!r.errorLines().isEmpty()) d.put("first_stderr_lines", r.errorLines());
    d.put("by_command", r.byCommand());
    return d;
  }

  private void putPhaseRows(String name, MasterRunner.Result r, double target,
      Map<String, Object> d) {
    MasterRunner.CommandStats put = r.command("put");
    double putRate = put.count() / (put.totalMs() / 1000);
    double whole = r.commands() / r.seconds();
    d.put("put_phase_cmds_per_s", putRate);
    d.put("whole_script_cmds_per_s", whole);
    d.put("put_phase_ratio", ratio(putRate));
    d.put("whole_script_ratio", ratio(whole));
    Double pr = ratio(putRate);
    rows.add(new Row(name, "put phase (" + put.count() + " puts, p50 "
        + fmt(put.p50Ms()) + " ms)", putRate, "cmds/s", pr,
        Double.isNaN(target) ? null : ">= " + Math.round(target * 100) + "% of ceiling",
        Double.isNaN(target) || pr == null ? null : pr >= target));
    rows.add(new Row(name, "whole script (" + r.commands() + " commands)", whole, "cmds/s",
        ratio(whole), null, null));
    if (r.errors() > 0) {
      rows.add(new Row(name, "script lines that failed", r.errors(), "lines", null, "0",
          false));
    }
  }

  private void stabilizeRow(String name, String figure, MasterRunner.Result r, double targetMs,
      Map<String, Object> d) {
    MasterRunner.CommandStats s = r.command("stabilize");
    d.put("stabilize_ms", s.totalMs());
    rows.add(new Row(name, figure, s.totalMs(), "ms", null,
        Double.isNaN(targetMs) ? null : "< " + fmt(targetMs) + " ms",
        Double.isNaN(targetMs) ? null : s.totalMs() < targetMs));
  }

  // ---- RESP load -----------------------------------------------------------------------------

  private Map<String, Object> resp() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    Path bench = RedisTools.which("redis-benchmark");
    if (bench == null) {
      d.put("skipped", "redis-benchmark is not on the PATH");
      rows.add(new Row("resp", "skipped: redis-benchmark absent", Double.NaN, "", null, null,
          null));
      return d;
    }
    int n = sizes.servers();
    int each = 50 / n;
    long requests = sizes.respRequestsEach();
    // GETs pass three times as fast as SETs: three times as many, so that a pass lasts long
    // enough that the benchmark processes' start and connections do not weigh in it.
    long getRequests = requests * 3;
    int keyspace = 100_000;
    d.put("connections", each * n);
    d.put("processes", n);
    d.put("requests_per_process", requests);
    d.put("get_requests_per_process", getRequests);
    Map<String, RedisTools.Load> redisSet = null;
    Map<String, RedisTools.Load> redisGet = null;
    Path redisServer = RedisTools.which("redis-server");
    if (redisServer != null) {
      try (RedisTools.Server redis = new RedisTools.Server(redisServer, work.resolve("redis-resp"))) {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < n; i++) ports.add(redis.port);
        RedisTools.benchmark(bench, ports, each, requests / 2, "set", 100, keyspace); // warm-up
        redisSet = RedisTools.benchmark(bench, ports, each, requests, "set", 100, keyspace);
        redisGet = RedisTools.benchmark(bench, ports, each, getRequests, "get", 100, keyspace);
      }
    }
    try (LocalCluster cluster = LocalCluster.start(serverLaunch, work.resolve("resp"), n)) {
      List<Integer> ports = new ArrayList<>();
      for (LocalCluster.Server s : cluster.servers()) ports.add(s.port());
      cluster.awaitConverged(10_000);
      // Warm-up, as in the cpu scenario: the servers run as long-running ones do, with C2, and
      // a pass that starts on a fresh JVM counts its compilations on five JVMs at once (with
      // it, GET measured 26,600 ops/s against 100,500 after a warm-up, docs/performance.md).
      // GETs are cheap, so theirs is long enough for C2 to compile the read path everywhere.
      RedisTools.benchmark(bench, ports, each, requests / 2, "set", 100, keyspace);
      RedisTools.benchmark(bench, ports, each, requests * 5, "get", 100, keyspace);
      cluster.awaitConverged(60_000);
      long t0 = System.nanoTime();
      double cpuBefore = cluster.cpuMs();
      Map<String, RedisTools.Load> set = RedisTools.benchmark(bench, ports, each, requests, "set",
          100, keyspace);
      double setWallMs = (System.nanoTime() - t0) / 1e6;
      double lagMs = cluster.awaitConverged(60_000);
      double cpuUsPerSet = (cluster.cpuMs() - cpuBefore) * 1000 / (requests * n);
      double cpuBeforeGet = cluster.cpuMs();
      d.put("server_cpu_us_per_set", cpuUsPerSet);
      Map<String, RedisTools.Load> get = RedisTools.benchmark(bench, ports, each, getRequests,
          "get", 100, keyspace);
      double cpuUsPerGet = (cluster.cpuMs() - cpuBeforeGet) * 1000 / (getRequests * n);
      d.put("server_cpu_us_per_get", cpuUsPerGet);
      double kSet = set.get("SET").aggregateRps();
      double kGet = get.get("GET").aggregateRps();
      long total = requests * n;
      d.put("kvs_set_rps", kSet);
      d.put("kvs_get_rps", kGet);
      d.put("kvs_set_per_server_rps", set.get("SET").perProcessRps());
      d.put("set_wall_ms", setWallMs);
      d.put("replicated_to_all_after_set_ms", lagMs);
      Double kSetReplicated = lagMs < 0 ? null : total / (total / kSet + lagMs / 1000);
      d.put("kvs_set_rps_until_replicated", kSetReplicated);
      Double setRatio = redisSet == null ? null : kSet / redisSet.get("SET").aggregateRps();
      Double getRatio = redisGet == null ? null : kGet / redisGet.get("GET").aggregateRps();
      if (redisSet != null) {
        d.put("redis_set_rps", redisSet.get("SET").aggregateRps());
        d.put("redis_get_rps", redisGet.get("GET").aggregateRps());
        rows.add(new Row("resp", "redis-server SET, " + each * n + " conns",
            redisSet.get("SET").aggregateRps(), "ops/s", 1.0, null, null));
        rows.add(new Row("resp", "redis-server GET, " + each * n + " conns",
            redisGet.get("GET").aggregateRps(), "ops/s", 1.0, null, null));
      }
      d.put("set_ratio", setRatio);
      d.put("get_ratio", getRatio);
      rows.add(new Row("resp", "kvs SET, " + each + " conns x " + n + " servers", kSet, "ops/s",
          setRatio, ">= 50% of redis", setRatio == null ? null : setRatio >= 0.5));
      rows.add(new Row("resp", "kvs GET, " + each + " conns x " + n + " servers", kGet, "ops/s",
          getRatio, ">= 80% of redis", getRatio == null ? null : getRatio >= 0.8));
      rows.add(new Row("resp", "all " + n + " servers equal, after the SETs end", lagMs, "ms",
          null, null, null));
      rows.add(new Row("resp", "CPU of all " + n + " servers per SET, until replicated",
          cpuUsPerSet, "us", null, null, null));
      rows.add(new Row("resp", "CPU of all " + n + " servers per GET", cpuUsPerGet, "us", null,
          null, null));
      if (kSetReplicated != null) {
        Double r = redisSet == null ? null
            : kSetReplicated / redisSet.get("SET").aggregateRps();
        rows.add(new Row("resp", "kvs SET counted until replicated to all", kSetReplicated,
            "ops/s", r, null, null));
      }
    }
    return d;
  }

  // ---- joinServer latency ----------------------------------------------------------------------

  private Map<String, Object> join() throws Exception {
    Scripts.Script script = new Scripts(options.seed() + 3).joins(work.resolve("join.txt"),
        sizes.joins());
    MasterRunner.Result r = runMaster(script, "join");
    Map<String, Object> d = new LinkedHashMap<>();
    MasterRunner.CommandStats js = r.command("joinServer");
    d.put("joins", js.count());
    d.put("join_server_p50_ms", js.p50Ms());
    d.put("join_server_max_ms", js.maxMs());
    d.put("errors", r.errors());
    rows.add(new Row("join", "joinServer median (master, " + js.count() + " joins)", js.p50Ms(),
        "ms", null, "< 300 ms", js.p50Ms() < 300));
    // The process alone: spawn `kvs server` until READY, a lone server on a fresh directory.
    List<Double> ready = new ArrayList<>();
    for (int i = 0; i < (options.quick() ? 1 : sizes.joins()); i++) {
      try (LocalCluster c = LocalCluster.start(launch, work.resolve("ready-" + i), 1)) {
        ready.add(c.servers().get(0).readyMs());
      }
    }
    double median = median(ready);
    d.put("server_spawn_to_ready_ms", ready);
    d.put("server_spawn_to_ready_median_ms", median);
    rows.add(new Row("join", "kvs server spawn to READY median (" + ready.size() + " starts)",
        median, "ms", null, null, null));
    return d;
  }

  // ---- bytes per replicated write ------------------------------------------------------------

  /**
   * Bytes the peer links carry per replicated write: {@code meshWrites} SETs one after the other
   * through one connection to server 0 of a full mesh, then until every server is equal and the
   * last vector adverts are out. Twice, with 100-byte and 1,000-byte values: bytes that grow with
   * the value are copies of the write; bytes that do not are adverts and framing.
   */
  private Map<String, Object> mesh() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    if (!MeshTraffic.available()) {
      d.put("skipped", "ss (iproute2) is not on the PATH");
      rows.add(new Row("mesh", "skipped: ss absent", Double.NaN, "", null, null, null));
      return d;
    }
    int n = sizes.servers();
    int links = n * (n - 1) / 2;
    d.put("servers", n);
    d.put("links", links);
    try (LocalCluster cluster = LocalCluster.start(serverLaunch, work.resolve("mesh"), n)) {
      cluster.awaitConverged(10_000);
      for (int valueBytes : new int[] {100, 1000}) {
        d.put("value_" + valueBytes, meshPass(cluster, valueBytes, n, links));
      }
    }
    return d;
  }

  private Map<String, Object> meshPass(LocalCluster cluster, int valueBytes, int n, int links)
      throws Exception {
    int writes = sizes.meshWrites();
    byte[] value = new byte[valueBytes];
    java.util.Arrays.fill(value, (byte) 'v');
    Thread.sleep(300);
    long originPid = cluster.servers().get(0).process().pid();
    Map<String, MeshTraffic.Socket> before = MeshTraffic.snapshot(cluster.pids());
    double cpuBefore = cluster.cpuMs();
    String prefix = "mesh" + valueBytes + ":";
    try (Jedis j = cluster.plain(0)) {
      for (int i = 0; i < writes; i++) {
        j.set((prefix + i).getBytes(StandardCharsets.US_ASCII), value);
      }
    }
    double lag = cluster.awaitConverged(30_000);
    Thread.sleep(500); // let the last vector adverts go out too
    MeshTraffic.Traffic t = MeshTraffic.diff(before, MeshTraffic.snapshot(cluster.pids()),
        originPid);
    double cpuUsPerWrite = (cluster.cpuMs() - cpuBefore) * 1000 / writes;
    int entryWire = 4 + (prefix + (writes - 1)).length() + 8 + 8 + 8 + 1 + 4 + valueBytes;
    double perWrite = (double) t.bytes() / writes;
    double origin = (double) t.bytesOnOriginLinks() / writes;
    double other = (double) t.bytesOnOtherLinks() / writes;
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("peer_sockets_seen", before.size());
    d.put("writes", writes);
    d.put("value_bytes", valueBytes);
    d.put("entry_wire_bytes", entryWire);
    d.put("converged_after_ms", lag);
    d.put("bytes_total", t.bytes());
    d.put("bytes_per_write", perWrite);
    d.put("bytes_per_write_on_origin_links", origin);
    d.put("bytes_per_write_on_other_links", other);
    d.put("bytes_per_write_per_origin_link", origin / (n - 1));
    d.put("bytes_per_write_per_other_link", other / (links - (n - 1)));
    d.put("segments_per_write", (double) t.segments() / writes);
    d.put("server_cpu_us_per_write", cpuUsPerWrite);
    d.put("one_entry_per_origin_link_bytes", (double) (n - 1) * entryWire);
    String v = valueBytes + " B";
    rows.add(new Row("mesh", "bytes sent per write, mesh of " + n + ", " + writes + " SETs of "
        + v, perWrite, "B/write", null, null, null));
    rows.add(new Row("mesh", "  per origin link (" + (n - 1) + "), " + v, origin / (n - 1),
        "B/write", null, null, null));
    rows.add(new Row("mesh", "  per other link (" + (links - (n - 1)) + "), " + v,
        other / (links - (n - 1)), "B/write", null, null, null));
    rows.add(new Row("mesh", "  one entry on the wire (reference), " + v, entryWire, "B", null,
        null, null));
    rows.add(new Row("mesh", "  CPU of all " + n + " servers per write, " + v, cpuUsPerWrite,
        "us", null, null, null));
    rows.add(new Row("mesh", "  TCP segments sent per write, " + v,
        (double) t.segments() / writes, "segs", null, null, null));
    return d;
  }

  // ---- CPU per operation, per role -------------------------------------------------------

  /** One value size of the cpu scenario: requests per pass and the keyspace they cover. */
  private record CpuPass(int valueBytes, long requests, int keyspace) {}

  /**
   * CPU time per operation, by role, against a local redis-server under the same load (SPEC
   * section 8): {@code redis-benchmark -c 10} SET then GET into server 0 of a full mesh, for
   * 100-byte and 8 KB values, each server's CPU time read from /proc before and after. The
   * origin's CPU per SET and per GET and each peer's CPU per write it applied are printed with
   * their user/system split and as ratios to redis-server's CPU per SET and per GET in the same
   * run. A warm-up pass first, so that the figures are the steady state, not the JIT's work.
   * Last, one connection's SETs (-c 1) give the whole cluster's CPU per write: the figure that
   * shows how the cost of a write grows with the number of servers ({@code --servers 20}).
   */
  private Map<String, Object> cpu() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    Path bench = RedisTools.which("redis-benchmark");
    Path redisServer = RedisTools.which("redis-server");
    if (bench == null || redisServer == null || !ProcCpu.available()) {
      d.put("skipped", "redis-server, redis-benchmark or /proc is missing");
      rows.add(new Row("cpu", "skipped: redis-server/redis-benchmark or /proc absent", Double.NaN,
          "", null, null, null));
      return d;
    }
    int n = sizes.servers();
    long requests = sizes.cpuRequests();
    // 8 KB values: fewer requests over fewer keys, so that five replicas do not write gigabytes.
    List<CpuPass> passes = List.of(new CpuPass(100, requests, 100_000),
        new CpuPass(8192, Math.max(1_000, requests / 5), 10_000));
    d.put("servers", n);
    d.put("connections", 10);
    Map<String, ProcCpu> redisCpu = new LinkedHashMap<>();
    try (RedisTools.Server redis = new RedisTools.Server(redisServer, work.resolve("redis-cpu"))) {
      List<Integer> port = List.of(redis.port);
      RedisTools.benchmark(bench, port, 10, requests / 2, "set", 100, 100_000); // warm-up
      for (CpuPass p : passes) {
        for (String test : List.of("set", "get")) {
          ProcCpu before = ProcCpu.of(redis.pid());
          RedisTools.benchmark(bench, port, 10, p.requests(), test, p.valueBytes(), p.keyspace());
          redisCpu.put(test + p.valueBytes(),
              ProcCpu.of(redis.pid()).minus(before).perOpUs(p.requests()));
        }
      }
    }
    try (LocalCluster cluster = LocalCluster.start(serverLaunch, work.resolve("cpu"), n)) {
      cluster.awaitConverged(30_000);
      List<Integer> origin = List.of(cluster.servers().get(0).port());
      // Warm-up, long enough for C2 (the servers run as long-running ones do): without it the
      // passes count its compilations, about 20 us per applied 8 KB write (docs/performance.md).
      RedisTools.benchmark(bench, origin, 10, requests, "set", 100, 100_000);
      RedisTools.benchmark(bench, origin, 10, requests, "get", 100, 100_000);
      for (CpuPass p : passes.subList(1, passes.size())) {
        RedisTools.benchmark(bench, origin, 10, p.requests() / 2, "set", p.valueBytes(),
            p.keyspace());
        RedisTools.benchmark(bench, origin, 10, p.requests() / 2, "get", p.valueBytes(),
            p.keyspace());
      }
      cluster.awaitConverged(60_000);
      for (CpuPass p : passes) {
        Map<String, Object> pd = new LinkedHashMap<>();
        pd.put("requests", p.requests());
        pd.put("keyspace", p.keyspace());
        String v = p.valueBytes() == 100 ? "100 B" : p.valueBytes() / 1024 + " KB";
        // SET: the origin's CPU per SET, each peer's per write it applied (all of them).
        List<ProcCpu> before = cluster.cpu();
        RedisTools.benchmark(bench, origin, 10, p.requests(), "set", p.valueBytes(),
            p.keyspace());
        double lagMs = cluster.awaitConverged(120_000);
        List<ProcCpu> set = minus(cluster.cpu(), before);
        ProcCpu originSet = set.get(0).perOpUs(p.requests());
        ProcCpu peers = new ProcCpu(0, 0);
        double worstPeerUs = 0;
        for (ProcCpu c : set.subList(1, n)) {
          peers = peers.plus(c);
          worstPeerUs = Math.max(worstPeerUs, c.perOpUs(p.requests()).totalMs());
        }
        ProcCpu peerSet = peers.perOpUs(p.requests() * (n - 1));
        // GET on the origin alone: the peers only hear heartbeats meanwhile.
        before = cluster.cpu();
        RedisTools.benchmark(bench, origin, 10, p.requests(), "get", p.valueBytes(),
            p.keyspace());
        ProcCpu originGet = minus(cluster.cpu(), before).get(0).perOpUs(p.requests());
        ProcCpu redisSet = redisCpu.get("set" + p.valueBytes());
        ProcCpu redisGet = redisCpu.get("get" + p.valueBytes());
        pd.put("replicated_to_all_after_set_ms", lagMs);
        putCpu(pd, "redis_set", redisSet);
        putCpu(pd, "redis_get", redisGet);
        putCpu(pd, "origin_set", originSet);
        putCpu(pd, "peer_set", peerSet);
        pd.put("worst_peer_set_us", worstPeerUs);
        putCpu(pd, "origin_get", originGet);
        d.put("value_" + p.valueBytes(), pd);
        cpuRow("redis-server CPU per SET, " + v, redisSet, null, null);
        cpuRow("origin CPU per SET, " + v, originSet, redisSet, 1.5);
        cpuRow("each peer's CPU per applied write, " + v, peerSet, redisSet, 0.5);
        rows.add(new Row("cpu", "  the busiest peer's, " + v, worstPeerUs, "us",
            worstPeerUs / redisSet.totalMs(), null, null));
        cpuRow("redis-server CPU per GET, " + v, redisGet, null, null);
        cpuRow("CPU per GET, " + v, originGet, redisGet, 1.2);
      }
      // One connection: no batching from concurrent clients, so every write's cost shows.
      long one = Math.max(500, requests / 10);
      List<ProcCpu> before = cluster.cpu();
      RedisTools.benchmark(bench, origin, 1, one, "set", 100, 100_000);
      cluster.awaitConverged(120_000);
      ProcCpu all = new ProcCpu(0, 0);
      for (ProcCpu c : minus(cluster.cpu(), before)) all = all.plus(c);
      ProcCpu clusterSet = all.perOpUs(one);
      Map<String, Object> od = new LinkedHashMap<>();
      od.put("requests", one);
      putCpu(od, "cluster_set", clusterSet);
      d.put("one_connection", od);
      cpuRow("CPU of all " + n + " servers per SET, one connection, 100 B", clusterSet, null,
          null);
    }
    return d;
  }

  private static List<ProcCpu> minus(List<ProcCpu> after, List<ProcCpu> before) {
    List<ProcCpu> out = new ArrayList<>();
    for (int i = 0; i < after.size(); i++) out.add(after.get(i).minus(before.get(i)));
    return out;
  }

  private static void putCpu(Map<String, Object> d, String name, ProcCpu perOpUs) {
    d.put(name + "_us", perOpUs.totalMs());
    d.put(name + "_user_us", perOpUs.userMs());
    d.put(name + "_system_us", perOpUs.systemMs());
  }

  /** A row of CPU per operation with its split, as a ratio to {@code redis} when given. */
  private void cpuRow(String figure, ProcCpu perOpUs, ProcCpu redis, Double maxRatio) {
    Double ratio = redis == null || redis.totalMs() <= 0 ? null
        : perOpUs.totalMs() / redis.totalMs();
    rows.add(new Row("cpu", String.format(Locale.ROOT, "%s (user %s, sys %s)", figure,
        fmt(perOpUs.userMs()), fmt(perOpUs.systemMs())), perOpUs.totalMs(), "us", ratio,
        maxRatio == null ? null : String.format(Locale.ROOT, "<= %.0f%% of redis", maxRatio * 100),
        maxRatio == null || ratio == null ? null : ratio <= maxRatio));
  }

  // ---- output --------------------------------------------------------------------------------

  private void printTable(PrintStream out, String started, String load) {
    out.println();
    out.printf(Locale.ROOT, "kvs bench%s, %s, %d cores, load average %s%n",
        options.quick() ? " --quick (smoke run: sizes are small, figures mean little)" : "",
        started, Runtime.getRuntime().availableProcessors(), load);
    if (ceiling != null) {
      out.printf(Locale.ROOT, "ratios: to the two-hop ceiling (%s ops/s) or, for resp, to one"
          + " local redis-server%n", fmt(ceiling));
    }
    String fmtLine = "%-8s %-72s %12s %-8s %7s %-22s %s%n";
    out.printf(Locale.ROOT, fmtLine, "scenario", "figure", "value", "unit", "ratio", "target",
        "met");
    for (Row r : rows) {
      out.printf(Locale.ROOT, fmtLine, r.scenario(), r.figure(),
          Double.isNaN(r.value()) ? "" : fmt(r.value()), r.unit(),
          r.ratio() == null ? "" : String.format(Locale.ROOT, "%.0f%%", r.ratio() * 100),
          r.target() == null ? "" : r.target(),
          r.met() == null ? "" : r.met() ? "yes" : "MISSED");
    }
  }

  private static String fmt(double v) {
    if (Math.abs(v) >= 100) return String.format(Locale.ROOT, "%.0f", v);
    if (Math.abs(v) >= 10) return String.format(Locale.ROOT, "%.1f", v);
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private Map<String, Object> machine(String loadBefore) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("cpu", cpuModel());
    m.put("memory_gib", Math.round(totalMemoryBytes() / (1024.0 * 1024 * 1024)));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("java_flags", launch.flags);
    m.put("server_java_flags", serverLaunch.flags);
    m.put("load_average_before", loadBefore);
    m.put("load_average_after", loadAverage());
    return m;
  }

  private static long totalMemoryBytes() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getTotalMemorySize();
    }
    return 0;
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).map(l -> l.replaceFirst(".*:\\s*", ""))
          .findFirst().orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Comparator.naturalOrder());
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
