package kvs.server;

import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import kvs.core.CorruptDataException;
import kvs.core.Entry;
import kvs.core.Mutation;
import kvs.core.Origins;
import kvs.core.ReplicaMeta;
import kvs.core.Stability;
import kvs.core.VersionVector;
import io.netty.handler.codec.redis.RedisMessage;
import kvs.net.Resp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's collection of stable tombstones, and of the typed keys' element garbage that the
 * same rule allows (hash field tombstones, removed set members' registers: docs/design.md,
 * Tombstone collection), in the same slices: the same
 * core objects the simulator runs ({@link Stability}, {@code Replica.collectStable}), fed by the
 * server's durable state and by its peers' {@code KVS.STABLE} messages.
 *
 * <p>What it does, all on the event loop but the fsync:
 *
 * <ul>
 *   <li><b>Durable adverts.</b> Every {@link #ADVERT_INTERVAL_MS}, when the replica changed, it
 *       writes the log buffer, reads the metadata last committed (vector, clock, origin: one
 *       consistent state, in the log just written) and syncs the log on a thread of its own. Once
 *       the sync returns, that state survives a power cut, and only then does it enter this
 *       server's {@link Stability} as its own advert. So nothing advertised can be taken back by
 *       a crash, with or without {@code --fsync}.</li>
 *   <li><b>Relaying.</b> Whenever what it knows changed, each link gets a {@code KVS.STABLE}
 *       message: the members, the retirements and the newest advert of every origin it knows
 *       ({@link Stability#encodeAdvert}); a new link gets one at once. A server without a direct
 *       link to another (a chain) hears of it through the middle one.</li>
 *   <li><b>Membership.</b> Every server it links with, and every member a peer names, joins
 *       (unheard, so nothing is stable until its adverts arrive); a retired server never does and
 *       its links are refused (docs/deployment.md, Retiring a server). A server that knows of no
 *       member but itself does not collect: it cannot tell a lone server from one whose peers
 *       have not linked yet.</li>
 *   <li><b>Collection.</b> Every {@link #SLICE_INTERVAL_MS}, one slice examines at most
 *       {@link #SLICE_ENTRIES} entries from where the previous one stopped, round and round, and
 *       removes the stable ones in one commit, as the expiry sweep does. Once a whole pass found
 *       nothing new to collect under one stable vector and clock bound (and the count of expiring
 *       values did not change: the sweep may have turned a value into a remnant behind it), it
 *       rests until one of them changes: no entry can become collectable otherwise (a set
 *       register made collectable by a later register of its member waits for that write, which
 *       moves the stable vector once every member holds it).</li>
 *   <li><b>Persistence.</b> What it knows is written in the store's stability record (format 6)
 *       when it changed, at most every {@link #ADVERT_INTERVAL_MS}, and at once for a
 *       retirement; loaded at start. Knowing less than was known (a crash lost the last record)
 *       only collects less, except for retirements, which {@code KVS.RETIRE} acknowledges after
 *       the record is in the log.</li>
 * </ul>
 */
final class Collector {
  private static final Logger log = LoggerFactory.getLogger(Collector.class);
  static final String MESSAGE = "KVS.STABLE";
  static final long SLICE_INTERVAL_MS = 100;
  static final int SLICE_ENTRIES = 1_000;
  static final long ADVERT_INTERVAL_MS = Long.getLong("kvs.stabilityAdvertMillis", 1_000);

  private final Node node;
  private final int selfId;
  private final Stability stability;
  /** Bumped whenever {@link #stability} changed; links and the record catch up with it. */
  private long generation = 1;
  private long savedGeneration;
  private final Map<PeerLink, Long> sentGeneration = new IdentityHashMap<>();
  /** The durable state last captured for a sync (null: none yet). */
  private ReplicaMeta captured;
  private boolean syncRunning;
  private final ExecutorService syncThread;
  /** Where the next slice goes on (null: from the first key). */
  private byte[] from;
  /** The stable vector, bound and expiring count the pass under way started with. */
  private VersionVector passStable;
  private long passBound = -1;
  private long passExpiring;
  /** Resting: a whole pass under these found nothing more to collect. */
  private VersionVector restStable;
  private long restBound = -1;
  private long restExpiring;
  /** {@link kvs.core.Replica#garbageWrites} when the pass under way started. */
  private long passGarbageWrites;
  /** Whether a slice of the pass under way left an entry that may go once stable. */
  private boolean passLeftGarbage;
  /**
   * {@link kvs.core.Replica#garbageWrites} when the last whole pass, which found nothing that
   * waits only for the stable vector, started; -1 when it found something. While the count is
   * still that and no log record waits, the collector rests whatever the stable vector does:
   * under a steady load of plain writes the vector moves with every write, and a pass over the
   * whole store every few seconds that can find nothing cost a peer about 16% of its CPU
   * (docs/performance.md).
   */
  private long restCleanAt = -1;
  /** Entries collected since the server started (INFO, metrics). */
  long collectedEntries;
  /** Log records no delta can need any more, removed since the server started (INFO). */
  long logRecordsCollected;
  /** Retired incarnations this server sealed since it started (INFO). */
  long sealedOrigins;
  /** Slice ticks since the server started, resting ones included (tests wait on it). */
  long slices;
  /**
   * The members as of the last stability record a sync made durable: collection waits until
   * it matches the members known now. A server that forgot a member after a power cut could
   * otherwise collect a tombstone that member may still send an older write against.
   */
  private java.util.Set<Integer> durableMembers = java.util.Set.of();
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

  Collector(Node node) {
    this.node = node;
    this.selfId = node.config.id();
    byte[] record = node.store.loadStability();
    Stability s;
    if (record == null) {
      s = new Stability(List.of(selfId));
    } else {
      try {
        s = Stability.decode(record);
      } catch (CorruptDataException e) {
        throw new IllegalStateException("the stability record of the data directory is corrupt: "
            + e.getMessage(), e);
      }
    }
    if (s.isRetired(selfId)) {
      throw new IllegalStateException("server " + selfId + " was retired from its cluster"
          + " (KVS.RETIRE); a retired server never rejoins: start it on an empty data directory"
          + " under a new server id");
    }
    s.join(selfId);
    // After an unclean stop: the last durable state of the incarnation this one succeeds, an
    // advert it could have made and perhaps never did (Replica.predecessor). Node synced this
    // incarnation's first state, which contains it, so it is durable; it is recorded and synced
    // before anything is served, so no later crash forgets it (the next incarnation names this
    // one, not that one).
    ReplicaMeta before = node.replica.predecessor();
    if (before != null && s.advert(selfId, before.origin(), before.vv(), before.clock())) {
      node.store.commit(Mutation.stabilityRecord(s.encode()));
      node.store.flushWal();
      node.store.syncWal();
    }
    this.stability = s;
    this.syncThread = Executors.newSingleThreadExecutor(runnable -> {
      Thread t = new Thread(runnable, "stability-sync");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the periodic tasks on the loop. */
  void start() {
    tasks.add(node.loop.scheduleWithFixedDelay(this::slice, SLICE_INTERVAL_MS, SLICE_INTERVAL_MS,
        TimeUnit.MILLISECONDS));
    tasks.add(node.loop.scheduleWithFixedDelay(this::advertise, 0, ADVERT_INTERVAL_MS,
        TimeUnit.MILLISECONDS));
  }

  /** After the event loop stopped: saves what changed since the last record. */
  void close() {
    tasks.forEach(t -> t.cancel(false));
    try {
      save();
    } catch (RuntimeException e) {
      log.warn("server {}: could not save the stability record: {}", selfId, e.toString());
    }
    syncThread.shutdown();
    try {
      if (!syncThread.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("server {}: the stability sync did not finish within 10 s", selfId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- membership ----------------------------------------------------------------------------

  /** Why a link with {@code peerId} must be refused, or null. */
  String refusal(int peerId) {
    return stability.linkRefusal(peerId);
  }

  /**
   * A link came up: its peer is a member, and hears what this server knows at once (written
   * before the link starts, so the start's one flush carries it).
   */
  void linkUp(PeerLink link) {
    if (stability.join(link.peerId)) changed();
    sendTo(link, false);
  }

  void linkDown(PeerLink link) {
    sentGeneration.remove(link);
  }

  /** A peer's {@code KVS.STABLE} message; a malformed one drops the link (the caller). */
  void heard(PeerLink link, byte[] payload) {
    Stability.Heard heard = Stability.decodeAdvert(payload);
    if (heard.retiredServers().contains(selfId)) {
      log.error("server {}: server {} says this server was retired from the cluster (KVS.RETIRE);"
          + " closing the link", selfId, link.peerId);
      link.channel.close();
      return;
    }
    if (stability.hear(heard)) changed();
    if (stability.isRetired(link.peerId)) link.channel.close();
  }

  /**
   * {@code KVS.RETIRE}: retires a server id (every server drops it from its membership and
   * refuses its links from then on) or a dead incarnation (its frozen clock bound no longer holds
   * collection back). The record is committed before the caller replies (the log barrier writes
   * it before any reply leaves).
   *
   * @return null on success, else the error text
   */
  String retire(long idOrOrigin, boolean isOrigin) {
    try {
      if (isOrigin) {
        if (!stability.retireOriginByOperator(selfId, node.replica.origin(), idOrOrigin)) {
          return null; // already retired: nothing changes
        }
      } else {
        int id = (int) idOrOrigin;
        if (!stability.retireServerByOperator(selfId, id)) return null;
        PeerLink link = node.links.live(id);
        if (link != null) link.channel.close();
      }
    } catch (IllegalStateException | IllegalArgumentException e) {
      return "ERR " + e.getMessage();
    }
    changed();
    save();
    return null;
  }

  // ---- adverts -------------------------------------------------------------------------------

  private void changed() {
    generation++;
    restStable = null; // a new member or advert may change what is stable
  }

  /**
   * Captures the durable state to advertise and syncs it on the sync thread; relays what this
   * server knows to every link that has not heard it; saves the record when it changed.
   */
  private void advertise() {
    if (node.isClosed()) return;
    try {
      // After a wipe this incarnation may be below the one it lost: outrank it before capturing.
      if (!node.replica.batchOpen()) node.replica.outrankEarlierIncarnations(stability);
      save();
      if (!syncRunning) {
        node.writeLog(); // the metadata and the record just saved are in the log file
        ReplicaMeta meta = node.store.loadMeta();
        java.util.Set<Integer> members = java.util.Set.copyOf(stability.members());
        if (meta != null && (captured == null || meta.clock() != captured.clock()
            || !meta.vv().equals(captured.vv()) || meta.origin() != captured.origin()
            || !members.equals(durableMembers))) {
          captured = meta;
          syncRunning = true;
          syncThread.execute(() -> {
            RuntimeException failure = null;
            try {
              node.store.syncWal();
            } catch (RuntimeException e) {
              failure = e;
            }
            RuntimeException f = failure;
            try {
              node.loop.execute(() -> synced(meta, members, f));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
              // The server is stopping: nothing more is advertised.
            }
          });
        }
      }
      node.links.forEach(this::sendTo);
    } catch (RuntimeException e) {
      // A storage failure has stopped the server already; anything else must not end the task.
      log.warn("server {}: stability advert failed: {}", selfId, e.toString());
    }
  }

  private void synced(ReplicaMeta meta, java.util.Set<Integer> members,
      RuntimeException failure) {
    syncRunning = false;
    if (failure != null) {
      node.stopOnStorageFailure("fsync failed", failure);
      return;
    }
    durableMembers = members;
    if (stability.advert(selfId, meta.origin(), meta.vv(), meta.clock())) {
      changed();
      node.links.forEach(this::sendTo);
    }
  }

  private void sendTo(PeerLink link) {
    sendTo(link, true);
  }

  private void sendTo(PeerLink link, boolean flush) {
    if (!link.channel.isActive()) return;
    Long sent = sentGeneration.get(link);
    if (sent != null && sent == generation) return;
    sentGeneration.put(link, generation);
    RedisMessage message = Resp.command(MESSAGE, stability.encodeAdvert());
    if (flush) {
      link.channel.writeAndFlush(message, link.channel.voidPromise());
    } else {
      link.channel.write(message, link.channel.voidPromise());
    }
  }

  private void save() {
    if (savedGeneration == generation) return;
    node.store.commit(Mutation.stabilityRecord(stability.encode()));
    savedGeneration = generation;
  }

  // ---- collection ----------------------------------------------------------------------------

  /** One slice of collection, or nothing while resting or while nothing can be stable. */
  private void slice() {
    slices++;
    if (node.isClosed() || node.replica.batchOpen()) return;
    try {
      if (stability.members().size() < 2 || !durableMembers.equals(stability.members())) return;
      // Retired incarnations every member holds alike lose their vector entries (issue 15).
      int sealedNow = node.replica.seal(stability.sealable(node.replica.vv()));
      if (sealedNow > 0) {
        sealedOrigins += sealedNow;
        // Peers that have not sealed take the seal from this server's closing vector: the
        // links check for a delta now, as after any change (simulator seed 8998).
        node.links.forEach(PeerLink::replicaChanged);
        log.info("server {}: sealed {} retired incarnation(s); vector {}", selfId, sealedNow,
            node.replica.vv());
      }
      VersionVector stable = stability.stableVector();
      long bound = stability.clockBound();
      if (bound < 0 || (stable.size() == 0 && stable.sealed().isEmpty())) return;
      long expiring = node.replica.expiringValueCount();
      if (from == null) {
        if (restStable != null && restStable.equals(stable) && restBound == bound
            && restExpiring == expiring) {
          return; // nothing can have become collectable since the last whole pass
        }
        if (restsClean()) return; // nothing that may become collectable is stored
        passStable = stable;
        passBound = bound;
        passExpiring = expiring;
        passGarbageWrites = node.replica.garbageWrites();
        passLeftGarbage = false;
      }
      List<Entry> out = new ArrayList<>();
      from = node.replica.collectStable(stable, bound, from, SLICE_ENTRIES, out);
      passLeftGarbage |= node.replica.lastCollectLeftGarbage();
      logRecordsCollected += node.replica.collectLogRecords(stable, SLICE_ENTRIES);
      if (!out.isEmpty()) {
        collectedEntries += out.size();
        node.metrics.collected(out.size());
      }
      if (from == null) {
        boolean same = passStable.equals(stable) && passBound == bound
            && passExpiring == node.replica.expiringValueCount();
        restStable = same ? stable : null;
        restBound = bound;
        restExpiring = passExpiring;
        restCleanAt = passLeftGarbage ? -1 : passGarbageWrites;
      }
    } catch (RuntimeException e) {
      // A storage failure has stopped the server already (its handler runs before the throw);
      // anything else must not end collection for good: the next slice starts over.
      from = null;
      log.warn("server {}: collection slice failed: {}", selfId, e.toString());
    }
  }

  private boolean restsClean() {
    return restCleanAt == node.replica.garbageWrites() && !node.replica.logRecordsPending();
  }

  /** INFO's Collection section. */
  String info() {
    VersionVector stable = stability.stableVector();
    return "collected_entries:" + collectedEntries + "\r\n"
        + "collected_log_records:" + logRecordsCollected + "\r\n"
        + "sealed_origins:" + sealedOrigins + "\r\n"
        + "collection_slices:" + slices + "\r\n"
        + "collection_resting:" + (from == null && (restStable != null || restsClean()) ? 1 : 0)
        + "\r\n"
        + "stability_members:" + stability.members().toString().replace(" ", "") + "\r\n"
        + "stability_stable_vector:" + stable.toString().replace(" ", "") + "\r\n"
        + "stability_clock_bound:" + stability.clockBound() + "\r\n";
  }

  /** What this server knows (KVS.STABILITY), for operators and tests. */
  String describe() {
    return "stable " + stability.stableVector() + " bound " + stability.clockBound() + " "
        + stability;
  }
}
