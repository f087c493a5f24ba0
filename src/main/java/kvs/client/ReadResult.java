package kvs.client;

/** What a read returned: a value, no value, or a refusal because no server could serve the session. */
public record ReadResult(Status status, byte[] value) {
  public enum Status {
    /** The key has a value at least as new as anything this session saw or wrote. */
    FOUND,
    /** The key has no value (never written, or deleted), and the server misses nothing the session saw. */
    NOT_FOUND,
    /** No server tried holds every write this session has seen (ERR_DEP); nothing stale was returned. */
    DEPENDENCY_MISSING
  }

  static final ReadResult NOT_FOUND = new ReadResult(Status.NOT_FOUND, null);
  static final ReadResult DEPENDENCY_MISSING = new ReadResult(Status.DEPENDENCY_MISSING, null);
}
