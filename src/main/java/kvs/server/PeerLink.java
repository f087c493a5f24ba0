package kvs.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import kvs.core.CorruptDataException;
import kvs.core.Entry;
import kvs.core.LinkDriver;
import kvs.core.VersionVector;
import kvs.net.Resp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication link to a peer, after the handshake: the Netty adapter of a
 * {@link LinkDriver}, which holds every rule of the link (deltas, pushes, postponing, adverts,
 * heartbeat, idle timeout) and which the simulator drives too. This class turns channel events
 * into driver events with the time, writes what the driver sends (flushing once per event),
 * and wakes the driver when it asks for the time.
 */
final class PeerLink extends ChannelInboundHandlerAdapter implements LinkDriver.Wire {
  private static final Logger log = LoggerFactory.getLogger(PeerLink.class);
  static final String HELLO = "KVS.PEER";
  static final String DELTA = "KVS.DELTA";
  static final String ADVERT = "KVS.VV";
  /**
   * The peer protocol this build speaks, in both handshake messages (then the sender's hybrid
   * clock, which the receiver observes). 2: links carry {@code KVS.STABLE} messages (tombstone
   * collection). A build before it sent no version
   * and is refused with a message saying so; it refuses this build's longer handshake in turn
   * (docs/internal-protocol.md).
   */
  static final String PROTOCOL = "2";

  final Node node;
  final int peerId;
  final long peerOrigin;
  final Channel channel;
  private final boolean dialledByUs;
  private final LinkDriver driver;
  /** Something was written since the last flush. */
  private boolean wrote;
  private ScheduledFuture<?> wake;
  private long wakeAt = Long.MAX_VALUE;
  /** The metrics' message counters of this link (ServerMetrics). */
  private final io.prometheus.metrics.core.datapoints.CounterDataPoint deltasSent;
  private final io.prometheus.metrics.core.datapoints.CounterDataPoint advertsSent;
  private final io.prometheus.metrics.core.datapoints.CounterDataPoint deltasReceived;
  private final io.prometheus.metrics.core.datapoints.CounterDataPoint advertsReceived;

  PeerLink(Node node, int peerId, long peerOrigin, Channel channel, VersionVector peerHas,
      boolean dialledByUs) {
    this.node = node;
    this.peerId = peerId;
    this.peerOrigin = peerOrigin;
    this.channel = channel;
    this.dialledByUs = dialledByUs;
    this.driver = new LinkDriver(new LinkDriver.Setup(node.replica, peerOrigin, peerHas, this,
        node.links.linkedOrigins(), LinkDriver.CHUNK_BYTES, now()));
    this.deltasSent = node.metrics.linkMessagesSent(peerId, true);
    this.advertsSent = node.metrics.linkMessagesSent(peerId, false);
    this.deltasReceived = node.metrics.linkMessagesReceived(peerId, true);
    this.advertsReceived = node.metrics.linkMessagesReceived(peerId, false);
    node.metrics.linkUp(this);
  }

  /**
   * Link timing runs on the monotonic clock of the channel's event loop, the clock its timers
   * run on too (the system's nanoTime; in tests, an EmbeddedChannel's, which the test moves):
   * a wall clock step must not fire or stall it.
   */
  private long now() {
    return channel.eventLoop().ticker().nanoTime() / 1_000_000;
  }

  /** The handshake message the dialler sends. */
  static RedisMessage hello(Node node) {
    return Resp.command(HELLO, Resp.bytes(node.config.secret()),
        Resp.bytes(Integer.toString(node.config.id())),
        Resp.bytes(Long.toString(node.replica.origin())), node.replica.vv().encode(),
        Resp.bytes(PROTOCOL), Resp.bytes(Long.toString(node.replica.clock())));
  }

  /** The acceptor's answer to a valid hello. */
  static RedisMessage welcome(Node node) {
    return Resp.command(HELLO, Resp.bytes(Integer.toString(node.config.id())),
        Resp.bytes(Long.toString(node.replica.origin())), node.replica.vv().encode(),
        Resp.bytes(PROTOCOL), Resp.bytes(Long.toString(node.replica.clock())));
  }

  // ---- LinkDriver.Wire ---------------------------------------------------------------------

  @Override
  public boolean writable() {
    return channel.isActive() && channel.isWritable();
  }

  @Override
  public void send(LinkDriver.Kind kind, byte[] payload) {
    channel.write(Resp.command(kind == LinkDriver.Kind.DELTA ? DELTA : ADVERT, payload),
        channel.voidPromise());
    (kind == LinkDriver.Kind.DELTA ? deltasSent : advertsSent).inc();
    wrote = true;
  }

  /** What the peer is believed to hold, for INFO's per-link lag. */
  kvs.core.VersionVector peerHas() {
    return driver.peerHas();
  }

  /** After each driver event: one flush for what it sent, and a wake-up when it asks for one. */
  private void done() {
    if (wrote) {
      wrote = false;
      channel.flush();
    }
    long at = driver.nextWakeAt();
    if (at >= wakeAt || !channel.isActive()) return;
    if (wake != null) wake.cancel(false);
    wakeAt = at;
    // The channel's loop is the node's: the server and its dials register every channel on
    // the node's one loop (Node.bind, PeerLinks.connect).
    wake = channel.eventLoop().schedule(this::tick, Math.max(0, at - now()),
        TimeUnit.MILLISECONDS);
  }

  private void tick() {
    wake = null;
    wakeAt = Long.MAX_VALUE;
    if (!channel.isActive()) return;
    node.pushQueuedNow();
    if (!driver.tick(now())) {
      log.warn("server {}: nothing from server {} for {} ms, closing the link", node.config.id(),
          peerId, LinkDriver.IDLE_TIMEOUT_MS);
      channel.close();
      return;
    }
    done();
  }

  // ---- events from the node ----------------------------------------------------------------

  /**
   * Starts the link once it is registered: what the peer lacks goes out, and every byte read
   * from now on counts as a sign of life (a handler first in the pipeline, so a large chunk
   * still arriving slowly over a thin link counts too).
   */
  void start() {
    channel.pipeline().addFirst("heard", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        driver.heard(now());
        ctx.fireChannelRead(msg);
      }
    });
    driver.start(now());
    done();
  }

  /** New writes to pass on (see {@link LinkDriver#forward}); the node batches them. */
  void forward(List<Entry> entries) {
    if (!channel.isActive()) return;
    driver.forward(entries, now());
    done();
  }

  /** The replica changed through data from another link. */
  void replicaChanged() {
    if (!channel.isActive()) return;
    driver.replicaChanged(now());
    done();
  }

  /** The replica took in writes pushed by their origins (see {@link LinkDriver#replicaAdvanced}). */
  void replicaAdvanced() {
    if (!channel.isActive()) return;
    driver.replicaAdvanced(now());
    done();
  }

  /** This server's links changed. */
  void linksChanged(Set<Long> linkedOrigins) {
    if (!channel.isActive()) return;
    driver.linksChanged(linkedOrigins, now());
    done();
  }

  // ---- channel events ----------------------------------------------------------------------

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      byte[][] args = Resp.arguments((RedisMessage) msg);
      String type = args == null || args.length != 2 ? "" : Resp.ascii(args[0]);
      if (Collector.MESSAGE.equals(type)) {
        node.collector.heard(this, args[1]);
        return;
      }
      LinkDriver.Kind kind = DELTA.equals(type) ? LinkDriver.Kind.DELTA
          : ADVERT.equals(type) ? LinkDriver.Kind.ADVERT : null;
      if (kind == null) throw new CorruptDataException("unexpected message on a peer link");
      (kind == LinkDriver.Kind.DELTA ? deltasReceived : advertsReceived).inc();
      LinkDriver.Received received = driver.receiveFrame(kind, args[1], now());
      if (received.covered() != null) node.onPeerData(received.covered(), received.routine());
      done();
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
    if (ctx.channel().isWritable()) {
      driver.writable(now());
      done();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (wake != null) wake.cancel(false);
    driver.close();
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
        if (args == null || args.length < 5 || !HELLO.equals(Resp.ascii(args[0]))) {
          throw new IllegalStateException("server " + peerId + " sent a bad handshake");
        }
        if (!PROTOCOL.equals(Resp.ascii(args[4])) || args.length != 6) {
          throw new IllegalStateException("server " + peerId + " speaks peer protocol "
              + Resp.ascii(args[4]) + ", this server " + PROTOCOL + ": run one build across"
              + " the cluster");
        }
        int id = Integer.parseInt(Resp.ascii(args[1]));
        if (id != peerId) {
          throw new IllegalStateException("expected server " + peerId + " but found server " + id);
        }
        String refusal = node.collector.refusal(peerId);
        if (refusal != null) throw new IllegalStateException(refusal);
        VersionVector peerHas = VersionVector.decode(args[3]);
        if (done.isDone() || node.links.isBlocked(peerId)) {
          ctx.close(); // timed out meanwhile, or cut by the operator meanwhile
          return;
        }
        long origin = Long.parseLong(Resp.ascii(args[2]));
        long clock = Long.parseLong(Resp.ascii(args[5]));
        if (clock < 0) throw new IllegalStateException("server " + peerId + " sent a bad clock");
        node.replica.observeClock(clock); // before anything of the link: see observeClock
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
