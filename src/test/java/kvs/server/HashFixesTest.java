package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reviewed hash behaviour: the work an HSET does (entries examined, counted, not timed). */
class HashFixesTest extends InProcessServersTest {
  private static long examined(Node n) {
    return InProcessNodes.onLoop(n, () -> n.replica.entriesExamined());
  }

  @Test
  void hsetReadsOnlyTheFieldsItNames() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      List<String> args = new ArrayList<>(List.of("HSET", "h"));
      for (int i = 0; i < 2_000; i++) {
        args.add(String.format("f%05d", i));
        args.add("v");
      }
      assertThat(c.call(args.toArray(new String[0]))).isEqualTo(2_000L);
      long before = examined(n);
      assertThat(c.call("HSET", "h", "f00005", "w", "new", "x", "new", "y")).isEqualTo(1L);
      long work = examined(n) - before;
      assertThat(work).isLessThanOrEqualTo(30);
      assertThat(text(c.call("HGET", "h", "new"))).isEqualTo("y");
      assertThat(text(c.call("HGET", "h", "f00005"))).isEqualTo("w");
      assertThat(c.call("HLEN", "h")).isEqualTo(2_001L);
      assertThat(c.call("HDEL", "h", "new")).isEqualTo(1L);
      assertThat(c.call("HSET", "h", "new", "z", "f00000", "z")).isEqualTo(1L);
    }
  }
}
