package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The hash commands on in-process servers over real sockets: Redis 7's replies and errors,
 * WRONGTYPE both ways, the key commands on a hash, fields set on both sides of a partition,
 * fields as merging counters (HINCRBY on both sides of a partition, against a concurrent HSET,
 * HDEL or DEL), and HSCAN paging with a cursor.
 */
class HashCommandsTest extends InProcessServersTest {
  @Test
  void hashesAnswerAsRedis() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("HSET", "h", "a", "1", "b", "2")).isEqualTo(2L);
      assertThat(c.call("HSET", "h", "a", "10", "c", "3")).isEqualTo(1L);
      assertThat(text(c.call("HGET", "h", "a"))).isEqualTo("10");
      assertThat(c.call("HGET", "h", "nope")).isNull();
      assertThat(c.call("HGET", "absent", "a")).isNull();
      assertThat(texts(c.call("HMGET", "h", "a", "nope", "c"))).containsExactly("10", "null", "3");
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("a", "10", "b", "2", "c", "3");
      assertThat(texts(c.call("HKEYS", "h"))).containsExactly("a", "b", "c");
      assertThat(texts(c.call("HVALS", "h"))).containsExactly("10", "2", "3");
      assertThat(c.call("HLEN", "h")).isEqualTo(3L);
      assertThat(c.call("HLEN", "absent")).isEqualTo(0L);
      assertThat(c.call("HEXISTS", "h", "b")).isEqualTo(1L);
      assertThat(c.call("HEXISTS", "h", "z")).isEqualTo(0L);
      assertThat(c.call("HSTRLEN", "h", "a")).isEqualTo(2L);
      assertThat(c.call("HSETNX", "h", "a", "x")).isEqualTo(0L);
      assertThat(c.call("HSETNX", "h", "d", "4")).isEqualTo(1L);
      assertThat(c.call("HINCRBY", "h", "d", "5")).isEqualTo(9L);
      assertThat(c.call("HINCRBY", "h", "new", "-2")).isEqualTo(-2L);
      assertThat(text(c.call("HINCRBYFLOAT", "h", "d", "0.5"))).isEqualTo("9.5");
      assertThat(c.call("HINCRBY", "h", "d", "1")).isEqualTo("-ERR hash value is not an integer");
      assertThat(c.call("HINCRBY", "h", "d", "x"))
          .isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("HDEL", "h", "new", "d", "d", "nope")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("HSCAN", "h", "0", "MATCH", "[ab]")).get(1)))
          .containsExactly("a", "10", "b", "2");
      assertThat(texts(((List<?>) c.call("HSCAN", "h", "0", "NOVALUES")).get(1)))
          .containsExactly("a", "b", "c");
      assertThat(c.call("TYPE", "h")).isEqualTo("+hash");
      assertThat(c.call("HSET", "h", "a")).isEqualTo("-ERR wrong number of arguments for 'hset' command");
      assertThat(c.call("HGETALL", "absent")).isEqualTo(List.of());
      // WRONGTYPE both ways, and nothing changed
      String wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value";
      assertThat(c.call("GET", "h")).isEqualTo(wrongType);
      assertThat(c.call("INCR", "h")).isEqualTo(wrongType);
      assertThat(c.call("APPEND", "h", "x")).isEqualTo(wrongType);
      assertThat(c.call("STRLEN", "h")).isEqualTo(wrongType);
      assertThat(c.call("GETDEL", "h")).isEqualTo(wrongType);
      assertThat(c.call("SET", "h", "v", "GET")).isEqualTo(wrongType);
      assertThat(texts(c.call("MGET", "h"))).containsExactly("null");
      assertThat(c.call("KVS.GET", "h")).isEqualTo(wrongType);
      assertThat(c.call("SET", "s", "v")).isEqualTo("+OK");
      assertThat(c.call("HSET", "s", "f", "v")).isEqualTo(wrongType);
      assertThat(c.call("HGET", "s", "f")).isEqualTo(wrongType);
      assertThat(c.call("INCR", "n")).isEqualTo(1L);
      assertThat(c.call("HGETALL", "n")).isEqualTo(wrongType);
      assertThat(text(c.call("GET", "s"))).isEqualTo("v");
      // deleting the last field deletes the key; a new hash does not see the old fields
      assertThat(c.call("HDEL", "h", "a", "b", "c")).isEqualTo(3L);
      assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
      assertThat(c.call("TYPE", "h")).isEqualTo("+none");
      assertThat(c.call("HSET", "h", "z", "26")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("z", "26");
      assertThat(c.call("DEL", "h")).isEqualTo(1L);
      assertThat(c.call("HGETALL", "h")).isEqualTo(List.of());
      assertThat(c.call("HSET", "h", "y", "25")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("y", "25");
      // SET replaces a hash, as in Redis
      assertThat(c.call("SET", "h", "plain")).isEqualTo("+OK");
      assertThat(c.call("HGET", "h", "y")).isEqualTo(wrongType);
      assertThat(c.call("DEL", "h")).isEqualTo(1L);
      assertThat(c.call("HSET", "h", "x", "24")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("x", "24");
    }
  }

  @Test
  void keyCommandsWorkOnAHash() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("HSET", "h", "f1", "v1", "f2", "v2")).isEqualTo(2L);
      assertThat(c.call("SET", "s", "v")).isEqualTo("+OK");
      assertThat(c.call("EXPIRE", "h", "100")).isEqualTo(1L);
      assertThat((Long) c.call("TTL", "h")).isBetween(90L, 100L);
      assertThat(c.call("HSET", "h", "f3", "v3")).isEqualTo(1L);
      assertThat((Long) c.call("TTL", "h")).isBetween(90L, 100L);
      assertThat(c.call("PERSIST", "h")).isEqualTo(1L);
      assertThat((Long) c.call("MEMORY", "USAGE", "h")).isGreaterThan(3 * 4L);
      assertThat(c.call("HLEN", "h")).isEqualTo(3L);
      assertThat(texts(c.call("KEYS", "*"))).containsExactlyInAnyOrder("h", "s");
      assertThat(c.call("DBSIZE")).isEqualTo(2L);
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "hash")).get(1))).containsExactly("h");
      assertThat(texts(((List<?>) c.call("SCAN", "0", "TYPE", "string")).get(1)))
          .containsExactly("s");
      assertThat(c.call("COPY", "h", "h2")).isEqualTo(1L);
      assertThat(c.call("RENAME", "h", "h3")).isEqualTo("+OK");
      assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
      assertThat(texts(c.call("HGETALL", "h2"))).containsExactly("f1", "v1", "f2", "v2", "f3", "v3");
      assertThat(texts(c.call("HGETALL", "h3"))).containsExactly("f1", "v1", "f2", "v2", "f3", "v3");
      assertThat(c.call("HSET", "h", "new", "1")).isEqualTo(1L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("new", "1");
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK");
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      assertThat(c.call("HGETALL", "h2")).isEqualTo(List.of());
    }
  }

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
    b.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    InProcessNodes.await10s("converged", () -> InProcessNodes.onLoop(a, a::stateText)
        .equals(InProcessNodes.onLoop(b, b::stateText)));
  }

  @Test
  void fieldsSetOnBothSidesOfAPartitionBothSurvive() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("HSET", "user", "name", "ann")).isEqualTo(1L);
      assertThat(ca.call("HSET", "gone", "old", "1")).isEqualTo(1L);
      InProcessNodes.await10s("equal", () -> InProcessNodes.onLoop(a, a::stateText)
          .equals(InProcessNodes.onLoop(b, b::stateText)));
      cut(a, b);
      assertThat(ca.call("HSET", "user", "email", "ann@example.org")).isEqualTo(1L);
      assertThat(cb.call("HSET", "user", "city", "Oslo")).isEqualTo(1L);
      assertThat(ca.call("HSET", "user", "name", "Ann")).isEqualTo(0L);
      // a DEL on one side, a field set on the other: the new field survives, the old one not
      assertThat(ca.call("DEL", "gone")).isEqualTo(1L);
      assertThat(cb.call("HSET", "gone", "new", "2")).isEqualTo(1L);
      // the same hash made on both sides at once keeps both fields
      assertThat(ca.call("HSET", "both", "x", "1")).isEqualTo(1L);
      assertThat(cb.call("HSET", "both", "y", "2")).isEqualTo(1L);
      heal(a, b);
      for (RespConn c : List.of(ca, cb)) {
        assertThat(texts(c.call("HGETALL", "user")))
            .containsExactly("city", "Oslo", "email", "ann@example.org", "name", "Ann");
        assertThat(texts(c.call("HGETALL", "gone"))).containsExactly("new", "2");
        assertThat(texts(c.call("HGETALL", "both"))).containsExactly("x", "1", "y", "2");
      }
    }
  }

  @Test
  void counterFieldsAnswerAsRedis() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      // a field made by HINCRBY alone exists, counts and reads as its sum
      assertThat(c.call("HINCRBY", "h", "c", "5")).isEqualTo(5L);
      assertThat(c.call("HINCRBY", "h", "c", "-7")).isEqualTo(-2L);
      assertThat(text(c.call("HGET", "h", "c"))).isEqualTo("-2");
      assertThat(c.call("HLEN", "h")).isEqualTo(1L);
      assertThat(c.call("HEXISTS", "h", "c")).isEqualTo(1L);
      assertThat(c.call("HSTRLEN", "h", "c")).isEqualTo(2L);
      assertThat(c.call("EXISTS", "h")).isEqualTo(1L);
      assertThat(c.call("TYPE", "h")).isEqualTo("+hash");
      assertThat(texts(c.call("HVALS", "h"))).containsExactly("-2");
      assertThat(texts(c.call("HMGET", "h", "c", "x"))).containsExactly("-2", "null");
      // HSET replaces the value: the increments this server had seen no longer count
      assertThat(c.call("HSET", "h", "c", "100")).isEqualTo(0L);
      assertThat(text(c.call("HGET", "h", "c"))).isEqualTo("100");
      assertThat(c.call("HINCRBY", "h", "c", "1")).isEqualTo(101L);
      assertThat(text(c.call("HINCRBYFLOAT", "h", "c", "0.25"))).isEqualTo("101.25");
      assertThat(c.call("HINCRBY", "h", "c", "1")).isEqualTo("-ERR hash value is not an integer");
      // a base written as text stays as written until an increment touches it
      assertThat(c.call("HSET", "h", "t", "010")).isEqualTo(1L);
      assertThat(text(c.call("HGET", "h", "t"))).isEqualTo("010");
      assertThat(c.call("HINCRBY", "h", "t", "1")).isEqualTo("-ERR hash value is not an integer");
      assertThat(text(c.call("HINCRBYFLOAT", "h", "t", "1"))).isEqualTo("11");
      assertThat(c.call("HSET", "h", "w", "word")).isEqualTo(1L);
      assertThat(c.call("HINCRBY", "h", "w", "1")).isEqualTo("-ERR hash value is not an integer");
      assertThat(c.call("HINCRBYFLOAT", "h", "w", "1")).isEqualTo("-ERR hash value is not a float");
      assertThat(c.call("HINCRBYFLOAT", "h", "w", "x")).isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("HINCRBY", "h", "w", "1.5"))
          .isEqualTo("-ERR value is not an integer or out of range");
      // 64-bit limits, and nothing written by a refused increment
      assertThat(c.call("HSET", "h", "big", "9223372036854775800")).isEqualTo(1L);
      assertThat(c.call("HINCRBY", "h", "big", "7")).isEqualTo(9223372036854775807L);
      assertThat(c.call("HINCRBY", "h", "big", "1"))
          .isEqualTo("-ERR increment or decrement would overflow");
      assertThat(c.call("HINCRBY", "h", "neg", "-9223372036854775808"))
          .isEqualTo(-9223372036854775808L);
      assertThat(c.call("HINCRBY", "h", "neg", "-1"))
          .isEqualTo("-ERR increment or decrement would overflow");
      assertThat(text(c.call("HGET", "h", "big"))).isEqualTo("9223372036854775807");
      assertThat(c.call("HINCRBYFLOAT", "h", "f", "1e5000"))
          .isEqualTo("-ERR value is not a valid float");
      assertThat(c.call("HEXISTS", "h", "f")).isEqualTo(0L);
      // HDEL resets a counter field: the next increment starts from 0
      assertThat(c.call("HDEL", "h", "c")).isEqualTo(1L);
      assertThat(c.call("HEXISTS", "h", "c")).isEqualTo(0L);
      assertThat(c.call("HGET", "h", "c")).isNull();
      assertThat(c.call("HINCRBY", "h", "c", "3")).isEqualTo(3L);
      // DEL of the hash too; and a new hash does not see the old increments
      assertThat(c.call("DEL", "h")).isEqualTo(1L);
      assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
      assertThat(c.call("HINCRBY", "h", "c", "4")).isEqualTo(4L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("c", "4");
      // COPY and RENAME carry a counter field's value
      assertThat(c.call("COPY", "h", "h2")).isEqualTo(1L);
      assertThat(c.call("HINCRBY", "h2", "c", "1")).isEqualTo(5L);
      assertThat(texts(c.call("HGETALL", "h"))).containsExactly("c", "4");
      // a string over the hash hides the fields; a hash made again starts afresh
      assertThat(c.call("SET", "h", "plain")).isEqualTo("+OK");
      assertThat(c.call("HINCRBY", "h", "c", "1"))
          .isEqualTo("-WRONGTYPE Operation against a key holding the wrong kind of value");
      assertThat(c.call("DEL", "h")).isEqualTo(1L);
      assertThat(c.call("HINCRBY", "h", "c", "1")).isEqualTo(1L);
      // inside a transaction
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("HINCRBY", "h", "c", "1")).isEqualTo("+QUEUED");
      assertThat(c.call("HINCRBY", "h", "c", "1")).isEqualTo("+QUEUED");
      assertThat(c.call("EXEC")).isEqualTo(List.of(2L, 3L));
      // WATCH sees an increment by another connection (which writes neither head nor register)
      try (RespConn other = RespConn.open(n.port())) {
        assertThat(c.call("WATCH", "h")).isEqualTo("+OK");
        assertThat(other.call("HINCRBY", "h", "c", "1")).isEqualTo(4L);
        assertThat(c.call("MULTI")).isEqualTo("+OK");
        assertThat(c.call("HINCRBY", "h", "c", "1")).isEqualTo("+QUEUED");
        assertThat(c.callRaw("EXEC")).isEqualTo("*-1\r\n");
        assertThat(text(c.call("HGET", "h", "c"))).isEqualTo("4");
      }
    }
  }

  /** Two servers that exchanged what they hold, then cut apart. */
  private Node[] partitioned(RespConn[] conns, String... setup) throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    conns[0] = RespConn.open(a.port());
    conns[1] = RespConn.open(b.port());
    for (int i = 0; i + 2 < setup.length; i += 3) {
      RespConn c = conns[Integer.parseInt(setup[i])];
      assertThat(c.call("HINCRBY", "h", setup[i + 1], setup[i + 2])).isInstanceOf(Long.class);
    }
    InProcessNodes.await10s("equal", () -> InProcessNodes.onLoop(a, a::stateText)
        .equals(InProcessNodes.onLoop(b, b::stateText)));
    cut(a, b);
    return new Node[] {a, b};
  }

  @Test
  void incrementsOnBothSidesOfAPartitionAllCount() throws Exception {
    RespConn[] c = new RespConn[2];
    Node[] n = partitioned(c, "0", "seen", "1");
    try (RespConn ca = c[0]; RespConn cb = c[1]) {
      assertThat(ca.call("HINCRBY", "h", "f", "5")).isEqualTo(5L);
      assertThat(cb.call("HINCRBY", "h", "f", "5")).isEqualTo(5L);
      assertThat(ca.call("HINCRBY", "h", "seen", "2")).isEqualTo(3L);
      assertThat(cb.call("HINCRBY", "h", "seen", "3")).isEqualTo(4L);
      heal(n[0], n[1]);
      for (RespConn r : List.of(ca, cb)) {
        assertThat(text(r.call("HGET", "h", "f"))).isEqualTo("10");
        assertThat(texts(r.call("HGETALL", "h"))).containsExactly("f", "10", "seen", "6");
      }
    }
  }

  @Test
  void anHsetHidesTheIncrementsItsServerHadSeenAndNoOther() throws Exception {
    RespConn[] c = new RespConn[2];
    Node[] n = partitioned(c, "1", "f", "3", "0", "g", "1");
    try (RespConn ca = c[0]; RespConn cb = c[1]) {
      // A's HSET saw B's 3, not B's concurrent 5: the field is 100 + 5
      assertThat(ca.call("HSET", "h", "f", "100")).isEqualTo(0L);
      assertThat(cb.call("HINCRBY", "h", "f", "5")).isEqualTo(8L);
      // the same with the HSET's clock behind the increment's: versions do not decide
      assertThat(cb.call("HINCRBY", "h", "g", "5")).isEqualTo(6L);
      assertThat(ca.call("HSET", "h", "g", "100")).isEqualTo(0L);
      heal(n[0], n[1]);
      for (RespConn r : List.of(ca, cb)) {
        assertThat(texts(r.call("HGETALL", "h"))).containsExactly("f", "105", "g", "105");
      }
    }
  }

  @Test
  void anIncrementConcurrentWithHdelOrDelSurvivesIt() throws Exception {
    RespConn[] c = new RespConn[2];
    Node[] n = partitioned(c, "0", "f", "7", "1", "g", "1");
    try (RespConn ca = c[0]; RespConn cb = c[1]) {
      assertThat(ca.call("HDEL", "h", "f")).isEqualTo(1L);
      assertThat(cb.call("HINCRBY", "h", "f", "2")).isEqualTo(9L);
      heal(n[0], n[1]);
      for (RespConn r : List.of(ca, cb)) {
        assertThat(texts(r.call("HGETALL", "h"))).containsExactly("f", "2", "g", "1");
      }
      cut(n[0], n[1]);
      assertThat(ca.call("DEL", "h")).isEqualTo(1L);
      assertThat(cb.call("HINCRBY", "h", "g", "4")).isEqualTo(5L);
      heal(n[0], n[1]);
      for (RespConn r : List.of(ca, cb)) {
        assertThat(texts(r.call("HGETALL", "h"))).containsExactly("g", "4");
      }
    }
  }

  /** Every field HSCAN returns from cursor 0 to 0 with {@code count}, and how many calls. */
  static int scanAll(RespConn c, String cmd, String key, int count, java.util.Set<String> out,
      Runnable midway) throws Exception {
    String cursor = "0";
    int calls = 0;
    do {
      List<?> reply = (List<?>) c.call(cmd, key, cursor, "COUNT", Integer.toString(count));
      cursor = text(reply.get(0));
      List<String> items = texts(reply.get(1));
      int step = cmd.equals("SSCAN") ? 1 : 2; // HSCAN and ZSCAN: pairs
      assertThat(items.size() / step).as("a page's size").isLessThanOrEqualTo(2 * count);
      for (int i = 0; i < items.size(); i += step) out.add(items.get(i));
      if (++calls == 20 && midway != null) midway.run();
      assertThat(calls).as("calls").isLessThan(100_000);
    } while (!cursor.equals("0"));
    return calls;
  }

  @Test
  void hscanPagesWithACursor() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      java.util.Set<String> kept = new java.util.TreeSet<>();
      for (int batch = 0; batch < 6; batch++) {
        List<String> args = new java.util.ArrayList<>(List.of("HSET", "h"));
        for (int i = 0; i < 500; i++) {
          String f = String.format("f%05d", batch * 500 + i);
          args.add(f);
          args.add("v");
          if ((batch * 500 + i) % 7 != 0) kept.add(f); // the others go during a scan below
        }
        assertThat(c.call(args.toArray(new String[0]))).isEqualTo(500L);
      }
      for (int i = 0; i < 300; i++) { // fields that only have increments
        String f = String.format("g%05d", i);
        assertThat(c.call("HINCRBY", "h", f, "1")).isEqualTo(1L);
        kept.add(f);
      }
      java.util.Set<String> all = new java.util.TreeSet<>();
      int calls = scanAll(c, "HSCAN", "h", 10, all, null);
      assertThat(all).hasSize(3300).containsAll(kept);
      assertThat(calls).as("about 3,300 fields / 10 a call").isBetween(170, 400);
      // fields removed and added during the scan: every field present throughout comes
      java.util.Set<String> seen = new java.util.TreeSet<>();
      scanAll(c, "HSCAN", "h", 10, seen, () -> {
        try {
          for (int i = 0; i < 3000; i += 7) {
            assertThat(c.call("HDEL", "h", String.format("f%05d", i))).isEqualTo(1L);
            assertThat(c.call("HSET", "h", String.format("f%05da", i), "new")).isEqualTo(1L);
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(seen).containsAll(kept);
      for (String f : seen) assertThat(f).matches("f\\d{5}a?|g\\d{5}");
      // MATCH and NOVALUES on a page; a cursor from one page is good on another connection
      List<?> first = (List<?>) c.call("HSCAN", "h", "0", "COUNT", "5", "MATCH", "g*");
      assertThat(texts(first.get(1))).isEmpty(); // g* fields come after 5 f fields
      try (RespConn other = RespConn.open(n.port())) {
        List<?> page = (List<?>) other.call("HSCAN", "h", text(first.get(0)), "COUNT", "5",
            "NOVALUES");
        assertThat(texts(page.get(1))).hasSizeBetween(1, 10).allMatch(f -> f.startsWith("f"));
      }
      // a small hash answers in one page; bad cursors are refused; an unknown one restarts
      assertThat(c.call("HSET", "small", "a", "1", "b", "2")).isEqualTo(2L);
      List<?> small = (List<?>) c.call("HSCAN", "small", "0");
      assertThat(text(small.get(0))).isEqualTo("0");
      assertThat(texts(small.get(1))).containsExactly("a", "1", "b", "2");
      assertThat(c.call("HSCAN", "h", "x")).isEqualTo("-ERR invalid cursor");
      assertThat(c.call("HSCAN", "h", "-1")).isEqualTo("-ERR invalid cursor");
      assertThat(c.call("HSCAN", "h", "0", "COUNT", "0")).isEqualTo("-ERR syntax error");
      List<?> unknown = (List<?>) c.call("HSCAN", "small", "123456789");
      assertThat(texts(unknown.get(1))).containsExactly("a", "1", "b", "2");
      List<?> absent = (List<?>) c.call("HSCAN", "absent", "0");
      assertThat(text(absent.get(0))).isEqualTo("0");
      assertThat(absent.get(1)).isEqualTo(List.of());
    }
  }

  /**
   * A field's running total is stored rounded and checked: a total a replica could not read
   * back (too many digits) is refused with Redis's error instead of silently counting as nothing.
   */
  @Test
  void hincrbyfloatNeverStoresATotalThatReadsAsNothing() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      String big = "9" + "0".repeat(4899);
      assertThat(text(c.call("HINCRBYFLOAT", "h", "f", "9e4899"))).isEqualTo(big);
      assertThat(c.call("HSET", "h", "f", "0")).isEqualTo(0L);
      // this server's own total would be 1.8e4900: not storable, so refused
      assertThat(c.call("HINCRBYFLOAT", "h", "f", "9e4899"))
          .isEqualTo("-ERR increment would produce NaN or Infinity");
      assertThat(text(c.call("HGET", "h", "f"))).isEqualTo("0");
      // an unrounded total (1e4899 + 1e-400) would be longer than any number text read back
      String tiny = "0." + "0".repeat(399) + "1";
      assertThat(text(c.call("HINCRBYFLOAT", "h3", "f", "1e-400"))).isEqualTo(tiny);
      String sum = text(c.call("HINCRBYFLOAT", "h3", "f", "1e4899"));
      assertThat(sum).isEqualTo("1" + "0".repeat(4899));
      assertThat(text(c.call("HGET", "h3", "f"))).isEqualTo(sum);
      assertThat(text(c.call("HINCRBYFLOAT", "h3", "f", "-1e4899"))).isEqualTo("0");
    }
  }
}
