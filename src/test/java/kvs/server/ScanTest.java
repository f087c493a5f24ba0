package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SCAN cursors resume where the page ended on any connection (a pooled client), and a cursor the
 * server does not know seeks to the key prefix it carries, at or before its key: with keys
 * removed meanwhile (tombstones collected) it repeats keys, never skips one.
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
      // a cursor never handed out (or forgotten): it seeks to the key prefix it carries
      long unknown = (12345L << Scan.PREFIX_BITS) | Scan.prefixBits(b("k17"));
      assertThat(keys(b.call("SCAN", Long.toString(unknown), "COUNT", "3")))
          .containsExactly("k17", "k18", "k19");
      // a prefix shorter than the key seeks before it: keys sharing the prefix come again
      long shortPrefix = (12345L << Scan.PREFIX_BITS) | Scan.prefixBits(b("k1"));
      assertThat(keys(b.call("SCAN", Long.toString(shortPrefix), "COUNT", "2")))
          .containsExactly("k10", "k11");
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aForgottenCursorSkipsNoKeyWhenEntriesBeforeItAreCollected() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn a = RespConn.open(n.port())) {
      for (int i = 0; i < 40; i++) a.call("SET", String.format("key:%03d", i), "v");
      Object first = a.call("SCAN", "0", "COUNT", "20");
      assertThat(keys(first)).hasSize(20);
      String cursor = text(((List<?>) first).get(0));
      // The keys already returned are deleted and their tombstones collected (the entries
      // before the resume key are gone for good), and the server forgets the cursor.
      for (int i = 0; i < 20; i++) a.call("DEL", String.format("key:%03d", i));
      int collected = InProcessNodes.onLoop(n, () -> {
        List<kvs.core.Entry> out = new ArrayList<>();
        n.replica.collectStable(n.replica.vv(), Long.MAX_VALUE, null, 1_000, out);
        for (int i = 0; i <= Scan.ResumePoints.MAX_POINTS; i++) {
          n.scanResumePoints.put((1L << Scan.PREFIX_BITS) | i, b("zzz"));
        }
        return out.size();
      });
      assertThat(collected).isEqualTo(20);
      List<String> rest = new ArrayList<>();
      String cur = cursor;
      do {
        Object page = a.call("SCAN", cur, "COUNT", "7");
        rest.addAll(keys(page));
        cur = text(((List<?>) page).get(0));
      } while (!cur.equals("0"));
      for (int i = 20; i < 40; i++) assertThat(rest).contains(String.format("key:%03d", i));
    }
  }

  @Test
  void aScanOfKeysSharingLongPrefixesEnds() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn a = RespConn.open(n.port())) {
      for (int i = 0; i < 50; i++) a.call("SET", String.format("samelongprefix:%03d", i), "v");
      List<String> all = new ArrayList<>();
      String cur = "0";
      int pages = 0;
      do {
        Object page = a.call("SCAN", cur, "COUNT", "5");
        all.addAll(keys(page));
        cur = text(((List<?>) page).get(0));
        assertThat(++pages).as("pages").isLessThan(20);
      } while (!cur.equals("0"));
      assertThat(all).hasSize(50).doesNotHaveDuplicates();
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

  /**
   * COUNT's errors are Redis's (and HSCAN's, SSCAN's and ZSCAN's here): a count below 1 is a
   * syntax error, one that is not an integer is not an integer, and any 64-bit count is taken.
   */
  @Test
  void countIsCheckedAsRedisChecksIt() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      c.call("SET", "k", "v");
      for (String bad : List.of("0", "-1", "-9223372036854775808")) {
        assertThat(c.call("SCAN", "0", "COUNT", bad)).as(bad).isEqualTo("-ERR syntax error");
        assertThat(c.call("HSCAN", "h", "0", "COUNT", bad)).as(bad)
            .isEqualTo("-ERR syntax error");
      }
      for (String bad : List.of("x", "1.5", "", "9223372036854775808")) {
        assertThat(c.call("SCAN", "0", "COUNT", bad)).as(bad)
            .isEqualTo("-ERR value is not an integer or out of range");
      }
      for (String big : List.of("2147483648", "9223372036854775807")) {
        assertThat(keys(c.call("SCAN", "0", "COUNT", big))).as(big).containsExactly("k");
      }
    }
  }
}
