package kvs.core;

/** Bytes that do not decode: a corrupt data directory, or a malformed message from a peer. */
public final class CorruptDataException extends RuntimeException {
  public CorruptDataException(String message) {
    super(message);
  }
}
