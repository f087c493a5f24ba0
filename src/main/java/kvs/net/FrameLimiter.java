package kvs.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits between the RESP decoder and the aggregators and checks what a peer announces before
 * the aggregators allocate for it: an array longer than the limit, an array nested in an array
 * (no command is nested; Netty's aggregator would otherwise build arbitrarily deep trees), a
 * bulk string longer than the limit, or bulk strings that together would make one command larger
 * than the limit (a million arguments of 32 MiB each are within the other two limits). A violation
 * gets one error reply and the connection closes, since the rest of the stream can no longer be
 * framed. Nothing is allocated for an announced length: the aggregators behind this handler grow
 * as bytes arrive (Netty's array aggregator reserves at most 32 slots up front).
 *
 * <p>Until the connection authenticates (see {@link #requireAuthentication()}), the much smaller
 * unauthenticated limits apply, as in Redis since CVE-2021-32675: a connection that does not know
 * the password cannot make the server buffer more than a small command.
 *
 * <p>Accepted connections read their commands through {@link RespCommandDecoder}, which makes
 * these checks itself; this handler serves the pipelines that read any RESP message (the
 * dialling end of a peer's link) and the old path kept to compare the two.
 */
public final class FrameLimiter extends ChannelInboundHandlerAdapter implements AuthenticationGate {
  private final Limits limits;
  private long arrayElementsLeft; // elements still expected of the current top-level array
  private long commandBytes; // bulk string bytes announced so far in the current top-level array
  private boolean inBulk;
  private boolean failed;
  private boolean authenticated = true;

  public FrameLimiter(Limits limits) {
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
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof ArrayHeaderRedisMessage header) {
      if (arrayElementsLeft > 0) {
        fail(ctx, msg, "Protocol error: nested arrays are not accepted");
        return;
      }
      if (header.length() > limits.arrayLengthMax()) {
        fail(ctx, msg, "Protocol error: invalid multibulk length " + header.length()
            + " (limit " + limits.arrayLengthMax() + ")");
        return;
      }
      if (!authenticated && header.length() > limits.unauthArgumentsMax()) {
        fail(ctx, msg, "Protocol error: unauthenticated multibulk length");
        return;
      }
      arrayElementsLeft = Math.max(0, header.length());
      commandBytes = 0;
    } else if (msg instanceof BulkStringHeaderRedisMessage header) {
      if (header.bulkStringLength() > limits.bulkBytesMax()) {
        fail(ctx, msg, "Protocol error: invalid bulk length " + header.bulkStringLength()
            + " (limit " + limits.bulkBytesMax() + ")");
        return;
      }
      if (arrayElementsLeft > 0) {
        commandBytes += Math.max(0, header.bulkStringLength());
        if (commandBytes > limits.commandBytesMax()) {
          fail(ctx, msg, "Protocol error: the command's arguments exceed "
              + limits.commandBytesMax() + " bytes together");
          return;
        }
      }
      long announced = arrayElementsLeft > 0 ? commandBytes : header.bulkStringLength();
      if (!authenticated && announced > limits.unauthCommandBytesMax()) {
        fail(ctx, msg, "Protocol error: unauthenticated bulk length");
        return;
      }
      inBulk = header.bulkStringLength() > 0;
      if (!inBulk) elementDone();
    } else if (msg instanceof BulkStringRedisContent) {
      if (msg instanceof LastBulkStringRedisContent) {
        inBulk = false;
        elementDone();
      }
    } else {
      elementDone();
    }
    ctx.fireChannelRead(msg);
  }

  private void elementDone() {
    if (arrayElementsLeft > 0) arrayElementsLeft--;
  }

  private void fail(ChannelHandlerContext ctx, Object msg, String error) {
    failed = true;
    ReferenceCountUtil.release(msg);
    // Through the whole pipeline: the encoder sits behind this handler, so a write from this
    // handler's context would reach the socket unencoded, and fail.
    ctx.channel().writeAndFlush(new ErrorRedisMessage("ERR " + error))
        .addListener(f -> ctx.close());
  }
}
