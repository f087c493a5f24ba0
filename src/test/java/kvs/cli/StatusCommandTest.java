package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCommandTest {
  private static StatusCommand.Server server(int id, String vv, String digest, int... links) {
    StatusCommand.Server s = new StatusCommand.Server("127.0.0.1:" + (7000 + id));
    StatusCommand.parseInfo(s, "# Server\r\nkvs_server_id:" + id + "\r\n# Replication\r\n"
        + "role:master\r\nkvs_linked_peers:" + links.length + "\r\nkvs_version_vector:" + vv
        + "\r\n" + peers(links));
    s.digest = digest;
    return s;
  }

  private static String peers(int... links) {
    StringBuilder sb = new StringBuilder();
    for (int p : links) sb.append("kvs_peer").append(p).append(":state=linked,lag_writes=0\r\n");
    return sb.toString();
  }

  @Test
  void parsesInfoAndVectors() {
    StatusCommand.Server s = server(2, "{0.1=5, 1.a=3}", "ab", 0, 1);
    assertThat(s.id).isEqualTo(2);
    assertThat(s.vector).containsEntry("0.1", 5L).containsEntry("1.a", 3L).hasSize(2);
    assertThat(s.links).containsOnlyKeys(0, 1);
    assertThat(kvs.master.VectorText.parse("{}")).isEmpty();
    assertThat(kvs.master.VectorText.parse("nothing")).isNull();
  }

  @Test
  void equalStatesInOneGroupConverge() {
    List<StatusCommand.Server> all = List.of(server(0, "{0.1=2}", "d", 1),
        server(1, "{0.1=2}", "d", 0, 2), server(2, "{0.1=2}", "d", 1));
    StatusCommand.Verdict v = StatusCommand.judge(all, false);
    assertThat(v.converged()).isTrue();
    assertThat(v.exit()).isZero();
    assertThat(v.groups()).hasSize(1);
    assertThat(StatusCommand.table(all, v)).endsWith("converged: yes\n");
  }

  @Test
  void lagAndPartitionAreNotConverged() {
    List<StatusCommand.Server> all = List.of(server(0, "{0.1=5}", "a", 1),
        server(1, "{0.1=5}", "a", 0), server(2, "{0.1=2}", "b"));
    StatusCommand.Verdict v = StatusCommand.judge(all, false);
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.reason()).isEqualTo("the links split the servers into 2 groups [[0, 1], [2]];"
        + " servers [0, 1, 2] hold 2 different states (2 lacks 3 writes)");
    assertThat(all.get(2).behind).containsEntry(0, 3L).containsEntry(1, 3L);
    assertThat(StatusCommand.judge(all, true).exit()).isZero();
    assertThat(StatusCommand.toJson(all, v)).startsWith("{\"converged\":false,")
        .contains("\"behind\":{\"0\":3,\"1\":3}");
  }

  @Test
  void aSilentServerIsExitTwo() {
    StatusCommand.Server down = new StatusCommand.Server("127.0.0.1:7009");
    down.error = "cannot reach it: Connection refused";
    StatusCommand.Verdict v = StatusCommand.judge(List.of(server(0, "{}", "a"), down), false);
    assertThat(v.exit()).isEqualTo(2);
    assertThat(v.reason()).isEqualTo("1 of 2 servers did not answer");
  }
}
