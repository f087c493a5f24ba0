package kvs.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test certificates made at run time with openssl (never committed): a CA and certificates it
 * signs for 127.0.0.1 and localhost, usable as server and as client certificates. EC P-256 keys
 * in PKCS#8 PEM, as docs/deployment.md makes them.
 */
public final class TestCerts {
  public final Path dir;

  public TestCerts(Path dir) {
    this.dir = dir;
  }

  /** A self-signed CA: {@code name}.crt and {@code name}.key. */
  public Path ca(String name) throws IOException, InterruptedException {
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", name + ".key", "-out", name + ".crt", "-days", "2", "-subj", "/CN=" + name);
    return dir.resolve(name + ".crt");
  }

  /** {@code name}.crt and {@code name}.key, signed by CA {@code ca}, for 127.0.0.1/localhost. */
  public Path leaf(String name, String ca) throws IOException, InterruptedException {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
    Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        + "extendedKeyUsage=serverAuth,clientAuth\n");
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
        "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext");
    return dir.resolve(name + ".crt");
  }

  public Path crt(String name) {
    return dir.resolve(name + ".crt");
  }

  public Path key(String name) {
    return dir.resolve(name + ".key");
  }

  /** A PKCS12 trust store holding CA {@code ca}'s certificate, password "changeit". */
  public Path trustStore(String ca) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(crt(ca))) {
      X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(in);
      ks.setCertificateEntry(ca, c);
    }
    Path p = dir.resolve(ca + "-trust.p12");
    try (OutputStream out = Files.newOutputStream(p)) {
      ks.store(out, "changeit".toCharArray());
    }
    return p;
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }
}
