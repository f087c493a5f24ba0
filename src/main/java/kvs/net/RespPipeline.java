package kvs.net;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;

/** Installs RESP framing with limits: decoder, limit checks, aggregators, encoders. */
public final class RespPipeline {
  private RespPipeline() {}

  /**
   * The pipeline of a connection that sends commands to this server (a client's, an admin's, or
   * the accepting end of a peer's link): one decoder that reads whole commands
   * ({@link RespCommandDecoder}), then the encoders.
   */
  public static void installForCommands(ChannelPipeline p, Limits limits) {
    p.addLast("resp-decoder", new RespCommandDecoder(limits));
    p.addLast("resp-encoder", new RedisEncoder());
    p.addLast("resp3-encoder", new RespEncoder());
  }

  /**
   * Netty's decoder, limits and aggregators, which read any RESP message: for the dialling end of
   * a peer's link, which reads replies as well as commands.
   */
  public static void install(ChannelPipeline p, Limits limits) {
    p.addLast("resp-decoder", new RedisDecoder(limits.inlineBytesMax(),
        io.netty.handler.codec.redis.FixedRedisMessagePool.INSTANCE, true));
    p.addLast("resp-limits", new FrameLimiter(limits));
    p.addLast("resp-bulk", new RedisBulkStringAggregator());
    p.addLast("resp-array", new RedisArrayAggregator());
    p.addLast("resp-encoder", new RedisEncoder());
    // Before RedisEncoder on the way out: RESP3 replies and the RESP3 types (Resp3).
    p.addLast("resp3-encoder", new RespEncoder());
  }
}
