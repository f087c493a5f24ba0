package kvs.net;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * One request as {@link RespCommandDecoder} reads it off a client connection: the arguments of a
 * multibulk command, the line of an inline command, or the mark of a frame that is no command
 * (a top-level simple string, integer or bulk string, or an array holding anything but bulk
 * strings), which the connection answers with an error and keeps reading. It is a
 * {@link RedisMessage} only so that the handlers that take Netty's aggregated messages from other
 * pipelines (a peer link's, for one) take it too through {@link Resp#arguments}; it holds no
 * buffer and needs no release.
 */
public final class RespCommand implements RedisMessage {
  /** A frame that is not an array of bulk strings. */
  public static final RespCommand NOT_A_COMMAND = new RespCommand(null, null);
  /** A null or empty array, which Redis ignores. */
  static final RespCommand EMPTY = new RespCommand(new byte[0][], null);

  private final byte[][] arguments;
  private final byte[] inlineLine;

  private RespCommand(byte[][] arguments, byte[] inlineLine) {
    this.arguments = arguments;
    this.inlineLine = inlineLine;
  }

  /** A multibulk command; the array is the command's own. */
  public static RespCommand of(byte[][] arguments) {
    return new RespCommand(arguments, null);
  }

  /**
   * An inline command, split only when asked: its quoting errors are the handler's to answer
   * (with the connection closing after the reply), as for a line Netty's decoder passed on.
   */
  static RespCommand inline(byte[] line) {
    return new RespCommand(null, line);
  }

  /**
   * The arguments; null when the frame is no command. Throws {@link ProtocolException} for an
   * inline command with unbalanced quotes.
   */
  public byte[][] arguments() {
    return inlineLine != null ? Resp.splitInline(inlineLine) : arguments;
  }

  @Override
  public String toString() {
    if (inlineLine != null) return "RespCommand[inline " + Resp.ascii(inlineLine) + "]";
    if (arguments == null) return "RespCommand[not a command]";
    StringBuilder sb = new StringBuilder("RespCommand[");
    for (int i = 0; i < arguments.length; i++) {
      if (i > 0) sb.append(' ');
      sb.append(Resp.ascii(arguments[i]));
    }
    return sb.append(']').toString();
  }
}
