package kvs.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a client connection's requests straight off the bytes received, one {@link RespCommand}
 * per command, in place of Netty's {@code RedisDecoder}, {@link FrameLimiter} and the two
 * aggregators: a multibulk command's arguments are copied once from the received bytes into the
 * command's arrays, with no message per argument and no second pass to assemble them (as
 * Garnet's parser does). It answers every input as that pipeline does: the same limits checked at
 * the same point of the frame, the same {@code ERR Protocol error: ...} texts (Netty's decoder's
 * own texts for malformed frames), the same frames that are no command (a top-level integer, an
 * array holding a null bulk string, ...), and inline commands passed on whole for
 * {@link Resp#splitInline}.
 *
 * <p>What a connection makes it hold is bounded as before: a line by the inline limit (a length
 * line by the longest number), a command by the limits on its elements. A bulk string larger
 * than {@link #WAIT_WHOLE_MAX} is
 * copied out of the received bytes as they arrive, into an array that grows with them, so that
 * nothing is allocated for an announced length that is not sent, and a large value is not moved
 * again each time the buffer of received bytes grows.
 *
 * <p>The parse resumes where the last read left it: completed arguments are consumed; a line that
 * has not ended is not searched again for its end. A command goes to the next handler before the
 * next frame's header is checked, since a command (AUTH) can lift the limits for the next one.
 */
public final class RespCommandDecoder extends ByteToMessageDecoder implements AuthenticationGate {
  /** Bulk strings up to this size wait in the received bytes until whole. */
  static final int WAIT_WHOLE_MAX = 64 * 1024;
  /** Netty's decoder refuses a longer bulk string before any limit of ours is checked. */
  private static final long NETTY_BULK_MAX = 512L * 1024 * 1024;
  /** Netty reads at most this many digits as a number (a long's). */
  private static final int NUMBER_DIGITS_MAX = 19;
  /** Arguments slots reserved up front, as Netty's array aggregator reserves. */
  private static final int ARGUMENTS_RESERVED_MAX = 32;

  private enum Expect { FRAME, ELEMENT, BULK_CONTENT }

  private final Limits limits;
  private boolean authenticated = true;
  /** A protocol error was answered: the rest of the stream cannot be framed and is dropped. */
  private boolean failed;

  private Expect expect = Expect.FRAME;
  /** Bytes from the reader index known to hold no line end: a line is never searched twice. */
  private int lineSearched;

  // The multibulk command being read.
  private byte[][] arguments;
  private int argumentCount;
  private long elementsLeft;
  /** False once an element is not a bulk string: the command is then no command. */
  private boolean onlyBulkStrings;
  /** Bytes of bulk strings announced so far in the command, for commandBytesMax. */
  private long commandBytes;

  // The bulk string being read.
  private int bulkLength;
  private boolean bulkInArray;
  /** For a bulk string above WAIT_WHOLE_MAX: its bytes received so far, and how many. */
  private byte[] bulkCopied;
  private int bulkCopiedLength;

  public RespCommandDecoder(Limits limits) {
    this.limits = limits;
  }

  @Override
  public void requireAuthentication() {
    authenticated = false;
  }

  @Override
  public void authenticated() {
    authenticated = true;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      boolean progress = true;
      // One command per call: the caller hands it on before calling again.
      while (progress && out.isEmpty() && !failed) {
        progress = switch (expect) {
          case FRAME -> frame(ctx, in, out);
          case ELEMENT -> element(ctx, in, out);
          case BULK_CONTENT -> bulkContent(in, out);
        };
      }
    } catch (DecoderException e) {
      failed = true;
      throw e;
    }
    if (failed) in.skipBytes(in.readableBytes());
  }

  // ---- frames and elements -----------------------------------------------------------------

  private boolean frame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) return false;
    byte type = in.getByte(in.readerIndex());
    switch (type) {
      case '*' -> {
        long length = lengthLine(in);
        if (length == INCOMPLETE) return false;
        if (length > limits.arrayLengthMax()) {
          return fail(ctx, "Protocol error: invalid multibulk length " + length + " (limit "
              + limits.arrayLengthMax() + ")");
        }
        if (!authenticated && length > limits.unauthArgumentsMax()) {
          return fail(ctx, "Protocol error: unauthenticated multibulk length");
        }
        if (length <= 0) {
          out.add(RespCommand.EMPTY);
          return true;
        }
        elementsLeft = length;
        arguments = new byte[(int) Math.min(length, ARGUMENTS_RESERVED_MAX)][];
        argumentCount = 0;
        onlyBulkStrings = true;
        commandBytes = 0;
        expect = Expect.ELEMENT;
        return true;
      }
      case '$' -> {
        return bulkHeader(ctx, in, out, false);
      }
      default -> {
        int lineEnd = lineOfLimitedLength(in, type);
        if (lineEnd < 0) return false;
        if (isSimpleType(type)) {
          int start = in.readerIndex() + 1;
          if (type == ':') parseNumber(in, start, lineEnd - 1);
          in.readerIndex(lineEnd + 1);
          out.add(RespCommand.NOT_A_COMMAND);
        } else {
          byte[] line = new byte[lineEnd - 1 - in.readerIndex()];
          in.readBytes(line);
          in.skipBytes(2);
          out.add(RespCommand.inline(asNettyPassedIt(line)));
        }
        lineSearched = 0;
        return true;
      }
    }
  }

  private boolean element(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) return false;
    byte type = in.getByte(in.readerIndex());
    switch (type) {
      case '$' -> {
        return bulkHeader(ctx, in, out, true);
      }
      case '*' -> {
        long length = lengthLine(in);
        if (length == INCOMPLETE) return false;
        return fail(ctx, "Protocol error: nested arrays are not accepted");
      }
      default -> {
        // A simple string, error, integer or inline line in an array: the array is no command,
        // but it is read to its end as Netty's decoder reads it.
        int lineEnd = lineOfLimitedLength(in, type);
        if (lineEnd < 0) return false;
        if (type == ':') parseNumber(in, in.readerIndex() + 1, lineEnd - 1);
        in.readerIndex(lineEnd + 1);
        lineSearched = 0;
        return elementDone(null, out);
      }
    }
  }

  private static boolean isSimpleType(byte type) {
    return type == '+' || type == '-' || type == ':';
  }

  /**
   * A bulk string's header {@code $<n>}: the checks Netty's decoder makes, then FrameLimiter's;
   * consumed when it passes them.
   */
  private boolean bulkHeader(ChannelHandlerContext ctx, ByteBuf in, List<Object> out,
      boolean inArray) {
    long length = lengthLine(in);
    if (length == INCOMPLETE) return false;
    if (length > NETTY_BULK_MAX) {
      throw protocolError("length: " + length + " (expected: <= " + NETTY_BULK_MAX + ")");
    }
    if (length == -1) {
      // A null bulk string: no argument, so the array is no command.
      return inArray ? elementDone(null, out) : notACommand(out);
    }
    if (length > 0) {
      // FrameLimiter checks only a non-empty bulk string (Netty gives $0 no header).
      if (length > limits.bulkBytesMax()) {
        return fail(ctx, "Protocol error: invalid bulk length " + length + " (limit "
            + limits.bulkBytesMax() + ")");
      }
      if (inArray) {
        commandBytes += length;
        if (commandBytes > limits.commandBytesMax()) {
          return fail(ctx, "Protocol error: the command's arguments exceed "
              + limits.commandBytesMax() + " bytes together");
        }
      }
      long announced = inArray ? commandBytes : length;
      if (!authenticated && announced > limits.unauthCommandBytesMax()) {
        return fail(ctx, "Protocol error: unauthenticated bulk length");
      }
    }
    bulkLength = (int) length;
    bulkInArray = inArray;
    bulkCopied = null;
    bulkCopiedLength = 0;
    expect = Expect.BULK_CONTENT;
    return true;
  }

  private boolean bulkContent(ByteBuf in, List<Object> out) {
    int contentLeft = bulkLength - bulkCopiedLength;
    boolean kept = bulkInArray && onlyBulkStrings;
    if (in.readableBytes() >= contentLeft + 2) {
      int eol = in.readerIndex() + contentLeft;
      checkLineEnd(in.getByte(eol), in.getByte(eol + 1));
      byte[] value = null;
      if (kept) {
        if (bulkCopied == null) {
          value = new byte[bulkLength];
        } else {
          value = bulkCopied.length == bulkLength ? bulkCopied : Arrays.copyOf(bulkCopied, bulkLength);
        }
        in.readBytes(value, bulkCopiedLength, contentLeft);
      } else {
        in.skipBytes(contentLeft);
      }
      in.skipBytes(2);
      bulkCopied = null;
      bulkCopiedLength = 0;
      return bulkInArray ? elementDone(value, out) : notACommand(out);
    }
    if (bulkLength > WAIT_WHOLE_MAX) {
      // Not whole yet and large: take what came, so that the received bytes do not pile up.
      int take = Math.min(in.readableBytes(), contentLeft);
      if (take == 0) return false;
      if (kept) {
        int needed = bulkCopiedLength + take;
        if (bulkCopied == null || bulkCopied.length < needed) {
          int grown = bulkCopied == null ? WAIT_WHOLE_MAX : bulkCopied.length * 2;
          int capacity = Math.min(bulkLength, Math.max(needed, grown));
          bulkCopied = bulkCopied == null ? new byte[capacity] : Arrays.copyOf(bulkCopied, capacity);
        }
        in.readBytes(bulkCopied, bulkCopiedLength, take);
      } else {
        in.skipBytes(take);
      }
      bulkCopiedLength += take;
    }
    return false;
  }

  /** One element of the array read: null for one that is not a (non-null) bulk string. */
  private boolean elementDone(byte[] value, List<Object> out) {
    expect = Expect.ELEMENT;
    if (value == null) {
      onlyBulkStrings = false;
      arguments = null;
    } else if (onlyBulkStrings) {
      if (argumentCount == arguments.length) {
        long wanted = argumentCount + elementsLeft;
        arguments = Arrays.copyOf(arguments, (int) Math.min(wanted, 2L * arguments.length));
      }
      arguments[argumentCount++] = value;
    }
    if (--elementsLeft > 0) return true;
    expect = Expect.FRAME;
    out.add(onlyBulkStrings ? RespCommand.of(arguments) : RespCommand.NOT_A_COMMAND);
    arguments = null;
    return true;
  }

  private boolean notACommand(List<Object> out) {
    expect = Expect.FRAME;
    out.add(RespCommand.NOT_A_COMMAND);
    return true;
  }

  // ---- lines -------------------------------------------------------------------------------

  private static final long INCOMPLETE = Long.MIN_VALUE;

  /**
   * The number of a length line ({@code *<n>} or {@code $<n>}) at the reader index, consumed
   * with its type byte; {@link #INCOMPLETE} when its end has not arrived.
   */
  private long lengthLine(ByteBuf in) {
    int lineEnd = lineEnd(in, 1);
    if (lineEnd < 0) {
      // Netty's decoder waits only as long as what came could still be a number and its end.
      int waiting = in.readableBytes() - 1;
      if (waiting <= NUMBER_DIGITS_MAX) return INCOMPLETE;
      boolean negative = in.getByte(in.readerIndex() + 1) == '-';
      if (waiting > NUMBER_DIGITS_MAX + (negative ? 1 : 0) + 1) {
        throw protocolError("too many characters to be a valid RESP Integer: " + waiting);
      }
      return INCOMPLETE;
    }
    long length = parseNumber(in, in.readerIndex() + 1, lineEnd - 1);
    if (length < -1) throw protocolError("length: " + length + " (expected: >= -1)");
    in.readerIndex(lineEnd + 1);
    lineSearched = 0;
    return length;
  }

  /**
   * The index of the line feed ending the line at the reader index that is a simple string, an
   * error, an integer or an inline command (which, unlike the others, has no type byte); -1 when
   * it has not arrived, after checking the line against the inline limit as Netty's decoder does.
   */
  private int lineOfLimitedLength(ByteBuf in, byte type) {
    int start = isSimpleType(type) ? 1 : 0;
    int lineEnd = lineEnd(in, start);
    if (lineEnd < 0 && in.readableBytes() - start > limits.inlineBytesMax()) {
      throw protocolError("length: " + (in.readableBytes() - start) + " (expected: <= "
          + limits.inlineBytesMax() + ")");
    }
    return lineEnd;
  }

  /**
   * The index of the line feed that ends the line whose content starts {@code start} bytes after
   * the reader index, checked to follow a carriage return as Netty checks it; -1 when no line
   * feed has arrived (Netty looks for one only once two bytes of the line are there).
   */
  private int lineEnd(ByteBuf in, int start) {
    int from = in.readerIndex() + start;
    if (in.writerIndex() - from < 2) return -1;
    int searchFrom = Math.max(from, in.readerIndex() + lineSearched);
    int lf = in.forEachByte(searchFrom, in.writerIndex() - searchFrom, ByteProcessor.FIND_LF);
    if (lf < 0) {
      lineSearched = in.writerIndex() - in.readerIndex();
      return -1;
    }
    if (lf == from) {
      // Netty takes the line as ending before it starts, and its buffer refuses that.
      throw protocolError(
          "java.lang.IllegalArgumentException: minimumReadableBytes : -1 (expected: >= 0)");
    }
    checkLineEnd(in.getByte(lf - 1), (byte) '\n');
    return lf;
  }

  private static void checkLineEnd(byte first, byte second) {
    if (first != '\r' || second != '\n') {
      throw protocolError("delimiter: [" + first + "," + second + "] (expected: \\r\\n)");
    }
  }

  /** A number as Netty's decoder reads it: its errors, and its overflow, are Netty's. */
  private static long parseNumber(ByteBuf in, int from, int to) {
    int length = to - from;
    boolean negative = length > 0 && in.getByte(from) == '-';
    int sign = negative ? 1 : 0;
    if (length <= sign) throw protocolError("no number to parse: " + ascii(in, from, to));
    if (length > NUMBER_DIGITS_MAX + sign) {
      throw protocolError("too many characters to be a valid RESP Integer: " + ascii(in, from, to));
    }
    long value = 0;
    for (int i = from + sign; i < to; i++) {
      byte b = in.getByte(i);
      if (b < '0' || b > '9') throw protocolError("bad byte in number: " + b);
      value = value * 10 + (b - '0');
    }
    return negative ? -value : value;
  }

  private static String ascii(ByteBuf in, int from, int to) {
    return in.toString(from, to - from, StandardCharsets.US_ASCII);
  }

  /**
   * An inline line as Netty passed it on: decoded as UTF-8 into a string, which the handler
   * encoded back, so that bytes that are not UTF-8 became replacement characters.
   */
  private static byte[] asNettyPassedIt(byte[] line) {
    for (byte b : line) {
      if (b < 0) return new String(line, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
    }
    return line;
  }

  // ---- errors ------------------------------------------------------------------------------

  /** A malformed frame: the connection handler answers {@code ERR Protocol error: <text>}. */
  private static DecoderException protocolError(String text) {
    return new DecoderException(text);
  }

  /**
   * A frame beyond a limit: answered and closed here, as FrameLimiter does; through the whole
   * pipeline, since the encoders sit behind this handler.
   */
  private boolean fail(ChannelHandlerContext ctx, String error) {
    failed = true;
    arguments = null;
    bulkCopied = null;
    ctx.channel().writeAndFlush(new ErrorRedisMessage("ERR " + error))
        .addListener(f -> ctx.close());
    return false;
  }
}
