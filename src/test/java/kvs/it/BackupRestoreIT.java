package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * SPEC section 10: a consistent backup of a running server ({@code ./kvs backup}, a RocksDB
 * checkpoint through {@code KVS.BACKUP}) and a restore ({@code ./kvs restore}) that starts a new
 * incarnation and catches up from the peers.
 *
 * <p>Two real server processes, linked. Server 0 takes writes from a writer thread while the
 * backup is taken, and more after it; once server 1 holds them all, server 0 is killed and its
 * data directory replaced by the restore. Alone, the restored server holds exactly what the
 * manifest says; linked again, it writes under a new origin and converges with server 1, both
 * holding every acknowledged write.
 */
class BackupRestoreIT {
  private static final String KVS = MasterRun.REPO.resolve("kvs").toString();
  private static final int PRE_WRITES = 2_000;
  private static final int AFTER_WRITES = 500;
  private static final int ALONE_WRITES = 20;
  private static final int RESTORED_WRITES = 100;
  private static final long CONVERGE_MS = 60_000;

  @TempDir Path tmp;
  private final Servers servers = new Servers();

  @AfterEach
  void stopAll() throws InterruptedException {
    servers.close();
  }

  @Test
  void aBackupTakenUnderWritesRestoresToANewIncarnationThatConverges() throws Exception {
    Servers.Server one = servers.start(1, tmp.resolve("server-1"), null, tmp);
    Path dir0 = tmp.resolve("server-0");
    Servers.Server zero = servers.start(0, dir0, one, tmp);
    try (Jedis j = zero.client()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < PRE_WRITES; i++) p.set("pre:" + i, "v" + i);
      p.sync();
    }

    // A writer on server 0 for the whole backup: acknowledged counts what the server answered.
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger acknowledged = new AtomicInteger();
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try (Jedis j = zero.client()) {
        while (!stop.get()) {
          Pipeline p = j.pipelined();
          int from = acknowledged.get();
          for (int i = from; i < from + 50; i++) p.set("w:" + i, "x" + i);
          p.sync();
          acknowledged.addAndGet(50);
        }
      }
    }, runnable -> new Thread(runnable, "writer").start());
    ClusterProcess.await("the writer writes", 30_000, () -> acknowledged.get() >= 500);
    int before = acknowledged.get();
    Path backup = tmp.resolve("backups").resolve("b1"); // its parent does not exist yet
    Run b = kvs(Map.of("KVS_CLUSTER_SECRET", servers.secret), "backup", "--server",
        "127.0.0.1:" + zero.port(), "--to", backup.toString());
    assertThat(b.exit()).as(b.toString()).isZero();
    int duringBackupEnd = acknowledged.get();
    ClusterProcess.await("the writer writes after the backup", 30_000,
        () -> acknowledged.get() >= duringBackupEnd + 500);
    stop.set(true);
    writer.get(60, TimeUnit.SECONDS);
    int written = acknowledged.get();
    assertThat(written).isGreaterThan(before);

    Properties manifest = new Properties();
    manifest.load(new StringReader(b.stdout()));
    assertThat(manifest.getProperty("server-id")).isEqualTo("0");
    String oldOrigin = manifest.getProperty("origin");
    assertThat(oldOrigin).startsWith("0.");
    assertThat(Files.readString(backup.resolve("KVS-BACKUP"))).isEqualTo(b.stdout());
    long seqInBackup = seqOf(manifest.getProperty("vector"), oldOrigin);
    assertThat(seqInBackup).as("the backup holds the writes acknowledged before it")
        .isGreaterThanOrEqualTo(PRE_WRITES + before);
    assertThat(seqInBackup).as("and not those after it")
        .isLessThan(PRE_WRITES + written);

    try (Jedis j = zero.client()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < AFTER_WRITES; i++) p.set("after:" + i, "a" + i);
      p.sync();
    }
    Servers.awaitConverged(zero, one, "server 1 holds every write of server 0", CONVERGE_MS);
    zero.kill();

    // The data directory is lost; the restore replaces it.
    deleteTree(dir0);
    Run r = kvs(Map.of(), "restore", "--from", backup.toString(), "--data-dir", dir0.toString(),
        "--id", "0");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.stdout()).contains("new incarnation");
    assertThat(dir0.resolve("KVS-RUNNING")).exists();

    // Alone, it holds exactly the backup: the manifest's digest and vector, the writes before it.
    Servers.Server alone = servers.start(0, dir0, null, tmp);
    assertThat(alone.state()).isEqualTo(manifest.getProperty("digest") + " "
        + manifest.getProperty("vector"));
    try (Jedis j = alone.client()) {
      assertThat(j.get("pre:" + (PRE_WRITES - 1))).isEqualTo("v" + (PRE_WRITES - 1));
      assertThat(j.get("w:" + (before - 1))).isEqualTo("x" + (before - 1));
      assertThat(j.get("after:0")).isNull();
    }
    String firstLog = Files.readString(alone.stderr());
    assertThat(firstLog).contains("restored from " + backup);
    String newOrigin = continuingAs(firstLog);
    assertThat(newOrigin).startsWith("0.").isNotEqualTo(oldOrigin);
    try (Jedis j = alone.client()) {
      for (int i = 0; i < ALONE_WRITES; i++) j.set("alone:" + i, "s" + i);
    }
    // A clean stop: the next start keeps the incarnation this one took. Had the restore kept
    // the old one, these writes would carry dots server 1 holds, and it would never take them.
    alone.process().destroy(); // SIGTERM
    assertThat(alone.process().waitFor(60, TimeUnit.SECONDS)).isTrue();

    // Linked again: its writes under the new origin, the rest back from server 1.
    Servers.Server restored = servers.start(0, dir0, one, tmp);
    assertThat(Files.readString(restored.stderr())).doesNotContain("continuing as");
    try (Jedis j = restored.client()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < RESTORED_WRITES; i++) p.set("restored:" + i, "r" + i);
      p.sync();
    }
    Servers.awaitConverged(restored, one, "the restored server converges", CONVERGE_MS);
    String state = restored.state();
    assertThat(state).contains(newOrigin + "=" + (ALONE_WRITES + RESTORED_WRITES));
    assertThat(seqOf(state.substring(state.indexOf(' ') + 1), oldOrigin))
        .as("the old origin's writes after the backup came back from server 1")
        .isEqualTo(PRE_WRITES + written + AFTER_WRITES);
    long expected = PRE_WRITES + written + AFTER_WRITES + ALONE_WRITES + RESTORED_WRITES;
    try (Jedis a = restored.client(); Jedis c = one.client()) {
      assertThat(a.dbSize()).isEqualTo(expected);
      assertThat(c.dbSize()).isEqualTo(expected);
      for (int i = 0; i < written; i++) {
        assertThat(a.get("w:" + i)).as("w:" + i).isEqualTo("x" + i);
      }
      for (int i = 0; i < AFTER_WRITES; i++) assertThat(a.get("after:" + i)).isEqualTo("a" + i);
      assertThat(c.get("restored:" + (RESTORED_WRITES - 1))).isEqualTo("r" + (RESTORED_WRITES - 1));
      for (int i = 0; i < ALONE_WRITES; i++) assertThat(c.get("alone:" + i)).isEqualTo("s" + i);
    }
  }

  @Test
  void backupRefusesNonAdminsExistingDirectoriesAndBadPaths() throws Exception {
    Path data = tmp.resolve("server-0");
    Servers.Server zero = servers.start(0, data, null, tmp);
    try (Jedis j = zero.client()) {
      j.set("k", "v");
    }
    String port = "127.0.0.1:" + zero.port();
    Map<String, String> env = Map.of("KVS_CLUSTER_SECRET", servers.secret);

    // Not an admin connection: refused, nothing written.
    Path plain = tmp.resolve("plain");
    try (Jedis j = zero.client()) {
      assertThatThrownBy(() -> j.sendCommand(ClusterProcess.cmd("KVS.BACKUP"), plain.toString()))
          .isInstanceOf(JedisDataException.class).hasMessageContaining("NOPERM");
    }
    assertThat(plain).doesNotExist();
    Run wrongSecret = kvs(Map.of("KVS_CLUSTER_SECRET", "not-it"), "backup", "--server", port,
        "--to", plain.toString());
    assertThat(wrongSecret.exit()).as(wrongSecret.toString()).isEqualTo(1);
    assertThat(wrongSecret.stderr()).contains("wrong cluster secret");
    Run noSecret = kvs(Map.of("KVS_CLUSTER_SECRET", ""), "backup", "--server", port, "--to",
        plain.toString());
    assertThat(noSecret.exit()).as(noSecret.toString()).isEqualTo(2);
    assertThat(noSecret.stderr()).contains("KVS_CLUSTER_SECRET");
    assertThat(plain).doesNotExist();

    // An existing directory that is not empty: refused, left as it was.
    Path full = Files.createDirectories(tmp.resolve("full"));
    Files.writeString(full.resolve("keep"), "mine");
    Run existing = kvs(env, "backup", "--server", port, "--to", full.toString());
    assertThat(existing.exit()).as(existing.toString()).isEqualTo(1);
    assertThat(existing.stderr()).contains("exists and is not empty");
    try (Stream<Path> s = Files.list(full)) {
      assertThat(s.toList()).containsExactly(full.resolve("keep"));
    }

    // Bad paths: under a file, inside the data directory, relative (for the server).
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    Run underFile = kvs(env, "backup", "--server", port, "--to", file.resolve("b").toString());
    assertThat(underFile.exit()).as(underFile.toString()).isEqualTo(1);
    assertThat(underFile.stderr()).contains(file + " is not a directory");
    Run inData = kvs(env, "backup", "--server", port, "--to", data.resolve("b").toString());
    assertThat(inData.exit()).as(inData.toString()).isEqualTo(1);
    assertThat(inData.stderr()).contains("outside the data directory");
    assertThat(data.resolve("b")).doesNotExist();
    try (Jedis j = zero.client()) {
      j.sendCommand(ClusterProcess.cmd("KVS.ADMIN"), servers.secret);
      assertThatThrownBy(() -> j.sendCommand(ClusterProcess.cmd("KVS.BACKUP"), "relative/dir"))
          .isInstanceOf(JedisDataException.class).hasMessageContaining("absolute path");
    }

    // An empty directory is fine; the server still serves.
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Run ok = kvs(env, "backup", "--server", port, "--to", empty.toString());
    assertThat(ok.exit()).as(ok.toString()).isZero();
    assertThat(empty.resolve("KVS-BACKUP")).exists();
    try (Jedis j = zero.client()) {
      assertThat(j.get("k")).isEqualTo("v");
    }
  }

  @Test
  void restoreRefusesAWrongServerAnIncompleteOrCorruptBackupAndATargetInUse() throws Exception {
    Servers.Server zero = servers.start(0, tmp.resolve("server-0"), null, tmp);
    try (Jedis j = zero.client()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < 1_000; i++) p.set("k" + i, "v" + i);
      p.sync();
    }
    Path backup = tmp.resolve("backup");
    Run b = kvs(Map.of("KVS_CLUSTER_SECRET", servers.secret), "backup", "--server",
        "127.0.0.1:" + zero.port(), "--to", backup.toString());
    assertThat(b.exit()).as(b.toString()).isZero();

    Run wrongId = kvs(Map.of(), "restore", "--from", backup.toString(), "--data-dir",
        tmp.resolve("r1").toString(), "--id", "3");
    assertThat(wrongId.exit()).as(wrongId.toString()).isEqualTo(1);
    assertThat(wrongId.stderr()).contains("is of server 0, not server 3");
    assertThat(tmp.resolve("r1")).doesNotExist();

    Path inUse = Files.createDirectories(tmp.resolve("in-use"));
    Files.writeString(inUse.resolve("x"), "x");
    Run notEmpty = kvs(Map.of(), "restore", "--from", backup.toString(), "--data-dir",
        inUse.toString());
    assertThat(notEmpty.exit()).as(notEmpty.toString()).isEqualTo(1);
    assertThat(notEmpty.stderr()).contains("is not empty");

    Run notABackup = kvs(Map.of(), "restore", "--from", tmp.resolve("server-0").toString(),
        "--data-dir", tmp.resolve("r2").toString());
    assertThat(notABackup.exit()).as(notABackup.toString()).isEqualTo(1);
    assertThat(notABackup.stderr()).contains("holds no manifest", "incomplete");

    // A table file cut short: corrupt.
    Path cut = copyTree(backup, tmp.resolve("cut"));
    Path sst;
    try (Stream<Path> s = Files.list(cut)) {
      sst = s.filter(f -> f.toString().endsWith(".sst")).max(Comparator.naturalOrder())
          .orElseThrow();
    }
    try (var ch = java.nio.channels.FileChannel.open(sst,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    Run corrupt = kvs(Map.of(), "restore", "--from", cut.toString(), "--data-dir",
        tmp.resolve("r3").toString());
    assertThat(corrupt.exit()).as(corrupt.toString()).isEqualTo(1);
    assertThat(corrupt.stderr()).contains("corrupt", sst.getFileName().toString());
    assertThat(tmp.resolve("r3")).doesNotExist();

    // A missing file: incomplete.
    Path missing = copyTree(backup, tmp.resolve("missing"));
    Files.delete(missing.resolve("CURRENT"));
    Run incomplete = kvs(Map.of(), "restore", "--from", missing.toString(), "--data-dir",
        tmp.resolve("r4").toString());
    assertThat(incomplete.exit()).as(incomplete.toString()).isEqualTo(1);
    assertThat(incomplete.stderr()).contains("incomplete", "CURRENT");

    // A manifest that does not parse.
    Path garbled = copyTree(backup, tmp.resolve("garbled"));
    Files.writeString(garbled.resolve("KVS-BACKUP"), "format=1\nserver-id=zero\n");
    Run bad = kvs(Map.of(), "restore", "--from", garbled.toString(), "--data-dir",
        tmp.resolve("r5").toString());
    assertThat(bad.exit()).as(bad.toString()).isEqualTo(1);
    assertThat(bad.stderr()).contains("manifest", "is corrupt");

    // The good one restores, and the original backup is left as it was.
    Run good = kvs(Map.of(), "restore", "--from", backup.toString(), "--data-dir",
        tmp.resolve("r6").toString(), "--id", "0");
    assertThat(good.exit()).as(good.toString()).isZero();
    assertThat(backup.resolve("KVS-RUNNING")).doesNotExist();
  }

  /** The sequence number of {@code origin} in a vector as KVS.STATE and manifests print it. */
  private static long seqOf(String vector, String origin) {
    Matcher m = Pattern.compile(Pattern.quote(origin) + "=(\\d+)").matcher(vector);
    assertThat(m.find()).as(origin + " in " + vector).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** The origin a server's log says it continues as. */
  private static String continuingAs(String log) {
    Matcher m = Pattern.compile("continuing as (\\S+?)[,; ]").matcher(log);
    assertThat(m.find()).as("a new incarnation in the log: " + log).isTrue();
    return m.group(1);
  }

  record Run(int exit, String stdout, String stderr) {}

  private static Run kvs(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(KVS));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile());
    pb.environment().remove("KVS_CLUSTER_SECRET");
    pb.environment().putAll(env);
    Path out = Files.createTempFile("kvs-run", ".out");
    Path err = Files.createTempFile("kvs-run", ".err");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(cmd + " did not finish within 180 s");
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static Path copyTree(Path from, Path to) throws IOException {
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
    return to;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
