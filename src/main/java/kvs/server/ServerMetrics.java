package kvs.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import kvs.core.VersionVector;

/**
 * The server's Prometheus metrics ({@code --metrics-port}, docs/deployment.md), served by the
 * Prometheus Java client's HTTP server on its own thread, never on the event loop.
 *
 * <p>Counters and histograms are incremented on the event loop and read by the exporter (the
 * client library makes them thread-safe). Everything read off the replica, the links and the
 * store is read on the event loop only: a scrape asks the loop for a {@link Snapshot} (bounded
 * wait; a loop that does not answer in time leaves the last snapshot in place) and the callbacks
 * report from it. The key counts are the replica's own (kept with its metadata), so a snapshot
 * costs no walk of the store.
 */
final class ServerMetrics {
  /** The latency buckets, seconds: 50 µs to 1 s. */
  private static final double[] LATENCY_BUCKETS = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
  /** A snapshot serves scrapes for this long before the loop is asked for a new one. */
  private static final long SNAPSHOT_FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final long SNAPSHOT_WAIT_MS = 2_000;
  /** The loop samples its version vector this often, for the milliseconds a link lags. */
  static final long VV_SAMPLE_MS = 100;
  /** Samples kept: one minute; a link further behind reports at least that. */
  private static final int VV_SAMPLES = 600;

  /** Null when the metrics are off (see the constructor): then nothing below is made either. */
  final PrometheusRegistry registry;
  private final Node node;
  private Counter commands;
  private Counter errors;
  private Histogram latency;
  private Counter linkBytesSent;
  private Counter linkBytesReceived;
  private Counter linkMessagesSent;
  private Counter linkMessagesReceived;
  private Counter linkSessions;
  private CounterDataPoint collected;
  /** Per command name (as declared, upper case), its data points: no label lookup per command. */
  private final Map<String, CommandPoints> commandPoints = new HashMap<>();
  /** (millis, vector) samples of this replica's vector, newest last (loop only). */
  private final Deque<VvSample> vvSamples = new ArrayDeque<>();
  private volatile Snapshot snapshot = new Snapshot(0, 0, 0, 0, 0, 0, List.of());
  private volatile long loopThreadId = -1;
  private HTTPServer server;
  private ExecutorService httpThreads;

  private record VvSample(long millis, VersionVector vv) {}

  private record CommandPoints(CounterDataPoint count, CounterDataPoint errors,
      io.prometheus.metrics.core.datapoints.DistributionDataPoint latency) {}

  /** One link as a scrape sees it. */
  record LinkSnapshot(int peer, long writesBehind, long millisBehind) {}

  /** What a scrape reports of the replica, the store and the clients, read on the loop. */
  record Snapshot(long takenNanos, long keys, long expiring, long sstBytes, long walBytes,
      int clients, List<LinkSnapshot> links) {}

  /** What a link counts its messages in when the metrics are off: nothing. */
  private static final CounterDataPoint NOT_COUNTED = new CounterDataPoint() {
    @Override
    public void inc(double amount) {}

    @Override
    public void incWithExemplar(double amount,
        io.prometheus.metrics.model.snapshots.Labels labels) {}

    @Override
    public double get() {
      return 0;
    }

    @Override
    public long getLongValue() {
      return 0;
    }
  };

  /** Entries removed by a collection slice. */
  void collected(int n) {
    if (registry != null) collected.inc(n);
  }

  /**
   * The metrics of {@code node}; with {@code on} false (a server started without
   * {@code --metrics-port}, which nobody can scrape) they are off: nothing is registered, counted
   * or sampled, and the client library's classes are not even loaded. Building them took 17-34
   * ms of a server's start, in every joinServer (docs/performance.md).
   */
  ServerMetrics(Node node, boolean on) {
    this.node = node;
    this.registry = on ? new PrometheusRegistry() : null;
    if (!on) return;
    // Without exemplars: the client samples one per metric by default, which with no tracing
    // library on the class path only costs time on every increment and a scheduler thread that
    // wakes to reset its rate limit (2.4% of a server's CPU in a master script, perf).
    commands = Counter.builder().withoutExemplars().name("kvs_commands_total")
        .help("Commands processed, by command").labelNames("command").register(registry);
    errors = Counter.builder().withoutExemplars().name("kvs_command_errors_total")
        .help("Commands answered with an error, by command (unknown commands as 'unknown')")
        .labelNames("command").register(registry);
    latency = Histogram.builder().withoutExemplars().name("kvs_command_duration_seconds")
        .help("Time to execute a command on the event loop, by command")
        .labelNames("command").classicOnly().classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
    linkBytesSent = Counter.builder().withoutExemplars().name("kvs_link_sent_bytes_total")
        .help("Bytes sent on the link to each peer").labelNames("peer").register(registry);
    linkBytesReceived = Counter.builder().withoutExemplars()
        .name("kvs_link_received_bytes_total")
        .help("Bytes received on the link from each peer").labelNames("peer").register(registry);
    linkMessagesSent = Counter.builder().withoutExemplars()
        .name("kvs_link_sent_messages_total")
        .help("Messages sent to each peer: delta (deltas and pushes) or advert")
        .labelNames("peer", "kind").register(registry);
    linkMessagesReceived = Counter.builder().withoutExemplars()
        .name("kvs_link_received_messages_total")
        .help("Messages received from each peer: delta (deltas and pushes) or advert")
        .labelNames("peer", "kind").register(registry);
    linkSessions = Counter.builder().withoutExemplars().name("kvs_link_sessions_total")
        .help("Link sessions established with each peer (each starts with a delta exchange)")
        .labelNames("peer").register(registry);
    collected = Counter.builder().withoutExemplars().name("kvs_collected_entries_total")
        .help("Tombstones and expiry remnants removed for good by collection (docs/design.md,"
            + " Tombstone collection)").register(registry).labelValues();
    GaugeWithCallback.builder().name("kvs_link_lag_writes")
        .help("Writes this replica holds that the peer is not known to hold (its advertised"
            + " vector against this replica's)")
        .labelNames("peer")
        .callback(cb -> {
          for (LinkSnapshot l : snapshot().links()) cb.call(l.writesBehind(), peerLabel(l.peer()));
        }).register(registry);
    GaugeWithCallback.builder().name("kvs_link_lag_seconds")
        .help("How long ago this replica last held only what the peer is known to hold (0 when"
            + " caught up; sampled every 100 ms, at most about 60 s)")
        .labelNames("peer")
        .callback(cb -> {
          for (LinkSnapshot l : snapshot().links()) {
            cb.call(l.millisBehind() / 1000.0, peerLabel(l.peer()));
          }
        }).register(registry);
    GaugeWithCallback.builder().name("kvs_links").help("Peer links up")
        .callback(cb -> cb.call(snapshot().links().size())).register(registry);
    GaugeWithCallback.builder().name("kvs_keys")
        .help("Keys holding a value (INFO keyspace's db0:keys, DBSIZE)")
        .callback(cb -> cb.call(snapshot().keys())).register(registry);
    GaugeWithCallback.builder().name("kvs_keys_expiring")
        .help("Keys holding a value with an expiry (INFO keyspace's expires)")
        .callback(cb -> cb.call(snapshot().expiring())).register(registry);
    GaugeWithCallback.builder().name("kvs_store_disk_bytes")
        .help("Store size on disk: RocksDB's SST files and its live write-ahead log")
        .labelNames("kind")
        .callback(cb -> {
          Snapshot s = snapshot();
          cb.call(s.sstBytes(), "sst");
          cb.call(s.walBytes(), "wal");
        }).register(registry);
    GaugeWithCallback.builder().name("kvs_connected_clients")
        .help("Client connections open (INFO's connected_clients)")
        .callback(cb -> cb.call(snapshot().clients())).register(registry);
    CounterWithCallback.builder().name("kvs_event_loop_busy_seconds_total")
        .help("CPU time of the event-loop thread, which serves every client and link")
        .callback(cb -> cb.call(loopCpuSeconds())).register(registry);
    GaugeWithCallback.builder().name("kvs_uptime_seconds").help("Seconds since the server started")
        .callback(cb -> cb.call((System.nanoTime() - node.stats.startedNanos) / 1e9))
        .register(registry);
  }

  private static String peerLabel(int peer) {
    return Integer.toString(peer);
  }

  // ---- on the event loop ----------------------------------------------------------------------

  /** After each command (Commands.dispatch); {@code name} as declared (CommandSpec.name). */
  void commandDone(String name, long elapsedNanos, boolean error) {
    if (registry == null) return;
    CommandPoints p = points(name);
    p.count().inc();
    if (error) p.errors().inc();
    p.latency().observe(elapsedNanos / 1e9);
  }

  /** A command refused before it ran (unknown: null; wrong arity, not allowed). */
  void commandRefused(String name) {
    if (registry == null) return;
    points(name == null ? "UNKNOWN" : name).errors().inc();
  }

  private CommandPoints points(String name) {
    CommandPoints p = commandPoints.get(name);
    if (p == null) {
      String label = name.toLowerCase(Locale.ROOT);
      p = new CommandPoints(commands.labelValues(label), errors.labelValues(label),
          latency.labelValues(label));
      commandPoints.put(name, p);
    }
    return p;
  }

  /** Starts the sampling the milliseconds-behind of each link are read against. */
  void startSampling() {
    if (registry == null) return;
    node.loop.execute(() -> loopThreadId = Thread.currentThread().getId());
    node.loop.scheduleAtFixedRate(this::sampleVv, 0, VV_SAMPLE_MS, TimeUnit.MILLISECONDS);
  }

  private void sampleVv() {
    VersionVector vv = node.replica.vv();
    if (!vvSamples.isEmpty() && vvSamples.peekLast().vv().equals(vv)) return; // unchanged
    vvSamples.addLast(new VvSample(System.currentTimeMillis(), vv.copy()));
    while (vvSamples.size() > VV_SAMPLES) vvSamples.removeFirst();
  }

  /** A link came up: count the session and its bytes from now on. */
  void linkUp(PeerLink link) {
    if (registry == null) return;
    String peer = peerLabel(link.peerId);
    linkSessions.labelValues(peer).inc();
    link.channel.pipeline().addFirst("metrics-bytes",
        new ByteCounter(linkBytesSent.labelValues(peer), linkBytesReceived.labelValues(peer)));
  }

  CounterDataPoint linkMessagesSent(int peer, boolean delta) {
    if (registry == null) return NOT_COUNTED;
    return linkMessagesSent.labelValues(peerLabel(peer), delta ? "delta" : "advert");
  }

  CounterDataPoint linkMessagesReceived(int peer, boolean delta) {
    if (registry == null) return NOT_COUNTED;
    return linkMessagesReceived.labelValues(peerLabel(peer), delta ? "delta" : "advert");
  }

  Snapshot takeSnapshot() {
    long keys = node.replica.keyCount();
    long expiring = node.replica.expiringValueCount();
    VersionVector ours = node.replica.vv();
    long nowMillis = System.currentTimeMillis();
    List<LinkSnapshot> links = new ArrayList<>();
    node.links.forEach(link -> {
      VersionVector peerHas = link.peerHas();
      long behind = 0;
      for (Map.Entry<Long, Long> e : ours.asMap().entrySet()) {
        behind += Math.max(0, e.getValue() - peerHas.get(e.getKey()));
      }
      long millis = 0;
      if (behind > 0) {
        // The newest sample the peer holds all of: it lags by at most the time since then.
        long since = vvSamples.isEmpty() ? nowMillis : vvSamples.peekFirst().millis();
        var it = vvSamples.descendingIterator();
        while (it.hasNext()) {
          VvSample s = it.next();
          if (peerHas.covers(s.vv())) {
            since = s.millis();
            break;
          }
        }
        millis = Math.max(0, nowMillis - since);
      }
      links.add(new LinkSnapshot(link.peerId, behind, millis));
    });
    links.sort(java.util.Comparator.comparingInt(LinkSnapshot::peer));
    long[] disk = node.store.diskBytes();
    return new Snapshot(System.nanoTime(), keys, expiring, disk[0], disk[1],
        node.clients.connected, links);
  }

  // ---- off the event loop ---------------------------------------------------------------------

  /** The last snapshot, refreshed by the loop when it is older than half a second. */
  Snapshot snapshot() {
    Snapshot s = snapshot;
    if (System.nanoTime() - s.takenNanos() < SNAPSHOT_FRESH_NANOS || node.isClosed()) return s;
    synchronized (this) {
      s = snapshot;
      if (System.nanoTime() - s.takenNanos() < SNAPSHOT_FRESH_NANOS) return s;
      try {
        s = node.loop.submit(this::takeSnapshot).get(SNAPSHOT_WAIT_MS, TimeUnit.MILLISECONDS);
        snapshot = s;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        // A busy or stopping loop: report the last snapshot.
      }
      return s;
    }
  }

  private double loopCpuSeconds() {
    long id = loopThreadId;
    if (id < 0) return 0;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long nanos = mx.isThreadCpuTimeSupported() ? mx.getThreadCpuTime(id) : -1;
    return nanos < 0 ? 0 : nanos / 1e9;
  }

  /** Serves /metrics on host:port from threads of its own. */
  void serve(String host, int port) throws IOException {
    if (registry == null) {
      throw new IllegalStateException("this server was started with its metrics off");
    }
    httpThreads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "metrics-http");
      t.setDaemon(true);
      return t;
    });
    server = HTTPServer.builder().hostname(host).port(port).registry(registry)
        .executorService(httpThreads).buildAndStart();
  }

  int port() {
    return server == null ? -1 : server.getPort();
  }

  void close() {
    if (server != null) server.close();
    if (httpThreads != null) httpThreads.shutdownNow();
  }

  /** Counts the bytes of a link's channel, at the head of its pipeline. */
  private static final class ByteCounter extends ChannelDuplexHandler {
    private final CounterDataPoint sent;
    private final CounterDataPoint received;

    ByteCounter(CounterDataPoint sent, CounterDataPoint received) {
      this.sent = sent;
      this.received = received;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      long n = size(msg);
      if (n > 0) received.inc(n);
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      long n = size(msg);
      if (n > 0) sent.inc(n);
      ctx.write(msg, promise);
    }

    private static long size(Object msg) {
      if (msg instanceof ByteBuf b) return b.readableBytes();
      if (msg instanceof ByteBufHolder h) return h.content().readableBytes();
      return 0;
    }
  }
}
