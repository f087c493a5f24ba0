package kvs.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Real server processes ({@code ./kvs server}) on data directories a test chooses, for tests that
 * kill, cut or starve one server's disk. Each server reports its port on its READY line; its
 * standard error goes to a file. {@link #close} kills whatever is still running.
 */
final class Servers implements AutoCloseable {
  final String secret = "it-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private final List<Process> processes = new ArrayList<>();

  record Server(int id, Path dataDir, int port, Process process, Path stderr, String secret) {
    Jedis client() {
      return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder()
          .socketTimeoutMillis(15_000).clientSetInfoConfig(ClientSetInfoConfig.DISABLED).build());
    }

    /** The state stabilize compares: digest and version vector. */
    String state() {
      try (Jedis j = client()) {
        j.sendCommand(ClusterProcess.cmd("KVS.ADMIN"), secret);
        return new String((byte[]) j.sendCommand(ClusterProcess.cmd("KVS.STATE")),
            StandardCharsets.UTF_8);
      }
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL
      if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("server " + id + " lives");
    }
  }

  /** Starts server {@code id} on {@code dataDir}, linked to {@code peer} (or alone). */
  Server start(int id, Path dataDir, Server peer, Path logDir) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(MasterRun.REPO.resolve("kvs").toString(), "server",
        "--id", Integer.toString(id), "--data-dir", dataDir.toString(), "--port", "0"));
    if (peer != null) cmd.addAll(List.of("--peer", peer.id + "=127.0.0.1:" + peer.port));
    Path stderr = logDir.resolve("server-" + id + "-" + processes.size() + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile())
        .redirectError(stderr.toFile());
    pb.environment().put("KVS_CLUSTER_SECRET", secret);
    Process p = pb.start();
    processes.add(p);
    CompletableFuture<Integer> ready = CompletableFuture.supplyAsync(() -> {
      try {
        BufferedReader r = new BufferedReader(
            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          if (line.startsWith("READY ")) return Integer.parseInt(line.substring(6).trim());
        }
        throw new IllegalStateException("server " + id + " ended without READY");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      return new Server(id, dataDir, ready.get(180, TimeUnit.SECONDS), p, stderr, secret);
    } catch (Exception e) {
      throw new AssertionError("server " + id + " did not start: " + Files.readString(stderr), e);
    }
  }

  /** Waits until both servers report the same state: digest and version vector. */
  static void awaitConverged(Server a, Server b, String what, long ms)
      throws InterruptedException {
    String[] last = {"", ""};
    try {
      ClusterProcess.await(what, ms, () -> {
        last[0] = a.state();
        last[1] = b.state();
        return last[0].equals(last[1]);
      });
    } catch (AssertionError e) {
      throw new AssertionError(what + ": server " + a.id() + " is at " + last[0] + ", server "
          + b.id() + " at " + last[1], e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
