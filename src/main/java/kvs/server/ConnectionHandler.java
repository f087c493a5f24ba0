package kvs.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import kvs.core.SessionToken;
import kvs.net.Resp;
import kvs.storage.StorageFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection: a client session, an admin connection, or (after {@code KVS.PEER})
 * the accepting end of a replication link. Commands are looked up in {@link Commands}.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

  final Node node;
  /** What this connection's session has read and written. */
  final SessionToken session = new SessionToken();
  boolean authenticated;
  boolean admin;
  String clientName;
  ReplyQueue replies;
  ChannelHandlerContext ctx;
  /** Signs and checks this connection's session tokens; made on first use. */
  private SessionTokens tokens;

  ConnectionHandler(Node node) {
    this.node = node;
    this.authenticated = node.config.requirePass() == null;
  }

  /** Per connection, not per node: a {@link javax.crypto.Mac} is used by one thread only. */
  SessionTokens tokens() {
    if (tokens == null) tokens = new SessionTokens(node.config.secret());
    return tokens;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.replies = new ReplyQueue(ctx.channel());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      byte[][] args = Resp.arguments((RedisMessage) msg);
      if (args == null) {
        replies.add(Resp.error("ERR Protocol error: expected an array of bulk strings"));
        return;
      }
      if (args.length == 0) return; // an empty inline line, as Redis ignores it
      Commands.dispatch(this, args);
    } catch (StorageFailure e) {
      node.stopOnStorageFailure("storage failure", e);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    node.flushWhenLogged(replies);
    ctx.fireChannelReadComplete();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException) {
      // The decoder's own message, without the exception class names Netty wraps it in.
      Throwable reason = cause.getCause() != null ? cause.getCause() : cause;
      ctx.writeAndFlush(Resp.error("ERR Protocol error: " + reason.getMessage()))
          .addListener(f -> ctx.close());
      return;
    }
    log.debug("server {}: connection error: {}", node.config.id(), cause.toString());
    ctx.close();
  }
}
