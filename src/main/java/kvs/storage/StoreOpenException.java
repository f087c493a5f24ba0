package kvs.storage;

/** A data directory the server must refuse to start from, with the reason for the operator. */
public final class StoreOpenException extends RuntimeException {
  public StoreOpenException(String message, Throwable cause) {
    super(message, cause);
  }
}
