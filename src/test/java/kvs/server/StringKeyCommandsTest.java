package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import kvs.net.Limits;
import org.junit.jupiter.api.Test;

/**
 * The string and keyspace commands of issue 13 and what tools read (INFO, CLIENT, SLOWLOG,
 * MEMORY, CONFIG GET, TIME), on in-process servers over real sockets: Redis 7's replies and
 * errors, and replication of FLUSHALL, RENAME and COPY to a peer.
 */
class StringKeyCommandsTest extends InProcessServersTest {
  private Node start() throws Exception {
    return nodes.start(0, Map.of());
  }

  @Test
  void readModifyWriteStringsAnswerAsRedis() throws Exception {
    Node n = start();
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("GETSET", "k", "v1")).isNull();
      assertThat(text(c.call("GETSET", "k", "hello"))).isEqualTo("v1");
      assertThat(c.call("APPEND", "k", " world")).isEqualTo(11L);
      assertThat(c.call("APPEND", "new", "abc")).isEqualTo(3L);
      assertThat(c.call("STRLEN", "k")).isEqualTo(11L);
      assertThat(c.call("STRLEN", "absent")).isEqualTo(0L);
      assertThat(text(c.call("GETRANGE", "k", "0", "4"))).isEqualTo("hello");
      assertThat(text(c.call("GETRANGE", "k", "-5", "-1"))).isEqualTo("world");
      assertThat(text(c.call("GETRANGE", "k", "5", "2"))).isEmpty();
      assertThat(text(c.call("GETRANGE", "k", "-1", "-5"))).isEmpty();
      assertThat(text(c.call("GETRANGE", "k", "0", "100"))).isEqualTo("hello world");
      assertThat(text(c.call("GETRANGE", "absent", "0", "-1"))).isEmpty();
      assertThat(c.call("GETRANGE", "k", "x", "1"))
          .isEqualTo("-ERR value is not an integer or out of range");
      assertThat(c.call("SETRANGE", "k", "6", "W")).isEqualTo(11L);
      assertThat(text(c.call("GET", "k"))).isEqualTo("hello World");
      assertThat(c.call("SETRANGE", "pad", "3", "x")).isEqualTo(4L);
      assertThat((byte[]) c.call("GET", "pad")).containsExactly(0, 0, 0, 'x');
      assertThat(c.call("SETRANGE", "absent", "5", "")).isEqualTo(0L);
      assertThat(c.call("EXISTS", "absent")).isEqualTo(0L);
      assertThat(c.call("SETRANGE", "k", "-1", "x")).isEqualTo("-ERR offset is out of range");
      assertThat(c.call("SETRANGE", "k", Integer.toString(16 * 1024 * 1024), "x"))
          .isEqualTo("-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      // an offset near 2^63: offset + length overflowed, and the connection was closed
      assertThat(c.call("SETRANGE", "k", Long.toString(Long.MAX_VALUE), "x"))
          .isEqualTo("-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      assertThat(c.call("SETRANGE", "absent", Long.toString(Long.MAX_VALUE - 1), "xyz"))
          .isEqualTo("-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      assertThat(c.call("EXISTS", "absent")).isEqualTo(0L);
      assertThat(text(c.call("GETDEL", "k"))).isEqualTo("hello World");
      assertThat(c.call("GETDEL", "k")).isNull();
      assertThat(c.call("EXISTS", "k")).isEqualTo(0L);
      assertThat(c.call("MSETNX", "m1", "a", "m2", "b")).isEqualTo(1L);
      assertThat(c.call("MSETNX", "m2", "z", "m3", "z")).isEqualTo(0L);
      assertThat(c.call("EXISTS", "m3")).isEqualTo(0L);
      assertThat(c.call("MSETNX", "m4", "a", "m5"))
          .isEqualTo("-ERR wrong number of arguments for 'msetnx' command");
      assertThat(c.call("GETSET", "k"))
          .isEqualTo("-ERR wrong number of arguments for 'getset' command");
    }
  }

  /**
   * An integer argument is read as Redis reads one (string2ll): an optional minus and digits,
   * no plus sign, no leading zero, no "-0"; Long.parseLong took "+1", "01" and "-0", so that
   * EXPIRE k 01 set a time to live and GETRANGE k +1 3 answered where Redis refuses both. Scan
   * cursors stay as loose as Redis's (strtoul).
   */
  @Test
  void integerArgumentsAreReadAsRedisReadsThem() throws Exception {
    Node n = start();
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("SET", "k", "hello")).isEqualTo("+OK");
      assertThat(c.call("ZADD", "z", "1", "a", "2", "b")).isEqualTo(2L);
      assertThat(c.call("SADD", "s", "a", "b")).isEqualTo(2L);
      String notInteger = "-ERR value is not an integer or out of range";
      for (String bad : List.of("+1", "01", "-0", "00", "+0")) {
        List<String[]> commands = List.of(
            new String[] {"GETRANGE", "k", bad, "3"}, new String[] {"GETRANGE", "k", "0", bad},
            new String[] {"SETRANGE", "k", bad, "x"}, new String[] {"EXPIRE", "k", bad},
            new String[] {"PEXPIRE", "k", bad}, new String[] {"EXPIREAT", "k", bad},
            new String[] {"PEXPIREAT", "k", bad}, new String[] {"SET", "k", "hello", "EX", bad},
            new String[] {"SET", "k", "hello", "PXAT", bad}, new String[] {"SETEX", "k", bad, "v"},
            new String[] {"GETEX", "k", "EX", bad}, new String[] {"ZRANGE", "z", bad, "-1"},
            new String[] {"ZREVRANGE", "z", "0", bad},
            new String[] {"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", bad, "1"},
            new String[] {"SRANDMEMBER", "s", bad});
        for (String[] command : commands) {
          assertThat(c.call(command)).as(String.join(" ", command)).isEqualTo(notInteger);
        }
      }
      assertThat(text(c.call("GET", "k"))).isEqualTo("hello");
      assertThat(c.call("TTL", "k")).isEqualTo(-1L);
      assertThat(c.call("ZCARD", "z")).isEqualTo(2L);
      assertThat(text(c.call("GETRANGE", "k", "-4", "-2"))).isEqualTo("ell");
      assertThat(c.call("EXPIRE", "k", "100")).isEqualTo(1L);
      assertThat(texts(((List<?>) c.call("ZSCAN", "z", "00")).get(1))).contains("a", "b");
    }
  }

  @Test
  void keyspaceCommandsAnswerAsRedis() throws Exception {
    Node n = start();
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("RANDOMKEY")).isNull();
      assertThat(c.call("MSET", "user:1", "a", "user:2", "b", "other", "c")).isEqualTo("+OK");
      assertThat(texts(c.call("KEYS", "user:*"))).containsExactly("user:1", "user:2");
      assertThat(texts(c.call("KEYS", "*"))).containsExactlyInAnyOrder("user:1", "user:2", "other");
      assertThat(text(c.call("RANDOMKEY"))).isIn("user:1", "user:2", "other");
      assertThat(c.call("TOUCH", "user:1", "other", "absent")).isEqualTo(2L);
      assertThat(c.call("RENAME", "absent", "x")).isEqualTo("-ERR no such key");
      assertThat(c.call("RENAMENX", "absent", "x")).isEqualTo("-ERR no such key");
      assertThat(c.call("RENAME", "user:1", "user:9")).isEqualTo("+OK");
      assertThat(c.call("EXISTS", "user:1")).isEqualTo(0L);
      assertThat(text(c.call("GET", "user:9"))).isEqualTo("a");
      assertThat(c.call("RENAME", "user:9", "user:9")).isEqualTo("+OK");
      assertThat(c.call("RENAMENX", "user:9", "user:2")).isEqualTo(0L);
      assertThat(c.call("RENAMENX", "user:9", "user:1")).isEqualTo(1L);
      assertThat(c.call("COPY", "user:1", "copy")).isEqualTo(1L);
      assertThat(c.call("COPY", "user:2", "copy")).isEqualTo(0L);
      assertThat(c.call("COPY", "user:2", "copy", "REPLACE")).isEqualTo(1L);
      assertThat(text(c.call("GET", "copy"))).isEqualTo("b");
      assertThat(c.call("COPY", "absent", "copy2")).isEqualTo(0L);
      assertThat(c.call("COPY", "copy", "copy")).isEqualTo("-ERR source and destination objects are the same");
      assertThat(c.call("COPY", "copy", "c2", "DB", "1")).isEqualTo("-ERR DB index is out of range");
      assertThat(c.call("COPY", "copy", "c2", "DB", "0")).isEqualTo(1L);
      assertThat(c.call("COPY", "copy", "c3", "NOPE")).isEqualTo("-ERR syntax error");
      assertThat(c.call("UNLINK", "c2", "absent")).isEqualTo(1L);
      assertThat(c.call("FLUSHALL", "NOW")).isEqualTo("-ERR syntax error");
      assertThat(c.call("FLUSHDB", "ASYNC")).isEqualTo("+OK");
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK");
      assertThat(texts(c.call("KEYS", "*"))).isEmpty();
    }
  }

  @Test
  void flushallRenameAndCopyReplicateToAPeer() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("MSET", "r1", "one", "r2", "two", "r3", "three")).isEqualTo("+OK");
      assertThat(ca.call("RENAME", "r1", "renamed")).isEqualTo("+OK");
      assertThat(ca.call("COPY", "r2", "copied")).isEqualTo(1L);
      InProcessNodes.await("rename and copy reached the peer", 10_000, () -> InProcessNodes.onLoop(b,
          () -> b.replica.peek("copied".getBytes()) != null
              && b.replica.peek("renamed".getBytes()) != null));
      assertThat(text(cb.call("GET", "renamed"))).isEqualTo("one");
      assertThat(cb.call("GET", "r1")).isNull();
      assertThat(text(cb.call("GET", "copied"))).isEqualTo("two");
      assertThat(cb.call("DBSIZE")).isEqualTo(4L);
      assertThat(ca.call("FLUSHALL")).isEqualTo("+OK");
      InProcessNodes.await("the flush reached the peer", 10_000, () -> InProcessNodes.onLoop(b, () -> {
        long[] n = {0};
        b.replica.forEachLive(e -> n[0]++);
        return n[0] == 0;
      }));
      // A key written after the flush, on the peer, is not touched by it.
      assertThat(cb.call("SET", "after", "v")).isEqualTo("+OK");
      InProcessNodes.await("converged", 10_000, () -> InProcessNodes.onLoop(a, a::stateText).equals(InProcessNodes.onLoop(b, b::stateText)));
      assertThat(text(ca.call("GET", "after"))).isEqualTo("v");
    }
  }

  @Test
  void whatToolsReadIsThere() throws Exception {
    Node n = start();
    try (RespConn c = RespConn.open(n.port()); RespConn other = RespConn.open(n.port())) {
      assertThat(c.call("SET", "k", "value")).isEqualTo("+OK");
      String info = text(c.call("INFO"));
      for (String field : List.of("# Server", "uptime_in_seconds:", "# Clients",
          "connected_clients:2", "# Memory", "used_memory:", "# Stats",
          "total_commands_processed:", "instantaneous_ops_per_sec:",
          "total_connections_received:", "# Replication", "role:master", "# CPU",
          "used_cpu_sys:", "# Keyspace", "db0:keys=1,")) {
        assertThat(info).contains(field);
      }
      assertThat(text(c.call("INFO", "stats"))).startsWith("# Stats\r\n").doesNotContain("# Server");
      // Where the memory goes (docs/performance.md, issue 10): one write, cached and in a memtable.
      assertThat(text(c.call("INFO", "memory"))).contains("kvs_heap_committed:",
          "kvs_rocksdb_block_cache:", "kvs_rocksdb_table_readers:", "kvs_rocksdb_busy:",
          "kvs_entry_cache_entries:1\r\n").doesNotContain("kvs_rocksdb_memtables:0\r\n");
      long id = (Long) c.call("CLIENT", "ID");
      long otherId = (Long) other.call("CLIENT", "ID");
      assertThat(otherId).isNotEqualTo(id);
      assertThat(c.call("CLIENT", "SETNAME", "me")).isEqualTo("+OK");
      assertThat(text(c.call("CLIENT", "GETNAME"))).isEqualTo("me");
      assertThat(text(c.call("CLIENT", "INFO"))).startsWith("id=" + id + " ").contains(" name=me ")
          .contains(" cmd=client|info ").endsWith("\n");
      String list = text(c.call("CLIENT", "LIST"));
      assertThat(list.split("\n")).hasSize(2);
      assertThat(list).contains("id=" + id + " ", "id=" + otherId + " ");
      assertThat(c.call("CLIENT", "KILL", "ID", "0")).isEqualTo("-ERR client-id should be greater than 0");
      assertThat(c.call("CLIENT", "KILL", "1.2.3.4:5")).isEqualTo("-ERR No such client");
      assertThat(c.call("CLIENT", "KILL", "ID", Long.toString(otherId))).isEqualTo(1L);
      assertThat(other.closedByServer()).isTrue();
      assertThat(c.call("SLOWLOG", "RESET")).isEqualTo("+OK"); // a cold start may be slow
      assertThat(c.call("SLOWLOG", "LEN")).isEqualTo(0L);
      assertThat(c.call("SLOWLOG", "GET")).isEqualTo(List.of());
      assertThat(c.call("SLOWLOG", "GET", "-2"))
          .isEqualTo("-ERR count should be greater than or equal to -1");
      assertThat(c.call("MEMORY", "USAGE", "k")).isEqualTo(ServerInfoCommands.usage(1, 5));
      assertThat(c.call("MEMORY", "USAGE", "k", "SAMPLES", "0")).isEqualTo(ServerInfoCommands.usage(1, 5));
      assertThat(c.call("MEMORY", "USAGE", "absent")).isNull();
      assertThat(texts(c.call("CONFIG", "GET", "proto-max-bulk-len")))
          .containsExactly("proto-max-bulk-len", Integer.toString(Limits.DEFAULT.valueBytesMax()));
      assertThat(texts(c.call("CONFIG", "GET", "slowlog-*")))
          .containsExactly("slowlog-log-slower-than", "10000", "slowlog-max-len", "128");
      List<String> time = texts(c.call("TIME"));
      assertThat(Long.parseLong(time.get(0))).isCloseTo(System.currentTimeMillis() / 1000,
          org.assertj.core.data.Offset.offset(5L));
      assertThat(Long.parseLong(time.get(1))).isBetween(0L, 999_999L);
    }
  }

  @Test
  void aSlowCommandIsLogged() throws Exception {
    Node n = start();
    try (RespConn c = RespConn.open(n.port())) {
      // 200,000 keys in one MSET takes well over 10 ms.
      String[] args = new String[1 + 2 * 200_000];
      args[0] = "MSET";
      for (int i = 0; i < 200_000; i++) {
        args[1 + 2 * i] = "key" + i;
        args[2 + 2 * i] = "v";
      }
      assertThat(c.call("SLOWLOG", "RESET")).isEqualTo("+OK");
      // Its reply may take far longer than RespConn's 10 s read timeout on a loaded machine (a
      // run of the suite under CPU load waited over 10 s for it): the test is about it being slow.
      c.socket.setSoTimeout(120_000);
      assertThat(c.call(args)).isEqualTo("+OK");
      c.socket.setSoTimeout(10_000);
      assertThat((Long) c.call("SLOWLOG", "LEN")).isGreaterThanOrEqualTo(1L);
      List<?> entry = (List<?>) ((List<?>) c.call("SLOWLOG", "GET", "1")).get(0);
      assertThat(entry).hasSize(6);
      assertThat((Long) entry.get(2)).isGreaterThanOrEqualTo(10_000L);
      List<?> logged = (List<?>) entry.get(3);
      assertThat(logged).hasSize(32);
      assertThat(text(logged.get(0))).isEqualTo("MSET");
      assertThat(text(logged.get(31))).isEqualTo("... (399970 more arguments)");
    }
  }
}
