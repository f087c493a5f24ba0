package kvs.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kvs.core.CorruptDataException;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.LinkState;
import kvs.core.VersionVector;
import kvs.net.Resp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication link to a peer, after the handshake. Each side streams to the other the delta
 * between its own vector and what it believes the peer holds, chunk by chunk
 * from a snapshot, as fast as the socket drains and no faster (backpressure by channel
 * writability, so a long partition heals without unbounded memory).
 *
 * <p>What the peer holds and what is being streamed is kept by {@link LinkState} in the core;
 * this class only moves its chunks over the socket.
 */
final class PeerLink extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PeerLink.class);
  static final String HELLO = "KVS.PEER";
  static final String DELTA = "KVS.DELTA";
  static final String ADVERT = "KVS.VV";
  static final int CHUNK_BYTES = 256 * 1024;
  /**
   * How long relayed data waits before a delta carries it on. In a mesh, the peer usually gets
   * the same write straight from its origin meanwhile and says so in an advert, so the write
   * crosses each link once instead of once per path. In a chain or tree it is the delay per hop.
   */
  static final long RELAY_DELAY_MS = 4;
  /** Adverts of this replica's vector go out at most this often per link. */
  static final long ADVERT_INTERVAL_MS = 1;

  final Node node;
  final int peerId;
  final Channel channel;
  private final boolean dialledByUs;
  private final LinkState state;
  private boolean deltaScheduled;
  private boolean advertScheduled;
  private VersionVector advertised = new VersionVector();

  PeerLink(Node node, int peerId, Channel channel, VersionVector peerHas, boolean dialledByUs) {
    this.node = node;
    this.peerId = peerId;
    this.channel = channel;
    this.state = new LinkState(node.replica, peerHas);
    this.dialledByUs = dialledByUs;
  }

  /** The handshake message the dialler sends. */
  static RedisMessage hello(Node node) {
    return Resp.command(HELLO, Resp.bytes(node.config.secret()),
        Resp.bytes(Integer.toString(node.config.id())),
        Resp.bytes(Long.toString(node.replica.origin())), node.replica.vv().encode());
  }

  /** The acceptor's answer to a valid hello. */
  static RedisMessage welcome(Node node) {
    return Resp.command(HELLO, Resp.bytes(Integer.toString(node.config.id())),
        Resp.bytes(Long.toString(node.replica.origin())), node.replica.vv().encode());
  }

  /** Sends whatever the peer lacks, while the socket accepts more. */
  void sendDeltas() {
    deltaScheduled = false;
    boolean wrote = false;
    while (channel.isActive() && channel.isWritable()) {
      DeltaChunk chunk = state.nextChunk(CHUNK_BYTES);
      if (chunk == null) break;
      channel.write(Resp.command(DELTA, chunk.encode()), channel.voidPromise());
      wrote = true;
    }
    if (wrote) channel.flush();
  }

  /** Sends a delta after {@link #RELAY_DELAY_MS}, unless one is already due. */
  void scheduleDeltas() {
    if (deltaScheduled) return;
    deltaScheduled = true;
    node.loop.schedule(this::sendDeltas, RELAY_DELAY_MS, TimeUnit.MILLISECONDS);
  }

  /** Pushes this server's own new writes at once, or leaves them to the next delta. */
  void pushOwn(List<Entry> written, long seqBefore) {
    if (!channel.isActive()) return;
    DeltaChunk push = state.pushOwn(written, seqBefore);
    if (push == null) {
      scheduleDeltas();
      return;
    }
    channel.writeAndFlush(Resp.command(DELTA, push.encode()), channel.voidPromise());
  }

  /** Tells the peer what this replica holds now, at most every {@link #ADVERT_INTERVAL_MS}. */
  void scheduleAdvert() {
    if (advertScheduled) return;
    advertScheduled = true;
    node.loop.schedule(() -> {
      advertScheduled = false;
      VersionVector now = node.replica.vv();
      if (now.equals(advertised) || !channel.isActive()) return;
      advertised = now;
      channel.writeAndFlush(Resp.command(ADVERT, now.encode()), channel.voidPromise());
    }, ADVERT_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      byte[][] args = Resp.arguments((RedisMessage) msg);
      String type = args == null || args.length != 2 ? "" : Resp.ascii(args[0]);
      if (DELTA.equals(type)) {
        if (state.receive(DeltaChunk.decode(args[1]))) node.onReplicaChanged();
      } else if (ADVERT.equals(type)) {
        state.receiveAdvert(VersionVector.decode(args[1]));
      } else {
        throw new CorruptDataException("unexpected message on a peer link");
      }
    } catch (CorruptDataException e) {
      log.warn("server {}: dropping link to server {}: {}", node.config.id(), peerId,
          e.getMessage());
      ctx.close();
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) sendDeltas();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state.close();
    node.links.onClosed(this, dialledByUs);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("server {}: link to server {} failed: {}", node.config.id(), peerId, cause.toString());
    ctx.close();
  }

  /** Turns an accepted connection whose hello was valid into a link. */
  static void accept(Node node, ChannelHandlerContext ctx, int peerId, VersionVector peerHas) {
    PeerLink link = new PeerLink(node, peerId, ctx.channel(), peerHas, false);
    ctx.writeAndFlush(welcome(node));
    ctx.pipeline().replace(ctx.handler(), "peer", link);
    node.links.register(link);
  }

  /** The dialling side of the handshake. */
  static final class Dialer extends ChannelInboundHandlerAdapter {
    private final Node node;
    private final int peerId;
    private final Promise<Void> done;

    Dialer(Node node, int peerId, Promise<Void> done) {
      this.node = node;
      this.peerId = peerId;
      this.done = done;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(hello(node));
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof ErrorRedisMessage err) {
          throw new IllegalStateException("server " + peerId + " refused the link: "
              + err.content());
        }
        byte[][] args = Resp.arguments((RedisMessage) msg);
        if (args == null || args.length != 4 || !HELLO.equals(Resp.ascii(args[0]))) {
          throw new IllegalStateException("server " + peerId + " sent a bad handshake");
        }
        int id = Integer.parseInt(Resp.ascii(args[1]));
        if (id != peerId) {
          throw new IllegalStateException("expected server " + peerId + " but found server " + id);
        }
        VersionVector peerHas = VersionVector.decode(args[3]);
        if (done.isDone() || node.links.isBlocked(peerId)) {
          ctx.close(); // timed out meanwhile, or cut by the operator meanwhile
          return;
        }
        PeerLink link = new PeerLink(node, peerId, ctx.channel(), peerHas, true);
        ctx.pipeline().replace(this, "peer", link);
        node.links.register(link);
        done.trySuccess(null);
      } catch (RuntimeException e) {
        done.tryFailure(e);
        ctx.close();
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.tryFailure(new IllegalStateException("server " + peerId + " closed the connection"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.tryFailure(cause);
      ctx.close();
    }
  }
}
