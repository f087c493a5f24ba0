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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small helpers to turn RESP messages into arguments and replies into RESP messages. */
public final class Resp {
  public static final SimpleStringRedisMessage OK = new SimpleStringRedisMessage("OK");
  public static final FullBulkStringRedisMessage NIL = FullBulkStringRedisMessage.NULL_INSTANCE;

  private Resp() {}

  /**
   * The arguments of a command: the bulk strings of an array, or the words of an inline command.
   * Returns null when the message is not a command (an integer, a nested array, ...).
   */
  public static byte[][] arguments(RedisMessage msg) {
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
      List<byte[]> words = new ArrayList<>();
      for (String w : inline.content().trim().split("[ \t]+")) {
        if (!w.isEmpty()) words.add(w.getBytes(StandardCharsets.ISO_8859_1));
      }
      return words.toArray(new byte[0][]);
    }
    return null;
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

  public static ByteBuf wrap(byte[] b) {
    return Unpooled.wrappedBuffer(b);
  }
}
