package kvs.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import kvs.net.Limits;
import kvs.net.Tls;

/**
 * Everything a server is started with.
 *
 * @param secret the cluster secret peers and admin connections must present
 * @param requirePass when not null, clients must AUTH with it first (as Redis's requirepass)
 * @param fsync when true a write is acknowledged only after its write-ahead log is fsynced
 *     (group commit); otherwise after it is in the log in the page cache, which survives SIGKILL
 * @param tls when not null, every connection accepted and every peer link dialled uses TLS
 * @param metrics whether the server keeps Prometheus metrics, which it serves only when asked
 *     to ({@code --metrics-port}); without, nothing is counted
 */
public record ServerConfig(int id, String host, int port, Path dataDir,
    Map<Integer, InetSocketAddress> peers, String secret, String requirePass, boolean fsync,
    Limits limits, Tls tls, boolean metrics) {

  /** A server without TLS, keeping metrics. */
  public ServerConfig(int id, String host, int port, Path dataDir,
      Map<Integer, InetSocketAddress> peers, String secret, String requirePass, boolean fsync,
      Limits limits) {
    this(id, host, port, dataDir, peers, secret, requirePass, fsync, limits, null);
  }

  /** A server keeping metrics. */
  public ServerConfig(int id, String host, int port, Path dataDir,
      Map<Integer, InetSocketAddress> peers, String secret, String requirePass, boolean fsync,
      Limits limits, Tls tls) {
    this(id, host, port, dataDir, peers, secret, requirePass, fsync, limits, tls, true);
  }

  public ServerConfig {
    if (id < 0) throw new IllegalArgumentException("server id must be >= 0, got " + id);
    if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("a cluster secret is required");
    }
    peers = Map.copyOf(peers);
  }
}
