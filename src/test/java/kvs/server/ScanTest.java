package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SCAN cursors resume where the page ended on any connection (a pooled client), and a cursor the
 * server does not know is counted from the first key by its position.
 */
class ScanTest extends InProcessServersTest {
  private static List<String> keys(Object reply) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) ((List<?>) reply).get(1)) out.add(text(o));
    return out;
  }

  @Test
  void aCursorResumesAtItsKeyOnAnotherConnection() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn a = RespConn.open(n.port()); RespConn b = RespConn.open(n.port())) {
      for (int i = 0; i < 30; i++) a.call("SET", String.format("k%02d", i), "v");
      Object first = a.call("SCAN", "0", "COUNT", "10");
      assertThat(keys(first)).hasSize(10).first().isEqualTo("k00");
      String cursor = text(((List<?>) first).get(0));
      assertThat(Long.parseLong(cursor)).isPositive();
      // keys before the cursor's position: counting by position would return k05.. again
      for (int i = 0; i < 5; i++) a.call("SET", "a" + i, "v");
      Object second = b.call("SCAN", cursor, "COUNT", "10");
      assertThat(keys(second)).as("resumed at the key, not the position")
          .first().isEqualTo("k10");
      // the same cursor again (a retried call) resumes there too
      assertThat(keys(b.call("SCAN", cursor, "COUNT", "10"))).first().isEqualTo("k10");
      // a cursor never handed out: its position (low 40 bits) from the first key
      long unknown = (12345L << Scan.POSITION_BITS) | 7;
      assertThat(keys(b.call("SCAN", Long.toString(unknown), "COUNT", "3")))
          .containsExactly("k02", "k03", "k04"); // a0..a4, k00, k01 are the first seven
    }
  }

  @Test
  void twoScansAtTheSamePositionHaveTheirOwnCursors() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn a = RespConn.open(n.port())) {
      for (int i = 0; i < 20; i++) a.call("SET", String.format("k%02d", i), "v");
      String c1 = text(((List<?>) a.call("SCAN", "0", "COUNT", "5")).get(0));
      a.call("SET", "a", "v"); // the second scan's fifth entry is another key
      String c2 = text(((List<?>) a.call("SCAN", "0", "COUNT", "5")).get(0));
      assertThat(c1).isNotEqualTo(c2);
      assertThat(keys(a.call("SCAN", c1, "COUNT", "1"))).containsExactly("k05");
      assertThat(keys(a.call("SCAN", c2, "COUNT", "1"))).containsExactly("k04");
    }
  }
}
