package kvs.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import kvs.net.Limits;

/**
 * Servers started in the test's JVM on port 0 and data directories under one folder, for tests
 * that talk to a real {@link Node} over sockets or reach into it on its event loop. Closing
 * stops them all.
 */
final class InProcessNodes implements AutoCloseable {
  static final String SECRET = "test-secret";
  private final Path dir;
  private final List<Node> nodes = new ArrayList<>();

  InProcessNodes(Path dir) {
    this.dir = dir;
  }

  Node start(int id, Limits limits, String requirePass, boolean fsync,
      Map<Integer, InetSocketAddress> peers) throws Exception {
    Node n = Node.start(new ServerConfig(id, "127.0.0.1", 0, dir.resolve("server-" + id), peers,
        SECRET, requirePass, fsync, limits), Clock.SYSTEM);
    nodes.add(n);
    return n;
  }

  Node start(int id, Map<Integer, InetSocketAddress> peers) throws Exception {
    return start(id, Limits.DEFAULT, null, false, peers);
  }

  /** A server {@code id} without metrics (as one started without --metrics-port). */
  Node startWithoutMetrics(int id, Map<Integer, InetSocketAddress> peers) throws Exception {
    Node n = Node.start(new ServerConfig(id, "127.0.0.1", 0, dir.resolve("server-" + id), peers,
        SECRET, null, false, Limits.DEFAULT, null, false), Clock.SYSTEM);
    nodes.add(n);
    return n;
  }

  /** A server {@code id} that dials {@code target} as a peer; returns once they are linked. */
  Node peerOf(Node target, int id) throws Exception {
    Node peer = start(id, Map.of(target.config.id(),
        InetSocketAddress.createUnresolved("127.0.0.1", target.port())));
    peer.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    await("server " + id + " linked", 10_000,
        () -> onLoop(peer, () -> peer.links.isLinked(target.config.id())));
    return peer;
  }

  /** Runs {@code c} on the node's event loop, which owns its replica and links. */
  static <T> T onLoop(Node n, Callable<T> c) {
    try {
      return n.loop.submit(c).get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof AssertionError a) throw a; // an assertion made on the loop
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Waits until {@code condition} holds, at most {@code ms}. */
  static void await(String what, long ms, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + ms + " ms: " + what);
      }
      Thread.sleep(5); // polling interval of a bounded wait
    }
  }

  /** {@link #await} with the 10 s bound most tests use. */
  static void await10s(String what, BooleanSupplier condition) throws InterruptedException {
    await(what, 10_000, condition);
  }

  @Override
  public void close() {
    nodes.forEach(Node::close);
  }
}
