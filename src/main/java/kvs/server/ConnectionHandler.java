package kvs.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import kvs.core.SessionToken;
import kvs.net.AuthenticationGate;
import kvs.net.Limits;
import kvs.net.ProtocolException;
import kvs.net.Resp;
import kvs.storage.StorageFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection: a client session, an admin connection, or (after {@code KVS.PEER})
 * the accepting end of a replication link. Commands are looked up in {@link Commands}.
 *
 * <p>A client connection is held to the client limits ({@link Limits}): it is refused beyond
 * {@code --maxclients}, disconnected when more than {@code --client-output-buffer-limit} bytes
 * of replies wait for it or when it is idle for {@code --timeout}, it is not read while replies
 * wait for it (so a pipeline that is not read stops making replies), and before AUTH it may send
 * only a small command. None of this applies to a peer's replication link or an admin connection:
 * they present the cluster secret with their first command, and a link cut by a client limit
 * would stop replication (a link has its own backpressure and liveness, see PeerLink).
 */
final class ConnectionHandler extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
  static final String MAX_CLIENTS_REACHED = "ERR max number of clients reached";
  /**
   * How long a connection accepted beyond --maxclients has to show, with its first command, that
   * it is a peer or an admin connection; otherwise it gets {@link #MAX_CLIENTS_REACHED}. A full
   * server so still accepts the links that replication needs and the master's admin connections,
   * which send their handshake as soon as they connect.
   */
  static final long PROBATION_MS = 2_000;
  /** Connections on probation at once; further ones beyond --maxclients are refused at once. */
  static final int PROBATION_MAX = 64;

  final Node node;
  /** What this connection's session has read and written. */
  final SessionToken session = new SessionToken();
  boolean authenticated;
  boolean admin;
  String clientName;
  /** MULTI's queue and WATCH's keys. */
  final TransactionCommands.State transaction = new TransactionCommands.State();
  ReplyQueue replies;
  ChannelHandlerContext ctx;
  /** Signs and checks this connection's session tokens; made on first use. */
  private SessionTokens tokens;
  /** Counted in {@link Clients#connected}. */
  private boolean counted;
  /** Accepted beyond --maxclients: only a peer's or an admin's handshake is taken. */
  private boolean onProbation;
  private boolean readingPaused;
  /**
   * The decoder's limits switch (null in a pipeline without one), found once: it stays in the
   * pipeline for the connection's life, and afterCommand runs after every command.
   */
  private AuthenticationGate gate;
  private boolean closedForOutput;
  private long lastActivityNanos;
  private long pendingAtLastIdleCheck;

  ConnectionHandler(Node node) {
    this.node = node;
    this.authenticated = node.config.requirePass() == null;
  }

  /** Per connection, not per node: a {@link javax.crypto.Mac} is used by one thread only. */
  SessionTokens tokens() {
    if (tokens == null) tokens = new SessionTokens(node.config.secret());
    return tokens;
  }

  private Limits limits() {
    return node.config.limits();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.replies = new ReplyQueue(ctx.channel());
    // A client that shuts down its sending side still gets the replies to what it sent
    // (userEventTriggered), instead of the connection closing as soon as input ends.
    ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    gate = ctx.pipeline().get(AuthenticationGate.class);
    if (!authenticated && gate != null) gate.requireAuthentication();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    lastActivityNanos = System.nanoTime();
    Clients clients = node.clients;
    if (clients.connected < limits().maxClients()) {
      clients.connected++;
      counted = true;
    } else if (clients.onProbation < PROBATION_MAX) {
      clients.onProbation++;
      onProbation = true;
      ctx.executor().schedule(this::endProbationUnproven, PROBATION_MS, TimeUnit.MILLISECONDS);
    } else {
      refuseMaxClients();
    }
    if (limits().clientTimeoutSeconds() > 0) {
      scheduleIdleCheck(TimeUnit.SECONDS.toNanos(limits().clientTimeoutSeconds()));
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      // A connection that is closing (a limit, a protocol error, the end of its input) runs
      // nothing more of what it sent, as Redis does.
      if (replies.isClosing() || !ctx.channel().isActive()) return;
      byte[][] args;
      try {
        args = Resp.arguments((RedisMessage) msg);
      } catch (ProtocolException e) {
        replies.add(Resp.error("ERR Protocol error: " + e.getMessage()));
        replies.closeWhenSent();
        return;
      }
      if (args == null) {
        replies.add(Resp.error("ERR Protocol error: expected an array of bulk strings"));
        return;
      }
      if (args.length == 0) return; // an empty inline line, as Redis ignores it
      if (onProbation && !isMemberHandshake(args[0])) {
        refuseMaxClients();
        return;
      }
      Commands.dispatch(this, args);
      afterCommand();
    } catch (StorageFailure e) {
      node.stopOnStorageFailure("storage failure", e);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private static boolean isMemberHandshake(byte[] name) {
    CommandSpec spec = Commands.lookup(name); // the name in any case, as dispatch reads it
    return spec != null && (spec.name().equals(PeerLink.HELLO) || spec.name().equals("KVS.ADMIN"));
  }

  /** Applies what a command changed about the connection: authenticated, admin, a peer link. */
  private void afterCommand() {
    if (ctx.isRemoved()) return; // a peer's link now (handlerRemoved)
    if (authenticated) {
      if (gate != null) gate.authenticated();
    }
    if (admin) {
      leaveClients();
      resumeReading();
    } else if (onProbation) {
      replies.closeWhenSent(); // its handshake failed: it stays beyond --maxclients
    }
  }

  private void refuseMaxClients() {
    node.clients.rejected++;
    log.debug("server {}: refused {}: {}", node.config.id(), ctx.channel().remoteAddress(),
        MAX_CLIENTS_REACHED);
    replies.add(Resp.error(MAX_CLIENTS_REACHED));
    replies.closeWhenSent();
  }

  private void endProbationUnproven() {
    if (onProbation && ctx.channel().isActive() && !replies.isClosing()) refuseMaxClients();
  }

  /** This connection is no longer a client: a peer, an admin connection, or closed. */
  private void leaveClients() {
    if (counted) {
      counted = false;
      node.clients.connected--;
    }
    if (onProbation) {
      onProbation = false;
      node.clients.onProbation--;
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    lastActivityNanos = System.nanoTime(); // any bytes count, a part of a large value too
    node.flushWhenLogged(replies);
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      // The client sent all it will (shutdown(SHUT_WR), or a close). The decoder has passed on
      // every command it completed, so their replies are queued: send them, then close.
      replies.closeWhenSent();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ctx.write(msg, promise);
    long limit = limits().clientOutputBufferLimit();
    if (limit == 0 || admin || closedForOutput) return;
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    if (out != null && out.totalPendingWriteBytes() > limit) {
      // As Redis's client-output-buffer-limit: the replies already made are dropped with the
      // connection, which frees their memory, instead of growing it for a client that does not
      // read them.
      closedForOutput = true;
      node.clients.outputBufferLimitDisconnections++;
      log.warn("server {}: closing client {}: more than {} bytes of replies wait for it"
          + " (--client-output-buffer-limit)", node.config.id(), ctx.channel().remoteAddress(),
          limit);
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (!ctx.channel().isWritable() && !admin) {
      // Replies wait for this client: read nothing more of it until they drain, so that a
      // pipeline it does not read stops making replies (the output limit catches what one read
      // already held).
      readingPaused = true;
      ctx.channel().config().setAutoRead(false);
    } else if (ctx.channel().isWritable()) {
      resumeReading();
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void resumeReading() {
    if (readingPaused) {
      readingPaused = false;
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void scheduleIdleCheck(long delayNanos) {
    ctx.executor().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Closes a client that sent nothing and took none of its replies for --timeout, as Redis's
   * {@code timeout}. A client waiting for a deferred reply is not idle; peers' links and admin
   * connections never are (the master's admin connections sit idle between script lines).
   */
  private void checkIdle() {
    if (!ctx.channel().isActive() || ctx.isRemoved() || admin) return;
    long now = System.nanoTime();
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    long pending = out == null ? 0 : out.totalPendingWriteBytes();
    if (pending != pendingAtLastIdleCheck) lastActivityNanos = now; // it took replies meanwhile
    pendingAtLastIdleCheck = pending;
    long timeout = TimeUnit.SECONDS.toNanos(limits().clientTimeoutSeconds());
    long idle = now - lastActivityNanos;
    if (idle >= timeout && replies.isEmpty()) {
      log.debug("server {}: closing client {}, idle for {} s (--timeout)", node.config.id(),
          ctx.channel().remoteAddress(), TimeUnit.NANOSECONDS.toSeconds(idle));
      ctx.close();
      return;
    }
    scheduleIdleCheck(idle >= timeout ? timeout : timeout - idle);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    leaveClients();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    leaveClients();
    if (ctx.channel().isActive()) {
      // A peer's link took this handler's place (PeerLink.accept): no client limit applies to
      // it, and the end of its input closes it at once, as the end of a link.
      ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
      resumeReading();
      if (gate != null) gate.authenticated();
    }
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
