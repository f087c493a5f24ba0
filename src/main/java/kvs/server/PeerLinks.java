package kvs.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import kvs.net.RespPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's links to its peers: at most one live link per peer, a set of peers blocked by
 * the operator ({@code breakConnection}), and redial with backoff for links this server dialled
 * that dropped on their own, including links closed by the idle timeout of {@link PeerLink}
 * (a half-open connection). Everything here runs on the node's event loop.
 */
final class PeerLinks {
  private static final Logger log = LoggerFactory.getLogger(PeerLinks.class);
  static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final long REDIAL_MAX_MS = 1_000;

  private final Node node;
  private final Map<Integer, PeerLink> live = new HashMap<>();
  private final Set<Integer> blocked = new HashSet<>();
  /** Peers this server dials, by address, to redial when their link drops. */
  private final Map<Integer, InetSocketAddress> dialled = new HashMap<>();
  private final Map<Integer, Long> redialDelayMs = new HashMap<>();

  PeerLinks(Node node) {
    this.node = node;
  }

  boolean isBlocked(int peerId) {
    return blocked.contains(peerId);
  }

  boolean isLinked(int peerId) {
    return live.containsKey(peerId);
  }

  /** Dials {@code peerId}; succeeds once the handshake is done (or a link already exists). */
  Future<Void> connect(int peerId, InetSocketAddress address) {
    Promise<Void> done = node.loop.newPromise();
    if (peerId == node.config.id()) {
      return done.setFailure(new IllegalArgumentException("a server cannot link to itself"));
    }
    if (blocked.contains(peerId)) {
      return done.setFailure(new IllegalStateException("link to server " + peerId + " is blocked"));
    }
    dialled.put(peerId, address);
    if (live.containsKey(peerId)) return done.setSuccess(null);
    Bootstrap b = new Bootstrap()
        .group(node.loop)
        .channel(kvs.net.Transport.socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Node.WATER_MARK)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (node.config.tls() != null) {
              ch.pipeline().addLast("tls", node.config.tls().clientHandler(ch.alloc(),
                  address.getHostString(), address.getPort()));
            }
            ch.pipeline().addLast("log-barrier", node.logBarrier);
            RespPipeline.install(ch.pipeline(), node.config.limits());
            ch.pipeline().addLast("dial", new PeerLink.Dialer(node, peerId, done));
          }
        });
    ChannelFuture cf = b.connect(address);
    cf.addListener(f -> {
      if (!f.isSuccess()) done.tryFailure(f.cause());
    });
    node.loop.schedule(() -> {
      if (done.tryFailure(new java.util.concurrent.TimeoutException(
          "no handshake from server " + peerId + " within " + CONNECT_TIMEOUT_MS + " ms"))) {
        cf.channel().close();
      }
    }, CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    return done;
  }

  /** Takes a link whose handshake is done; replaces an older link to the same peer. */
  void register(PeerLink link) {
    PeerLink old = live.put(link.peerId, link);
    redialDelayMs.remove(link.peerId);
    if (old != null && old != link) old.channel.close();
    log.info("server {}: linked to server {}", node.config.id(), link.peerId);
    node.collector.linkUp(link); // a member; what it knows of stability goes out with the start
    link.start(); // what the peer lacks goes out; heartbeats out, idle timeout in
    linksChanged(); // every peer learns this server's new neighbour
  }

  void onClosed(PeerLink link, boolean dialledByUs) {
    if (live.get(link.peerId) != link) return; // replaced, or never registered
    live.remove(link.peerId);
    node.collector.linkDown(link);
    log.info("server {}: link to server {} closed", node.config.id(), link.peerId);
    linksChanged();
    if (dialledByUs) scheduleRedial(link.peerId);
  }

  /** Dials {@code peerId} again after a backoff (50 ms doubling to 1 s) until it links. */
  void scheduleRedial(int peerId) {
    InetSocketAddress address = dialled.get(peerId);
    if (address == null || blocked.contains(peerId) || node.isClosed()) return;
    long delay = redialDelayMs.merge(peerId, 50L, (a, b) -> Math.min(REDIAL_MAX_MS, a * 2));
    node.loop.schedule(() -> {
      if (live.containsKey(peerId) || blocked.contains(peerId) || node.isClosed()) return;
      if (!address.equals(dialled.get(peerId))) return;
      connect(peerId, address).addListener(f -> {
        if (!f.isSuccess()) scheduleRedial(peerId);
      });
    }, delay, TimeUnit.MILLISECONDS);
  }

  /** Cuts the link to {@code peerId} and refuses it until {@link #unblock}. */
  Future<Void> block(int peerId) {
    blocked.add(peerId);
    PeerLink link = live.remove(peerId);
    Promise<Void> done = node.loop.newPromise();
    if (link == null) return done.setSuccess(null);
    linksChanged();
    link.channel.close().addListener(f -> done.setSuccess(null));
    return done;
  }

  void unblock(int peerId) {
    blocked.remove(peerId);
  }

  /** The live link to {@code peerId}, or null. */
  PeerLink live(int peerId) {
    return live.get(peerId);
  }

  void forEach(java.util.function.Consumer<PeerLink> action) {
    for (PeerLink link : new ArrayList<>(live.values())) action.accept(link);
  }

  private void linksChanged() {
    Set<Long> origins = linkedOrigins();
    forEach(l -> l.linksChanged(origins));
  }

  /** The origins of the peers this server has live links to. */
  Set<Long> linkedOrigins() {
    Set<Long> origins = new java.util.HashSet<>();
    for (PeerLink l : live.values()) origins.add(l.peerOrigin);
    return origins;
  }

  Set<Integer> linkedPeers() {
    return Set.copyOf(live.keySet());
  }
}
