package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import kvs.client.KvsClient;
import kvs.net.TestCerts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * TLS on a real {@code ./kvs cluster --servers 2} (docs/deployment.md): redis-cli --tls, Jedis,
 * Lettuce, KvsClient and {@code kvs cli --tls} talk to it and the servers replicate over TLS
 * links; a plain-text client gets no reply. One cluster lets clients come without a certificate
 * ({@code --tls-auth-clients optional}); the other requires one (the default, as Redis), so a
 * client without one is refused and the servers' links present theirs. Certificates are made
 * with openssl at run time, in a temporary directory.
 */
class TlsIT {
  private static final String KVS = MasterRun.REPO.resolve("kvs").toString();
  private static Path dir;
  private static TestCerts certs;
  private static ClusterProcess optional;
  private static ClusterProcess strict;

  @BeforeAll
  static void start() throws Exception {
    Tool.requireOnPath("redis-cli", "openssl");
    dir = Files.createTempDirectory("kvs-tls-it-");
    certs = new TestCerts(dir);
    certs.ca("ca");
    certs.leaf("server", "ca");
    certs.leaf("client", "ca");
    optional = ClusterProcess.start(2, tlsArgs("optional"));
    strict = ClusterProcess.start(2, tlsArgs("yes"));
  }

  private static String[] tlsArgs(String auth) {
    return new String[] {"--tls-cert", certs.crt("server").toString(),
        "--tls-key", certs.key("server").toString(), "--tls-ca", certs.crt("ca").toString(),
        "--tls-auth-clients", auth};
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (optional != null) optional.close();
    } finally {
      if (strict != null) strict.close();
      if (dir != null) kvs.process.Trees.delete(dir);
    }
  }

  private static Tool redisCli(ClusterProcess c, int server, List<String> tls, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(c.port(server))));
    cmd.addAll(tls);
    cmd.addAll(List.of(args));
    return Tool.run(cmd, "", 30);
  }

  private static List<String> caOnly() {
    return List.of("--tls", "--cacert", certs.crt("ca").toString());
  }

  private static List<String> withClientCert() {
    return List.of("--tls", "--cacert", certs.crt("ca").toString(),
        "--cert", certs.crt("client").toString(), "--key", certs.key("client").toString());
  }

  @Test
  void redisCliOverTlsAndTheWriteReplicates() throws Exception {
    Tool set = redisCli(optional, 0, caOnly(), "SET", "tls:cli", "one");
    assertThat(set.stdout()).as("%s", set).isEqualTo("OK\n");
    assertThat(redisCli(optional, 0, caOnly(), "GET", "tls:cli").stdout()).isEqualTo("one\n");
    ClusterProcess.await("server 1 has tls:cli", 10_000, () -> {
      try {
        return redisCli(optional, 1, caOnly(), "GET", "tls:cli").stdout().equals("one\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void aPlainTextClientGetsNoReply() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ClusterProcess.HOST, optional.port(0)), 5_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write("PING\r\n*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] got = in.readNBytes(64); // until the server closes
      assertThat(new String(got, StandardCharsets.ISO_8859_1)).doesNotContain("PONG");
    }
    assertThatThrownBy(() -> {
      try (Jedis plain = optional.jedis(1)) {
        plain.ping();
      }
    }).isInstanceOf(JedisConnectionException.class);
    Tool t = redisCli(optional, 0, List.of(), "PING");
    assertThat(t.stdout()).doesNotContain("PONG");
  }

  private static SSLSocketFactory trustStoreFactory() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(certs.trustStore("ca"))) {
      ks.load(in, "changeit".toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }

  @Test
  void jedisAndKvsClientOverTls() throws Exception {
    SSLSocketFactory f = trustStoreFactory();
    try (Jedis a = new Jedis(new HostAndPort(ClusterProcess.HOST, optional.port(0)),
        DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(f)
            .socketTimeoutMillis(10_000).build());
        Jedis b = new Jedis(new HostAndPort(ClusterProcess.HOST, optional.port(1)),
            DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(f)
                .socketTimeoutMillis(10_000).build())) {
      assertThat(a.ping()).isEqualTo("PONG");
      assertThat(a.set("tls:jedis", "j")).isEqualTo("OK");
      assertThat(a.get("tls:jedis")).isEqualTo("j");
      ClusterProcess.await("server 1 has tls:jedis", 10_000, () -> "j".equals(b.get("tls:jedis")));
    }
    try (KvsClient c = KvsClient.builder().server(ClusterProcess.HOST, optional.port(1)).tls(f)
        .build()) {
      byte[] key = "tls:kvsclient".getBytes(StandardCharsets.UTF_8);
      c.put(key, "k".getBytes(StandardCharsets.UTF_8));
      assertThat(c.get(key).value()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void lettuceOverTls() throws Exception {
    RedisClient client = RedisClient.create(RedisURI.builder().withHost(ClusterProcess.HOST)
        .withPort(optional.port(1)).withSsl(true).withTimeout(Duration.ofSeconds(10)).build());
    client.setOptions(ClientOptions.builder().sslOptions(SslOptions.builder().jdkSslProvider()
        .truststore(certs.trustStore("ca").toFile(), "changeit").build()).build());
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync();
      assertThat(r.ping()).isEqualTo("PONG");
      assertThat(r.set("tls:lettuce", "l")).isEqualTo("OK");
      assertThat(r.get("tls:lettuce")).isEqualTo("l");
    } finally {
      client.shutdown();
    }
  }

  @Test
  void kvsCliOverTls() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(KVS, "cli", "-p", Integer.toString(optional.port(0))));
    cmd.addAll(caOnly());
    cmd.addAll(List.of("SET", "tls:kvscli", "c"));
    Tool t = Tool.run(cmd, "", 120);
    assertThat(t.exitCode()).as("%s", t).isZero();
    assertThat(t.stdout()).isEqualTo("OK\n");
  }

  @Test
  void statusAndBackupOverTls() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(KVS, "status", "--port",
        Integer.toString(strict.port(0)), "--servers", "2"));
    cmd.addAll(withClientCert());
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KVS_CLUSTER_SECRET", strict.secret);
    Tool status = Tool.run(pb, "", 120);
    assertThat(status.stdout()).as("%s", status).contains("converged: yes");
    assertThat(status.exitCode()).isZero();

    Path backup = dir.resolve("backup");
    cmd = new ArrayList<>(List.of(KVS, "backup", "--server", "127.0.0.1:" + strict.port(0),
        "--to", backup.toString()));
    cmd.addAll(withClientCert());
    pb = new ProcessBuilder(cmd);
    pb.environment().put("KVS_CLUSTER_SECRET", strict.secret);
    Tool t = Tool.run(pb, "", 120);
    assertThat(t.exitCode()).as("%s", t).isZero();
    assertThat(backup.resolve("KVS-BACKUP")).exists();
  }

  @Test
  void requiredClientCertificates() throws Exception {
    Tool refused = redisCli(strict, 0, caOnly(), "PING");
    assertThat(refused.stdout()).as("%s", refused).doesNotContain("PONG");

    Tool set = redisCli(strict, 0, withClientCert(), "SET", "tls:strict", "s");
    assertThat(set.stdout()).as("%s", set).isEqualTo("OK\n");
    // The servers linked with each other's certificate: the write reaches server 1.
    ClusterProcess.await("server 1 has tls:strict", 10_000, () -> {
      try {
        return redisCli(strict, 1, withClientCert(), "GET", "tls:strict").stdout().equals("s\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });

    List<String> cmd = new ArrayList<>(List.of(KVS, "cli", "-p", Integer.toString(strict.port(1))));
    cmd.addAll(withClientCert());
    cmd.addAll(List.of("GET", "tls:strict"));
    Tool t = Tool.run(cmd, "", 120);
    assertThat(t.stdout()).as("%s", t).isEqualTo("s\n");
  }
}
