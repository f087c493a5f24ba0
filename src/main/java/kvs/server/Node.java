package kvs.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.net.RespPipeline;
import kvs.net.Transport;
import kvs.storage.RocksDbStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server: a replica, its store, and the network around it.
 *
 * <p>Threading follows Redis: one event-loop thread owns the replica and every connection, so the
 * core needs no locks and requests are served in arrival order. The only other thread is the
 * fsync thread of {@code --fsync} mode, which syncs the write-ahead log for a whole group of
 * writes at once (group commit) and hands their acknowledgements back to the event loop.
 */
public final class Node implements AutoCloseable {
  /**
   * Accepted connections read their commands through Netty's decoder, FrameLimiter and
   * aggregators instead of {@link kvs.net.RespCommandDecoder} (-Dkvs.nettyCommandDecoder=true):
   * the old path, kept to compare the two.
   */
  static final boolean NETTY_COMMAND_DECODER = Boolean.getBoolean("kvs.nettyCommandDecoder");
  /**
   * Output buffered per connection before it counts as unwritable: a delta streams only while
   * its link is writable, so this bounds what a slow peer holds in memory.
   */
  static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 2 << 20);
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  /** Pushes to the peers go out at most this often (see queuePush). */
  static final long PUSH_INTERVAL_NANOS =
      Long.getLong("kvs.pushIntervalMicros", 2_000) * 1_000;

  final ServerConfig config;
  final Clock clock;
  final EventLoopGroup group;
  final EventLoop loop;
  final RocksDbStore store;
  final Replica replica;
  final PeerLinks links;
  final StateWatchers watchers;
  /** Tombstone collection: stability adverts, membership, the collection task (Collector). */
  final Collector collector;
  /** The client connections, for --maxclients and INFO (ConnectionHandler). */
  final Clients clients = new Clients();
  /** Where the SCAN cursors handed out lately go on from, for any connection (Scan). */
  final Scan.ResumePoints scanResumePoints = new Scan.ResumePoints();
  /** Commands, connections, the command rate and the slow log, for INFO, CLIENT, SLOWLOG. */
  final ServerStats stats = new ServerStats();
  /** The Prometheus metrics; served only with --metrics-port (startMetrics), off without. */
  final ServerMetrics metrics;
  private final ExecutorService fsyncThread;
  private List<Runnable> awaitingSync = new ArrayList<>();
  private boolean syncRunning;
  private boolean watchersScheduled;
  final LogBarrier logBarrier = new LogBarrier(this);
  /** Connections whose replies wait for the log write at the end of this loop turn. */
  private final List<ReplyQueue> flushAfterLog = new ArrayList<>();
  private boolean logWriteScheduled;
  /** Writes to push to the links, in the order this replica took them in (see queuePush). */
  private List<Entry> unpushed = new ArrayList<>();
  private boolean pushScheduled;
  private long lastPushNanos = System.nanoTime() - PUSH_INTERVAL_NANOS;
  private Channel serverChannel;
  private volatile boolean closed;

  private Node(ServerConfig config, Clock clock) {
    this.config = config;
    this.metrics = new ServerMetrics(this, config.metrics());
    this.clock = clock;
    // With --fsync the fsync thread syncs the log; otherwise commits reach the log file in
    // groups, before anything leaves the server (LogBarrier).
    this.store = RocksDbStore.open(config.dataDir(), false, !config.fsync());
    // Every storage failure, from any path (a client's command, a peer's delta, a delta being
    // cut, a background task, the fsync thread), stops the server where it happens: nothing
    // that depends on the failed operation can be answered or advertised afterwards.
    store.onFailure(f -> stopOnStorageFailure("storage failure", f));
    Replica r;
    try {
      boolean clean = store.lastStopWasClean();
      boolean fresh = store.loadMeta() == null;
      r = Replica.open(store, config.id(), freshIncarnation(store), clean);
      if (fresh) store.persistMemtables(); // see persistMemtables: the identity outlives any cut
      if (!clean && store.lastStopNote().startsWith("restored from")) {
        log.warn("server {}: first start on a data directory {}; continuing as {}, a new"
            + " incarnation, so that no write identity is reused (what the backup lacks comes"
            + " back from peers)", config.id(), store.lastStopNote(),
            kvs.core.Origins.toString(r.origin()));
      } else if (!clean) {
        log.warn("server {}: the last run did not stop cleanly; continuing as {} so that no"
            + " write identity is reused (what the log may have lost comes back from peers)",
            config.id(), kvs.core.Origins.toString(r.origin()));
      }
      // A fresh incarnation must reach the log even if nothing is ever sent.
      store.flushWal();
      // After an unclean stop, it is synced before anything is served: a power cut then leaves
      // a state of this incarnation, which its successor enters in its Stability as this one's
      // advert (Replica.predecessor); else an incarnation whose writes reached peers could be
      // one no successor ever names, which holds collection back for ever.
      if (!clean) store.syncWal();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    this.replica = r;
    this.group = Transport.newGroup(1);
    this.loop = group.next();
    this.links = new PeerLinks(this);
    this.watchers = new StateWatchers(this);
    try {
      this.collector = new Collector(this);
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
      store.close();
      throw e;
    }
    this.fsyncThread = config.fsync()
        ? Executors.newSingleThreadExecutor(runnable -> {
          Thread t = new Thread(runnable, "fsync");
          t.setDaemon(true);
          return t;
        })
        : null;
  }

  /** A random incarnation other than the store's current one. */
  private static int freshIncarnation(RocksDbStore store) {
    kvs.core.ReplicaMeta meta = store.loadMeta();
    SecureRandom random = new SecureRandom();
    int fresh;
    do {
      fresh = random.nextInt();
    } while (meta != null && fresh == meta.incarnation());
    return fresh;
  }

  /**
   * Opens the store, binds the port and dials the configured peers. The returned future
   * completes once the port serves and every dial has either linked or failed.
   */
  public static Node start(ServerConfig config, Clock clock) throws InterruptedException {
    Node node = new Node(config, clock);
    try {
      node.bind();
      ExpiryCommands.startSweep(node); // removes expired values in slices (docs/design.md)
      node.collector.start(); // collects stable tombstones in slices (docs/design.md)
    } catch (Exception e) {
      // Netty rethrows a failed bind (port in use) as an undeclared IOException: the store must
      // close on it too, or its running marker stays and the next start reports an unclean stop.
      node.close();
      throw e;
    }
    return node;
  }

  private void bind() throws InterruptedException {
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(Transport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (config.tls() != null) {
              ch.pipeline().addLast("tls", config.tls().serverHandler(ch.alloc()));
            }
            ch.pipeline().addLast("log-barrier", logBarrier);
            if (NETTY_COMMAND_DECODER) {
              RespPipeline.install(ch.pipeline(), config.limits());
            } else {
              RespPipeline.installForCommands(ch.pipeline(), config.limits());
            }
            ConnectionHandler handler = new ConnectionHandler(Node.this);
            ch.pipeline().addLast("connection", handler);
            stats.accepted(ch, handler);
          }
        });
    serverChannel = b.bind(config.host(), config.port()).sync().channel();
    loop.scheduleAtFixedRate(stats::sample, ServerStats.SAMPLE_INTERVAL_MS,
        ServerStats.SAMPLE_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    metrics.startSampling();
  }

  /**
   * Serves the Prometheus metrics on {@code host:port} under /metrics, from threads of their
   * own (never the event loop); returns the port (0 picks a free one).
   */
  public int startMetrics(String host, int port) throws java.io.IOException {
    metrics.serve(host, port);
    return metrics.port();
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * Dials every configured peer; completes when each dial has linked or failed (a failed one is
   * redialled with backoff meanwhile).
   */
  public Future<Void> dialConfiguredPeers() {
    Promise<Void> all = loop.newPromise();
    Map<Integer, InetSocketAddress> peers = config.peers();
    if (peers.isEmpty()) return all.setSuccess(null);
    int[] left = {peers.size()};
    loop.execute(() -> peers.forEach((id, addr) -> links.connect(id, addr).addListener(f -> {
      if (!f.isSuccess()) {
        log.warn("server {}: could not link to server {} at {}: {}; retrying with backoff",
            config.id(), id, addr, f.cause() == null ? "?" : f.cause().getMessage());
        // A static peer list may name servers that start later or sit behind a partition.
        links.scheduleRedial(id);
      }
      if (--left[0] == 0) all.setSuccess(null);
    })));
    return all;
  }

  /** Runs {@code ack} once the writes committed so far are as durable as configured. */
  void whenDurable(Runnable ack) {
    if (fsyncThread == null) {
      ack.run();
      return;
    }
    awaitingSync.add(ack);
    maybeStartSync();
  }

  private void maybeStartSync() {
    if (syncRunning || awaitingSync.isEmpty()) return;
    syncRunning = true;
    List<Runnable> group = awaitingSync;
    awaitingSync = new ArrayList<>();
    fsyncThread.execute(() -> {
      RuntimeException failure = null;
      try {
        store.syncWal();
      } catch (RuntimeException e) {
        failure = e;
      }
      RuntimeException f = failure;
      loop.execute(() -> {
        syncRunning = false;
        if (f != null) stopOnStorageFailure("fsync failed", f);
        group.forEach(Runnable::run);
        maybeStartSync();
      });
    });
  }

  /**
   * Writes the commits buffered so far to the log file: from then on they survive SIGKILL. A
   * failure stops the server, as a failed fsync does: it can acknowledge nothing any more.
   */
  void writeLog() {
    try {
      store.flushWal();
    } catch (RuntimeException e) {
      stopOnStorageFailure("cannot write the log", e);
    }
  }

  /**
   * Stops the server at once (exit status 3) when the disk refused a write, a log write or an
   * fsync: acknowledging anything more would be a lie. Said in the log and on stderr.
   */
  void stopOnStorageFailure(String what, RuntimeException e) {
    log.error("server {}: {}, stopping: {}", config.id(), what, e.getMessage());
    System.err.println("server " + config.id() + ": " + what + ": " + e.getMessage());
    Runtime.getRuntime().halt(3);
  }

  /**
   * Sends a connection's replies: at once when no commit waits for the log, else at the end of
   * this loop turn, after one log write for the commits of every connection served in the turn
   * (group commit to the operating system: one system call instead of one per write).
   */
  void flushWhenLogged(ReplyQueue replies) {
    if (!store.logPending()) {
      replies.flush();
      return;
    }
    flushAfterLog.add(replies);
    if (logWriteScheduled) return;
    logWriteScheduled = true;
    loop.execute(() -> {
      logWriteScheduled = false;
      writeLog();
      List<ReplyQueue> waiting = new ArrayList<>(flushAfterLog);
      flushAfterLog.clear();
      waiting.forEach(ReplyQueue::flush);
    });
  }

  /** Called on the loop after a client write: push it to every peer and wake watchers. */
  void onOwnWrite(List<Entry> written) {
    queuePush(written);
    watchersDue();
  }

  /**
   * Called on the loop after data from a peer changed the replica: pass on what it newly
   * covered, let each link check later for what pushes did not carry, advertise, wake watchers.
   * The link the data came from gets none of it back: its link state already counts it as held.
   * A routine change (writes pushed by their origins, {@link kvs.core.LinkDriver.Received})
   * needs no delta check and only a quiet advert.
   */
  void onPeerData(List<Entry> newlyCovered, boolean routine) {
    queuePush(newlyCovered);
    links.forEach(routine ? PeerLink::replicaAdvanced : PeerLink::replicaChanged);
    watchersDue();
  }

  /**
   * Queues writes to push to every link. A push goes out at the end of this loop turn when none
   * went out in the last {@link #PUSH_INTERVAL_NANOS}; otherwise once that interval has passed,
   * carrying every write queued meanwhile. An idle store so pushes each write at once, and a
   * busy one sends a peer one message, one system call and one store commit per interval
   * instead of per write: for each write, the peers' work shrinks with the load.
   */
  private void queuePush(List<Entry> entries) {
    if (entries.isEmpty()) return;
    unpushed.addAll(entries);
    if (pushScheduled) return;
    pushScheduled = true;
    long wait = lastPushNanos + PUSH_INTERVAL_NANOS - System.nanoTime();
    if (wait <= 0) {
      loop.execute(this::pushQueued);
    } else {
      loop.schedule(this::pushQueued, wait, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Pushes the queued writes now, before their interval ends: a link about to check for a delta
   * calls it, or the check would find the queued writes missing at the peer and send them in a
   * delta (reading the log on disk) just before the push sends them again.
   */
  void pushQueuedNow() {
    pushQueued();
  }

  private void pushQueued() {
    if (unpushed.isEmpty()) return; // pushed early by pushQueuedNow, and not queued since
    pushScheduled = false;
    lastPushNanos = System.nanoTime();
    List<Entry> batch = unpushed;
    unpushed = new ArrayList<>();
    // A link that cut a delta meanwhile holds some of these as sent already and skips them.
    links.forEach(link -> link.forward(batch));
  }

  /** Wakes state watchers once at the end of this loop turn, however many changes it made. */
  private void watchersDue() {
    if (watchersScheduled) return;
    watchersScheduled = true;
    loop.execute(() -> {
      watchersScheduled = false;
      watchers.check();
    });
  }

  /** The state digest compared by stabilize: equal states mean equal data. */
  String stateText() {
    return Long.toHexString(replica.digest()) + " " + replica.vv();
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    try {
      metrics.close();
      if (serverChannel != null) serverChannel.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    } finally {
      collector.close(); // a sync under way must end before the store closes under it
      if (fsyncThread != null) {
        // The fsync under way must end before the store closes under it.
        fsyncThread.shutdown();
        try {
          if (!fsyncThread.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
            log.warn("server {}: the fsync thread did not finish within 10 s", config.id());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      BackupCommands.awaitNone(this, 60_000); // a checkpoint must not outlive the store
      store.close();
    }
  }
}
