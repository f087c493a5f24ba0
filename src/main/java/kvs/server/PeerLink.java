package kvs.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 *
 * <p>Liveness: each side sends an advert at least every {@link #HEARTBEAT_MS}, and closes a link
 * that read nothing for {@link #IDLE_TIMEOUT_MS}, so a half-open connection (peer host gone,
 * packets dropped) is detected and the dialling side redials.
 */
final class PeerLink extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PeerLink.class);
  static final String HELLO = "KVS.PEER";
  static final String DELTA = "KVS.DELTA";
  static final String ADVERT = "KVS.VV";
  static final int CHUNK_BYTES = 256 * 1024;
  /**
   * How long after a change a link cuts a delta for what pushes did not carry. In steady state
   * pushes carry everything and adverts have told this side so by then, and the delta is empty.
   */
  static final long DELTA_DELAY_MS = 20;
  /** Adverts of this replica's vector go out at most this often per link. */
  static final long ADVERT_INTERVAL_MS = 5;
  /**
   * Heartbeat: when no advert went out for this long, one goes out anyway, unchanged, so that
   * the peer always hears from a live link at least this often (see {@link #IDLE_TIMEOUT_MS}).
   */
  static final long HEARTBEAT_MS = 1_000;
  /**
   * A link that reads nothing for this long is taken for dead and closed: the peer's host
   * crashed, or a partition drops its packets, and TCP alone would keep such a half-open
   * connection for many minutes. Five missed heartbeats; the dialling side then redials with
   * backoff ({@link PeerLinks}).
   */
  static final long IDLE_TIMEOUT_MS = 5_000;

  final Node node;
  final int peerId;
  final long peerOrigin;
  final Channel channel;
  private final boolean dialledByUs;
  private final LinkState state;
  private boolean deltaScheduled;
  private boolean advertScheduled;
  /** Set when an advert goes out; the heartbeat sends one only when it was not set since. */
  private boolean advertSentSinceHeartbeat;
  private VersionVector advertised = new VersionVector();
  private Set<Long> advertisedLinks = Set.of();
  /** Origins the peer has live links to, as it last advertised: they push to it themselves. */
  private Set<Long> peerLinkedOrigins = Set.of();

  PeerLink(Node node, int peerId, long peerOrigin, Channel channel, VersionVector peerHas,
      boolean dialledByUs) {
    this.node = node;
    this.peerId = peerId;
    this.peerOrigin = peerOrigin;
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
    long self = node.replica.origin();
    if (state.lacksOnlyWritesOf(o -> o != self && peerLinkedOrigins.contains(o))) {
      // The peer's own links to those origins carry what it lacks (a push, or their deltas);
      // relaying it too would send each write over every path of a mesh. Check again later:
      // once the peer's advert shows it has them, or a link of its drops, this sends or stops.
      scheduleDeltas();
      return;
    }
    boolean wrote = false;
    while (channel.isActive() && channel.isWritable()) {
      DeltaChunk chunk = state.nextChunk(CHUNK_BYTES);
      if (chunk == null) break;
      channel.write(Resp.command(DELTA, chunk.encode()), channel.voidPromise());
      wrote = true;
    }
    if (wrote) channel.flush();
  }

  /** Sends a delta after {@link #DELTA_DELAY_MS}, unless one is already due. */
  void scheduleDeltas() {
    if (deltaScheduled) return;
    deltaScheduled = true;
    node.loop.schedule(this::sendDeltas, DELTA_DELAY_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Pushes new writes on: this server's own, or ones it received (the node batches them, see
   * Node#queuePush). A received write is not pushed to the peer it came from, nor to a peer
   * linked to the write's origin, which pushes to it directly: so in a mesh a write crosses each
   * link once, and in a chain or tree it travels hop by hop without waiting for a delta. What is
   * not pushed is left to the next delta.
   */
  void forward(List<Entry> entries) {
    if (!channel.isActive()) return;
    long self = node.replica.origin();
    DeltaChunk push = state.forward(entries,
        o -> o != self && (o == peerOrigin || peerLinkedOrigins.contains(o)));
    if (push == null || push.entries().size() < entries.size()) scheduleDeltas();
    if (push == null) return;
    // Cut by size, as deltas are: one write batch (a 100,000-key MSET) would otherwise be one
    // message beyond the peer's frame limit, and would hold the peer's loop in one piece.
    for (DeltaChunk c : push.split(CHUNK_BYTES)) {
      channel.write(Resp.command(DELTA, c.encode()), channel.voidPromise());
    }
    channel.flush();
  }

  /**
   * Tells the peer what this replica holds and which origins it is linked to: at most every
   * {@link #ADVERT_INTERVAL_MS}, at once when the links changed.
   */
  void scheduleAdvert(boolean linksChanged) {
    if (advertScheduled) return;
    advertScheduled = true;
    node.loop.schedule(() -> {
      advertScheduled = false;
      VersionVector now = node.replica.vv();
      Set<Long> links = node.links.linkedOrigins();
      if ((now.equals(advertised) && links.equals(advertisedLinks)) || !channel.isActive()) return;
      sendAdvert(now, links);
    }, linksChanged ? 0 : ADVERT_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  private void sendAdvert(VersionVector now, Set<Long> links) {
    advertised = now;
    advertisedLinks = links;
    advertSentSinceHeartbeat = true;
    channel.writeAndFlush(Resp.command(ADVERT, encodeAdvert(now, links)), channel.voidPromise());
  }

  /**
   * Starts the heartbeat and the idle timeout of this link (called once it is registered).
   * The idle check sits first in the pipeline, so any bytes read count as a sign of life, even
   * a large chunk still arriving slowly over a thin link.
   */
  void startLiveness() {
    channel.pipeline().addFirst("idle",
        new IdleStateHandler(IDLE_TIMEOUT_MS, 0, 0, TimeUnit.MILLISECONDS));
    io.netty.util.concurrent.ScheduledFuture<?> beat = node.loop.scheduleAtFixedRate(() -> {
      if (!advertSentSinceHeartbeat && channel.isActive()) {
        sendAdvert(node.replica.vv(), node.links.linkedOrigins());
      }
      advertSentSinceHeartbeat = false;
    }, HEARTBEAT_MS, HEARTBEAT_MS, TimeUnit.MILLISECONDS);
    channel.closeFuture().addListener(f -> beat.cancel(false)); // even if closed already
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      log.warn("server {}: nothing from server {} for {} ms, closing the link", node.config.id(),
          peerId, IDLE_TIMEOUT_MS);
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  private static byte[] encodeAdvert(VersionVector vv, Set<Long> links) {
    ByteBuffer b = ByteBuffer.allocate(vv.encodedSize() + 4 + 8 * links.size());
    vv.encodeTo(b);
    b.putInt(links.size());
    for (long o : links) b.putLong(o);
    return b.array();
  }

  private void receiveAdvert(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    VersionVector vv = VersionVector.decodeFrom(b);
    if (b.remaining() < 4) throw new CorruptDataException("advert: truncated");
    int n = b.getInt();
    if (n < 0 || n != b.remaining() / 8 || b.remaining() % 8 != 0) {
      throw new CorruptDataException("advert: bad link count " + n);
    }
    Set<Long> links = new HashSet<>();
    for (int i = 0; i < n; i++) links.add(b.getLong());
    state.receiveAdvert(vv);
    peerLinkedOrigins = links;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      byte[][] args = Resp.arguments((RedisMessage) msg);
      String type = args == null || args.length != 2 ? "" : Resp.ascii(args[0]);
      if (DELTA.equals(type)) {
        List<Entry> covered = new ArrayList<>();
        if (state.receive(DeltaChunk.decode(args[1]), covered)) node.onPeerData(covered);
      } else if (ADVERT.equals(type)) {
        receiveAdvert(args[1]);
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
  static void accept(Node node, ChannelHandlerContext ctx, int peerId, long peerOrigin,
      VersionVector peerHas) {
    PeerLink link = new PeerLink(node, peerId, peerOrigin, ctx.channel(), peerHas, false);
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
        long origin = Long.parseLong(Resp.ascii(args[2]));
        PeerLink link = new PeerLink(node, peerId, origin, ctx.channel(), peerHas, true);
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
