package kvs.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import kvs.core.Origins;
import kvs.core.Replica;
import kvs.core.SessionToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Backup}: a checkpoint with its manifest, and a restore whose first start is unclean. */
class BackupTest {
  @TempDir Path tmp;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aRestoredStoreHoldsTheBackupAndItsFirstOpenTakesANewIncarnation() {
    Path data = tmp.resolve("data");
    Path backup = tmp.resolve("backups/one");
    Backup.Manifest m;
    long origin;
    try (RocksDbStore s = RocksDbStore.open(data, false, true)) {
      Replica r = Replica.open(s, 2, 0x1234, s.lastStopWasClean());
      origin = r.origin();
      r.put(new SessionToken(), b("k"), b("v"), 1_000);
      s.flushWal();
      m = Backup.create(s, data, 2, backup);
      r.put(new SessionToken(), b("later"), b("w"), 2_000); // not in the backup
    }
    assertThat(m.serverId()).isEqualTo(2);
    assertThat(m.origin()).isEqualTo(Origins.toString(origin));
    assertThat(m.vector()).isEqualTo("{" + Origins.toString(origin) + "=1}");
    assertThat(backup.resolve(Backup.MANIFEST)).exists();
    assertThat(Backup.verify(backup)).isEqualTo(m);

    Path restored = tmp.resolve("restored");
    assertThatThrownBy(() -> Backup.restore(backup, restored, 5))
        .isInstanceOf(Backup.BackupException.class).hasMessageContaining("not server 5");
    assertThat(Backup.restore(backup, restored, 2)).isEqualTo(m);
    try (RocksDbStore s = RocksDbStore.open(restored, false, true)) {
      assertThat(s.lastStopWasClean()).isFalse();
      assertThat(s.lastStopNote()).startsWith("restored from " + backup);
      Replica r = Replica.open(s, 2, 0x5678, s.lastStopWasClean());
      assertThat(r.origin()).isEqualTo(Origins.of(2, 0x5678));
      assertThat(s.get(b("k"))).isNotNull();
      assertThat(s.get(b("later"))).isNull();
    }
    try (RocksDbStore s = RocksDbStore.open(restored, false, true)) {
      assertThat(s.lastStopWasClean()).isTrue(); // closed cleanly: the note was said once
      assertThat(s.lastStopNote()).isEmpty();
    }
  }

  @Test
  void refusesTargetsThatAreRelativeInsideTheDataOrNotEmpty() throws Exception {
    Path data = tmp.resolve("data");
    assertThat(Backup.targetProblem(Path.of("rel"), data)).contains("absolute path");
    assertThat(Backup.targetProblem(data.resolve("x").toAbsolutePath(), data))
        .contains("outside the data directory");
    Path full = Files.createDirectories(tmp.resolve("full"));
    Files.writeString(full.resolve("f"), "x");
    assertThat(Backup.targetProblem(full, data)).contains("not empty");
    assertThat(Backup.targetProblem(full.resolve("f").resolve("g"), data))
        .contains("is not a directory");
    assertThat(Backup.targetProblem(tmp.resolve("new/dir"), data)).isNull();
    assertThat(Backup.restoreTargetProblem(full)).contains("not empty");
    assertThatThrownBy(() -> Backup.verify(full)).hasMessageContaining("holds no manifest");
  }
}
