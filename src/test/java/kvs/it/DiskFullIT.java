package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * SPEC section 5: a storage error at run time on any path stops the server before it answers or
 * advertises anything that depends on the failed operation. Here the disk of server 1 (a small
 * tmpfs) fills up while it applies what server 0 replicates to it: the replication path, where
 * a failure used to be logged at DEBUG while the server served on with a vector its disk did not
 * hold. Server 1 must stop with status 3 and say why; server 0 is unaffected.
 *
 * <p>Mounting needs root; `.ci/run` runs as root, and {@link Tool#require} fails the test there
 * rather than skip it.
 */
class DiskFullIT {
  @TempDir Path tmp;
  private Path small;
  private boolean mounted;
  private final Servers servers = new Servers();

  @BeforeEach
  void mountSmallDisk() throws Exception {
    Tool.require("root".equals(System.getProperty("user.name")),
        "DiskFullIT mounts a tmpfs, which needs root");
    small = tmp.resolve("small-disk");
    Files.createDirectories(small);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs",
        small.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mount: " + out).isZero();
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    servers.close();
    if (mounted) new ProcessBuilder("umount", "-l", small.toString()).start().waitFor();
  }

  @Test
  void aServerWhoseDiskFillsWhileApplyingReplicationStopsWithStatus3() throws Exception {
    Servers.Server one = servers.start(1, small.resolve("server-1"), null, tmp);
    Servers.Server zero = servers.start(0, tmp.resolve("server-0"), one, tmp);
    byte[] value = new byte[1 << 20];
    java.util.Arrays.fill(value, (byte) 'x');
    try (Jedis j = zero.client()) {
      for (int batch = 0; batch < 8 && one.process().isAlive(); batch++) {
        Pipeline p = j.pipelined();
        for (int i = 0; i < 8; i++) p.set(("big:" + batch + ":" + i).getBytes(), value);
        p.sync();
      }
    }
    assertThat(one.process().waitFor(60, TimeUnit.SECONDS))
        .as("server 1 stops once its disk is full").isTrue();
    assertThat(one.process().exitValue()).isEqualTo(3);
    assertThat(Files.readString(one.stderr())).contains("server 1").containsIgnoringCase("space");
    try (Jedis j = zero.client()) {
      assertThat(j.ping()).isEqualTo("PONG");
      assertThat(j.dbSize()).isGreaterThanOrEqualTo(8);
    }
  }
}
