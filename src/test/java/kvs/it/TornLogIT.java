package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
  private final Servers servers = new Servers();

  @AfterEach
  void stopAll() throws InterruptedException {
    servers.close();
  }

  @Test
  void aServerWhoseLogLostItsTailConvergesWithItsPeerAndReusesNoDot() throws Exception {
    Servers.Server one = servers.start(1, tmp.resolve("server-1"), null, tmp);
    Servers.Server zero = servers.start(0, tmp.resolve("server-0"), one, tmp);
    try (Jedis j = zero.client()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < FIRST_WRITES; i++) p.set("first:" + i, "v" + i);
      p.sync();
    }
    Servers.awaitConverged(zero, one, "the first writes reach server 1", CONVERGE_MS);
    zero.kill(); // SIGKILL: the log is whole, in the page cache
    Path image = tmp.resolve("crash-image");
    copyTree(zero.dataDir(), image);
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
      Servers.Server restarted = servers.start(0, dir, one, tmp);
      String tag = "round " + round + " (log cut to " + cuts[round] + " of " + walBytes + " bytes)";
      try (Jedis j = restarted.client()) {
        Pipeline p = j.pipelined();
        for (int i = 0; i < LATER_WRITES; i++) p.set("later:" + round + ":" + i, "w" + i);
        p.sync();
      }
      Servers.awaitConverged(restarted, one, tag, CONVERGE_MS);
      long expected = FIRST_WRITES + (long) LATER_WRITES * (round + 1);
      try (Jedis a = restarted.client(); Jedis b = one.client()) {
        assertThat(a.dbSize()).as(tag + ": keys on server 0").isEqualTo(expected);
        assertThat(b.dbSize()).as(tag + ": keys on server 1").isEqualTo(expected);
        assertThat(b.get("later:" + round + ":" + (LATER_WRITES - 1))).isEqualTo("w499");
        assertThat(a.get("first:" + (FIRST_WRITES - 1))).isEqualTo("v2999");
      }
      restarted.kill();
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
