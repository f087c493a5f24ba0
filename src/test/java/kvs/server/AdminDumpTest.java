package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * KVS.DUMP pages: each call examines at most COUNT entries from the key it is given, the pages
 * together hold every live entry once in key order (tombstones and expired values left out),
 * and bad arguments get an error.
 */
class AdminDumpTest extends InProcessServersTest {
  @Test
  void pagesTogetherHoldEveryLiveEntryOnceInKeyOrder() throws Exception {
    Node n = nodes.start(0, Map.of());
    List<String> expected = new ArrayList<>();
    try (RespConn c = RespConn.open(n.port()); RespConn a = RespConn.open(n.port())) {
      for (int i = 0; i < 2_500; i++) {
        String k = String.format("k%05d", i);
        assertThat(c.call("SET", k, "v" + i)).isEqualTo("+OK");
        if (i % 7 == 0) {
          assertThat(c.call("DEL", k)).isEqualTo(1L); // a tombstone: examined, not dumped
        } else {
          expected.add(k + ":v" + i);
        }
      }
      assertThat(a.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
      List<String> dumped = new ArrayList<>();
      String from = null;
      int pages = 0;
      do {
        List<?> page = (List<?>) (from == null ? a.call("KVS.DUMP", "1000")
            : a.call("KVS.DUMP", "1000", from));
        List<?> pairs = (List<?>) page.get(1);
        assertThat(pairs.size()).as("a page examines at most COUNT entries").isLessThanOrEqualTo(2_000);
        for (int i = 0; i < pairs.size(); i += 2) {
          dumped.add(text(pairs.get(i)) + ":" + text(pairs.get(i + 1)));
        }
        from = text(page.get(0));
        pages++;
        // another client is served between pages
        assertThat(c.call("PING")).isEqualTo("+PONG");
      } while (from != null);
      assertThat(pages).isEqualTo(3); // 2,500 entries, tombstones included, 1,000 a page
      assertThat(dumped).isEqualTo(expected);
      assertThat(c.call("DBSIZE")).isEqualTo((long) expected.size());
    }
  }

  @Test
  void badArgumentsGetAnErrorAndNoPage() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn a = RespConn.open(n.port())) {
      assertThat(a.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
      for (String[] bad : List.of(new String[] {"KVS.DUMP", "0"},
          new String[] {"KVS.DUMP", "-1"}, new String[] {"KVS.DUMP", "ten"},
          new String[] {"KVS.DUMP", "10001"})) {
        assertThat(String.valueOf(a.call(bad))).as(String.join(" ", bad))
            .startsWith("-ERR count must be an integer from 1 to 10000");
      }
      assertThat(String.valueOf(a.call("KVS.DUMP", "10", "a", "b"))).startsWith("-ERR syntax error");
      assertThat(String.valueOf(a.call("KVS.DUMP"))).startsWith("-ERR wrong number of arguments");
      List<?> empty = (List<?>) a.call("KVS.DUMP", "10");
      assertThat(empty.get(0)).isNull();
      assertThat((List<?>) empty.get(1)).isEmpty();
    }
  }
}
