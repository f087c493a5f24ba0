package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import kvs.core.SessionToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/** ServerMetrics on real in-process servers: dispatch counted, lag per link, /metrics served. */
class ServerMetricsTest {
  @TempDir Path dir;

  @Test
  void countsCommandsAndErrorsAndServesThemOverHttp() throws Exception {
    try (InProcessNodes nodes = new InProcessNodes(dir)) {
      Node n = nodes.start(0, Map.of());
      int port = n.startMetrics("127.0.0.1", 0);
      // Jedis waits 2 s for a reply by default: too short for a fresh server's first command
      // on a loaded machine (a stressed run timed out on the first SET). RespConn's 10 s.
      try (Jedis j = new Jedis("127.0.0.1", n.port(), 10_000)) {
        j.set("a", "1");
        j.set("b", "2");
        j.get("a");
        try {
          j.sendCommand(redis.clients.jedis.Protocol.Command.SET, "c", "x", "NOSUCHOPTION");
        } catch (redis.clients.jedis.exceptions.JedisDataException expected) {
          // ERR syntax error: counted as an error of set
        }
        try {
          j.sendCommand(() -> "NOSUCHCOMMAND".getBytes(StandardCharsets.US_ASCII));
        } catch (redis.clients.jedis.exceptions.JedisDataException expected) {
          // counted as an error of an unknown command
        }
      }
      String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(text)
          .contains("kvs_commands_total{command=\"set\"} 3.0")
          .contains("kvs_commands_total{command=\"get\"} 1.0")
          .contains("kvs_command_errors_total{command=\"set\"} 1.0")
          .contains("kvs_command_errors_total{command=\"unknown\"} 1.0")
          .contains("kvs_command_duration_seconds_count{command=\"set\"} 3")
          .contains("kvs_keys 2.0")
          .contains("kvs_links 0.0");
    }
  }

  /**
   * A server started without --metrics-port keeps none (building them cost its start): nothing
   * registered, no sampling, links counting nowhere; it serves and replicates as any other, and
   * asking it to serve metrics fails with a clear message.
   */
  @Test
  void aServerWithoutMetricsServesAndReplicatesAndRefusesToServeMetrics() throws Exception {
    try (InProcessNodes nodes = new InProcessNodes(dir)) {
      Node a = nodes.startWithoutMetrics(0, Map.of());
      Node b = nodes.startWithoutMetrics(1, Map.of(0,
          java.net.InetSocketAddress.createUnresolved("127.0.0.1", a.port())));
      b.dialConfiguredPeers().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(a.metrics.registry).isNull();
      try (Jedis j = new Jedis("127.0.0.1", a.port(), 10_000)) {
        j.set("k", "v");
        assertThat(j.get("k")).isEqualTo("v");
      }
      InProcessNodes.await("replicated", 10_000,
          () -> InProcessNodes.onLoop(b, () -> b.replica.liveEntry("k".getBytes())) != null);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.startMetrics("127.0.0.1", 0))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("metrics off");
    }
  }

  @Test
  void aLinkLagsByTheWritesThePeerIsNotKnownToHold() throws Exception {
    try (InProcessNodes nodes = new InProcessNodes(dir)) {
      Node a = nodes.start(0, Map.of());
      Node b = nodes.peerOf(a, 1);
      InProcessNodes.await("caught up", 10_000, () -> {
        ServerMetrics.Snapshot s = InProcessNodes.onLoop(a, a.metrics::takeSnapshot);
        return s.links().size() == 1 && s.links().get(0).writesBehind() == 0;
      });
      // Two writes the link has not been told of, read in the same loop turn: 2 behind.
      ServerMetrics.Snapshot behind = InProcessNodes.onLoop(a, () -> {
        a.replica.put(new SessionToken(), "x".getBytes(), "1".getBytes(), a.clock.millis());
        a.replica.put(new SessionToken(), "y".getBytes(), "2".getBytes(), a.clock.millis());
        return a.metrics.takeSnapshot();
      });
      assertThat(behind.links()).singleElement().satisfies(l -> {
        assertThat(l.peer()).isEqualTo(1);
        assertThat(l.writesBehind()).isEqualTo(2);
      });
      // Told of them, the link delivers them and the lag falls back to 0.
      InProcessNodes.onLoop(a, () -> {
        a.links.forEach(PeerLink::replicaChanged);
        return null;
      });
      InProcessNodes.await("caught up again", 10_000, () -> {
        ServerMetrics.Snapshot s = InProcessNodes.onLoop(a, a.metrics::takeSnapshot);
        return s.links().get(0).writesBehind() == 0 && s.links().get(0).millisBehind() == 0;
      });
      assertThat(InProcessNodes.onLoop(b, () -> b.replica.liveEntry("y".getBytes()))).isNotNull();
    }
  }
}
