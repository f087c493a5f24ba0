package kvs.cli;

import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import kvs.net.RespStream;
import kvs.process.ChildJvm;
import kvs.process.HostPort;
import kvs.process.IoMessages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kvs backup}: a consistent backup of a running server, through {@code KVS.BACKUP}. */
@Command(name = "backup", mixinStandardHelpOptions = true,
    description = {"Takes a consistent backup of a running server without stopping it (a RocksDB"
        + " checkpoint and a manifest) and prints the manifest.",
        "DIR is a directory on the SERVER's machine (the server writes it): it must not exist or"
            + " be empty, and lie outside the server's data directory. A relative DIR is taken"
            + " relative to this command's working directory. A server that serves TLS:"
            + " --tls --cacert FILE [--cert FILE --key FILE].",
        "Needs the cluster secret in the environment variable KVS_CLUSTER_SECRET. Restore with"
            + " 'kvs restore'. Exit status 1 when the server refuses or fails, 2 on bad usage."})
public final class BackupCommand implements Callable<Integer> {
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT",
      description = "The server to back up.")
  String server;

  @Option(names = "--to", required = true, paramLabel = "DIR",
      description = "Where the server writes the backup (a path on the server's machine).")
  Path to;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
      description = "Give up waiting for the server after SECONDS (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin ClientTlsOptions tls = new ClientTlsOptions();

  @Override
  public Integer call() {
    if (timeoutSeconds < 1) {
      System.err.println("kvs backup: --timeout must be at least 1 second, got " + timeoutSeconds);
      return 2;
    }
    String tlsProblem = tls.load();
    if (tlsProblem != null) {
      System.err.println("kvs backup: " + tlsProblem);
      return 2;
    }
    InetSocketAddress addr;
    try {
      addr = HostPort.parse(server);
      if (addr.getPort() == 0) throw new IllegalArgumentException("bad port in '" + server + "'");
    } catch (IllegalArgumentException e) {
      System.err.println("kvs backup: --server: " + e.getMessage());
      return 2;
    }
    String secret = System.getenv(ChildJvm.CLUSTER_SECRET_ENV);
    if (secret == null || secret.isEmpty()) {
      System.err.println("kvs backup: needs the cluster secret in the environment variable "
          + ChildJvm.CLUSTER_SECRET_ENV);
      return 2;
    }
    String dir = to.toAbsolutePath().normalize().toString();
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(addr.getHostString(), addr.getPort()),
          CONNECT_TIMEOUT_MS);
      plain.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeoutSeconds * 1000L));
      Socket s = tls.wrap(plain, addr.getHostString(), addr.getPort());
      RespStream resp = new RespStream(new BufferedInputStream(s.getInputStream()),
          new BufferedOutputStream(s.getOutputStream()));
      String admin = call(resp, "KVS.ADMIN", secret);
      if (admin.startsWith("-")) {
        System.err.println("kvs backup: " + server + " refused the cluster secret: "
            + admin.substring(1));
        return 1;
      }
      String reply = call(resp, "KVS.BACKUP", dir);
      if (reply.startsWith("-")) {
        System.err.println("kvs backup: " + server + ": " + reply.substring(1));
        return 1;
      }
      System.out.print(reply);
      System.err.println("kvs backup: backup written to " + dir + " on the machine of " + server);
      return 0;
    } catch (IOException e) {
      System.err.println("kvs backup: " + server + ": " + IoMessages.describe(e));
      return 1;
    }
  }

  /** Sends one command; its reply as text, an error's prefixed with '-'. */
  private static String call(RespStream resp, String... args) throws IOException {
    resp.write(java.util.Arrays.stream(args).map(a -> a.getBytes(StandardCharsets.UTF_8))
        .toList());
    RedisMessage r = resp.read();
    try {
      if (r instanceof ErrorRedisMessage e) return "-" + e.content();
      if (r instanceof SimpleStringRedisMessage m) return m.content();
      if (r instanceof FullBulkStringRedisMessage b) {
        return b.content().toString(StandardCharsets.UTF_8);
      }
      return String.valueOf(r);
    } finally {
      ReferenceCountUtil.release(r);
    }
  }
}
