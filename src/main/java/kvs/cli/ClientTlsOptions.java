package kvs.cli;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import picocli.CommandLine.Option;

/**
 * The options of a command that connects to servers as a client ({@code kvs cli},
 * {@code kvs status}, {@code kvs backup}), to reach servers started with {@code --tls-*}: the
 * names redis-cli gives them ({@code --tls --cacert FILE [--cert FILE --key FILE]}).
 */
final class ClientTlsOptions {
  @Option(names = "--tls", description = "Connect over TLS (needs --cacert), as redis-cli.")
  boolean tls;

  @Option(names = "--cacert", paramLabel = "FILE",
      description = "With --tls: PEM certificates to trust for the servers' certificates.")
  Path caCert;

  @Option(names = "--cert", paramLabel = "FILE",
      description = "With --tls: a client certificate (PEM) to present, for servers that"
          + " require one (--tls-auth-clients yes).")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE",
      description = "With --tls: the private key (PEM, PKCS#8) of --cert.")
  Path key;

  private SSLSocketFactory factory;

  /** Checks the options and loads the files; returns what is wrong, or null when all is well. */
  String load() {
    if (!tls && (caCert != null || cert != null || key != null)) {
      return "--cacert, --cert and --key go with --tls";
    }
    if (!tls) return null;
    if (caCert == null) return "--tls needs --cacert FILE";
    if ((cert == null) != (key == null)) return "--cert and --key go together";
    try {
      factory = kvs.net.Tls.socketFactory(caCert, cert, key);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    return null;
  }

  /** {@code plain}, connected, or a TLS socket over it once the handshake is done. */
  Socket wrap(Socket plain, String host, int port) throws IOException {
    if (factory == null) return plain;
    SSLSocket s = (SSLSocket) factory.createSocket(plain, host, port, true);
    s.startHandshake();
    return s;
  }
}
