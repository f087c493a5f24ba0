package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kvs.net.Limits;
import kvs.net.TestCerts;
import kvs.net.Tls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer links over TLS (docs/deployment.md): a server that requires client certificates links
 * with a peer whose certificate its CA signed, and refuses one that presents none, one signed by
 * another CA, or no TLS at all; a dialling server refuses a peer whose certificate it does not
 * trust. Certificates are made with openssl at run time.
 */
class TlsPeerTest {
  private static final String SECRET = "test-secret";
  @TempDir static Path certDir;
  private static TestCerts certs;
  @TempDir Path dir;
  private final List<Node> nodes = new ArrayList<>();

  @BeforeAll
  static void makeCerts() throws Exception {
    certs = new TestCerts(certDir);
    certs.ca("ca");
    certs.leaf("server", "ca");
    certs.ca("rogue-ca");
    certs.leaf("rogue", "rogue-ca");
  }

  @AfterEach
  void stop() {
    nodes.forEach(Node::close);
  }

  private static Tls good() {
    return Tls.load(certs.crt("server"), certs.key("server"), certs.crt("ca"), Tls.AuthClients.YES);
  }

  /** Presents a certificate signed by another CA, but trusts the cluster's CA. */
  private static Tls rogue() {
    return Tls.load(certs.crt("rogue"), certs.key("rogue"), certs.crt("ca"), Tls.AuthClients.YES);
  }

  /** Trusts the cluster's CA but dials without a certificate of its own. */
  private static Tls noClientCert() throws Exception {
    SslContext client = Tls.clientContext(certs.crt("ca"), null, null);
    return new Tls(good().server(), client);
  }

  private Node start(int id, Tls tls, Node... peers) throws Exception {
    Map<Integer, InetSocketAddress> map = new java.util.HashMap<>();
    for (Node p : peers) {
      map.put(p.config.id(), InetSocketAddress.createUnresolved("127.0.0.1", p.port()));
    }
    Node n = Node.start(new ServerConfig(id, "127.0.0.1", 0, dir.resolve("server-" + id), map,
        SECRET, null, false, Limits.DEFAULT, tls), Clock.SYSTEM);
    nodes.add(n);
    try {
      n.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      // a refused dial; the test looks at the links
    }
    return n;
  }

  private static boolean linked(Node a, int peer) {
    return InProcessNodes.onLoop(a, () -> a.links.isLinked(peer));
  }

  @Test
  void aPeerWithAValidCertificateLinksAndOthersAreRefused() throws Exception {
    Node a = start(1, good());
    Node b = start(2, good(), a);
    InProcessNodes.await("server 2 linked to server 1", 10_000, () -> linked(b, 1) && linked(a, 2));

    Node untrusted = start(3, rogue(), a);
    Node bare = start(4, noClientCert(), a);
    Node plain = start(5, null, a);
    Thread.sleep(2_000); // each has dialled and been redialled by now
    for (Node n : List.of(untrusted, bare, plain)) {
      int id = n.config.id();
      assertThat(linked(n, 1)).as("server %d linked to server 1", id).isFalse();
      assertThat(linked(a, id)).as("server 1 linked to server %d", id).isFalse();
    }
    assertThat(linked(b, 1)).isTrue();
  }

  @Test
  void aDiallingServerRefusesAPeerWithAnUntrustedCertificate() throws Exception {
    Tls lenient = Tls.load(certs.crt("rogue"), certs.key("rogue"), certs.crt("ca"),
        Tls.AuthClients.NO); // would accept anyone, but its own certificate is untrusted
    Node impostor = start(1, lenient);
    Node a = start(2, good(), impostor);
    Thread.sleep(2_000);
    assertThat(linked(a, 1)).isFalse();
    assertThat(linked(impostor, 2)).isFalse();

    Node b = start(3, good());
    Node c = start(4, good(), b);
    InProcessNodes.await("server 4 linked to server 3", 10_000, () -> linked(c, 3));
  }
}
