package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * SPEC section 5: a power loss without {@code --fsync} can cut the tail off a server's log. The
 * server must then never reuse a dot a peer already holds, never advertise a vector its disk does
 * not hold, and get back from its peers what it lost, so the cluster converges again.
 *
 * <p>Two real server processes. Server 0 takes 3,000 writes, all replicated to server 1, and is
 * killed with SIGKILL. Its crash image is kept; then, for each of several cut points, server 0
 * starts from a copy of the image whose newest write-ahead log file is cut there, takes 500 new
 * writes, and must converge with server 1: equal digests and vectors, every key on both. Before
 * the fix, the restarted server numbered its new writes from where the cut log ended, reusing
 * dots server 1 held, and the two servers stayed different for ever.
 */
class TornLogIT {
  private static final int FIRST_WRITES = 3_000;
  private static final int LATER_WRITES = 500;
  private static final long CONVERGE_MS = 60_000;

  @TempDir Path tmp;
  private final String secret = "torn-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stopAll() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aServerWhoseLogLostItsTailConvergesWithItsPeerAndReusesNoDot() throws Exception {
    Server one = start(1, tmp.resolve("server-1"), null);
    Server zero = start(0, tmp.resolve("server-0"), one);
    try (Jedis j = zero.client()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < FIRST_WRITES; i++) p.set("first:" + i, "v" + i);
      p.sync();
    }
    awaitConverged(zero, one, "the first writes reach server 1");
    zero.process.destroyForcibly(); // SIGKILL: the log is whole, in the page cache
    assertThat(zero.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Path image = tmp.resolve("crash-image");
    copyTree(zero.dataDir, image);
    Path wal = newestWal(image);
    long walBytes = Files.size(wal);
    assertThat(walBytes).as("the writes are in the log, not yet in table files").isGreaterThan(
        FIRST_WRITES * 10L);

    long[] cuts = {walBytes / 2, walBytes - 7, walBytes / 10, walBytes * 9 / 10, 0, walBytes};
    for (int round = 0; round < cuts.length; round++) {
      Path dir = tmp.resolve("server-0-round-" + round);
      copyTree(image, dir);
      try (FileChannel ch = FileChannel.open(dir.resolve(image.relativize(wal)),
          StandardOpenOption.WRITE)) {
        ch.truncate(cuts[round]);
      }
      Server restarted = start(0, dir, one);
      String tag = "round " + round + " (log cut to " + cuts[round] + " of " + walBytes + " bytes)";
      try (Jedis j = restarted.client()) {
        Pipeline p = j.pipelined();
        for (int i = 0; i < LATER_WRITES; i++) p.set("later:" + round + ":" + i, "w" + i);
        p.sync();
      }
      awaitConverged(restarted, one, tag);
      long expected = FIRST_WRITES + (long) LATER_WRITES * (round + 1);
      try (Jedis a = restarted.client(); Jedis b = one.client()) {
        assertThat(a.dbSize()).as(tag + ": keys on server 0").isEqualTo(expected);
        assertThat(b.dbSize()).as(tag + ": keys on server 1").isEqualTo(expected);
        assertThat(b.get("later:" + round + ":" + (LATER_WRITES - 1))).isEqualTo("w499");
        assertThat(a.get("first:" + (FIRST_WRITES - 1))).isEqualTo("v2999");
      }
      restarted.process.destroyForcibly();
      assertThat(restarted.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private record Server(int id, Path dataDir, int port, Process process, String secret) {
    Jedis client() {
      return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder()
          .socketTimeoutMillis(15_000).clientSetInfoConfig(ClientSetInfoConfig.DISABLED).build());
    }

    String state() {
      try (Jedis j = client()) {
        j.sendCommand(ClusterProcess.cmd("KVS.ADMIN"), secret);
        return new String((byte[]) j.sendCommand(ClusterProcess.cmd("KVS.STATE")),
            StandardCharsets.UTF_8);
      }
    }
  }

  private Server start(int id, Path dataDir, Server peer) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(MasterRun.REPO.resolve("kvs").toString(), "server",
        "--id", Integer.toString(id), "--data-dir", dataDir.toString(), "--port", "0"));
    if (peer != null) cmd.addAll(List.of("--peer", peer.id + "=127.0.0.1:" + peer.port));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile())
        .redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("server-" + id + ".err")
            .toFile()));
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
      return new Server(id, dataDir, ready.get(180, TimeUnit.SECONDS), p, secret);
    } catch (Exception e) {
      throw new AssertionError("server " + id + " did not start: "
          + Files.readString(tmp.resolve("server-" + id + ".err")), e);
    }
  }

  /** Waits until both servers report the same state: digest and version vector. */
  private static void awaitConverged(Server a, Server b, String what) throws InterruptedException {
    String[] last = {"", ""};
    try {
      ClusterProcess.await(what, CONVERGE_MS, () -> {
        last[0] = a.state();
        last[1] = b.state();
        return last[0].equals(last[1]);
      });
    } catch (AssertionError e) {
      throw new AssertionError(what + ": server 0 is at " + last[0] + ", server 1 at " + last[1],
          e);
    }
  }

  private static Path newestWal(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".log"))
          .max(Comparator.comparing(f -> f.getFileName().toString()))
          .orElseThrow(() -> new AssertionError("no write-ahead log in " + dir));
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
