package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * {@code --metrics-port} (SPEC section 10, docs/deployment.md): a real {@code ./kvs cluster}
 * serves /metrics on BASE+i for server i, in the Prometheus text format that promtool accepts,
 * counting commands and errors, keys, and links that converge to a lag of 0.
 */
class MetricsIT {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void clusterServesPrometheusMetricsThatPromtoolAccepts() throws Exception {
    Tool.requireOnPath("promtool");
    int base = ClusterProcess.freePorts(2);
    try (ClusterProcess c = ClusterProcess.start(2, "--metrics-port", Integer.toString(base))) {
      try (Jedis j0 = c.jedis(0); Jedis j1 = c.jedis(1)) {
        for (int i = 0; i < 10; i++) assertThat(j0.set("k" + i, "v" + i)).isEqualTo("OK");
        for (int i = 10; i < 20; i++) assertThat(j1.set("k" + i, "v" + i)).isEqualTo("OK");
        assertThat(j0.get("k1")).isEqualTo("v1");
        try {
          j0.sendCommand(ClusterProcess.cmd("NOSUCHCOMMAND"));
        } catch (redis.clients.jedis.exceptions.JedisDataException expected) {
          // counted as an error
        }
      }
      // Keys are recounted at most every 5 s; the links' lag falls to 0 once adverts arrive.
      Map<String, Double>[] m = new Map[2];
      ClusterProcess.await("both servers report 20 keys and links caught up", 60_000, () -> {
        for (int s = 0; s < 2; s++) {
          m[s] = parse(fetch(base + s));
          String peer = "{peer=\"" + (1 - s) + "\"}";
          if (!Double.valueOf(20).equals(m[s].get("kvs_keys"))
              || !Double.valueOf(0).equals(m[s].get("kvs_link_lag_writes" + peer))) {
            return false;
          }
        }
        return true;
      });
      for (int s = 0; s < 2; s++) {
        String peer = "{peer=\"" + (1 - s) + "\"}";
        assertThat(m[s]).as("server %d", s)
            .containsEntry("kvs_commands_total{command=\"set\"}", 10.0)
            .containsEntry("kvs_command_duration_seconds_count{command=\"set\"}", 10.0)
            .containsEntry("kvs_links", 1.0)
            .containsEntry("kvs_link_lag_seconds" + peer, 0.0)
            .containsEntry("kvs_link_sessions_total" + peer, 1.0)
            .containsKey("kvs_event_loop_busy_seconds_total")
            .containsKey("kvs_connected_clients")
            .containsKey("kvs_store_disk_bytes{kind=\"sst\"}")
            .containsKey("kvs_store_disk_bytes{kind=\"wal\"}");
        assertThat(m[s].get("kvs_link_sent_bytes_total" + peer)).isPositive();
        assertThat(m[s].get("kvs_link_received_bytes_total" + peer)).isPositive();
        assertThat(m[s].get("kvs_store_disk_bytes{kind=\"wal\"}")
            + m[s].get("kvs_store_disk_bytes{kind=\"sst\"}")).isPositive();
      }
      assertThat(m[0]).containsEntry("kvs_commands_total{command=\"get\"}", 1.0)
          .containsEntry("kvs_command_errors_total{command=\"unknown\"}", 1.0);

      for (int s = 0; s < 2; s++) {
        String text = fetch(base + s);
        assertThat(text).contains("# TYPE kvs_command_duration_seconds histogram");
        Tool check = Tool.run(List.of("promtool", "check", "metrics"), text, 60);
        assertThat(check.exitCode()).as("promtool check metrics on server %d: %s", s, check)
            .isZero();
        assertThat(check.stdout() + check.stderr()).as("promtool's lint findings").isBlank();
      }
    }
  }

  private static String fetch(int port) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      return r.body();
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot fetch the metrics on port " + port, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Each sample line of the text format, by name and labels as written, to its value. */
  private static Map<String, Double> parse(String text) {
    Map<String, Double> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }
}
