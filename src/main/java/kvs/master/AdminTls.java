package kvs.master;

import javax.net.ssl.SSLSocketFactory;

/**
 * How the master's admin connections reach servers that serve TLS ({@code kvs cluster --tls-*}):
 * a socket factory that trusts the servers' CA and presents a certificate they accept. Null (the
 * default): plain connections. Set once, before the first server starts.
 */
public final class AdminTls {
  private static volatile SSLSocketFactory factory;

  private AdminTls() {}

  /** Admin connections made from now on use TLS through {@code f} (null: plain). */
  public static void use(SSLSocketFactory f) {
    factory = f;
  }

  static SSLSocketFactory factory() {
    return factory;
  }
}
