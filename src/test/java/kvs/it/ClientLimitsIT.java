package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A client that pipelines GETs of a 1 MiB value and reads none of the replies, against a real
 * {@code ./kvs cluster} started with the client limits (which it passes on to its servers): the
 * server disconnects it at the output-buffer limit instead of holding gigabytes of replies for
 * it, and serves other clients and its replication link meanwhile.
 */
class ClientLimitsIT {
  private static final int LIMIT = 16 << 20;

  @Test
  void aClientThatDoesNotReadIsDisconnectedAndTheOthersAreServed() throws Exception {
    try (ClusterProcess cluster = ClusterProcess.start(2, "--client-output-buffer-limit", "16mb",
        "--maxclients", "50", "--timeout", "300")) {
      byte[] value = new byte[1 << 20];
      Arrays.fill(value, (byte) 'v');
      try (Jedis j = cluster.jedis(0)) {
        assertThat(j.configGet("client-output-buffer-limit"))
            .containsEntry("client-output-buffer-limit", "normal " + LIMIT + " 0 0");
        assertThat(j.configGet("maxclients")).containsEntry("maxclients", "50");
        assertThat(j.configGet("timeout")).containsEntry("timeout", "300");
        assertThat(j.set("big".getBytes(StandardCharsets.UTF_8), value)).isEqualTo("OK");
      }
      try (Socket hog = new Socket(); Jedis other = cluster.jedis(0)) {
        hog.setReceiveBufferSize(4096);
        hog.connect(new InetSocketAddress(ClusterProcess.HOST, cluster.port(0)), 10_000);
        OutputStream out = hog.getOutputStream();
        // 300 MiB of replies asked for in one write of 6.6 KB, and never read.
        out.write("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(300).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        for (int i = 0; i < 20; i++) {
          long start = System.nanoTime();
          assertThat(other.ping()).isEqualTo("PONG");
          assertThat(System.nanoTime() - start).as("another client's PING")
              .isLessThan(TimeUnit.SECONDS.toNanos(2));
        }
        // Once the server closed it, the hog's writes fail (the first draws a reset).
        ClusterProcess.await("the server disconnects the client that does not read", 30_000,
            () -> {
              try {
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
              } catch (IOException e) {
                return true;
              }
            });
        assertThat(other.info("stats")).contains("client_output_buffer_limit_disconnections:1");
        // Replication went on: the link between the servers is not a client.
        assertThat(other.set("after", "x")).isEqualTo("OK");
        try (Jedis peer = cluster.jedis(1)) {
          ClusterProcess.await("the write replicated", 10_000, () -> "x".equals(peer.get("after")));
        }
      }
    }
  }
}
