package kvs.net;

/**
 * Size limits enforced on every connection before anything is allocated for a frame. They are
 * documented in README.md; a frame above them gets an error reply and the connection is closed,
 * the way Redis treats protocol errors.
 */
public record Limits(int keyBytesMax, int valueBytesMax, int bulkBytesMax, int arrayLengthMax,
    int inlineBytesMax, long commandBytesMax) {

  public static final Limits DEFAULT = new Limits(
      64 * 1024,           // largest key
      16 * 1024 * 1024,    // largest value
      32 * 1024 * 1024,    // largest bulk string: a value plus room for replication chunks
      1024 * 1024,         // most elements in one command (MSET of half a million pairs)
      64 * 1024,           // longest inline (telnet-style) command line
      512L * 1024 * 1024); // most bytes of bulk strings in one command, all arguments together
}
