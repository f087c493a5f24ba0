package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import kvs.net.Limits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What one client connection can make a server hold or do, on in-process servers over real
 * sockets: the output-buffer limit, the small request before AUTH, --maxclients, --timeout,
 * replies to a half-closed client, and inline commands with unbalanced quotes. Peers' links and
 * admin connections are held to none of the client limits.
 */
class ClientLimitsTest extends InProcessServersTest {
  private Node start(int id, Limits limits, String requirePass, boolean fsync,
      Map<Integer, InetSocketAddress> peers) throws Exception {
    return nodes.start(id, limits, requirePass, fsync, peers);
  }

  private Node start(Limits limits) throws Exception {
    return start(0, limits, null, false, Map.of());
  }

  private static RespConn admin(Node n) throws IOException {
    RespConn a = RespConn.open(n.port());
    assertThat(a.call("KVS.ADMIN", InProcessNodes.SECRET)).isEqualTo("+OK");
    return a;
  }

  // ---- half-close --------------------------------------------------------------------------

  @ParameterizedTest(name = "fsync {0}")
  @ValueSource(booleans = {false, true})
  void aClientThatHalfClosesGetsTheRepliesToWhatItSent(boolean fsync) throws Exception {
    Node n = start(0, Limits.DEFAULT, null, fsync, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      c.send(RespConn.encode("SET", "k", "v"));
      c.send(RespConn.encode("GET", "k"));
      c.socket.shutdownOutput();
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat(text(c.reply())).isEqualTo("v");
      assertThat(c.closedByServer()).as("closed once the replies are out").isTrue();
    }
  }

  @Test
  void quitAnswersWhatCameBeforeItAndRunsNothingAfterIt() throws Exception {
    Node n = start(0, Limits.DEFAULT, null, true, Map.of()); // --fsync: the SET's reply waits
    try (RespConn c = RespConn.open(n.port())) {
      c.send(RespConn.encode("SET", "k", "v"));
      c.send(RespConn.encode("QUIT"));
      c.send(RespConn.encode("SET", "after", "v"));
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat(c.closedByServer()).isTrue();
    }
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(text(c.call("GET", "k"))).isEqualTo("v");
      assertThat(c.call("GET", "after")).isNull();
    }
  }

  // ---- inline commands ---------------------------------------------------------------------

  @Test
  void anInlineCommandWithUnbalancedQuotesIsAProtocolErrorAndChangesNothing() throws Exception {
    Node n = start(Limits.DEFAULT);
    for (String line : List.of("SET \"k v\r\n", "SET 'k v\r\n", "SET \"k\"v x\r\n")) {
      try (RespConn c = RespConn.open(n.port())) {
        c.sendText(line + "SET after v\r\n");
        assertThat(c.reply()).as(line).isEqualTo("-ERR Protocol error: unbalanced quotes in request");
        assertThat(c.closedByServer()).as("closed after the error, as Redis").isTrue();
      }
    }
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.call("DBSIZE")).isEqualTo(0L);
      // Quotes that balance group words and take escapes, as in Redis.
      c.sendText("SET \"a b\" 'it\\'s' \r\nSET x \"\\x41\\n\"\r\n");
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat(text(c.call("GET", "a b"))).isEqualTo("it's");
      assertThat(text(c.call("GET", "x"))).isEqualTo("A\n");
    }
  }

  // ---- before AUTH -------------------------------------------------------------------------

  @Test
  void beforeAuthOnlyASmallCommandIsTakenWhileAfterItTheFullLimitsApply() throws Exception {
    Node n = start(0, Limits.DEFAULT, "pw", false, Map.of());
    try (RespConn c = RespConn.open(n.port())) {
      // A 30 MiB AUTH argument is refused at its header, before any of it is buffered.
      c.sendText("*2\r\n$4\r\nAUTH\r\n$31457280\r\nxxxx");
      assertThat(c.reply()).isEqualTo("-ERR Protocol error: unauthenticated bulk length");
      assertThat(c.closedByServer()).isTrue();
    }
    try (RespConn c = RespConn.open(n.port())) {
      c.sendText("*11\r\n");
      assertThat(c.reply()).isEqualTo("-ERR Protocol error: unauthenticated multibulk length");
      assertThat(c.closedByServer()).isTrue();
    }
    byte[] big = new byte[1 << 20];
    Arrays.fill(big, (byte) 'b');
    try (RespConn c = RespConn.open(n.port())) {
      // AUTH and a large SET in one write: the SET is read after AUTH took effect.
      c.send(RespConn.encode("AUTH", "pw"));
      c.send(RespConn.encode("SET".getBytes(), "big".getBytes(), big));
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat(c.reply()).isEqualTo("+OK");
      assertThat((byte[]) c.call("GET", "big")).isEqualTo(big);
    }
    // A peer's handshake and an admin connection need the cluster secret, not the password.
    Node peer = nodes.peerOf(n, 1);
    InProcessNodes.await("the value replicated to the peer", 10_000, () -> InProcessNodes.onLoop(peer,
        () -> peer.replica.peek("big".getBytes()) != null));
  }

  // ---- maxclients --------------------------------------------------------------------------

  @Test
  void beyondMaxClientsAClientIsRefusedWhilePeersAndAdminsAreStillTaken() throws Exception {
    Node n = start(Limits.DEFAULT.withMaxClients(2));
    RespConn c1 = RespConn.open(n.port());
    RespConn c2 = RespConn.open(n.port());
    assertThat(c1.call("PING")).isEqualTo("+PONG");
    assertThat(c2.call("PING")).isEqualTo("+PONG");
    try (RespConn c3 = RespConn.open(n.port())) {
      assertThat(c3.call("PING")).isEqualTo("-ERR max number of clients reached");
      assertThat(c3.closedByServer()).isTrue();
    }
    try (RespConn silent = RespConn.open(n.port())) {
      // One that sends nothing is told after the probation for peers and admins.
      assertThat(silent.reply()).isEqualTo("-ERR max number of clients reached");
      assertThat(silent.closedByServer()).isTrue();
    }
    try (RespConn a = admin(n)) {
      assertThat(a.call("PING")).isEqualTo("+PONG");
    }
    Node peer = nodes.peerOf(n, 1);
    assertThat(InProcessNodes.onLoop(n, () -> n.links.isLinked(1))).isTrue();
    c1.close();
    InProcessNodes.await("the closed client's place freed", 10_000, () -> InProcessNodes.onLoop(n, () -> n.clients.connected) == 1);
    try (RespConn c4 = RespConn.open(n.port())) {
      assertThat(c4.call("PING")).isEqualTo("+PONG");
      assertThat(text(c4.call("INFO", "clients"))).contains("connected_clients:2", "maxclients:2");
    }
    assertThat(InProcessNodes.onLoop(peer, () -> peer.links.isLinked(0))).as("the link held").isTrue();
    c2.close();
  }

  // ---- timeout -----------------------------------------------------------------------------

  @Test
  void anIdleClientIsDisconnectedAfterTheTimeoutButAnIdleAdminIsNot() throws Exception {
    Node n = start(Limits.DEFAULT.withClientTimeoutSeconds(1));
    try (RespConn a = admin(n); RespConn c = RespConn.open(n.port())) {
      // Timed from before the PING: the server's idle time starts when it reads the PING, which
      // on a loaded machine can be well before the PONG reaches this thread.
      long sent = System.nanoTime();
      assertThat(c.call("PING")).isEqualTo("+PONG");
      assertThat(c.closedByServer()).as("the idle client is closed").isTrue();
      assertThat(System.nanoTime() - sent).as("not before the timeout")
          .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
      // The admin connection has been idle longer still.
      assertThat(a.call("PING")).isEqualTo("+PONG");
    }
  }

  // ---- output-buffer limit -----------------------------------------------------------------

  @Test
  void aClientThatDoesNotReadItsRepliesIsDisconnectedPastTheOutputLimit() throws Exception {
    Node n = start(Limits.DEFAULT.withClientOutputBufferLimit(1 << 20));
    Node peer = nodes.peerOf(n, 1); // dials n: n's end of the link is an accepted connection
    byte[] value = new byte[256 * 1024];
    Arrays.fill(value, (byte) 'v');
    try (RespConn c = RespConn.open(n.port())) {
      for (int i = 0; i < 5; i++) {
        c.send(RespConn.encode("SET".getBytes(), ("k" + i).getBytes(), value));
        assertThat(c.reply()).isEqualTo("+OK");
      }
    }
    try (RespConn hog = RespConn.open(n.port(), 4096); RespConn other = RespConn.open(n.port())) {
      byte[] get = RespConn.encode("GET", "k0");
      try {
        for (int i = 0; i < 200; i++) hog.send(get); // 50 MiB of replies, none read
      } catch (IOException e) {
        // The server cut the hog off while it was still sending: the expected end, checked below.
      }
      long start = System.nanoTime();
      assertThat(other.call("PING")).isEqualTo("+PONG");
      assertThat(System.nanoTime() - start).as("another client is served meanwhile")
          .isLessThan(TimeUnit.SECONDS.toNanos(2));
      InProcessNodes.await("the hog disconnected", 10_000,
          () -> InProcessNodes.onLoop(n, () -> n.clients.outputBufferLimitDisconnections) == 1);
      assertThat(hog.closedByServer()).isTrue();
      assertThat(text(other.call("INFO", "stats")))
          .contains("client_output_buffer_limit_disconnections:1");
    }
    // Over 1 MiB in one reply to an admin connection (a KVS.DUMP page ends after the entry that
    // passes 1 MiB), and 1.25 MiB over the peer's link: neither is cut.
    try (RespConn a = admin(n)) {
      List<?> page = (List<?>) a.call("KVS.DUMP", "100");
      assertThat((List<?>) page.get(1)).hasSize(8);
      assertThat(text(page.get(0))).isEqualTo("k4");
      List<?> last = (List<?>) a.call("KVS.DUMP", "100", "k4");
      assertThat(last.get(0)).isNull();
      assertThat((List<?>) last.get(1)).hasSize(2);
    }
    InProcessNodes.await("the values replicated", 10_000, () -> InProcessNodes.onLoop(peer,
        () -> peer.replica.peek("k4".getBytes()) != null));
    assertThat(InProcessNodes.onLoop(n, () -> n.clients.outputBufferLimitDisconnections)).isEqualTo(1);
    assertThat(InProcessNodes.onLoop(peer, () -> peer.links.isLinked(0))).isTrue();
  }
}
