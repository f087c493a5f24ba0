package kvs.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import kvs.net.Limits;

/**
 * Everything a server is started with.
 *
 * @param secret the cluster secret peers and admin connections must present
 * @param requirePass when not null, clients must AUTH with it first (as Redis's requirepass)
 * @param fsync when true a write is acknowledged only after its write-ahead log is fsynced
 *     (group commit); otherwise after it is in the log in the page cache, which survives SIGKILL
 */
public record ServerConfig(int id, String host, int port, Path dataDir,
    Map<Integer, InetSocketAddress> peers, String secret, String requirePass, boolean fsync,
    Limits limits) {

  public ServerConfig {
    if (id < 0) throw new IllegalArgumentException("server id must be >= 0, got " + id);
    if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("a cluster secret is required");
    }
    peers = Map.copyOf(peers);
  }
}
