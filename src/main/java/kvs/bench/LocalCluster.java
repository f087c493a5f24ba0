package kvs.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;

/**
 * Servers started by the bench itself, the way a user starts them ({@code kvs server --id I
 * --data-dir D --peer ...}), fully meshed: server i dials every server before it. Each runs with
 * {@code --exit-on-stdin-eof} and the bench holds its standard input, so none outlives the bench.
 */
final class LocalCluster implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  private static final long READY_TIMEOUT_MS = 60_000;

  /** One server: its process, port, and how long it took from spawn to READY. */
  record Server(int id, Process process, int port, double readyMs) {}

  private final String secret = "bench-" + Long.toHexString(System.nanoTime());
  private final Launch launch;
  private final Path dir;
  private final List<Server> servers = new ArrayList<>();

  private LocalCluster(Launch launch, Path dir) {
    this.launch = launch;
    this.dir = dir;
  }

  /** Starts {@code n} servers one after the other, server i linked to servers 0..i-1. */
  static LocalCluster start(Launch launch, Path dir, int n) throws IOException {
    LocalCluster c = new LocalCluster(launch, dir);
    try {
      for (int i = 0; i < n; i++) c.servers.add(c.startServer(i, c.servers));
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Spawns server {@code id} linked to {@code peers} and waits for its READY line. */
  Server startServer(int id, List<Server> peers) throws IOException {
    List<String> args = new ArrayList<>(List.of("--exit-on-stdin-eof", "--id", Integer.toString(id),
        "--data-dir", dir.resolve("server-" + id).toString()));
    for (Server p : peers) {
      args.add("--peer");
      args.add(p.id() + "=" + HOST + ":" + p.port());
    }
    ProcessBuilder pb = new ProcessBuilder(launch.command("server", args))
        .redirectError(ProcessBuilder.Redirect.appendTo(
            Files.createDirectories(dir).resolve("server-" + id + ".log").toFile()));
    pb.environment().put("KVS_CLUSTER_SECRET", secret);
    long t0 = System.nanoTime();
    Process p = pb.start();
    CompletableFuture<String> first = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.ISO_8859_1))) {
        first.complete(r.readLine());
        while (r.readLine() != null) {
          // drain so the server never blocks on a full pipe
        }
      } catch (IOException e) {
        first.complete(null);
      }
    }, "bench-server-" + id);
    reader.setDaemon(true);
    reader.start();
    String line;
    try {
      line = first.get(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      line = null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      line = null;
    }
    double readyMs = (System.nanoTime() - t0) / 1e6;
    if (line == null || !line.startsWith("READY ")) {
      p.destroyForcibly();
      throw new IOException("server " + id + " did not start (log: "
          + dir.resolve("server-" + id + ".log") + ")");
    }
    return new Server(id, p, Integer.parseInt(line.substring(6).trim()), readyMs);
  }

  List<Server> servers() {
    return servers;
  }

  Set<Long> pids() {
    Set<Long> pids = new HashSet<>();
    for (Server s : servers) pids.add(s.process().pid());
    return pids;
  }

  /** CPU time every server process has used so far, in milliseconds (user and system). */
  double cpuMs() {
    double ms = 0;
    for (Server s : servers) {
      ms += s.process().toHandle().info().totalCpuDuration()
          .map(d -> d.toNanos() / 1e6).orElse(Double.NaN);
    }
    return ms;
  }

  /** Each server's CPU time so far, user and system apart, in the order of {@link #servers}. */
  List<ProcCpu> cpu() throws IOException {
    List<ProcCpu> out = new ArrayList<>();
    for (Server s : servers) out.add(ProcCpu.of(s.process().pid()));
    return out;
  }

  /** An authenticated admin connection to server {@code i}. */
  Jedis admin(int i) {
    Jedis j = plain(i);
    j.sendCommand(Cmd.ADMIN, secret.getBytes(StandardCharsets.US_ASCII));
    return j;
  }

  /** A plain client connection to server {@code i}. */
  Jedis plain(int i) {
    return new Jedis(new HostAndPort(HOST, servers.get(i).port()), DefaultJedisClientConfig
        .builder().connectionTimeoutMillis(5_000).socketTimeoutMillis(30_000)
        .clientSetInfoConfig(ClientSetInfoConfig.DISABLED).build());
  }

  /**
   * Waits until every server reports the same state (digest and version vector); returns the
   * milliseconds waited, or -1 when they still differ after {@code timeoutMs}.
   */
  double awaitConverged(long timeoutMs) {
    long t0 = System.nanoTime();
    List<Jedis> admins = new ArrayList<>();
    try {
      for (int i = 0; i < servers.size(); i++) admins.add(admin(i));
      while (true) {
        Set<String> states = new HashSet<>();
        for (Jedis j : admins) {
          states.add(new String((byte[]) j.sendCommand(Cmd.STATE), StandardCharsets.ISO_8859_1));
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        if (states.size() == 1) return ms;
        if (ms > timeoutMs) return -1;
        Thread.sleep(2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } finally {
      admins.forEach(Jedis::close);
    }
  }

  @Override
  public void close() {
    for (Server s : servers) {
      try {
        s.process().getOutputStream().close();
      } catch (IOException ignored) {
        // it is killed below anyway
      }
      s.process().destroyForcibly();
    }
    for (Server s : servers) {
      try {
        s.process().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  enum Cmd implements ProtocolCommand {
    ADMIN("KVS.ADMIN"),
    STATE("KVS.STATE");

    private final byte[] raw;

    Cmd(String name) {
      this.raw = name.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] getRaw() {
      return raw;
    }
  }
}
