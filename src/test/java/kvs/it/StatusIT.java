package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** {@code ./kvs status} against a real {@code ./kvs cluster --servers 3} (SPEC section 10). */
class StatusIT {
  private static final String KVS = MasterRun.REPO.resolve("kvs").toString();

  /** {@code ./kvs status ARGS} with {@code secret} (null: none) as KVS_CLUSTER_SECRET. */
  private static Tool status(String secret, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(KVS, "status"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile());
    pb.environment().remove("KVS_CLUSTER_SECRET");
    pb.environment().remove("KVS_REQUIREPASS");
    if (secret != null) pb.environment().put("KVS_CLUSTER_SECRET", secret);
    return Tool.run(pb, "", 60);
  }

  private static String[] ports(ClusterProcess c) {
    return new String[] {"--port", Integer.toString(c.port), "--servers", "3"};
  }

  @Test
  void convergedClusterShowsEveryServerWithItsLinksAndExitsZero() throws Exception {
    try (ClusterProcess c = ClusterProcess.start(3)) {
      try (Jedis j = c.jedis(0)) {
        j.set("k", "v");
      }
      Tool[] last = new Tool[1];
      ClusterProcess.await("kvs status exits 0", 30_000, () -> {
        try {
          last[0] = status(c.secret, ports(c));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        return last[0].exitCode() == 0;
      });
      Tool t = last[0];
      assertThat(t.stderr()).isEmpty();
      List<String> lines = List.of(t.stdout().split("\n"));
      assertThat(lines.get(0)).startsWith("ID").contains("LINKS").contains("BEHIND");
      assertThat(lines).hasSize(5);
      assertThat(lines.get(1)).matches("0 +127\\.0\\.0\\.1:" + c.port(0) + " +1,2 +- +\\S+ \\{.*=1}");
      assertThat(lines.get(2)).matches("1 +127\\.0\\.0\\.1:" + c.port(1) + " +0,2 +- .*");
      assertThat(lines.get(3)).matches("2 +127\\.0\\.0\\.1:" + c.port(2) + " +0,1 +- .*");
      assertThat(lines.get(4)).isEqualTo("converged: yes");

      // Listed one by one, as JSON.
      Tool json = status(c.secret, "--json", "--server", "127.0.0.1:" + c.port(0),
          "--server", "127.0.0.1:" + c.port(1), "--server", "127.0.0.1:" + c.port(2));
      assertThat(json.exitCode()).as(json.stdout()).isZero();
      assertThat(json.stdout()).startsWith("{\"converged\":true,").contains("\"groups\":[[0,1,2]]")
          .contains("\"id\":0,").contains("\"id\":1,").contains("\"id\":2,")
          .contains("{\"peer\":1,\"state\":\"linked\",\"lag_writes\":0}")
          .contains("{\"peer\":2,\"state\":\"linked\",\"lag_writes\":0}");

      // Without the secret: the version vectors only, still converged.
      Tool noSecret = status(null, ports(c));
      assertThat(noSecret.exitCode()).as(noSecret.stdout() + noSecret.stderr()).isZero();
    }
  }

  @Test
  void cutServerWithWritesOnTheOtherSideIsNotConvergedAndShowsItsLag() throws Exception {
    try (ClusterProcess c = ClusterProcess.start(3)) {
      // Server 2 cut off from 0 and 1, both ways.
      try (Jedis a2 = c.admin(2); Jedis a0 = c.admin(0); Jedis a1 = c.admin(1)) {
        a2.sendCommand(ClusterProcess.cmd("KVS.LINK.BLOCK"), "0");
        a2.sendCommand(ClusterProcess.cmd("KVS.LINK.BLOCK"), "1");
        a0.sendCommand(ClusterProcess.cmd("KVS.LINK.BLOCK"), "2");
        a1.sendCommand(ClusterProcess.cmd("KVS.LINK.BLOCK"), "2");
      }
      try (Jedis j = c.jedis(0)) {
        for (int i = 0; i < 5; i++) j.set("k" + i, "v" + i);
      }
      Tool[] last = new Tool[1];
      // Servers 0 and 1 agree soon; 2 stays 5 writes behind both.
      ClusterProcess.await("0 and 1 agree", 30_000, () -> {
        try {
          last[0] = status(c.secret, ports(c));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        return last[0].stdout().contains("(2 lacks 5 writes)");
      });
      Tool t = last[0];
      assertThat(t.exitCode()).as(t.stdout()).isEqualTo(1);
      assertThat(t.stdout()).containsPattern("\n2 +127\\.0\\.0\\.1:\\d+ +- +0:5 1:5 ")
          .contains("converged: no: the links split the servers into 2 groups [[0, 1], [2]]");
      Tool json = status(c.secret, "--json", ports(c)[0], ports(c)[1], ports(c)[2], ports(c)[3]);
      assertThat(json.exitCode()).isEqualTo(1);
      assertThat(json.stdout()).startsWith("{\"converged\":false,")
          .contains("\"behind\":{\"0\":5,\"1\":5}");
      // As the master's stabilize judges, each side agrees.
      assertThat(status(c.secret, "--per-group", ports(c)[0], ports(c)[1], ports(c)[2],
          ports(c)[3]).exitCode()).isZero();

      // Healed: converges again.
      try (Jedis a2 = c.admin(2); Jedis a0 = c.admin(0); Jedis a1 = c.admin(1)) {
        a0.sendCommand(ClusterProcess.cmd("KVS.LINK.UNBLOCK"), "2");
        a1.sendCommand(ClusterProcess.cmd("KVS.LINK.UNBLOCK"), "2");
        a2.sendCommand(ClusterProcess.cmd("KVS.LINK.UNBLOCK"), "0");
        a2.sendCommand(ClusterProcess.cmd("KVS.LINK.UNBLOCK"), "1");
        a2.sendCommand(ClusterProcess.cmd("KVS.LINK.CONNECT"), "0", ClusterProcess.HOST,
            Integer.toString(c.port(0)));
        a2.sendCommand(ClusterProcess.cmd("KVS.LINK.CONNECT"), "1", ClusterProcess.HOST,
            Integer.toString(c.port(1)));
      }
      ClusterProcess.await("converged after the heal", 30_000, () -> {
        try {
          return status(c.secret, ports(c)).exitCode() == 0;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
    }
  }

  @Test
  void unreachableServerIsAClearErrorWithExitTwo() throws Exception {
    int port = ClusterProcess.freePorts(1);
    Tool t = status(null, "--server", "127.0.0.1:" + port);
    assertThat(t.exitCode()).isEqualTo(2);
    assertThat(t.stderr().trim()).isEqualTo("kvs status: 127.0.0.1:" + port
        + ": cannot reach it: Connection refused");
    assertThat(t.stdout()).contains("converged: no: 1 of 1 servers did not answer");

    Tool none = status(null);
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.stderr()).contains("name the servers");
    Tool bad = status(null, "--server", "nohostport");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderr()).contains("expected HOST:PORT");
  }
}
