package kvs.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** redis-server and redis-benchmark, found on the PATH. */
final class RedisTools {
  private RedisTools() {}

  /** The executable named {@code name} on the PATH, or null. */
  static Path which(String name) {
    String path = System.getenv("PATH");
    if (path == null) return null;
    for (String d : path.split(java.io.File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p)) return p;
    }
    return null;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A redis-server without persistence on a free loopback port, stopped by {@link #close}. */
  static final class Server implements AutoCloseable {
    final int port;
    private final Process process;

    Server(Path redisServer, Path dir) throws IOException, InterruptedException {
      this.port = freePort();
      Files.createDirectories(dir);
      this.process = new ProcessBuilder(redisServer.toString(), "--port", Integer.toString(port),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("redis-server.log").toFile())
          .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
          return;
        } catch (IOException e) {
          if (!process.isAlive() || System.nanoTime() > deadline) {
            process.destroyForcibly();
            throw new IOException("redis-server did not start on port " + port);
          }
          Thread.sleep(20);
        }
      }
    }

    /** The redis-server process id, to read its CPU time from /proc. */
    long pid() {
      return process.pid();
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The outcome of one test run by several redis-benchmark processes at once. */
  record Load(String test, long requests, double aggregateRps, List<Double> perProcessRps) {}

  /**
   * Runs one redis-benchmark per port at the same time, each with {@code clients} connections
   * and {@code requests} requests of {@code test} (e.g. "set", "get", "ping"). The aggregate rate
   * is every request over the longest run (each run's length taken from its own rate, so process
   * start does not count), never the sum of rates of runs that did not fully overlap.
   */
  static Map<String, Load> benchmark(Path redisBenchmark, List<Integer> ports, int clients,
      long requests, String test, int dataSize, int keyspace) throws IOException,
      InterruptedException {
    List<Process> procs = new ArrayList<>();
    for (int port : ports) {
      List<String> cmd = new ArrayList<>(List.of(redisBenchmark.toString(), "-h", "127.0.0.1",
          "-p", Integer.toString(port), "-c", Integer.toString(clients), "-n",
          Long.toString(requests), "-t", test, "--csv"));
      if (dataSize > 0) cmd.addAll(List.of("-d", Integer.toString(dataSize)));
      if (keyspace > 0) cmd.addAll(List.of("-r", Integer.toString(keyspace)));
      procs.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start());
    }
    List<Map<String, Double>> rates = new ArrayList<>();
    for (Process p : procs) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(600, TimeUnit.SECONDS)) p.destroyForcibly();
      rates.add(parseCsv(out));
    }
    Map<String, Load> loads = new LinkedHashMap<>();
    for (String name : rates.get(0).keySet()) {
      List<Double> per = new ArrayList<>();
      double longestSeconds = 0;
      for (Map<String, Double> r : rates) {
        Double rps = r.get(name);
        if (rps == null || rps <= 0) {
          throw new IOException("redis-benchmark reported no rate for " + name);
        }
        per.add(rps);
        longestSeconds = Math.max(longestSeconds, requests / rps);
      }
      long total = requests * ports.size();
      loads.put(name, new Load(name, total, total / longestSeconds, per));
    }
    if (loads.isEmpty()) throw new IOException("redis-benchmark printed no results for " + test);
    return loads;
  }

  /** {@code "TEST","rps",...} lines of redis-benchmark --csv: test name to requests/s. */
  static Map<String, Double> parseCsv(String csv) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String line : csv.split("\n")) {
      String[] f = line.trim().split(",");
      if (f.length < 2) continue;
      String name = f[0].replace("\"", "");
      try {
        m.put(name, Double.parseDouble(f[1].replace("\"", "")));
      } catch (NumberFormatException e) {
        // the header line or a warning
      }
    }
    return m;
  }
}
