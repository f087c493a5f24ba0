package kvs.net;

/**
 * A request that cannot be read as a command. As in Redis, it is answered with
 * {@code -ERR Protocol error: <message>} and the connection is closed after the reply.
 */
public final class ProtocolException extends RuntimeException {
  public ProtocolException(String message) {
    super(message);
  }
}
