package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The counter commands on in-process servers over real sockets: Redis 7's replies and errors,
 * the key commands on a counter, and increments on both sides of a partition adding up.
 */
class CounterCommandsTest extends InProcessServersTest {
  @Test
  void countersAnswerAsRedis() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("INCR", "c")).isEqualTo(1L);
      assertThat(c.call("INCRBY", "c", "41")).isEqualTo(42L);
      assertThat(c.call("DECR", "c")).isEqualTo(41L);
      assertThat(c.call("DECRBY", "c", "-9")).isEqualTo(50L);
      assertThat(text(c.call("GET", "c"))).isEqualTo("50");
      assertThat(c.call("TYPE", "c")).isEqualTo("+string");
      assertThat(c.call("STRLEN", "c")).isEqualTo(2L);
      assertThat(c.call("EXISTS", "c")).isEqualTo(1L);
      assertThat(text(c.call("INCRBYFLOAT", "c", "0.5"))).isEqualTo("50.5");
      assertThat(text(c.call("INCRBYFLOAT", "c", "-0.5"))).isEqualTo("50");
      assertThat(text(c.call("INCRBYFLOAT", "f", "1e3"))).isEqualTo("1000");
      assertThat(text(c.call("INCRBYFLOAT", "f", "0.1"))).isEqualTo("1000.1");
      assertThat(text(c.call("INCRBYFLOAT", "f", "0.2"))).isEqualTo("1000.3");
      assertThat(c.call("INCR", "f")).isEqualTo("-ERR value is not an integer or out of range");
      // a string holding a number becomes a counter; one that does not is refused unchanged
      assertThat(c.call("SET", "s", "10")).isEqualTo("+OK");
      assertThat(c.call("INCRBY", "s", "5")).isEqualTo(15L);
      assertThat(c.call("SET", "word", "abc")).isEqualTo("+OK");
      assertThat(c.call("INCR", "word")).isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("INCRBYFLOAT", "word", "1")).isEqualTo("-ERR value is not a valid float");
      assertThat(text(c.call("GET", "word"))).isEqualTo("abc");
      assertThat(c.call("SET", "lead", "010")).isEqualTo("+OK");
      assertThat(c.call("INCR", "lead")).isEqualTo("-ERR value is not an integer or out of range");
      // bad increments
      assertThat(c.call("INCRBY", "c", "x")).isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("INCRBY", "c", "1.5")).isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("INCRBY", "c", "99999999999999999999"))
          .isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("INCRBYFLOAT", "c", "nan")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("INCRBYFLOAT", "c", "inf")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("DECRBY", "c", "-9223372036854775808"))
          .isEqualTo("-ERR decrement would overflow");
      assertThat(c.call("SET", "big", "9223372036854775806")).isEqualTo("+OK");
      assertThat(c.call("INCR", "big")).isEqualTo(9223372036854775807L);
      assertThat(c.call("INCR", "big")).isEqualTo("-ERR increment or decrement would overflow");
      assertThat(text(c.call("GET", "big"))).isEqualTo("9223372036854775807");
      assertThat(c.call("INCRBYFLOAT", "huge", "1e4899")).isInstanceOf(byte[].class);
      assertThat(c.call("INCRBYFLOAT", "huge", "9e4899"))
          .isEqualTo("-ERR increment would produce NaN or Infinity");
      assertThat(c.call("INCR")).isEqualTo("-ERR wrong number of arguments for 'incr' command");
      assertThat(c.call("INCRBY", "c")).isEqualTo("-ERR wrong number of arguments for 'incrby' command");
      byte[] reserved = {(byte) 0xFF, 'k'};
      c.send(RespConn.encode(new byte[][] {"GET".getBytes(), reserved}));
      assertThat(c.reply()).isEqualTo("-" + Commands.RESERVED_KEY);
      c.send(RespConn.encode(new byte[][] {"SET".getBytes(), reserved, "v".getBytes()}));
      assertThat(c.reply()).isEqualTo("-" + Commands.RESERVED_KEY);
    }
  }

  /**
   * The counter's running total is stored rounded and checked: a total a replica could not read
   * back is refused with Redis's error instead of silently counting as nothing.
   */
  @Test
  void incrbyfloatNeverStoresATotalThatReadsAsNothing() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      String big = "9" + "0".repeat(4899);
      assertThat(text(c.call("INCRBYFLOAT", "k", "9e4899"))).isEqualTo(big);
      assertThat(c.call("DEL", "k")).isEqualTo(1L);
      // this server's own total would be 1.8e4900: not storable, so refused
      assertThat(c.call("INCRBYFLOAT", "k", "9e4899"))
          .isEqualTo("-ERR increment would produce NaN or Infinity");
      assertThat(c.call("GET", "k")).isNull();
      String tiny = "0." + "0".repeat(399) + "1";
      assertThat(text(c.call("INCRBYFLOAT", "k3", "1e-400"))).isEqualTo(tiny);
      String sum = text(c.call("INCRBYFLOAT", "k3", "1e4899"));
      assertThat(sum).isEqualTo("1" + "0".repeat(4899));
      assertThat(text(c.call("GET", "k3"))).isEqualTo(sum);
    }
  }

  @Test
  void keyCommandsWorkOnACounter() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("INCRBY", "c", "7")).isEqualTo(7L);
      assertThat(c.call("EXPIRE", "c", "100")).isEqualTo(1L);
      assertThat(c.call("INCR", "c")).isEqualTo(8L);
      assertThat((Long) c.call("TTL", "c")).isBetween(90L, 100L); // INCR keeps the time to live
      assertThat(c.call("PERSIST", "c")).isEqualTo(1L);
      assertThat(c.call("INCR", "c")).isEqualTo(9L); // still a counter after the rewrite
      assertThat(InProcessNodes.onLoop(n, () -> n.replica.peek("c".getBytes()).kind()))
          .isEqualTo(kvs.core.Entry.KIND_COUNTER);
      assertThat(c.call("SET", "plain", "v")).isEqualTo("+OK");
      assertThat(texts(c.call("KEYS", "*"))).containsExactlyInAnyOrder("c", "plain");
      assertThat(c.call("DBSIZE")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("SCAN", "0", "COUNT", "1000")).get(1)))
          .containsExactlyInAnyOrder("c", "plain");
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "string")).get(1)))
          .containsExactlyInAnyOrder("c", "plain");
      assertThat(c.call("COPY", "c", "copy")).isEqualTo(1L);
      assertThat(text(c.call("GET", "copy"))).isEqualTo("9");
      assertThat(c.call("RENAME", "c", "moved")).isEqualTo("+OK");
      assertThat(c.call("GET", "c")).isNull();
      assertThat(c.call("INCR", "moved")).isEqualTo(10L);
      assertThat(c.call("INCR", "c")).isEqualTo(1L); // a new counter: the old one's total is gone
      assertThat(c.call("DEL", "c")).isEqualTo(1L);
      assertThat(c.call("DEL", "c")).isEqualTo(0L);
      assertThat(c.call("EXISTS", "c")).isEqualTo(0L);
      assertThat(c.call("GET", "c")).isNull();
      assertThat(c.call("TYPE", "c")).isEqualTo("+none");
      assertThat(c.call("INCR", "c")).isEqualTo(1L);
      assertThat(text(((List<?>) c.call("KVS.GET", "c")).get(0))).isEqualTo("1");
      assertThat(((List<?>) c.call("KVS.DEL", "c"))).hasSize(4); // a reset, as DEL writes
      assertThat(((List<?>) c.call("KVS.GET", "c")).get(0)).isNull(); // not the reset's bytes
      assertThat(c.call("INCR", "c")).isEqualTo(1L);
      assertThat(c.call("GETDEL", "c")).satisfies(v -> assertThat(text(v)).isEqualTo("1"));
      assertThat(c.call("INCR", "c")).isEqualTo(1L);
      assertThat(c.call("APPEND", "c", "0")).isEqualTo(2L); // a string again: "10"
      assertThat(c.call("INCR", "c")).isEqualTo(11L);
      assertThat(c.call("SET", "c", "5")).isEqualTo("+OK");
      assertThat(c.call("INCR", "c")).isEqualTo(6L);
      assertThat(c.call("PEXPIRE", "c", "1")).isEqualTo(1L);
      InProcessNodes.await10s("the counter expired", () -> {
        try {
          return c.call("GET", "c") == null;
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertThat(c.call("INCR", "c")).isEqualTo(1L);
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK");
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      assertThat(c.call("INCR", "moved")).isEqualTo(1L);
    }
  }

  /**
   * A hash, set or sorted set that was deleted, emptied, popped, renamed away or flushed leaves
   * a head that reads as absent; an increment of the key starts a counter at 0, as in Redis
   * (INCR used to throw on that head, and the server closed the connection).
   */
  /**
   * An increment below what Redis's long double holds (1e-20000000) is refused as Redis refuses
   * it, and at once: rounding it to 400 decimals divided it down digit by digit of its exponent,
   * 15 s of the event loop for this one (and then it counted as 0).
   */
  @Test
  void anIncrementTooSmallForALongDoubleIsRefusedAsRedisRefusesIt() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("INCRBYFLOAT", "k", "1e-20000000"))
          .isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("HINCRBYFLOAT", "h", "f", "1e-20000000"))
          .isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("EXISTS", "k", "h")).isEqualTo(0L);
      assertThat(text(c.call("INCRBYFLOAT", "k", "1e-4940"))).isEqualTo("0"); // Redis: 0 too
      assertThat(c.call("INCRBYFLOAT", "k", "1e-4960")).isEqualTo("-ERR value is not a valid float");
    }
  }

  /**
   * A counter that once held a number beyond 34 digits' reach and was then deleted or set counts
   * small increments again. Each server keeps a running total of its increments, and a delete or
   * SET cancels what it saw of it: with totals rounded to 34 significant digits, 1e34 + 1 was
   * stored as 1e34, so the INCR that followed counted 0 (GET answered 0 after INCR answered 1).
   */
  @Test
  void aCounterResetAfterAHugeValueCountsSmallIncrements() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(text(c.call("INCRBYFLOAT", "k", "1e34"))).isEqualTo("10000000000000000000000000000000000");
      assertThat(c.call("DEL", "k")).isEqualTo(1L);
      assertThat(c.call("INCR", "k")).isEqualTo(1L);
      assertThat(text(c.call("GET", "k"))).isEqualTo("1");
      assertThat(c.call("INCR", "k")).isEqualTo(2L);
      assertThat(text(c.call("GET", "k"))).isEqualTo("2");

      assertThat(text(c.call("INCRBYFLOAT", "s", "1e34"))).isEqualTo("10000000000000000000000000000000000");
      assertThat(c.call("SET", "s", "5")).isEqualTo("+OK");
      assertThat(c.call("INCR", "s")).isEqualTo(6L);
      assertThat(text(c.call("GET", "s"))).isEqualTo("6");

      assertThat(text(c.call("INCRBYFLOAT", "h", "1e34"))).isEqualTo("10000000000000000000000000000000000");
      assertThat(c.call("EXPIRE", "h", "0")).isEqualTo(1L);
      assertThat(text(c.call("INCRBYFLOAT", "h", "0.5"))).isEqualTo("0.5");
      assertThat(text(c.call("GET", "h"))).isEqualTo("0.5");
    }
  }

  @Test
  void aCounterMayTakeTheNameOfAGoneHashSetOrSortedSet() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      // each type with the ways it goes: DEL, UNLINK, FLUSHALL, RENAME away, the last removal
      String[][][] cases = {
          {{"HSET", "f", "1"}, {"DEL"}, {"UNLINK"}, {"FLUSHALL"}, {"RENAME", "gone"},
              {"HDEL", "f"}},
          {{"SADD", "m"}, {"DEL"}, {"UNLINK"}, {"FLUSHALL"}, {"RENAME", "gone"}, {"SREM", "m"},
              {"SPOP"}},
          {{"ZADD", "1", "m"}, {"DEL"}, {"UNLINK"}, {"FLUSHALL"}, {"RENAME", "gone"},
              {"ZREM", "m"}, {"ZPOPMIN"}}};
      int i = 0;
      for (String[][] typed : cases) {
        String[] make = typed[0];
        for (String[] remove : java.util.Arrays.copyOfRange(typed, 1, typed.length)) {
          String key = "k" + i++;
          c.call(args(make[0], key, java.util.Arrays.copyOfRange(make, 1, make.length)));
          if (remove[0].equals("FLUSHALL")) {
            c.call("FLUSHALL");
          } else {
            c.call(args(remove[0], key, java.util.Arrays.copyOfRange(remove, 1, remove.length)));
          }
          assertThat(c.call("EXISTS", key)).as("%s", key).isEqualTo(0L);
          assertThat(c.call("INCR", key)).as("%s after %s", make[0], remove[0]).isEqualTo(1L);
          assertThat(c.call("INCRBY", key, "4")).isEqualTo(5L);
          assertThat(c.call("DECR", key)).isEqualTo(4L);
          assertThat(text(c.call("INCRBYFLOAT", key, "0.5"))).isEqualTo("4.5");
          assertThat(c.call("TYPE", key)).isEqualTo("+string");
          assertThat(c.call("TTL", key)).isEqualTo(-1L);
        }
      }
      assertThat(c.call("SADD", "e", "m")).isEqualTo(1L);
      assertThat(c.call("SREM", "e", "m")).isEqualTo(1L);
      assertThat(text(c.call("INCRBYFLOAT", "e", "2.5"))).isEqualTo("2.5");
      assertThat(c.call("HSET", "h", "f", "1")).isEqualTo(1L);
      assertThat(c.call("INCR", "h")) // a live hash is still the wrong type
          .isEqualTo("-WRONGTYPE Operation against a key holding the wrong kind of value");
    }
  }

  private static String[] args(String command, String key, String[] rest) {
    String[] all = new String[rest.length + 2];
    all[0] = command;
    all[1] = key;
    System.arraycopy(rest, 0, all, 2, rest.length);
    return all;
  }

  @Test
  void countersAndHashesInTransactionsAndUnderWatch() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port()); RespConn other = RespConn.open(n.port())) {
      assertThat(c.call("INCRBY", "n", "5")).isEqualTo(5L);
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("INCR", "n")).isEqualTo("+QUEUED");
      assertThat(c.call("INCRBY", "n", "10")).isEqualTo("+QUEUED");
      assertThat(c.call("HSET", "h", "f", "1")).isEqualTo("+QUEUED");
      assertThat(c.call("HSET", "h", "g", "2")).isEqualTo("+QUEUED");
      assertThat(c.call("HGETALL", "h")).isEqualTo("+QUEUED");
      assertThat(c.call("DEL", "h")).isEqualTo("+QUEUED");
      assertThat(c.call("HGET", "h", "f")).isEqualTo("+QUEUED");
      @SuppressWarnings("unchecked")
      List<Object> exec = (List<Object>) c.call("EXEC");
      assertThat(exec.subList(0, 4)).containsExactly(6L, 16L, 1L, 1L);
      assertThat(texts(exec.get(4))).containsExactly("f", "1", "g", "2"); // staged, seen inside
      assertThat(exec.subList(5, 7)).containsExactly(1L, null); // DEL hid the staged fields
      assertThat(text(c.call("GET", "n"))).isEqualTo("16");
      assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
      // An INCR or HSET by another connection between WATCH and EXEC fails the EXEC, although
      // it writes only an element, not the key's own entry.
      assertThat(c.call("HSET", "h", "f", "1")).isEqualTo(1L);
      for (String[] change : List.of(new String[] {"INCR", "n"},
          new String[] {"HSET", "h", "f", "2"}, new String[] {"HDEL", "h", "f"})) {
        assertThat(c.call("WATCH", change[1])).isEqualTo("+OK");
        assertThat(other.call(change)).isNotNull();
        assertThat(c.call("MULTI")).isEqualTo("+OK");
        assertThat(c.call("SET", "x", "v")).isEqualTo("+QUEUED");
        assertThat(c.callRaw("EXEC")).as("after %s", List.of(change)).isEqualTo("*-1\r\n");
      }
      assertThat(c.call("EXISTS", "x")).isEqualTo(0L);
    }
  }

  /** Cuts the link between {@code a} and {@code b} both ways. */
  private static void cut(Node a, Node b) throws Exception {
    InProcessNodes.onLoop(a, () -> a.links.block(b.config.id())).get(10, TimeUnit.SECONDS);
    InProcessNodes.onLoop(b, () -> b.links.block(a.config.id())).get(10, TimeUnit.SECONDS);
  }

  private static void heal(Node a, Node b) throws Exception {
    InProcessNodes.onLoop(a, () -> {
      a.links.unblock(b.config.id());
      return null;
    });
    InProcessNodes.onLoop(b, () -> {
      b.links.unblock(a.config.id());
      return null;
    });
    b.dialConfiguredPeers().get(10, TimeUnit.SECONDS); // b dialled a: a blocked link is not redialled
    InProcessNodes.await10s("converged", () -> InProcessNodes.onLoop(a, a::stateText)
        .equals(InProcessNodes.onLoop(b, b::stateText)));
  }

  @Test
  void incrementsOnBothSidesOfAPartitionAddUp() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("INCRBY", "hits", "1")).isEqualTo(1L);
      assertThat(ca.call("SET", "gone", "0")).isEqualTo("+OK");
      assertThat(ca.call("INCRBY", "gone", "3")).isEqualTo(3L);
      InProcessNodes.await10s("linked and equal", () -> InProcessNodes.onLoop(a, a::stateText)
          .equals(InProcessNodes.onLoop(b, b::stateText)));
      cut(a, b);
      assertThat(ca.call("INCRBY", "hits", "5")).isEqualTo(6L);
      assertThat(cb.call("INCRBY", "hits", "5")).isEqualTo(6L);
      assertThat(cb.call("DECRBY", "hits", "2")).isEqualTo(4L);
      // a DEL on one side and an increment on the other: the increment survives the delete
      assertThat(ca.call("DEL", "gone")).isEqualTo(1L);
      assertThat(cb.call("INCRBY", "gone", "10")).isEqualTo(13L);
      // a counter made on both sides at once: both increments count
      assertThat(ca.call("INCRBY", "new", "2")).isEqualTo(2L);
      assertThat(cb.call("INCRBY", "new", "3")).isEqualTo(3L);
      heal(a, b);
      for (RespConn c : List.of(ca, cb)) {
        assertThat(text(c.call("GET", "hits"))).isEqualTo("9");
        assertThat(text(c.call("GET", "gone"))).isEqualTo("10");
        assertThat(text(c.call("GET", "new"))).isEqualTo("5");
      }
      // after the heal, a DEL that saw everything deletes the key everywhere
      assertThat(cb.call("DEL", "gone")).isEqualTo(1L);
      InProcessNodes.await10s("converged", () -> InProcessNodes.onLoop(a, a::stateText)
          .equals(InProcessNodes.onLoop(b, b::stateText)));
      assertThat(ca.call("GET", "gone")).isNull();
      assertThat(ca.call("DBSIZE")).isEqualTo(2L);
    }
  }
}
