package kvs.net;

/**
 * What one connection may make the server hold. The frame limits are enforced before anything is
 * allocated for a frame: a frame above them gets an error reply and the connection is closed, the
 * way Redis treats protocol errors. The client limits bound what a client connection (not a peer's
 * replication link, not an admin connection) holds afterwards. All are documented in README.md.
 *
 * @param unauthArgumentsMax most elements of a command sent before AUTH, with --requirepass
 * @param unauthCommandBytesMax most bytes of bulk strings in a command sent before AUTH, with
 *     --requirepass (a peer's handshake, which carries its version vector, must fit)
 * @param clientOutputBufferLimit most bytes of replies waiting to be written to a client before
 *     it is disconnected, as Redis's {@code client-output-buffer-limit normal}; 0 for no limit
 * @param maxClients most client connections at once, as Redis's {@code maxclients}
 * @param clientTimeoutSeconds a client idle this long is disconnected, as Redis's
 *     {@code timeout}; 0 for never
 */
public record Limits(int keyBytesMax, int valueBytesMax, int bulkBytesMax, int arrayLengthMax,
    int inlineBytesMax, long commandBytesMax, int unauthArgumentsMax, int unauthCommandBytesMax,
    long clientOutputBufferLimit, int maxClients, int clientTimeoutSeconds) {

  public static final Limits DEFAULT = new Limits(
      64 * 1024,           // largest key
      16 * 1024 * 1024,    // largest value
      32 * 1024 * 1024,    // largest bulk string: a value plus room for replication chunks
      1024 * 1024,         // most elements in one command (MSET of half a million pairs)
      64 * 1024,           // longest inline (telnet-style) command line
      512L * 1024 * 1024,  // most bytes of bulk strings in one command, all arguments together
      10,                  // most elements of a command before AUTH, as Redis
      64 * 1024,           // most bytes of a command before AUTH (Redis: 10 of 16 KiB each)
      64L * 1024 * 1024,   // replies waiting for one client
      10_000,              // client connections, as Redis
      0);                  // idle client timeout: never, as Redis

  public Limits {
    if (clientOutputBufferLimit < 0) {
      throw new IllegalArgumentException("the client output buffer limit must be >= 0 (0: none), got "
          + clientOutputBufferLimit);
    }
    if (maxClients < 1) throw new IllegalArgumentException("maxclients must be >= 1, got " + maxClients);
    if (clientTimeoutSeconds < 0) {
      throw new IllegalArgumentException("the client timeout must be >= 0 (0: never), got "
          + clientTimeoutSeconds);
    }
  }

  public Limits withClientOutputBufferLimit(long bytes) {
    return new Limits(keyBytesMax, valueBytesMax, bulkBytesMax, arrayLengthMax, inlineBytesMax,
        commandBytesMax, unauthArgumentsMax, unauthCommandBytesMax, bytes, maxClients,
        clientTimeoutSeconds);
  }

  public Limits withMaxClients(int n) {
    return new Limits(keyBytesMax, valueBytesMax, bulkBytesMax, arrayLengthMax, inlineBytesMax,
        commandBytesMax, unauthArgumentsMax, unauthCommandBytesMax, clientOutputBufferLimit, n,
        clientTimeoutSeconds);
  }

  public Limits withClientTimeoutSeconds(int seconds) {
    return new Limits(keyBytesMax, valueBytesMax, bulkBytesMax, arrayLengthMax, inlineBytesMax,
        commandBytesMax, unauthArgumentsMax, unauthCommandBytesMax, clientOutputBufferLimit,
        maxClients, seconds);
  }
}
