package kvs.client;

/** A request that failed on every server tried: unreachable, timed out, or refused. */
public final class KvsException extends RuntimeException {
  public KvsException(String message, Throwable cause) {
    super(message, cause);
  }
}
