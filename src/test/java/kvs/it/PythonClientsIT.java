package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * redis-py, unmodified and with its default settings ({@code redis.Redis(host, port)}: RESP2, no
 * decoding), against a real {@code ./kvs cluster} of two servers: {@code src/test/python/clients.py}
 * runs strings, expiry, counters, hashes, sets, sorted sets, SCAN iteration, pipelines with and
 * without MULTI/EXEC, WATCH through redis-py's retry loop, binary keys and a 1 MB value, error
 * replies as {@code redis.exceptions}, the client name, INFO and {@code KVS.SESSION}, comparing
 * each reply with what Redis 7 gives. Through server 0 it also writes and waits (bounded) for the
 * write to read back on server 1, plainly and with the session token carried over.
 *
 * <p>Needs python3 with the {@code redis} module (Debian's {@code python3-redis}, which
 * {@code .ci/run} installs): without them the test skips, or fails under {@code KVS_CI=1}, through
 * {@link Tool#require}.
 */
class PythonClientsIT {
  private static final String SCRIPT =
      MasterRun.REPO.resolve("src/test/python/clients.py").toString();
  private static ClusterProcess cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcess.start(2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void redisPyWithItsDefaultsOnEachServer() throws Exception {
    String python = pythonWithRedisPy();
    for (int server = 0; server < cluster.servers; server++) {
      Tool t = Tool.run(List.of(python, SCRIPT, Integer.toString(cluster.port(server))), "", 120);
      assertThat(t.exitCode()).as("redis-py against server %d: %s", server, t).isZero();
      assertThat(t.stdout()).as("redis-py against server %d: %s", server, t).startsWith("ok: ");
    }
  }

  @Test
  void aWriteThroughOneServerReadsBackOnTheOther() throws Exception {
    String python = pythonWithRedisPy();
    Tool t = Tool.run(List.of(python, SCRIPT, Integer.toString(cluster.port(0)),
        Integer.toString(cluster.port(1))), "", 120);
    assertThat(t.exitCode()).as("redis-py through server 0, then server 1: %s", t).isZero();
    assertThat(t.stdout()).as("%s", t).startsWith("ok: ")
        .contains("and across to port " + cluster.port(1));
  }

  private static String python;

  /**
   * A python3 that imports redis-py: the one on the PATH, or else the system's
   * {@code /usr/bin/python3}, where Debian's {@code python3-redis} goes (a pyenv or virtualenv
   * python3 earlier on the PATH does not see it). None: skip, or fail under KVS_CI=1.
   */
  private static synchronized String pythonWithRedisPy() throws Exception {
    if (python != null) return python;
    Tool.requireOnPath("python3"); // .ci/run installs python3
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      boolean present = candidate.startsWith("/") ? Files.isExecutable(Path.of(candidate))
          : Tool.onPath(candidate);
      if (present) {
        Tool t = Tool.run(List.of(candidate, "-c", "import redis"), "", 60);
        if (t.exitCode() == 0) return python = candidate;
      }
    }
    Tool.require(false, "python3 cannot import redis (redis-py: Debian package python3-redis, "
        + ".ci/run installs it)");
    throw new AssertionError("unreachable");
  }
}
