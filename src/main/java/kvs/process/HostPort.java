package kvs.process;

import java.net.InetSocketAddress;

/** {@code HOST:PORT} as written on command lines and in hosts files, an IPv6 host in brackets. */
public final class HostPort {
  private HostPort() {}

  /**
   * Parses {@code HOST:PORT} (an IPv6 host in brackets) into an unresolved address; the port may
   * be 0..65535. Throws IllegalArgumentException, with the text in the message, otherwise.
   */
  public static InetSocketAddress parse(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0) throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "'");
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in '" + s + "'");
    }
    if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port in '" + s + "'");
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** {@code host:port}, an IPv6 host in brackets: what {@link #parse} reads back. */
  public static String format(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
