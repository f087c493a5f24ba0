package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tombstone collection in real servers (docs/design.md, Tombstone collection): three in-process
 * servers in a star (1 and 2 linked through 0 only, so what 1 and 2 know of each other is
 * relayed), deletes collected on every server, digests equal afterwards, a concurrent older
 * write that arrives late never bringing a deleted key back, what a server knows surviving its
 * restart, and {@code KVS.RETIRE}.
 */
class CollectionTest extends InProcessServersTest {

  /** How many tombstones and expiry remnants the server's store holds. */
  private static long tombstones(Node n) {
    return InProcessNodes.onLoop(n, () -> tombstonesOnLoop(n));
  }

  /** {@link #tombstones}, on the node's loop. */
  private static long tombstonesOnLoop(Node n) {
    long[] count = {0};
    n.replica.forEachFrom(null, e -> {
      if (e.isTombstone()) count[0]++;
      return true;
    });
    return count[0];
  }

  private static long collected(Node n) {
    return InProcessNodes.onLoop(n, () -> n.collector.collectedEntries);
  }

  private static String state(Node n) {
    return InProcessNodes.onLoop(n, n::stateText);
  }

  private static void awaitConverged(List<Node> nodes) throws InterruptedException {
    InProcessNodes.await10s("converged", () -> {
      String s = state(nodes.get(0));
      for (Node n : nodes) if (!state(n).equals(s)) return false;
      return true;
    });
  }

  private static void cut(Node a, Node b) throws Exception {
    InProcessNodes.onLoop(a, () -> a.links.block(b.config.id())).get(10, TimeUnit.SECONDS);
    InProcessNodes.onLoop(b, () -> b.links.block(a.config.id())).get(10, TimeUnit.SECONDS);
  }

  private static void heal(Node dialler, Node target) throws Exception {
    InProcessNodes.onLoop(target, () -> {
      target.links.unblock(dialler.config.id());
      return null;
    });
    InProcessNodes.onLoop(dialler, () -> {
      dialler.links.unblock(target.config.id());
      return null;
    });
    dialler.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
  }

  @Test
  void deletesAreCollectedOnEveryServerAndALateOlderWriteNeverRevivesAKey() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    Node c = nodes.peerOf(a, 2);
    List<Node> all = List.of(a, b, c);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port());
        RespConn cc = RespConn.open(c.port())) {
      for (int i = 0; i < 50; i++) assertThat(ca.call("SET", "k" + i, "v" + i)).isEqualTo("+OK");
      awaitConverged(all);
      for (int i = 0; i < 50; i++) {
        assertThat((i % 2 == 0 ? cb : cc).call("DEL", "k" + i)).isEqualTo(1L);
      }
      assertThat(ca.call("SET", "kept", "1")).isEqualTo("+OK");
      awaitConverged(all);
      // Every delete left a tombstone on server 0: those still there and those the collector
      // took meanwhile (on a loaded machine the deletes and the wait above can outlast the
      // adverts that make the first tombstones stable), read in one turn of its loop.
      assertThat(InProcessNodes.onLoop(a, () -> tombstonesOnLoop(a) + a.collector.collectedEntries))
          .isEqualTo(50);

      InProcessNodes.await("every tombstone collected on every server", 20_000,
          () -> all.stream().allMatch(n -> tombstones(n) == 0));
      awaitConverged(all);
      for (Node n : all) {
        assertThat(collected(n)).as("server %d", n.config.id()).isGreaterThanOrEqualTo(50);
        String info = info(n);
        assertThat(info).contains("collected_entries:" + collected(n))
            .contains("stability_members:[0,1,2]");
      }
      assertThat(ca.call("DBSIZE")).isEqualTo(1L);

      // Server 2 cut off writes x (stamped now, so before the delete below); x is deleted on
      // server 0 meanwhile. The tombstone cannot be collected while 2 may still send an older
      // write of x (it lacks the delete, and its promise about its clock covers nothing newer);
      // after the heal the older write loses to the tombstone everywhere, the tombstone is
      // collected, and x stays deleted.
      cut(a, c);
      assertThat(cc.call("SET", "x", "older")).isEqualTo("+OK");
      assertThat(ca.call("SET", "x", "newer")).isEqualTo("+OK");
      assertThat(ca.call("DEL", "x")).isEqualTo(1L);
      InProcessNodes.await10s("server 1 has the delete",
          () -> state(a).equals(state(b)));
      // Collection goes on meanwhile for what is stable, but not for this tombstone.
      long before = collected(a);
      long ticks = InProcessNodes.onLoop(a, () -> a.collector.slices);
      InProcessNodes.await("a few collection slices", 10_000,
          () -> InProcessNodes.onLoop(a, () -> a.collector.slices) > ticks + 20);
      assertThat(tombstones(a)).isEqualTo(1);
      assertThat(collected(a)).isEqualTo(before);
      heal(c, a);
      awaitConverged(all);
      InProcessNodes.await("the delete of x collected everywhere", 20_000,
          () -> all.stream().allMatch(n -> tombstones(n) == 0));
      awaitConverged(all);
      for (RespConn conn : List.of(ca, cb, cc)) {
        assertThat(conn.call("GET", "x")).isNull();
        assertThat(conn.call("DBSIZE")).isEqualTo(1L);
      }
    }
  }

  /** How many entries the server's store holds, elements included. */
  private static long stored(Node n) {
    return InProcessNodes.onLoop(n, () -> {
      long[] count = {0};
      n.replica.forEachFrom(null, e -> {
        count[0]++;
        return true;
      });
      return count[0];
    });
  }

  /**
   * Element garbage (docs/design.md, Tombstone collection): the registers of set members removed
   * by the server that added them, the adds of members removed on another server, and the
   * tombstones of deleted hash fields leave every server once stable, the set and hash read as
   * before, and INFO counts them. A removal of another server's add stays (it records the add,
   * and no server can tell that every other one has dropped it).
   */
  @Test
  void removedSetMembersAndDeletedHashFieldsAreCollectedOnEveryServer() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    Node c = nodes.peerOf(a, 2);
    List<Node> all = List.of(a, b, c);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("SADD", "s", "kept")).isEqualTo(1L);
      assertThat(ca.call("HSET", "h", "kept", "1")).isEqualTo(1L);
      for (int i = 0; i < 40; i++) {
        assertThat(ca.call("SADD", "s", "m" + i)).isEqualTo(1L);
        assertThat(ca.call("HSET", "h", "f" + i, "v")).isEqualTo(1L);
      }
      for (int i = 0; i < 20; i++) assertThat(ca.call("SADD", "s", "x" + i)).isEqualTo(1L);
      awaitConverged(all);
      // Two heads, and a register or a field for each member and field.
      assertThat(stored(a)).isEqualTo(4 + 40 + 40 + 20);
      long before = collected(a);
      for (int i = 0; i < 40; i++) {
        assertThat(ca.call("SREM", "s", "m" + i)).isEqualTo(1L); // its add's own server
        assertThat(cb.call("HDEL", "h", "f" + i)).isEqualTo(1L);
      }
      for (int i = 0; i < 20; i++) assertThat(cb.call("SREM", "s", "x" + i)).isEqualTo(1L);
      awaitConverged(all);
      InProcessNodes.await("the garbage of removed members and deleted fields collected",
          20_000, () -> all.stream().allMatch(n -> stored(n) == 4 + 20));
      awaitConverged(all);
      for (Node n : all) {
        assertThat(collected(n)).as("server %d", n.config.id()).isGreaterThanOrEqualTo(100);
        assertThat(info(n)).contains("collected_entries:" + collected(n));
      }
      // 40 removals, 20 adds removed elsewhere, 40 field tombstones.
      assertThat(collected(a) - before).isEqualTo(100);
      assertThat(texts(ca.call("SMEMBERS", "s"))).containsExactly("kept");
      assertThat(texts(cb.call("HGETALL", "h"))).containsExactly("kept", "1");
      // A member removed and collected can be added again, and shows everywhere.
      assertThat(cb.call("SADD", "s", "m3")).isEqualTo(1L);
      awaitConverged(all);
      assertThat(ca.call("SISMEMBER", "s", "m3")).isEqualTo(1L);
    }
  }

  @Test
  void removedSortedSetMembersAreCollectedOnEveryServer() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    Node c = nodes.peerOf(a, 2);
    List<Node> all = List.of(a, b, c);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("ZADD", "z", "1.5", "kept")).isEqualTo(1L);
      assertThat(text(ca.call("ZINCRBY", "z", "2", "kept"))).isEqualTo("3.5");
      // Churn on one server: added and removed by server 0.
      for (int i = 0; i < 40; i++) {
        assertThat(ca.call("ZADD", "z", String.valueOf(i), "m" + i)).isEqualTo(1L);
        assertThat(ca.call("ZREM", "z", "m" + i)).isEqualTo(1L);
      }
      for (int i = 0; i < 20; i++) {
        assertThat(ca.call("ZADD", "z", String.valueOf(i), "x" + i)).isEqualTo(1L);
      }
      awaitConverged(all);
      // The head, and a register for each member.
      assertThat(stored(a)).isEqualTo(2 + 40 + 20);
      long before = collected(a);
      // Added on server 0, removed on server 1: the add goes, the removal stays.
      for (int i = 0; i < 20; i++) assertThat(cb.call("ZREM", "z", "x" + i)).isEqualTo(1L);
      awaitConverged(all);
      InProcessNodes.await("the registers of removed sorted-set members collected", 20_000,
          () -> all.stream().allMatch(n -> stored(n) == 2 + 20));
      awaitConverged(all);
      for (Node n : all) {
        assertThat(collected(n)).as("server %d", n.config.id()).isGreaterThanOrEqualTo(60);
        assertThat(info(n)).contains("collected_entries:" + collected(n));
      }
      // 40 removals by their adds' own server, 20 adds removed elsewhere.
      assertThat(collected(a) - before).isEqualTo(60);
      assertThat(texts(cb.call("ZRANGE", "z", "0", "-1", "WITHSCORES")))
          .containsExactly("kept", "3.5");
      // A member removed and collected can be written again, and counts from nothing.
      assertThat(text(cb.call("ZINCRBY", "z", "4", "m3"))).isEqualTo("4");
      awaitConverged(all);
      assertThat(text(ca.call("ZSCORE", "z", "m3"))).isEqualTo("4");
    }
  }

  @Test
  void whatAServerKnowsSurvivesItsRestartAndARetiredServerIsRefused() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    Node c = nodes.peerOf(a, 2);
    try (RespConn ca = RespConn.open(a.port()); RespConn cb = RespConn.open(b.port())) {
      assertThat(ca.call("SET", "k", "v")).isEqualTo("+OK");
      awaitConverged(List.of(a, b, c));
      InProcessNodes.await10s("server 1 knows every member", () -> info(b)
          .contains("stability_members:[0,1,2]"));
      b.close();
      Node b2 = nodes.start(1, Map.of());
      // Not linked to anyone yet, it knows the members from its stability record.
      assertThat(info(b2)).contains("stability_members:[0,1,2]");
      b2.close();

      // Server 2 is gone for good: without retirement nothing is collected any more.
      c.close();
      Node b3 = nodes.start(1, Map.of(0, InetSocketAddress.createUnresolved("127.0.0.1",
          a.port())));
      b3.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
      try (RespConn cb3 = RespConn.open(b3.port())) {
        assertThat(cb3.call("DEL", "k")).isEqualTo(1L);
        InProcessNodes.await10s("server 0 has the delete", () -> tombstones(a) == 1);
        long ticks = InProcessNodes.onLoop(a, () -> a.collector.slices);
        InProcessNodes.await("a few collection slices", 10_000,
            () -> InProcessNodes.onLoop(a, () -> a.collector.slices) > ticks + 10);
        assertThat(tombstones(a)).isEqualTo(1);

        assertThat(ca.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
        // Bad input changes nothing.
        assertThat(String.valueOf(ca.call("KVS.RETIRE", "two"))).startsWith("-ERR KVS.RETIRE");
        assertThat(String.valueOf(ca.call("KVS.RETIRE", "0"))).startsWith("-ERR a server cannot");
        assertThat(ca.call("KVS.RETIRE", "2")).isEqualTo("+OK");
        InProcessNodes.await("the delete collected on both servers", 20_000,
            () -> tombstones(a) == 0 && tombstones(b3) == 0);
        InProcessNodes.await10s("server 1 heard of the retirement",
            () -> info(b3).contains("stability_members:[0,1]"));
        assertThat(state(a)).isEqualTo(state(b3));
      }
      // The retired server comes back: its link is refused, and it never links again.
      Node c2 = nodes.start(2, Map.of(0, InetSocketAddress.createUnresolved("127.0.0.1",
          a.port())));
      c2.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
      assertThat(InProcessNodes.onLoop(c2, () -> c2.links.isLinked(0))).isFalse();
      assertThat(InProcessNodes.onLoop(a, () -> a.links.isLinked(2))).isFalse();
    }
  }

  /**
   * Issue 15: a wiped server's lost incarnation, retired with {@code KVS.RETIRE}, is sealed on
   * every server once they hold the same of it: its entry leaves every vector (KVS.STATE shows
   * it sealed instead), and a session token naming its write is still served.
   */
  @Test
  void aRetiredIncarnationIsSealedEverywhereAndATokenNamingItIsServed() throws Exception {
    Node a = nodes.start(0, Map.of());
    Node b = nodes.peerOf(a, 1);
    Node c = nodes.peerOf(a, 2);
    String token;
    String dead = kvs.core.Origins.toString(b.replica.origin());
    try (RespConn cb = RespConn.open(b.port())) {
      assertThat(cb.call("SET", "k", "v")).isEqualTo("+OK");
      token = text(cb.call("KVS.SESSION"));
    }
    awaitConverged(List.of(a, b, c));
    assertThat(state(a)).contains(dead + "=");
    // Server 1 loses its disk and comes back as a new incarnation.
    b.close();
    deleteTree(dir.resolve("server-1"));
    Node b2 = nodes.start(1, Map.of(0, InetSocketAddress.createUnresolved("127.0.0.1",
        a.port())));
    b2.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    List<Node> all = List.of(a, b2, c);
    awaitConverged(all);
    assertThat(state(b2)).contains(dead + "=");
    try (RespConn ca = RespConn.open(a.port())) {
      assertThat(ca.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
      // Refused while server 0 still takes it for server 1's current incarnation.
      InProcessNodes.await10s("the dead incarnation retired",
          () -> call(ca, "KVS.RETIRE", dead).equals("+OK"));
    }
    InProcessNodes.await("sealed on every server", 20_000, () -> {
      for (Node n : all) {
        String s = state(n);
        if (s.contains(dead + "=") || !s.contains("sealed[" + dead + "]")) return false;
      }
      return true;
    });
    awaitConverged(all);
    for (Node n : all) {
      assertThat(kvs.master.VectorText.parse(state(n))).doesNotContainKey(dead);
    }
    // Every server serves a session that wrote through the dead incarnation.
    for (Node n : all) {
      try (RespConn conn = RespConn.open(n.port())) {
        assertThat(conn.call("KVS.SESSION", token)).isEqualTo("+OK");
        assertThat(text(conn.call("GET", "k"))).isEqualTo("v");
      }
    }
  }

  private static String call(RespConn conn, String... args) {
    try {
      return String.valueOf(conn.call(args));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static void deleteTree(java.nio.file.Path root) throws java.io.IOException {
    try (var paths = java.nio.file.Files.walk(root)) {
      for (java.nio.file.Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }

  @Test
  void aServerOfAnOlderPeerProtocolIsRefusedWithAClearError() throws Exception {
    Node a = nodes.start(0, Map.of());
    try (RespConn old = RespConn.open(a.port())) {
      // A build before peer protocol 2: KVS.PEER secret id origin vv, no version, no clock.
      Object reply = old.call("KVS.PEER", InProcessNodes.SECRET, "7",
          Long.toString(kvs.core.Origins.of(7, 1)), "");
      assertThat(String.valueOf(reply)).startsWith("-ERR peer protocol 1: this server speaks"
          + " peer protocol 2");
    }
    assertThat(InProcessNodes.onLoop(a, () -> a.links.isLinked(7))).isFalse();
  }

  /** INFO's Collection section of server {@code n}. */
  private static String info(Node n) {
    try (RespConn conn = RespConn.open(n.port())) {
      return text(conn.call("INFO", "collection"));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
