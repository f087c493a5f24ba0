package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvs.core.Entry;
import org.junit.jupiter.api.Test;

/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH on in-process servers over real sockets: Redis 7's
 * replies and errors, isolation, all-or-nothing, and a transaction reaching a peer as one batch.
 */
class TransactionCommandsTest extends InProcessServersTest {
  @Test
  void execRunsTheQueueInOrderAndItsCommandsSeeEachOthersWrites() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port()); RespConn other = RespConn.open(n.port())) {
      assertThat(c.call("SET", "k", "old")).isEqualTo("+OK");
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "k", "new")).isEqualTo("+QUEUED");
      assertThat(c.call("APPEND", "k", "er")).isEqualTo("+QUEUED");
      assertThat(c.call("GET", "k")).isEqualTo("+QUEUED");
      assertThat(c.call("SET", "other", "v", "EX", "100")).isEqualTo("+QUEUED");
      assertThat(c.call("KEYS", "*")).isEqualTo("+QUEUED");
      assertThat(c.call("DEL", "k")).isEqualTo("+QUEUED");
      assertThat(c.call("EXISTS", "k")).isEqualTo("+QUEUED");
      assertThat(text(other.call("CLIENT", "LIST"))).contains("flags=x").contains("multi=7");
      assertThat(text(other.call("GET", "k"))).as("nothing ran yet").isEqualTo("old");
      List<?> results = (List<?>) c.call("EXEC");
      assertThat(results).hasSize(7);
      assertThat(results.get(0)).isEqualTo("+OK");
      assertThat(results.get(1)).isEqualTo(5L);
      assertThat(text(results.get(2))).isEqualTo("newer");
      assertThat(results.get(3)).isEqualTo("+OK");
      assertThat(texts(results.get(4))).containsExactlyInAnyOrder("k", "other");
      assertThat(results.get(5)).isEqualTo(1L);
      assertThat(results.get(6)).isEqualTo(0L);
      assertThat(c.call("GET", "k")).isNull();
      assertThat(text(c.call("GET", "other"))).isEqualTo("v");
      assertThat((Long) c.call("TTL", "other")).isBetween(1L, 100L);
      assertThat(text(c.call("CLIENT", "LIST"))).contains("flags=N").contains("multi=-1");
      assertThat(c.callRaw("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
      assertThat(c.callRaw("DISCARD")).isEqualTo("-ERR DISCARD without MULTI\r\n");
    }
  }

  @Test
  void aCommandRefusedWhileQueuingAbortsTheWholeTransaction() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "k", "v")).isEqualTo("+QUEUED");
      assertThat((String) c.call("NOSUCHCOMMAND", "x")).startsWith("-ERR unknown command");
      assertThat(c.callRaw("MULTI")).isEqualTo("-ERR MULTI calls can not be nested\r\n");
      assertThat(c.callRaw("WATCH", "k")).isEqualTo("-ERR WATCH inside MULTI is not allowed\r\n");
      assertThat(c.call("SET", "k2", "v")).isEqualTo("+QUEUED");
      assertThat(c.callRaw("EXEC"))
          .isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
      assertThat(c.call("EXISTS", "k", "k2")).as("nothing queued ran").isEqualTo(0L);

      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "k", "v")).isEqualTo("+QUEUED");
      assertThat(c.callRaw("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
      assertThat((String) c.call("EXEC")).startsWith("-EXECABORT");
      assertThat(c.call("EXISTS", "k")).isEqualTo(0L);

      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat((String) c.call("KVS.LINK.BLOCK", "1")).startsWith("-NOPERM");
      assertThat((String) c.call("EXEC")).startsWith("-EXECABORT");
    }
  }

  @Test
  void aCommandThatFailsWhileRunningDoesNotStopTheOthers() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "a", "1")).isEqualTo("+QUEUED");
      assertThat(c.call("SET", "b", "2", "EX", "notanumber")).isEqualTo("+QUEUED");
      assertThat(c.call("SET", "c", "3")).isEqualTo("+QUEUED");
      List<?> results = (List<?>) c.call("EXEC");
      assertThat(results.get(0)).isEqualTo("+OK");
      assertThat((String) results.get(1)).startsWith("-ERR");
      assertThat(results.get(2)).isEqualTo("+OK");
      assertThat(c.call("EXISTS", "a", "b", "c")).isEqualTo(2L);
    }
  }

  @Test
  void discardForgetsTheQueueAndTheWatchedKeys() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port()); RespConn other = RespConn.open(n.port())) {
      assertThat(c.call("WATCH", "w")).isEqualTo("+OK");
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "k", "v")).isEqualTo("+QUEUED");
      assertThat(c.call("DISCARD")).isEqualTo("+OK");
      assertThat(other.call("SET", "w", "changed")).isEqualTo("+OK");
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "k2", "v")).isEqualTo("+QUEUED");
      assertThat(texts(c.call("EXEC"))).as("w is no longer watched").containsExactly("+OK");
      assertThat(c.call("EXISTS", "k", "k2")).isEqualTo(1L);
    }
  }

  @Test
  void watchFailsExecWhenAWatchedKeyChangedHereOrArrivedFromAPeerOrExpired() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn c = RespConn.open(a.port()); RespConn other = RespConn.open(a.port());
        RespConn onPeer = RespConn.open(b.port())) {
      // Changed by another client of this server: EXEC answers a null array, nothing runs.
      assertThat(c.call("WATCH", "w")).isEqualTo("+OK");
      assertThat(other.call("SET", "w", "theirs")).isEqualTo("+OK");
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "w", "mine")).isEqualTo("+QUEUED");
      assertThat(c.callRaw("EXEC")).isEqualTo("*-1\r\n");
      assertThat(text(c.call("GET", "w"))).isEqualTo("theirs");

      // Unchanged: it runs. EXEC unwatched, so a later change does not matter.
      assertThat(c.call("WATCH", "w")).isEqualTo("+OK");
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "w", "mine")).isEqualTo("+QUEUED");
      assertThat(texts(c.call("EXEC"))).containsExactly("+OK");

      // Changed on the peer and replicated here before EXEC: RESP3's null.
      assertThat(c.callRaw("HELLO", "3")).startsWith("%");
      assertThat(c.call("WATCH", "w")).isEqualTo("+OK");
      assertThat(onPeer.call("SET", "w", "from-peer")).isEqualTo("+OK");
      InProcessNodes.await10s("the peer's write arrived", () -> InProcessNodes.onLoop(a, () -> {
        Entry e = a.replica.peek("w".getBytes(StandardCharsets.UTF_8));
        return e != null && "from-peer".equals(text(e.value()));
      }));
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "w", "mine")).isEqualTo("+QUEUED");
      assertThat(c.callRaw("EXEC")).isEqualTo("_\r\n");

      // UNWATCH forgets.
      assertThat(c.call("WATCH", "w")).isEqualTo("+OK");
      assertThat(other.call("SET", "w", "again")).isEqualTo("+OK");
      assertThat(c.call("UNWATCH")).isEqualTo("+OK");
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "w", "mine")).isEqualTo("+QUEUED");
      assertThat(texts(c.call("EXEC"))).containsExactly("+OK");

      // A watched key that expires before EXEC counts as changed. The WATCH must come before the
      // expiry, which a loaded machine can let pass between two commands: the PTTL after it (on
      // the same loop, so later) says whether the key was still live, else again, living longer.
      for (long px = 50; ; px *= 4) {
        assertThat(px).as("time to live the key needed to outlast a WATCH").isLessThan(5_000);
        assertThat(other.call("SET", "e", "v", "PX", Long.toString(px))).isEqualTo("+OK");
        assertThat(c.call("WATCH", "e")).isEqualTo("+OK");
        if ((Long) other.call("PTTL", "e") > 0) break;
        assertThat(c.call("UNWATCH")).isEqualTo("+OK");
      }
      InProcessNodes.await10s("e expired", () -> {
        try {
          return other.call("EXISTS", "e").equals(0L);
        } catch (java.io.IOException ex) {
          throw new java.io.UncheckedIOException(ex);
        }
      });
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "x", "1")).isEqualTo("+QUEUED");
      assertThat(c.callRaw("EXEC")).isEqualTo("_\r\n");
    }
  }

  @Test
  void aTransactionReachesThePeerAsOneBatchAndIsAppliedWhole() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    try (RespConn c = RespConn.open(a.port()); RespConn onPeer = RespConn.open(b.port())) {
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      for (int i = 0; i < 50; i++) c.call("SET", "t" + i, "v" + i);
      assertThat((List<?>) c.call("EXEC")).hasSize(50);
      InProcessNodes.await10s("the transaction reached the peer", () -> InProcessNodes.onLoop(b,
          () -> b.replica.peek("t0".getBytes(StandardCharsets.UTF_8)) != null));
      List<Entry> held = InProcessNodes.onLoop(b, () -> {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < 50; i++) out.add(b.replica.peek(("t" + i).getBytes(StandardCharsets.UTF_8)));
        return out;
      });
      assertThat(held).doesNotContainNull();
      for (int i = 0; i < 50; i++) {
        assertThat(held.get(i).batchPreceding()).isEqualTo(i);
        assertThat(held.get(i).batchFollowing()).isEqualTo(49 - i);
      }
      assertThat(onPeer.call("DBSIZE")).isEqualTo(50L);
    }
  }

  @Test
  void commandsWithoutMeaningInAMultiMasterStoreAreRefusedSayingWhyAndChangeNothing()
      throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("SET", "k", "v")).isEqualTo("+OK");
      for (String[] cmd : List.of(new String[] {"REPLICAOF", "127.0.0.1", "6379"},
          new String[] {"SLAVEOF", "NO", "ONE"}, new String[] {"WAIT", "1", "0"},
          new String[] {"CLUSTER", "INFO"}, new String[] {"MOVE", "k", "1"},
          new String[] {"SWAPDB", "0", "1"}, new String[] {"BGSAVE"}, new String[] {"FAILOVER"})) {
        assertThat((String) c.call(cmd)).as(cmd[0])
            .startsWith("-ERR " + cmd[0] + " has no meaning in kvs, a multi-master store: ");
      }
      assertThat(text(c.call("GET", "k"))).isEqualTo("v");
      assertThat(c.call("DBSIZE")).isEqualTo(1L);
      // Inside a transaction it is queued like any command and fails alone at EXEC.
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("MOVE", "k", "1")).isEqualTo("+QUEUED");
      assertThat(c.call("SET", "k", "w")).isEqualTo("+QUEUED");
      List<?> results = (List<?>) c.call("EXEC");
      assertThat((String) results.get(0)).startsWith("-ERR MOVE has no meaning");
      assertThat(results.get(1)).isEqualTo("+OK");
    }
  }

  @Test
  void aHashOrSetDeletedAndMadeAgainInOneTransactionKeepsWhatWasMadeAgain() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      c.call("HSET", "h", "f", "v");
      c.call("DEL", "h");
      c.call("HSET", "h", "f", "v2");
      c.call("SADD", "s", "a");
      c.call("DEL", "s");
      c.call("SADD", "s", "a");
      c.call("INCR", "n");
      c.call("DEL", "n");
      c.call("INCR", "n");
      assertThat((List<?>) c.call("EXEC")).hasSize(9);
      assertThat(text(c.call("HGET", "h", "f"))).isEqualTo("v2");
      assertThat(c.call("SISMEMBER", "s", "a")).isEqualTo(1L);
      assertThat(text(c.call("GET", "n"))).isEqualTo("1");
    }
  }

  @Test
  void aTransactionWritingMoreThanABatchCarriesIsRefusedWhole() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      String nine = "x".repeat(9 * 1024 * 1024);
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      assertThat(c.call("SET", "big1", nine)).isEqualTo("+QUEUED");
      assertThat(c.call("SET", "big2", nine)).isEqualTo("+QUEUED");
      assertThat((String) c.call("EXEC")).startsWith("-EXECABORT Transaction discarded: its writes");
      assertThat(c.call("EXISTS", "big1", "big2")).isEqualTo(0L);
      assertThat(c.call("SET", "after", "v")).isEqualTo("+OK");
    }
  }

  /**
   * A key beginning with byte 0xFF (where the store keeps the elements of typed keys) is refused
   * inside MULTI as outside it. EXEC runs its queue without dispatch's checks, so it used to run
   * such a command: a SET inside a transaction rewrote a hash's field register as a string, and
   * the hash showed its value, on every server.
   */
  @Test
  void aReservedKeyIsRefusedWhileQueuing() throws Exception {
    Node n = nodes.start(0, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("HSET", "h", "f", "1")).isEqualTo(1L);
      byte[] field = kvs.core.Elements.key("h".getBytes(StandardCharsets.UTF_8), Entry.KIND_HASH,
          "f".getBytes(StandardCharsets.UTF_8));
      assertThat(c.call("MULTI")).isEqualTo("+OK");
      c.send(RespConn.encode(new byte[][] {"SET".getBytes(), field, "evil".getBytes()}));
      assertThat(c.reply()).isEqualTo("-" + Commands.RESERVED_KEY);
      assertThat(c.call("HSET", "h", "g", "2")).isEqualTo("+QUEUED");
      assertThat((String) c.call("EXEC")).startsWith("-EXECABORT");
      assertThat(text(c.call("HGET", "h", "f"))).isEqualTo("1");
      assertThat(c.call("HEXISTS", "h", "g")).isEqualTo(0L);
    }
  }
}
