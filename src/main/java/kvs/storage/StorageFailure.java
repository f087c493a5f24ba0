package kvs.storage;

/**
 * The disk refused a read or write (full, failing, gone). The server cannot promise durability
 * any more, so callers stop acknowledging writes rather than serve on.
 */
public final class StorageFailure extends RuntimeException {
  public StorageFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
