package kvs.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/**
 * TLS of a server (docs/deployment.md, "TLS"): the context its port accepts with and the one its
 * peer links dial with. Both trust only the CA file; the dialling side presents the server's own
 * certificate, so a peer that checks client certificates accepts it, and checks the name or
 * address it dials against the peer's certificate. Connections are plain when a server has none.
 *
 * @param server what accepted connections (clients, admin connections, peers) handshake with
 * @param client what the peer links this server dials handshake with
 */
public record Tls(SslContext server, SslContext client) {

  /** The client-certificate check of the accepting side, as Redis's tls-auth-clients. */
  public enum AuthClients {
    /** Every connection must present a certificate signed by the CA (the default, as Redis). */
    YES,
    /** A connection may present none; one that does must present a valid one. */
    OPTIONAL,
    /** Certificates of connections are not asked for. */
    NO;

    /** yes, no or optional, any case. */
    public static AuthClients parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--tls-auth-clients must be yes, no or optional, got '" + s + "'");
      }
    }

    ClientAuth netty() {
      return switch (this) {
        case YES -> ClientAuth.REQUIRE;
        case OPTIONAL -> ClientAuth.OPTIONAL;
        case NO -> ClientAuth.NONE;
      };
    }
  }

  /**
   * Loads the PEM files: {@code cert} (the server's certificate chain), {@code key} (its
   * unencrypted PKCS#8 private key, as {@code openssl genpkey} writes it) and {@code ca} (the
   * certificates to trust, for peers and client certificates).
   *
   * @throws IllegalArgumentException naming the file that is missing or cannot be used
   */
  public static Tls load(Path cert, Path key, Path ca, AuthClients auth) {
    for (Path p : new Path[] {cert, key, ca}) {
      if (!Files.isReadable(p)) throw new IllegalArgumentException("cannot read " + p);
    }
    try {
      SslContext server = SslContextBuilder.forServer(cert.toFile(), key.toFile())
          .sslProvider(SslProvider.JDK)
          .trustManager(ca.toFile())
          .clientAuth(auth.netty())
          .build();
      SslContext client = clientContext(ca, cert, key);
      return new Tls(server, client);
    } catch (SSLException | RuntimeException e) {
      throw new IllegalArgumentException("cannot use --tls-cert " + cert + ", --tls-key " + key
          + " and --tls-ca " + ca + ": " + rootMessage(e), e);
    }
  }

  /**
   * A client context that trusts {@code ca} and, when {@code cert} and {@code key} are not null,
   * presents that certificate. Netty 4.2 checks the server's name or address against its
   * certificate ({@link #clientHandler} gives it the peer's host).
   */
  public static SslContext clientContext(Path ca, Path cert, Path key) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient()
        .sslProvider(SslProvider.JDK)
        .trustManager(ca.toFile());
    if (cert != null && key != null) b.keyManager(cert.toFile(), key.toFile());
    return b.build();
  }

  /**
   * A socket factory for blocking clients (Jedis, {@code kvs cli}): trusts {@code ca}, presents
   * {@code cert} and {@code key} when given. It does not check the server's host name.
   */
  public static SSLSocketFactory socketFactory(Path ca, Path cert, Path key) {
    try {
      return ((JdkSslContext) clientContext(ca, cert, key)).context().getSocketFactory();
    } catch (SSLException | RuntimeException e) {
      throw new IllegalArgumentException("cannot use the CA file " + ca
          + (cert == null ? "" : " and the certificate " + cert + " with key " + key) + ": "
          + rootMessage(e), e);
    }
  }

  /** The handler an accepted connection starts its pipeline with. */
  public SslHandler serverHandler(ByteBufAllocator alloc) {
    return server.newHandler(alloc);
  }

  /** The handler a dialled peer link starts its pipeline with; {@code host} is checked. */
  public SslHandler clientHandler(ByteBufAllocator alloc, String host, int port) {
    return client.newHandler(alloc, host, port);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
