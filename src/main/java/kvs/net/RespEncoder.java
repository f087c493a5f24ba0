package kvs.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import kvs.net.Resp3.BooleanMessage;
import kvs.net.Resp3.DoubleMessage;
import kvs.net.Resp3.InResp3;
import kvs.net.Resp3.MapMessage;
import kvs.net.Resp3.SetMessage;
import kvs.net.Resp3.VerbatimMessage;

/**
 * Writes every whole reply: those that Netty's RESP2-only {@code RedisEncoder} cannot (every reply
 * marked {@link InResp3}, a RESP3 connection's, and, for a RESP2 connection, the {@link Resp3}
 * types in their RESP2 shapes), and the plain RESP2 ones too, each in one buffer (a long bulk
 * content passed on as it is). It sits before {@code RedisEncoder} on the way out and leaves it
 * only the streamed parts of a message.
 */
public final class RespEncoder extends MessageToMessageEncoder<RedisMessage> {
  /** Bulk contents at least this long are passed on as they are rather than copied. */
  private static final int COPY_MAX = 1024;
  private static final byte[] CRLF = {'\r', '\n'};

  public RespEncoder() {
    super(RedisMessage.class);
  }

  /**
   * {@code reply} as a connection speaking {@code protocol} (2 or 3) gets it: marked for RESP3
   * unless its bytes are the same in both (a string, an error, an integer).
   */
  public static RedisMessage forProtocol(RedisMessage reply, int protocol) {
    if (protocol != 3 || reply instanceof InResp3 || reply instanceof SimpleStringRedisMessage
        || reply instanceof ErrorRedisMessage || reply instanceof IntegerRedisMessage
        || (reply instanceof FullBulkStringRedisMessage b && !b.isNull())) {
      return reply;
    }
    return new InResp3(reply);
  }

  /**
   * Every whole reply: the RESP3 ones, and the RESP2 ones too, since this encoder writes a reply's
   * header and its small contents into one buffer where {@code RedisEncoder} makes three buffers
   * of a bulk string (header, content, CRLF), so three iovecs per reply in the socket write
   * (issue 10). {@code RedisEncoder} is left only the streamed parts of a message (headers and
   * contents sent apart), which no reply uses.
   */
  @Override
  public boolean acceptOutboundMessage(Object msg) {
    if (msg instanceof InResp3 || msg instanceof MapMessage || msg instanceof SetMessage
        || msg instanceof DoubleMessage || msg instanceof BooleanMessage
        || msg instanceof VerbatimMessage || msg instanceof FullBulkStringRedisMessage
        || msg instanceof SimpleStringRedisMessage || msg instanceof ErrorRedisMessage
        || msg instanceof IntegerRedisMessage) {
      return true;
    }
    return msg instanceof ArrayRedisMessage a && (a.isNull() || holdsWholeReplies(a.children()));
  }

  /** Whether every element, at any depth, is a whole reply that {@link Writer} writes. */
  private static boolean holdsWholeReplies(List<RedisMessage> children) {
    for (RedisMessage m : children) {
      if (m instanceof ArrayRedisMessage a) {
        if (!a.isNull() && !holdsWholeReplies(a.children())) return false;
      } else if (!(m instanceof FullBulkStringRedisMessage || m instanceof IntegerRedisMessage
          || m instanceof SimpleStringRedisMessage || m instanceof ErrorRedisMessage
          || m instanceof InResp3 || m instanceof MapMessage || m instanceof SetMessage
          || m instanceof DoubleMessage || m instanceof BooleanMessage
          || m instanceof VerbatimMessage)) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, RedisMessage msg, List<Object> out) {
    Writer w = new Writer(ctx, out);
    if (msg instanceof InResp3 marked) {
      try {
        w.write(marked.reply(), 3);
      } finally {
        ReferenceCountUtil.release(marked.reply()); // the mark itself is not reference counted
      }
    } else {
      w.write(msg, 2);
    }
    w.finish();
  }

  /** Header bytes go into one buffer; long bulk contents are passed on between them. */
  private static final class Writer {
    private final ChannelHandlerContext ctx;
    private final List<Object> out;
    private ByteBuf buf;

    Writer(ChannelHandlerContext ctx, List<Object> out) {
      this.ctx = ctx;
      this.out = out;
    }

    private ByteBuf buf() {
      if (buf == null) buf = ctx.alloc().ioBuffer(256);
      return buf;
    }

    void finish() {
      if (buf != null) out.add(buf);
      buf = null;
    }

    private void line(char type, String text) {
      ByteBuf b = buf();
      b.writeByte(type);
      b.writeCharSequence(text, StandardCharsets.UTF_8);
      b.writeBytes(CRLF);
    }

    private void header(char type, long n) {
      ByteBuf b = buf();
      b.writeByte(type);
      b.writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
      b.writeBytes(CRLF);
    }

    private void bulk(ByteBuf content) {
      header('$', content.readableBytes());
      if (content.readableBytes() >= COPY_MAX) {
        finish();
        out.add(content.retainedSlice());
      } else {
        buf().writeBytes(content, content.readerIndex(), content.readableBytes());
      }
      buf().writeBytes(CRLF);
    }

    private void bulk(byte[] content) {
      header('$', content.length);
      buf().writeBytes(content).writeBytes(CRLF);
    }

    void write(RedisMessage m, int protocol) {
      boolean resp3 = protocol == 3;
      if (m instanceof SimpleStringRedisMessage s) {
        line('+', s.content());
      } else if (m instanceof ErrorRedisMessage e) {
        line('-', e.content());
      } else if (m instanceof IntegerRedisMessage i) {
        header(':', i.value());
      } else if (m instanceof FullBulkStringRedisMessage b) {
        if (b.isNull()) {
          buf().writeBytes(resp3 ? NULL3 : NULL_BULK2);
        } else {
          bulk(b.content());
        }
      } else if (m instanceof ArrayRedisMessage a) {
        if (a.isNull()) {
          buf().writeBytes(resp3 ? NULL3 : NULL_ARRAY2);
        } else {
          header('*', a.children().size());
          for (RedisMessage c : a.children()) write(c, protocol);
        }
      } else if (m instanceof MapMessage map) {
        if (resp3) {
          header('%', map.flat().size() / 2);
        } else {
          header('*', map.flat().size());
        }
        for (RedisMessage c : map.flat()) write(c, protocol);
      } else if (m instanceof SetMessage set) {
        header(resp3 ? '~' : '*', set.members().size());
        for (RedisMessage c : set.members()) write(c, protocol);
      } else if (m instanceof DoubleMessage d) {
        if (resp3) {
          line(',', d.text());
        } else {
          bulk(d.text().getBytes(StandardCharsets.US_ASCII));
        }
      } else if (m instanceof BooleanMessage b) {
        if (resp3) {
          line('#', b.value() ? "t" : "f");
        } else {
          header(':', b.value() ? 1 : 0);
        }
      } else if (m instanceof VerbatimMessage v) {
        if (resp3) {
          header('=', v.content().length + 4L);
          buf().writeCharSequence(v.format(), StandardCharsets.US_ASCII);
          buf().writeByte(':').writeBytes(v.content()).writeBytes(CRLF);
        } else {
          bulk(v.content());
        }
      } else if (m instanceof InResp3 marked) {
        write(marked.reply(), 3);
      } else {
        throw new IllegalArgumentException("not a reply: " + m.getClass().getName());
      }
    }
  }

  private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_BULK2 = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_ARRAY2 = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);
}
