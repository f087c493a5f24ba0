package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;

/**
 * A real {@code ./kvs cluster} for the tests: started on free ports with a known cluster secret,
 * waited for until it prints its ready line, stopped with SIGTERM and checked to leave no server
 * behind. It runs with {@code --exit-on-stdin-eof}, so even a killed test JVM leaves no cluster.
 */
final class ClusterProcess implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  /** A start includes, the first time after a build, training the class-data-sharing archive. */
  private static final long READY_TIMEOUT_S = 180;

  final String secret = "it-secret-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  final int servers;
  final int port;
  final Process process;
  final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
  final StringBuffer stderr = new StringBuffer();
  private final CompletableFuture<String> ready = new CompletableFuture<>();

  private ClusterProcess(int servers, int port, List<String> extraArgs) throws IOException {
    this.servers = servers;
    this.port = port;
    List<String> cmd = new ArrayList<>(List.of(MasterRun.REPO.resolve("kvs").toString(), "cluster",
        "--servers", Integer.toString(servers), "--port", Integer.toString(port),
        "--exit-on-stdin-eof"));
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile());
    pb.environment().put("KVS_CLUSTER_SECRET", secret);
    process = pb.start();
    Thread out = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          stdout.add(line);
          if (line.contains("ready")) ready.complete(line);
        }
      } catch (IOException e) {
        // the process is gone; ready fails below
      }
      ready.completeExceptionally(new IllegalStateException("the cluster ended without a ready line"));
    }, "cluster-stdout");
    out.setDaemon(true);
    out.start();
    Thread err = new Thread(() -> {
      try {
        stderr.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        // the process is gone
      }
    }, "cluster-stderr");
    err.setDaemon(true);
    err.start();
  }

  /** Starts {@code servers} servers on free consecutive ports; retries if a port was taken. */
  static ClusterProcess start(int servers, String... extraArgs) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      ClusterProcess c = new ClusterProcess(servers, freePorts(servers), List.of(extraArgs));
      try {
        c.ready.get(READY_TIMEOUT_S, TimeUnit.SECONDS);
        return c;
      } catch (TimeoutException e) {
        c.close();
        throw new AssertionError("./kvs cluster printed no ready line within " + READY_TIMEOUT_S
            + " s; stdout " + c.stdout + " stderr " + c.stderr);
      } catch (Exception e) {
        last = e;
        c.process.waitFor(30, TimeUnit.SECONDS);
        if (!c.stderr.toString().contains("cannot listen")) {
          throw new AssertionError("./kvs cluster failed to start: " + c.stderr, e);
        }
        // A port was taken between the check and the start: try other ports.
      }
    }
    throw new AssertionError("no free ports for ./kvs cluster", last);
  }

  /** The first of {@code n} consecutive ports that are free now. */
  static int freePorts(int n) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20_000 + ThreadLocalRandom.current().nextInt(40_000);
      boolean free = true;
      for (int i = 0; i < n && free; i++) free = isFree(base + i);
      if (free) return base;
    }
    throw new IOException("no " + n + " consecutive free ports found");
  }

  static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  int port(int server) {
    return port + server;
  }

  Jedis jedis(int server) {
    return new Jedis(new HostAndPort(HOST, port(server)), DefaultJedisClientConfig.builder()
        .socketTimeoutMillis(10_000).build());
  }

  /** An admin connection (KVS.ADMIN with the cluster secret) to {@code server}. */
  Jedis admin(int server) {
    Jedis j = new Jedis(new HostAndPort(HOST, port(server)), DefaultJedisClientConfig.builder()
        .socketTimeoutMillis(15_000).clientSetInfoConfig(ClientSetInfoConfig.DISABLED).build());
    assertThat(j.sendCommand(cmd("KVS.ADMIN"), secret)).isEqualTo("OK".getBytes());
    return j;
  }

  /**
   * redis-cli against {@code server} with {@code args}, {@code stdin} as its input: its standard
   * output, once it has exited 0 within {@code timeoutS} seconds.
   */
  String redisCli(int server, String stdin, long timeoutS, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port(server))));
    cmd.addAll(List.of(args));
    Tool t = Tool.run(cmd, stdin, timeoutS);
    assertThat(t.exitCode()).as("%s: %s", cmd, t).isZero();
    return t.stdout();
  }

  /** {@code commands} through redis-cli on an admin connection (KVS.ADMIN) to {@code server}. */
  String redisCliAdmin(int server, String... commands) throws Exception {
    return redisCli(server, "KVS.ADMIN " + secret + "\n" + String.join("\n", commands) + "\n", 30);
  }

  /** The process of server {@code id}, a child of the cluster process. */
  ProcessHandle serverProcess(int id) {
    Optional<ProcessHandle> p = process.toHandle().children().filter(h -> {
      List<String> args = List.of(h.info().arguments().orElse(new String[0]));
      int i = args.indexOf("--id");
      return i >= 0 && i + 1 < args.size() && args.get(i + 1).equals(Integer.toString(id));
    }).findFirst();
    return p.orElseThrow(() -> new AssertionError("no process of server " + id));
  }

  static ProtocolCommand cmd(String name) {
    byte[] raw = name.getBytes(StandardCharsets.US_ASCII);
    return () -> raw;
  }

  /** Waits until {@code condition} holds, checking every few milliseconds, at most {@code ms}. */
  static void await(String what, long ms, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + ms + " ms: " + what);
      Thread.sleep(5); // polling interval of a bounded wait, not a stand-in for synchronisation
    }
  }

  /** Stops the cluster with SIGTERM and checks that it and every server are gone. */
  @Override
  public void close() throws Exception {
    List<ProcessHandle> children = process.toHandle().descendants().toList();
    process.destroy(); // SIGTERM, as a user's Ctrl-C or kill
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) process.destroyForcibly();
    for (ProcessHandle child : children) {
      child.onExit().get(30, TimeUnit.SECONDS);
    }
    assertThat(exited).as("the cluster exits on SIGTERM").isTrue();
  }
}
