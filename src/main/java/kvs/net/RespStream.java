package kvs.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisCodecException;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking RESP2 client over a pair of streams (a socket's), for one-thread tools such as
 * {@code kvs cli}: commands go out and replies come in through netty-codec-redis (the codec the
 * server speaks), run in an {@link EmbeddedChannel} that is fed the bytes read from the stream.
 *
 * <p>A reply may be as large as Redis allows (bulk strings up to 512 MiB, the decoder's own
 * limit) and nest at most {@link #DEPTH_MAX} arrays deep; beyond either, or on anything that is
 * not RESP2, {@link #read()} throws {@link IOException}, and at the end of the stream
 * {@link EOFException}.
 */
public final class RespStream implements AutoCloseable {
  /** Deepest reply nesting accepted; kvs replies nest two levels. */
  public static final int DEPTH_MAX = 64;

  private final InputStream in;
  private final OutputStream out;
  private final EmbeddedChannel channel;
  private final byte[] buffer = new byte[1 << 16];

  public RespStream(InputStream in, OutputStream out) {
    this.in = in;
    this.out = out;
    this.channel = new EmbeddedChannel(new RedisDecoder(), new DepthLimiter(),
        new RedisBulkStringAggregator(), new RedisArrayAggregator(), new RedisEncoder());
  }

  /** Sends a command, an array of bulk strings, and flushes. */
  public void write(List<byte[]> args) throws IOException {
    List<RedisMessage> items = new ArrayList<>(args.size());
    for (byte[] a : args) items.add(Resp.bulk(a));
    channel.writeOutbound(new ArrayRedisMessage(items));
    for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
      try {
        b.readBytes(out, b.readableBytes());
      } finally {
        b.release();
      }
    }
    out.flush();
  }

  /**
   * The next whole reply, blocking until it has arrived; the caller releases it
   * ({@link ReferenceCountUtil#release}).
   */
  public RedisMessage read() throws IOException {
    while (true) {
      RedisMessage reply = channel.readInbound();
      if (reply != null) return reply;
      int n = in.read(buffer);
      if (n < 0) throw new EOFException();
      try {
        channel.writeInbound(Unpooled.copiedBuffer(buffer, 0, n));
      } catch (DecoderException | RedisCodecException e) {
        // The decoder's own message, without the exception class names Netty wraps it in.
        Throwable reason = e instanceof DecoderException && e.getCause() != null ? e.getCause() : e;
        throw new IOException("Protocol error: " + reason.getMessage(), e);
      }
    }
  }

  @Override
  public void close() {
    channel.finishAndReleaseAll();
  }

  /**
   * Refuses a reply nested deeper than {@link #DEPTH_MAX} before the aggregator builds it (it
   * would build any depth, and printing it recurses).
   */
  private static final class DepthLimiter extends ChannelInboundHandlerAdapter {
    /** Elements still expected of each array being read, innermost last. */
    private final ArrayDeque<long[]> open = new ArrayDeque<>();
    /** Refused a reply: the rest of the stream cannot be framed, and is dropped. */
    private boolean failed;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (failed) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof ArrayHeaderRedisMessage header && header.length() > 0) {
        if (open.size() >= DEPTH_MAX) {
          failed = true;
          ReferenceCountUtil.release(msg);
          throw new RedisCodecException("reply nested deeper than " + DEPTH_MAX);
        }
        open.addLast(new long[] {header.length()});
      } else if (!(msg instanceof BulkStringHeaderRedisMessage h && h.bulkStringLength() > 0)
          && (!(msg instanceof BulkStringRedisContent) || msg instanceof LastBulkStringRedisContent)) {
        // One element is complete: a simple string, error, integer, nil or empty array or bulk
        // string, or the last part of a bulk string.
        while (!open.isEmpty() && --open.peekLast()[0] == 0) open.removeLast();
      }
      ctx.fireChannelRead(msg);
    }
  }
}
