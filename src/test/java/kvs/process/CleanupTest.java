package kvs.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which masters' data roots {@code kvs cleanup} removes. */
class CleanupTest {
  @TempDir Path tmp;

  /**
   * A data root whose master holds its owner lock stays, even when the pid in its name is not a
   * process this one can see (a master in another pid namespace sharing /tmp, or a reused pid).
   * One whose lock nobody holds goes; so does an old one without a lock file whose pid is gone;
   * an old one whose pid runs stays.
   */
  @Test
  void removesTheDataRootsOfGoneMastersOnly() throws Exception {
    long dead = deadPid();
    long live = ProcessHandle.current().pid();
    Path held = Files.createDirectories(tmp.resolve("kvs-master-" + dead + "-held"));
    Cleanup.holdOwnerLock(held);
    Path unheld = Files.createDirectories(tmp.resolve("kvs-master-" + live + "-unheld"));
    Files.createFile(unheld.resolve(Cleanup.OWNER_LOCK));
    Files.createFile(unheld.resolve("data"));
    Path oldGone = Files.createDirectories(tmp.resolve("kvs-master-" + dead + "-old"));
    Path oldLive = Files.createDirectories(tmp.resolve("kvs-master-" + live + "-old"));

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int[] result = Cleanup.removeLeftDirectories(tmp, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(held).exists();
    assertThat(oldLive).exists();
    assertThat(unheld).doesNotExist();
    assertThat(oldGone).doesNotExist();
    assertThat(result).containsExactly(2, 0);
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("removed " + unheld, "removed " + oldGone);
  }

  /** The pid of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.pid();
  }
}
