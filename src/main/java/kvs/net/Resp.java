package kvs.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small helpers to turn RESP messages into arguments and replies into RESP messages. */
public final class Resp {
  public static final SimpleStringRedisMessage OK = new SimpleStringRedisMessage("OK");
  /** The null reply: {@code $-1} in RESP2, {@code _} in RESP3 (see {@link RespEncoder}). */
  public static final FullBulkStringRedisMessage NIL = FullBulkStringRedisMessage.NULL_INSTANCE;

  private Resp() {}

  /**
   * The arguments of a command: the bulk strings of an array, or the words of an inline command.
   * Returns null when the message is not a command (an integer, a nested array, ...); throws
   * {@link ProtocolException} for an inline command with unbalanced quotes.
   */
  public static byte[][] arguments(RedisMessage msg) {
    if (msg instanceof RespCommand command) return command.arguments();
    if (msg instanceof ArrayRedisMessage array) {
      List<RedisMessage> children = array.children();
      byte[][] args = new byte[children.size()][];
      for (int i = 0; i < args.length; i++) {
        if (!(children.get(i) instanceof FullBulkStringRedisMessage bulk) || bulk.isNull()) {
          return null;
        }
        args[i] = ByteBufUtil.getBytes(bulk.content());
      }
      return args;
    }
    if (msg instanceof InlineCommandRedisMessage inline) {
      // Netty hands the line over decoded as UTF-8; encoding it back gives the bytes sent (for
      // valid UTF-8, which is all Netty keeps).
      return splitInline(inline.content().getBytes(StandardCharsets.UTF_8));
    }
    return null;
  }

  /**
   * The words of an inline command line, as Redis's {@code sdssplitargs} reads them: separated by
   * white space; in double quotes white space is kept and {@code \n \r \t \b \a \xHH} and
   * {@code \<any>} are escapes; in single quotes only {@code \'} is. A closing quote must end its
   * word. Unbalanced quotes throw {@link ProtocolException}, so that nothing is run of a command
   * the client did not mean.
   */
  public static byte[][] splitInline(byte[] line) {
    List<byte[]> words = new ArrayList<>();
    int i = 0;
    int n = line.length;
    while (true) {
      while (i < n && isSpace(line[i])) i++;
      if (i == n) return words.toArray(new byte[0][]);
      ByteArrayOutputStream word = new ByteArrayOutputStream();
      boolean inDouble = false;
      boolean inSingle = false;
      boolean done = false;
      while (!done) {
        int c = i < n ? line[i] & 0xff : -1; // -1: end of line
        if (inDouble) {
          if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && isHex(line[i + 2])
              && isHex(line[i + 3])) {
            word.write(Character.digit(line[i + 2], 16) * 16 + Character.digit(line[i + 3], 16));
            i += 3;
          } else if (c == '\\' && i + 1 < n) {
            i++;
            word.write(switch (line[i]) {
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case 'b' -> '\b';
              case 'a' -> 7;
              default -> line[i];
            });
          } else if (c == '"') {
            if (i + 1 < n && !isSpace(line[i + 1])) throw unbalancedQuotes();
            done = true;
          } else if (c == -1) {
            throw unbalancedQuotes();
          } else {
            word.write(c);
          }
        } else if (inSingle) {
          if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
            i++;
            word.write('\'');
          } else if (c == '\'') {
            if (i + 1 < n && !isSpace(line[i + 1])) throw unbalancedQuotes();
            done = true;
          } else if (c == -1) {
            throw unbalancedQuotes();
          } else {
            word.write(c);
          }
        } else if (c == -1 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0) {
          done = true;
        } else if (c == '"') {
          inDouble = true;
        } else if (c == '\'') {
          inSingle = true;
        } else {
          word.write(c);
        }
        if (i < n) i++;
      }
      words.add(word.toByteArray());
    }
  }

  private static ProtocolException unbalancedQuotes() {
    return new ProtocolException("unbalanced quotes in request");
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
  }

  private static boolean isHex(byte b) {
    return Character.digit(b, 16) >= 0;
  }

  public static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  public static FullBulkStringRedisMessage bulk(byte[] b) {
    return b == null ? NIL : new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(b));
  }

  public static FullBulkStringRedisMessage bulk(String s) {
    return bulk(s.getBytes(StandardCharsets.UTF_8));
  }

  public static ErrorRedisMessage error(String text) {
    return new ErrorRedisMessage(text);
  }

  public static IntegerRedisMessage integer(long v) {
    return new IntegerRedisMessage(v);
  }

  public static SimpleStringRedisMessage simple(String s) {
    return new SimpleStringRedisMessage(s);
  }

  public static ArrayRedisMessage array(List<RedisMessage> items) {
    return new ArrayRedisMessage(items);
  }

  public static ArrayRedisMessage command(String name, byte[]... args) {
    List<RedisMessage> items = new ArrayList<>(args.length + 1);
    items.add(bulk(bytes(name)));
    for (byte[] a : args) items.add(bulk(a));
    return new ArrayRedisMessage(items);
  }

  /** A map (Resp3): keys and values alternating; a flat array in RESP2. */
  public static Resp3.MapMessage map(List<RedisMessage> keysAndValues) {
    return new Resp3.MapMessage(keysAndValues);
  }

  /** A set (Resp3); an array in RESP2. */
  public static Resp3.SetMessage set(List<RedisMessage> members) {
    return new Resp3.SetMessage(members);
  }

  /** Text for people, as INFO gives it (Resp3): verbatim "txt" in RESP3, bulk in RESP2. */
  public static Resp3.VerbatimMessage verbatim(String text) {
    return new Resp3.VerbatimMessage("txt", text.getBytes(StandardCharsets.UTF_8));
  }

  public static Resp3.DoubleMessage dbl(double d) {
    return new Resp3.DoubleMessage(d);
  }

  public static Resp3.BooleanMessage bool(boolean b) {
    return b ? Resp3.BooleanMessage.TRUE : Resp3.BooleanMessage.FALSE;
  }

  public static ByteBuf wrap(byte[] b) {
    return Unpooled.wrappedBuffer(b);
  }
}
