package kvs.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.LinkDriver;
import kvs.core.Origins;
import kvs.core.Replica;
import kvs.core.SessionToken;
import kvs.core.Store;
import kvs.core.VersionVector;

/**
 * A deterministic simulation of a whole cluster on one thread (after tigerbeetle's VOPR and
 * FoundationDB's simulator): N {@link Replica}s over {@link SimDisk}s (in-memory stores with storage faults), a network of
 * connections carrying encoded {@link DeltaChunk}s between {@link LinkState}s, clients with
 * session tokens moving between servers, and a fault injector, all driven by one
 * {@link SplittableRandom} seeded from the run's seed. The same seed replays the same run.
 *
 * <p>A run has two phases. For {@code faultSteps} steps clients work while faults happen:
 * partitions (symmetric and one-way) and heals, dropped connections, crashes with restart from
 * the crash-time durable state or from a wiped store, clock drift and jumps. Then faults stop,
 * every server comes back, every partition heals, and the cluster must converge within
 * {@code healStepsMax} steps; the {@link Checker} judges the history throughout and at the end.
 *
 * <p>The network models what TCP gives the real server and no more: a connection delivers each
 * direction in order, with delays; a partitioned direction delivers nothing until it heals or the
 * connection times out. Loss, duplication and reordering happen only across connections: when a
 * connection dies, what it still carries may arrive later, and is dropped because its link state
 * is gone, as the real server drops it. A new connection starts from fresh announcements of each
 * side's version vector (the handshake), as the real server's does. Over a link flow what
 * PeerLink sends: delta chunks cut by {@link LinkState#nextChunk} while a window of in-flight
 * chunks has room, pushes of a server's own new writes ({@link LinkState#forward}) right after
 * each client write, and adverts of the vector after data from a peer changed the replica.
 *
 * <p>Nothing iterates a hash map; every choice comes from the random source, in a fixed order.
 */
public final class Simulator {
  private static final byte HELLO = 1;
  private static final byte WELCOME = 2;
  private static final byte DELTA = 3;
  private static final byte ADVERT = 5;
  private static final int TRACE_LINES_MAX = 5_000;

  private final long seed;
  private final Behavior behavior;
  private final SplittableRandom rnd;
  /**
   * The draws of tombstone collection, apart from {@link #rnd}: collection came after the other
   * faults and actions, and a stream of its own keeps every earlier seed's schedule as it was.
   */
  private final SplittableRandom collectRnd;
  /**
   * The draws of the simulated operator who retires dead incarnations (KVS.RETIRE), apart from
   * {@link #rnd} and {@link #collectRnd} for the same reason.
   */
  private final SplittableRandom operatorRnd;
  /**
   * The draws of the operator who retires a server for good ({@code KVS.RETIRE <id>}), a stream
   * of its own: a run that retires no server draws nothing else differently.
   */
  private final SplittableRandom retireServerRnd;
  /** The server the operator takes down for good and retires (-1: none in this run). */
  private final int retireTarget;
  /** From this fault step on the operator moves the target's clients and waits to retire it. */
  private final int retireFromStep;
  /**
   * Once the server is retired: the step from which its process is started again by mistake
   * (docs/deployment.md, If a retired server comes back), and the step it is stopped again;
   * {@code Integer.MAX_VALUE}: never.
   */
  private int comebackAtStep = Integer.MAX_VALUE;
  private int comebackUntilStep = Integer.MAX_VALUE;
  /** Whether its data directory was kept (deleted otherwise, as the guide says). */
  private boolean comebackWithData;
  /** The writes the retired server took after it came back: no member may ever hold one. */
  private final List<Entry> retiredWrites = new ArrayList<>();
  private final SimConfig cfg;
  private final boolean tracing;
  private final ArrayDeque<String> trace = new ArrayDeque<>();
  private final SimStats stats = new SimStats();
  private final byte[][] keys;
  /** Keys that clients use as counters only (INCRBY, DEL, GET, now and then a SET). */
  private final byte[][] counterKeys;
  private final Checker checker;
  private final CounterModel counters;
  /** A key that clients use as a hash (HSET, HDEL, HGETALL, DEL, now and then a SET). */
  private final byte[] hashKey = {'h', '0'};
  private final HashModel hash = new HashModel(hashKey, new String[] {"a", "b", "c"});
  /** A key that clients use as a set (SADD, SREM, SMEMBERS, DEL, now and then a SET). */
  private final byte[] setKey = {'s', '0'};
  private final SetModel set = new SetModel(setKey, new String[] {"a", "b", "c"});
  /** A key that clients use as a sorted set (ZADD, ZINCRBY, ZREM, ZRANGE, DEL, sometimes SET). */
  private final byte[] zsetKey = {'z', '0'};
  private final ZSetModel zset = new ZSetModel(zsetKey, new String[] {"a", "b", "c"});
  private final Server[] servers;
  private final Client[] clients;
  private final boolean[][] blocked; // [from][to]: that direction delivers nothing
  private final Conn[][] pairConn;
  private final long[][] nextDialAt;
  private final List<Conn> conns = new ArrayList<>();
  private long nowMillis;
  private int step;
  private long nextConnId = 1;
  private boolean anyWipe;
  private boolean anyLoss; // a power cut lost commits
  /** Every stable vector a collection slice ran under: log records it covers may be gone. */
  private final VersionVector logRecordsCollectedUnder = new VersionVector();

  private Simulator(long seed, Behavior behavior, boolean tracing) {
    this.seed = seed;
    this.behavior = behavior;
    this.rnd = new SplittableRandom(seed);
    this.cfg = SimConfig.draw(rnd);
    this.collectRnd = new SplittableRandom(seed ^ 0x5354_4142_4C45L); // "STABLE"
    this.operatorRnd = new SplittableRandom(seed ^ 0x5245_5449_5245L); // "RETIRE"
    this.retireServerRnd = new SplittableRandom(seed ^ 0x5345_5256_4552L); // "SERVER"
    // A quarter of the runs with three servers or more retire one for good, so that at least
    // two remain (a lone server does not collect: Collector).
    if (cfg.servers() >= 3 && retireServerRnd.nextInt(4) == 0) {
      this.retireTarget = retireServerRnd.nextInt(cfg.servers());
      this.retireFromStep = retireServerRnd.nextInt(cfg.faultSteps());
    } else {
      this.retireTarget = -1;
      this.retireFromStep = Integer.MAX_VALUE;
    }
    this.tracing = tracing;
    this.keys = new byte[cfg.keys()][];
    for (int k = 0; k < keys.length; k++) keys[k] = ("k" + k).getBytes(StandardCharsets.UTF_8);
    this.counterKeys = new byte[][] {{'n', '0'}, {'n', '1'}};
    this.checker = new Checker(keys, new byte[][] {counterKeys[0], counterKeys[1], hashKey, setKey,
        zsetKey},
        cfg.clients());
    this.counters = new CounterModel(counterKeys);
    int n = cfg.servers();
    this.blocked = new boolean[n][n];
    this.pairConn = new Conn[n][n];
    this.nextDialAt = new long[n][n];
    this.servers = new Server[n];
    long epoch = 1_700_000_000_000L;
    for (int i = 0; i < n; i++) {
      Server s = new Server(i, n, new SimClock(epoch + rnd.nextInt(60_000) - 30_000,
          500 + rnd.nextInt(1001)));
      s.incarnation = freshIncarnation(s);
      s.store = new SimDisk(i, rnd, cfg, behavior.failedScanEndsSilently());
      s.replica = Replica.open(s.store, i, s.incarnation);
      s.store.faults(true);
      servers[i] = s;
    }
    for (Server s : servers) s.stability = newStability();
    this.clients = new Client[cfg.clients()];
    for (int c = 0; c < clients.length; c++) clients[c] = new Client(c, rnd.nextInt(n));
  }

  private kvs.core.Stability newStability() {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < cfg.servers(); i++) ids.add(i);
    return new kvs.core.Stability(ids);
  }

  /** Runs one seed with the real server's and client's behaviour. */
  public static SimResult run(long seed) {
    return run(seed, Behavior.CORRECT, false);
  }

  /** Runs one seed; with {@code tracing}, the result carries the last events before the end. */
  public static SimResult run(long seed, Behavior behavior, boolean tracing) {
    return new Simulator(seed, behavior, tracing).run();
  }

  private SimResult run() {
    String failure = null;
    String rule = null;
    try {
      for (step = 0; step < cfg.faultSteps(); step++) step(true);
      stopFaults();
      int healSteps = 0;
      int healStepsMax = cfg.healStepsMax();
      // Once the servers agree, the operator retires what dead incarnations are left, as
      // docs/deployment.md tells one to; then collection goes on, and the servers must converge
      // again, each having collected what the others did. The operator looks at the vectors:
      // collection may keep the digests apart until a dead incarnation is retired
      // (docs/design.md, Tombstone collection).
      while (true) {
        if (retireServerIfDue()) {
          healStepsMax = healSteps + cfg.healStepsMax();
        } else if (serversAgree() && retireDeadIncarnations()) {
          healStepsMax = healSteps + cfg.healStepsMax();
        } else if (converged()) {
          break;
        }
        if (healSteps == healStepsMax) {
          throw new Violation(Violation.Rule.CONVERGENCE, "no convergence within " + cfg.healStepsMax()
              + " steps after faults stopped" + (healStepsMax > cfg.healStepsMax()
              ? " or after the last retirement" : "") + ": " + describeCluster());
        }
        step(false);
        step++;
        healSteps++;
      }
      stats.healSteps = healSteps;
      checkConverged();
    } catch (Violation v) {
      failure = v.getMessage();
      rule = v.rule.name();
    } catch (RuntimeException | AssertionError e) {
      failure = "threw " + e;
      rule = SimResult.THREW;
      note(() -> stackOf(e));
    }
    stats.runs = 1;
    stats.steps = step;
    stats.writesDestroyed = checker.destroyed(true);
    return new SimResult(seed, behavior.name(), cfg, failure, rule, step, stats, fingerprint(),
        tracing ? List.copyOf(trace) : List.of());
  }

  // ---- one step ----------------------------------------------------------------------------

  private void step(boolean faults) {
    // Healing steps are at least 20 ms long on average, so that the step bound on convergence
    // covers timeouts, redials and slow spells whatever the run's step length.
    nowMillis += 1 + rnd.nextInt(faults ? cfg.stepMsMax() : Math.max(cfg.stepMsMax(), 40));
    if (faults) injectFaults();
    restartDue(faults);
    manageConnections();
    // Deliveries, sends and client requests of one step happen in a random order, so that the
    // replica sees every interleaving of "apply a chunk", "cut a chunk" and "serve a client".
    List<Runnable> actions = new ArrayList<>();
    for (Conn c : conns) {
      for (End from : c.end) {
        int due = dueCount(from);
        for (int i = 0; i < due; i++) actions.add(() -> deliverHead(from));
      }
    }
    for (Server s : servers) {
      if (!s.up) continue;
      for (End e : s.links) {
        if (e != null && e.driver != null) actions.add(() -> drive(e));
      }
    }
    if (faults) {
      for (Client c : clients) {
        if (rnd.nextInt(100) < cfg.opPercent()) actions.add(() -> clientRequest(c));
      }
    }
    if (faults) {
      for (Server s : servers) {
        if (rnd.nextInt(100) < cfg.writeBackPercent()) s.store.writeBack();
      }
    }
    for (Server s : servers) { // the background sweep of expired values, healing included
      if (s.up && rnd.nextInt(100) < 30) actions.add(() -> sweep(s));
    }
    shuffle(actions);
    for (Runnable a : actions) {
      try {
        a.run();
      } catch (SimDisk.StorageFault f) {
        stopOnStorageFault(f);
      }
    }
    for (Server s : servers) { // collection of stable tombstones, healing included
      // The operating system writes back while the cluster heals too: what a server
      // advertises for stability is what it has synced.
      if (!faults && collectRnd.nextInt(100) < 10) s.store.writeBack();
      if (!s.up || collectRnd.nextInt(100) >= 30 || s.retired) continue;
      try {
        collect(s);
      } catch (SimDisk.StorageFault f) {
        stopOnStorageFault(f);
      }
    }
    if (faults && operatorRnd.nextInt(100) < 5
        && (behavior.retiresOnlyOnceServersAgree() ? serversAgree() : allUp())) {
      retireDeadIncarnations();
    }
    if (faults) retireServerIfDue();
    try {
      retiredServerRuns(faults);
    } catch (SimDisk.StorageFault f) { // its disk fails as any: it stops (for good: it is retired)
      stopOnStorageFault(f);
    }
    checkInvariants();
  }

  private void injectFaults() {
    int n = servers.length;
    if (n > 1 && chance(cfg.partitionPermille())) {
      int a = rnd.nextInt(n);
      int b = otherThan(a);
      boolean oneWay = rnd.nextInt(100) < cfg.oneWayPercent();
      if (rnd.nextInt(4) == 0) { // isolate a whole server
        for (int p = 0; p < n; p++) {
          if (p == a) continue;
          blocked[a][p] = true;
          if (!oneWay) blocked[p][a] = true;
        }
        note(() -> "partition: isolate " + a + (oneWay ? " (outbound only)" : ""));
      } else {
        blocked[a][b] = true;
        if (!oneWay) blocked[b][a] = true;
        note(() -> "partition: " + a + (oneWay ? " -> " : " <-> ") + b);
      }
      stats.partitions++;
    }
    if (n > 1 && chance(cfg.healPermille())) {
      if (rnd.nextInt(5) == 0) {
        for (boolean[] row : blocked) Arrays.fill(row, false);
        note(() -> "heal all");
      } else {
        int a = rnd.nextInt(n);
        int b = otherThan(a);
        blocked[a][b] = false;
        blocked[b][a] = false;
        note(() -> "heal " + a + " <-> " + b);
      }
    }
    if (!conns.isEmpty() && chance(cfg.dropPermille())) {
      Conn c = conns.get(rnd.nextInt(conns.size()));
      End first = c.end[rnd.nextInt(2)];
      if (first.open) {
        note(() -> "drop connection #" + c.id + " (" + first.self + " closes)");
        stats.connectionDrops++;
        closeEnd(first, true);
      }
    }
    if (chance(cfg.crashPermille())) {
      Server s = servers[rnd.nextInt(n)];
      if (s.up) crash(s, rnd.nextInt(100) < cfg.powerCutPercent());
    }
    if (chance(cfg.clockJumpPermille())) {
      Server s = servers[rnd.nextInt(n)];
      long delta = rnd.nextLong(2L * cfg.clockJumpMsMax() + 1) - cfg.clockJumpMsMax();
      int rate = 500 + rnd.nextInt(1001);
      s.clock.jump(nowMillis, delta);
      s.clock.setRate(nowMillis, rate);
      stats.clockJumps++;
      note(() -> "clock of " + s.id + " jumps " + delta + " ms, now runs at " + rate + "/1000");
    }
  }

  // ---- servers: crash and restart ----------------------------------------------------------

  /**
   * As Node's storage failure handler: the server stops where the disk failed, before it answers
   * or advertises anything more. The disk keeps what it committed before the failure.
   */
  private void stopOnStorageFault(SimDisk.StorageFault f) {
    Server s = servers[f.serverId];
    stats.storageFaults++;
    note(() -> "storage fault: " + f.getMessage() + "; the server stops");
    if (s.up) {
      crash(s, false);
    } else {
      s.restartAtStep = step + 1 + rnd.nextInt(cfg.downStepsMax()); // failed while restarting
    }
  }

  private void crash(Server s, boolean powerCut) {
    for (End e : s.links) {
      if (e != null) closeEnd(e, true);
    }
    for (Client c : clients) {
      if (c.server == s.id) c.connection = null; // its connection died with the process
    }
    s.up = false;
    s.vvAtCrash = s.replica.vv();
    s.digestAtCrash = s.replica.digest();
    s.originAtCrash = s.replica.origin();
    s.replica = null;
    // Without the log written before replies, a SIGKILL loses what the log buffer held.
    int lost = s.store.crash(powerCut || !behavior.writesLogBeforeReplies());
    s.lostAtCrash = lost > 0;
    if (lost > 0 && powerCut) { // the fault model allows what a power cut takes, nothing else
      stats.powerCutCommitsLost += lost;
      checker.onLoss(storesNow());
      anyLoss = true;
    }
    s.restartAtStep = step + 1 + rnd.nextInt(cfg.downStepsMax());
    s.wipeOnRestart = rnd.nextInt(100) < cfg.wipePercent();
    stats.crashes++;
    if (powerCut) stats.powerCuts++;
    note(() -> "crash " + s.id + (powerCut ? " with a power cut that lost its last " + lost
        + " commits" : "") + (s.wipeOnRestart ? " (its disk will be wiped)" : ""));
  }

  /** Every server's disk as it is now (a crashed server's as it will come back). */
  private Store[] storesNow() {
    // A retired server's disk is no member's: what only it holds is out of the cluster for good.
    List<Store> stores = new ArrayList<>();
    for (Server t : servers) {
      if (!t.retired) stores.add(t.store);
    }
    return stores.toArray(new Store[0]);
  }

  private void restartDue(boolean faults) {
    for (Server s : servers) {
      if (!s.up && !s.retired && (!faults || s.restartAtStep <= step)) {
        try {
          restart(s);
        } catch (SimDisk.StorageFault f) {
          stopOnStorageFault(f);
        }
      }
    }
  }

  private void restart(Server s) {
    s.maxWall = 0; // a new process: its replica knows no wall clock yet
    s.sweepFrom = null;
    s.collectFrom = null;
    // s.stability stays across a restart: it holds facts about others' durable states, which the
    // real server keeps in its store (Collector); a wiped store loses them with the rest.
    if (s.wipeOnRestart) {
      // A member that comes back wiped knows of no retirement until a peer tells it, and would
      // take the links of a retired server that runs again meanwhile (docs/design.md, Known
      // gaps): not modelled, the operator stops that server first.
      stopRetiredServer("server " + s.id + " restarts wiped");
      s.store.wipe();
      s.stability = newStability();
      // The log records of superseded batch writes that collection removed (under stable
      // vectors this server's earlier life had covered, and under those that still take the
      // lost incarnation's vector for what it holds) can no longer make a delta carry a batch
      // whole to it: until every server takes its new incarnation for current and it covers
      // them again, it may show part of a batch (docs/design.md, Known gaps), which rule 8
      // then does not judge.
      s.batchGapUntil = logRecordsCollectedUnder.copy();
      // As docs/deployment.md tells the operator of a replaced machine: it takes no clients
      // before its first link, whose handshake gives it a peer's clock (register).
      s.linkedSinceWipe = false;
      checker.onLoss(storesNow());
      int previous = s.incarnation;
      s.incarnation = behavior.incarnationAfterWipe(previous, freshIncarnation(s));
      s.replica = Replica.open(s.store, s.id, s.incarnation);
      s.wipeOnRestart = false; // only once the open committed: a failed one wipes again
      anyWipe = true;
      stats.wipes++;
      note(() -> "restart " + s.id + " wiped, as origin " + Origins.toString(s.replica.origin()));
    } else {
      // Every restart follows a crash, so it is unclean: a fresh incarnation, as Node opens it.
      int fresh = freshIncarnation(s);
      s.replica = Replica.open(s.store, s.id, fresh, behavior.restartsAsAfterCleanStop());
      // As Node and Collector do: a fresh incarnation is synced before it serves anything, so
      // the state its successor recovers is always one of its own; the state it recovered, its
      // predecessor's last durable one, is then durable too and enters what it knows as that
      // incarnation's advert, which it may never have made (Replica.predecessor).
      kvs.core.ReplicaMeta before = s.replica.predecessor();
      if (before != null) {
        s.store.writeBack();
        s.stability.advert(s.id, before.origin(), before.vv(), before.clock());
      }
      s.incarnation = Origins.incarnation(s.replica.origin());
      // Without a power cut nothing committed is lost; with one, the disk holds a prefix.
      boolean same = s.replica.vv().equals(s.vvAtCrash) && s.replica.digest() == s.digestAtCrash;
      if (!s.lostAtCrash && !same || !s.vvAtCrash.covers(s.replica.vv())) {
        throw new Violation(Violation.Rule.DURABLE_STATE, "server " + s.id + " restarted as "
            + s.replica.vv() + " digest " + Long.toHexString(s.replica.digest())
            + ", but crashed as " + s.vvAtCrash + " digest " + Long.toHexString(s.digestAtCrash)
            + (s.lostAtCrash ? " after a power cut" : " without losing anything"));
      }
      checkDigest(s);
      note(() -> "restart " + s.id + " from its durable state " + s.replica.vv() + " as origin "
          + Origins.toString(s.replica.origin()));
    }
    s.up = true;
  }

  private int freshIncarnation(Server s) {
    int inc;
    do {
      inc = rnd.nextInt();
    } while (!s.incarnationsUsed.add(inc));
    return inc;
  }

  // ---- network -----------------------------------------------------------------------------

  /** Times out stalled connections, notices closed peers, dials where a link is missing. */
  private void manageConnections() {
    for (Conn c : conns) {
      for (End e : c.end) {
        if (e.open && e.closeAtMillis <= nowMillis) closeEnd(e, false);
      }
      End a = c.end[0];
      End b = c.end[1];
      if (a.open != b.open) {
        End survivor = a.open ? a : b;
        if (survivor.closeAtMillis == Long.MAX_VALUE) {
          // A reset is noticed at once; a vanished peer only when a keepalive times out.
          survivor.closeAtMillis = nowMillis + (rnd.nextBoolean() ? 0
              : rnd.nextInt(cfg.stallTimeoutMs()));
        }
      } else if (a.open) {
        if (blocked[a.self][b.self] || blocked[b.self][a.self]) {
          if (c.stalledSinceMillis < 0) {
            c.stalledSinceMillis = nowMillis;
          } else if (nowMillis - c.stalledSinceMillis >= cfg.stallTimeoutMs()) {
            note(() -> "connection #" + c.id + " " + a.self + "-" + b.self + " times out");
            stats.stallTimeouts++;
            closeEnd(a, false);
            closeEnd(b, false);
          }
        } else {
          c.stalledSinceMillis = -1;
        }
      }
      if (!a.open && !b.open && pairConn[a.self][b.self] == c) {
        pairConn[a.self][b.self] = null;
        pairConn[b.self][a.self] = null;
        long at = nowMillis + 1 + rnd.nextInt(cfg.redialMsMax());
        nextDialAt[a.self][b.self] = at;
        nextDialAt[b.self][a.self] = at;
      }
    }
    conns.removeIf(c -> !c.end[0].open && !c.end[1].open && c.end[0].out.isEmpty()
        && c.end[1].out.isEmpty());
    for (int i = 0; i < servers.length; i++) {
      for (int j = i + 1; j < servers.length; j++) {
        if (pairConn[i][j] == null && servers[i].up && servers[j].up && !blocked[i][j]
            && !blocked[j][i] && nowMillis >= nextDialAt[i][j]) {
          dial(rnd.nextBoolean() ? i : j, i, j);
        }
      }
    }
  }

  private void dial(int dialler, int i, int j) {
    int acceptor = dialler == i ? j : i;
    Conn c = new Conn(nextConnId++, dialler, acceptor);
    pairConn[i][j] = c;
    pairConn[j][i] = c;
    servers[dialler].links[acceptor] = c.end[0];
    servers[acceptor].links[dialler] = c.end[1];
    conns.add(c);
    stats.connections++;
    // The dialler's hello announces its vector; each side's LinkState starts from the other's
    // announcement, as PeerLink's handshake does.
    send(c.end[0], HELLO, handshake(servers[dialler]));
    note(() -> "dial #" + c.id + " " + dialler + " -> " + acceptor);
  }

  /**
   * Closes one end of a connection: its link state is discarded. With {@code abrupt}, only a
   * random prefix of what it had queued still leaves (the rest dies in the process's buffers).
   */
  private void closeEnd(End e, boolean abrupt) {
    if (!e.open) return;
    e.open = false;
    Server s = servers[e.self];
    boolean wasLink = e.driver != null && s.links[e.peer] == e;
    if (e.driver != null) {
      e.driver.close();
      e.driver = null;
    }
    if (s.links[e.peer] == e) s.links[e.peer] = null;
    if (wasLink && s.up) linksChanged(s); // as PeerLinks.onClosed
    if (abrupt && !e.out.isEmpty()) {
      int keep = rnd.nextInt(e.out.size() + 1);
      while (e.out.size() > keep) e.out.pollLast();
    }
  }

  private void send(End from, byte kind, byte[] bytes) {
    long delay = cfg.delayMsMax() == 0 ? 0 : rnd.nextInt(cfg.delayMsMax() + 1);
    if (rnd.nextInt(50) == 0) delay += 10L * cfg.delayMsMax(); // a slow spell
    // One direction of a connection is a FIFO, as a TCP stream is.
    long at = Math.max(from.lastDeliverAtMillis, nowMillis + delay);
    from.lastDeliverAtMillis = at;
    from.out.addLast(new Msg(kind, bytes, at));
  }

  private int dueCount(End from) {
    if (blocked[from.self][from.peer]) return 0;
    int due = 0;
    for (Msg m : from.out) {
      if (m.deliverAtMillis > nowMillis) break;
      due++;
    }
    return due;
  }

  private void deliverHead(End from) {
    Msg m = from.out.peekFirst();
    if (m == null || m.deliverAtMillis > nowMillis || blocked[from.self][from.peer]) return;
    from.out.pollFirst();
    End to = from.conn.end[1 - from.side];
    Server s = servers[to.self];
    if (!to.open || !s.up) {
      // The connection is gone at the receiver: the real server has no link state for it.
      stats.staleMessagesDropped++;
      if (!from.open && rnd.nextInt(8) == 0) from.out.addLast(m); // a stale duplicate, later
      return;
    }
    if (s.links[to.peer] != to) throw new AssertionError("open end is not the server's link");
    stats.messages++;
    switch (m.kind) {
      case HELLO -> {
        if (to.side != 1 || to.driver != null) throw new AssertionError("unexpected hello");
        if (refused(s, to)) return; // as AdminCommands' KVS.PEER: an error, then the dialler closes
        send(to, WELCOME, handshake(s)); // as PeerLink.accept: welcome, then register
        register(s, to, m.bytes);
      }
      case WELCOME -> {
        if (to.side != 0 || to.driver != null) throw new AssertionError("unexpected welcome");
        if (refused(s, to)) return; // as PeerLink's handshake: it closes the channel
        register(s, to, m.bytes);
      }
      case DELTA, ADVERT -> {
        if (to.driver == null) throw new AssertionError("link traffic before the handshake");
        DeltaChunk chunk = m.kind == DELTA ? DeltaChunk.decode(m.bytes) : null;
        if (chunk != null) {
          for (Entry e : chunk.entries()) checker.known(e, "delta " + to.peer + " -> " + to.self);
          stats.chunks++;
          if (chunk.isLast() && to.chunksSinceLast > 0) stats.multiChunkDeltas++;
          to.chunksSinceLast = chunk.isLast() ? 0 : to.chunksSinceLast + 1;
        }
        LinkDriver.Received received = to.driver.receiveFrame(
            m.kind == DELTA ? LinkDriver.Kind.DELTA : LinkDriver.Kind.ADVERT, m.bytes, nowMillis);
        List<Entry> covered = received.covered();
        if (s.batchGapUntil != null && s.replica.vv().covers(s.batchGapUntil)
            && everyServerTakesAsCurrent(s)) {
          s.batchGapUntil = null; // caught up past every log record removed since before its wipe
        }
        if (chunk != null && s.batchGapUntil == null) {
          checker.checkBatches(s.replica, chunk.entries(), "server " + to.self + " after a "
              + (chunk.push() ? "push" : "delta chunk") + " from " + to.peer + " step " + step);
        }
        if (covered != null) onPeerData(s, covered, received.routine()); // as PeerLink.channelRead
        if (tracing && chunk != null && (covered != null || chunk.isLast())) {
          note(() -> "apply " + to.peer + " -> " + to.self + " #" + from.conn.id + ": "
              + chunk.entries().size() + " entries"
              + (chunk.isLast() ? ", closing " + chunk.completes() : "") + " => "
              + s.replica.vv());
        }
      }
      default -> throw new AssertionError("message kind " + m.kind);
    }
  }

  /**
   * The handshake's refusal of a retired server ({@link #refusal}): the link never starts, the
   * connection closes.
   */
  private boolean refused(Server s, End e) {
    String why = refusal(s, e.peer);
    if (why != null) {
      stats.retiredLinksRefused++;
      note(() -> "server " + s.id + " refuses the link with " + e.peer + ": " + why);
      closeEnd(e, false);
      return true;
    }
    return false;
  }

  /**
   * A handshake message: the sender's origin, vector and hybrid clock, as PeerLink's hello and
   * welcome.
   */
  private static byte[] handshake(Server s) {
    byte[] vv = s.replica.vv().encode();
    return java.nio.ByteBuffer.allocate(8 + vv.length + 8).putLong(s.replica.origin()).put(vv)
        .putLong(s.replica.clock()).array();
  }

  /** As PeerLinks.register: the link starts, and every link of the server learns of it. */
  private void register(Server s, End e, byte[] handshake) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(handshake);
    e.peerOrigin = b.getLong();
    byte[] vv = new byte[b.remaining() - 8];
    b.get(vv);
    // Before anything of the link, as PeerLink: every later write of this server is stamped
    // above the peer's clock, so above every tombstone the peer may have collected.
    s.replica.observeClock(b.getLong());
    s.linkedSinceWipe = true;
    e.driver = behavior.newDriver(new LinkDriver.Setup(s.replica, e.peerOrigin,
        VersionVector.decode(vv), e.wire, linkedOrigins(s), cfg.chunkBytesMax(), nowMillis));
    e.driver.start(nowMillis);
    linksChanged(s);
  }

  /** The origins of the peers server {@code s} has links to, as PeerLinks.linkedOrigins. */
  private Set<Long> linkedOrigins(Server s) {
    Set<Long> origins = new TreeSet<>();
    for (End e : s.links) {
      if (e != null && e.driver != null) origins.add(e.peerOrigin);
    }
    return origins;
  }

  private void linksChanged(Server s) {
    Set<Long> origins = linkedOrigins(s);
    for (End e : s.links) {
      if (e != null && e.driver != null) e.driver.linksChanged(origins, nowMillis);
    }
  }

  /**
   * As Node.onPeerData: the newly covered writes go to every link (each driver skips what its
   * peer holds or gets another way), and every link checks for a delta and advertises.
   */
  private void onPeerData(Server s, List<Entry> covered, boolean routine) {
    for (End e : s.links) {
      if (e != null && e.driver != null && e.open) e.driver.forward(covered, nowMillis);
    }
    for (End e : s.links) {
      if (e == null || e.driver == null || !e.open) continue;
      if (routine) {
        e.driver.replicaAdvanced(nowMillis);
      } else {
        e.driver.replicaChanged(nowMillis);
      }
    }
  }

  /**
   * What PeerLink's channel events and timer do for a driver: when the wire has drained since
   * the driver found it full, the driver hears that it is writable; when its wake-up time has
   * come, it ticks, and a link it declares dead is closed.
   */
  private void drive(End e) {
    if (!e.open || e.driver == null || !servers[e.self].up) return;
    if (e.wire.blocked && e.wire.writable()) {
      e.wire.blocked = false;
      e.driver.writable(nowMillis);
    }
    if (e.driver != null && nowMillis >= e.driver.nextWakeAt() && !e.driver.tick(nowMillis)) {
      note(() -> "link " + e.self + " -> " + e.peer + " #" + e.conn.id + " heard nothing for "
          + LinkDriver.IDLE_TIMEOUT_MS + " ms and closes");
      closeEnd(e, false);
    }
  }

  /** As Node.onOwnWrite: a client's write goes to every link. */
  private void pushOwnWrite(Server s, List<Entry> written) {
    for (End e : s.links) {
      if (e != null && e.driver != null && e.open) e.driver.forward(written, nowMillis);
    }
  }

  // ---- clients -----------------------------------------------------------------------------

  /** One request of a client, as KvsClient makes it: the session token travels with it. */
  private void clientRequest(Client c) {
    if (rnd.nextInt(100) < cfg.movePercent()) moveClient(c, rnd.nextInt(servers.length));
    Server s = servers[c.server];
    // A server the operator is taking down for good has no clients (docs/deployment.md,
    // Retiring a server, step 1): a client that picks it tries another, as a refused one does.
    if (!s.up || !s.linkedSinceWipe || s.id == retireTarget && step >= retireFromStep) {
      // refused: fail over to another server, keeping the token
      moveClient(c, rnd.nextInt(servers.length));
      return;
    }
    if (c.connection == null) { // connect, then KVS.SESSION <token>
      c.connection = new SessionToken();
      c.connection.mergeFrom(SessionToken.fromText(c.token.toText()));
    }
    if (rnd.nextInt(100) < COUNTER_PERCENT) {
      counterRequest(c, s);
      return;
    }
    if (rnd.nextInt(100) < HASH_PERCENT) {
      hashRequest(c, s);
      return;
    }
    if (rnd.nextInt(100) < SET_PERCENT) {
      setRequest(c, s);
      return;
    }
    if (rnd.nextInt(100) < ZSET_PERCENT) {
      zsetRequest(c, s);
      return;
    }
    int roll = rnd.nextInt(100);
    long wall = wall(s);
    if (roll < 45) {
      int k = rnd.nextInt(keys.length);
      read(c, s, k, wall, "get");
      return;
    }
    int n = roll < 95 ? 1 : 2 + rnd.nextInt(2); // a few batches (MSET-like), keys may repeat
    int kind = rnd.nextInt(100);
    if (n > 1 && kind < 50) {
      transaction(c, s, wall);
      return;
    }
    if (n > 1 && kind < 55) {
      flushall(c, s, wall);
      return;
    }
    List<byte[]> ks = new ArrayList<>(n);
    List<byte[]> vs = new ArrayList<>(n);
    long[] expiries = new long[n];
    String what = "wrote";
    if (n == 1 && roll < 85 && kind < 15) {
      // EXPIRE key ttl (a quarter of them PERSIST key), as ExpiryCommands runs them: a read in
      // the session, then, when the key has a value, a write of that value with the new expiry.
      boolean persist = kind < 4;
      int k = rnd.nextInt(keys.length);
      long ttl = ttl();
      Replica.ReadResult r = read(c, s, k, wall, persist ? "persist" : "expire");
      if (r == null || r.status() != Replica.ReadStatus.FOUND) return; // ERR_DEP, or 0
      if (persist && !r.entry().hasExpiry()) return; // 0
      ks.add(keys[k]);
      vs.add(r.entry().value());
      expiries[0] = persist ? 0 : s.replica.now(wall) + ttl;
      what = persist ? "persisted" : "expired in " + ttl + " ms";
    } else {
      for (int i = 0; i < n; i++) {
        ks.add(keys[rnd.nextInt(keys.length)]);
        vs.add(roll < 85 || n > 1 && rnd.nextBoolean() ? value(c) : null);
        // SET key value PX ttl: relative to the server's time for expiry, as the server does
        if (vs.get(i) != null && rnd.nextInt(100) < 25) expiries[i] = s.replica.now(wall) + ttl();
      }
    }
    List<Entry> written = behavior.serveWrite(s.replica, c.connection, ks, vs, expiries, wall);
    if (written.size() != n) throw new AssertionError("write returned " + written.size());
    for (int i = 0; i < n; i++) {
      Entry e = written.get(i);
      if (!Arrays.equals(e.key(), ks.get(i)) || !Arrays.equals(e.value(), vs.get(i))
          || e.origin() != s.replica.origin()
          || e.expiry() != (vs.get(i) == null ? 0 : expiries[i])) {
        throw new Violation(Violation.Rule.REPLY, "server " + s.id + " wrote " + Checker.describe(e) + " for "
            + new String(ks.get(i), StandardCharsets.ISO_8859_1));
      }
    }
    committed(c, s, written, what);
  }

  /**
   * A transaction, as TransactionCommands.exec runs one: a batch opened on the replica, a few
   * writes and reads (a read of a key the transaction wrote sees that write), then the batch
   * committed as one, or now and then abandoned (EXEC refused as too large), which must leave
   * no trace.
   */
  private void transaction(Client c, Server s, long wall) {
    int ops = 2 + rnd.nextInt(4);
    VersionVector vvBefore = s.replica.vv();
    long digestBefore = s.replica.digest();
    s.replica.beginBatch();
    List<Entry> staged = new ArrayList<>();
    try {
      for (int i = 0; i < ops; i++) {
        int k = rnd.nextInt(keys.length);
        Entry mine = null;
        for (Entry e : staged) {
          if (Arrays.equals(e.key(), keys[k])) mine = e;
        }
        if (rnd.nextInt(3) == 0) { // GET inside the transaction
          if (mine == null) {
            read(c, s, k, wall, "get in a transaction");
            continue;
          }
          Replica.ReadResult r = behavior.serveRead(s.replica, c.connection, keys[k], wall);
          // ERR_DEP is always allowed (the session saw writes this server lacks).
          if (r.status() != Replica.ReadStatus.MISSING_DEPENDENCY && !mine.equals(r.entry())) {
            throw new Violation(Violation.Rule.REPLY, "server " + s.id + " read "
                + (r.entry() == null ? "nil" : Checker.describe(r.entry()))
                + " inside a transaction that wrote " + Checker.describe(mine));
          }
          continue;
        }
        byte[] value = rnd.nextInt(5) == 0 ? null : value(c);
        long[] expiry = {value != null && rnd.nextInt(5) == 0 ? s.replica.now(wall) + ttl() : 0};
        staged.addAll(behavior.serveWrite(s.replica, c.connection, List.of(keys[k]),
            java.util.Collections.singletonList(value), expiry, wall));
      }
    } catch (RuntimeException | Error e) {
      s.replica.abandonBatch(); // as EXEC's finally: a storage fault stops the server anyway
      throw e;
    }
    if (rnd.nextInt(10) == 0) {
      s.replica.abandonBatch();
      if (!s.replica.vv().equals(vvBefore) || s.replica.digest() != digestBefore) {
        throw new Violation(Violation.Rule.DURABLE_STATE, "server " + s.id
            + " changed after a transaction was abandoned");
      }
      note(() -> "client " + c.id + "'s transaction at " + s.id + " abandoned");
      return;
    }
    List<Entry> written = s.replica.commitBatch();
    if (written.size() != staged.size()) throw new AssertionError("batch of " + written.size());
    stats.transactions++;
    committed(c, s, written, "ran a transaction");
  }

  /**
   * FLUSHALL, as KeyspaceCommands.flush runs it: a tombstone for every key that has a value on
   * this server now, written as one batch (the server's time for expiry decides which values
   * count). What other servers hold and this one does not survives it.
   */
  private void flushall(Client c, Server s, long wall) {
    s.replica.now(wall);
    List<byte[]> live = new ArrayList<>();
    s.replica.forEachLive(e -> live.add(e.key()));
    if (live.isEmpty()) return; // +OK, nothing written
    // As CommandSupport.delete: a counter's or hash's head cancels what this server holds. The
    // models learn what each such head means from the state before it.
    java.util.Map<java.nio.ByteBuffer, java.util.Set<CounterModel.Inc>> counterSaw =
        new java.util.HashMap<>();
    for (int k = 0; k < counterKeys.length; k++) {
      counterSaw.put(java.nio.ByteBuffer.wrap(counterKeys[k]), counters.held(s.replica, k));
    }
    Entry hashHead = s.replica.peek(hashKey);
    boolean wasHash = hashHead != null && hashHead.liveAt(s.replica.now())
        && hashHead.kind() == Entry.KIND_HASH;
    java.util.Set<HashModel.Inc> hashHeld = hash.held(s.replica, -1);
    Entry setHead = s.replica.peek(setKey);
    boolean wasSet = setHead != null && setHead.liveAt(s.replica.now())
        && setHead.kind() == Entry.KIND_SET;
    Entry zsetHead = s.replica.peek(zsetKey);
    boolean wasZset = zsetHead != null && zsetHead.liveAt(s.replica.now())
        && zsetHead.kind() == Entry.KIND_ZSET;
    VersionVector before = s.replica.vv();
    List<Entry> written = behavior.serveDeletes(s.replica, c.connection, live, wall);
    for (Entry e : written) {
      for (int k = 0; k < counterKeys.length; k++) {
        if (Arrays.equals(e.key(), counterKeys[k])) {
          counters.headWritten(k, e, counterSaw.get(java.nio.ByteBuffer.wrap(counterKeys[k])));
        }
      }
      if (Arrays.equals(e.key(), hashKey)) {
        hash.headWritten(e, wasHash ? HeadedKeyModel.HeadKind.TYPED
            : HeadedKeyModel.HeadKind.DELETED, before, hashHeld);
      }
      if (Arrays.equals(e.key(), setKey)) {
        set.headWritten(e, wasSet ? HeadedKeyModel.HeadKind.TYPED
            : HeadedKeyModel.HeadKind.DELETED, before);
      }
      if (Arrays.equals(e.key(), zsetKey)) {
        zset.headWritten(e, wasZset ? HeadedKeyModel.HeadKind.TYPED
            : HeadedKeyModel.HeadKind.DELETED, before);
      }
    }
    stats.flushes++;
    committed(c, s, written, "flushed all");
  }

  /** What follows a commit of a client's writes: the oracle, the pushes, the reply. */
  private void committed(Client c, Server s, List<Entry> written, String what) {
    checker.batchIssued(written);
    for (Entry e : written) {
      checker.issued(e, c.id, step);
      stats.writes++;
      if (e.hasExpiry()) stats.expiringWrites++;
    }
    pushOwnWrite(s, written);
    if (replyLost(c, s, "wrote", written)) return;
    // In the order they were stamped (a batch's dots and clocks rise together; sorting keeps
    // the oracle independent of that).
    List<Entry> byClock = new ArrayList<>(written);
    byClock.sort(java.util.Comparator.comparingLong(Entry::clock));
    acknowledge(c, byClock, "client " + c.id + " write at server " + s.id + " step " + step);
    note(() -> "client " + c.id + " " + what + " at " + s.id + ": " + describeAll(written));
  }

  /**
   * Whether the reply to a client's committed writes is lost with its connection (drawn): the
   * client then reconnects later with a token that does not know about them.
   */
  private boolean replyLost(Client c, Server s, String did, List<Entry> written) {
    if (rnd.nextInt(100) >= cfg.replyLossPercent()) return false;
    c.connection = null;
    stats.repliesLost++;
    note(() -> "client " + c.id + " " + did + " at " + s.id + " but lost the reply: "
        + describeAll(written));
    return true;
  }

  /** The reply arrived: the checker and the client's session learn of each write, in order. */
  private void acknowledge(Client c, List<Entry> written, String where) {
    for (Entry e : written) {
      checker.acknowledged(c.id, e, where);
      behavior.recordWriteReply(c.token, e);
    }
  }

  /** The share of client requests that go to a counter key. */
  private static final int COUNTER_PERCENT = 12;

  /**
   * A request on a counter key, as CounterCommands, KeyCommands and StringCommands serve it: a
   * read in the session (ERR_DEP ends it there), checked against the model and against the
   * session's own increments, then GET (the read is all), INCRBY, DEL or SET of a number.
   */
  private void counterRequest(Client c, Server s) {
    int k = rnd.nextInt(counterKeys.length);
    byte[] key = counterKeys[k];
    long wall = wall(s);
    String where = "client " + c.id + " at server " + s.id + " step " + step;
    Replica.ReadResult r = behavior.serveRead(s.replica, c.connection, key, wall);
    stats.reads++;
    if (r.status() == Replica.ReadStatus.MISSING_DEPENDENCY) {
      stats.readsRefused++;
      note(() -> "client " + c.id + " counter " + counters.name(k) + " at " + s.id + ": ERR_DEP");
      return;
    }
    String shown = r.status() == Replica.ReadStatus.FOUND
        ? CounterModel.latin1(r.entry().value()) : null;
    counters.checkRead(s.replica, k, shown, expiryNow(s), where + " read");
    for (CounterModel.Inc mine : c.increments) {
      if (mine.key() == k && !counters.holds(s.replica, mine)) {
        throw new Violation(Violation.Rule.SESSION, where + ": read " + counters.name(k)
            + " without its own increment " + Checker.describe(mine.contribution())
            + " (read your writes)");
      }
    }
    int what = rnd.nextInt(100);
    if (what < 30) {
      note(() -> "client " + c.id + " get " + counters.name(k) + " at " + s.id + ": " + shown);
      return;
    }
    java.util.Set<CounterModel.Inc> saw = counters.held(s.replica, k);
    List<Entry> written;
    CounterModel.Inc inc = null;
    String did;
    if (what < 90) {
      long delta = rnd.nextInt(21) - 10;
      Replica.Increment done = behavior.serveIncrement(s.replica, c.connection, key, delta, wall);
      written = done.written();
      inc = counters.incremented(k, written.get(written.size() - 1), delta, c.id);
      stats.increments++;
      did = "incremented " + counters.name(k) + " by " + delta + " to " + done.value();
    } else if (what < 96) {
      written = behavior.serveDelete(s.replica, c.connection, key, wall);
      stats.counterResets++;
      did = "deleted " + counters.name(k);
    } else {
      byte[] number = Integer.toString(rnd.nextInt(100)).getBytes(StandardCharsets.ISO_8859_1);
      written = behavior.serveWrite(s.replica, c.connection, List.of(key), List.of(number),
          new long[1], wall);
      did = "set " + counters.name(k);
    }
    for (Entry e : written) {
      checker.issued(e, c.id, step);
      stats.writes++;
      if (Arrays.equals(e.key(), key)) counters.headWritten(k, e, saw);
    }
    Replica.ReadResult after = s.replica.read(new SessionToken(), key, wall);
    counters.checkRead(s.replica, k, after.status() == Replica.ReadStatus.FOUND
        ? CounterModel.latin1(after.entry().value()) : null, expiryNow(s), where + " " + did);
    pushOwnWrite(s, written);
    if (replyLost(c, s, did, written)) return;
    acknowledge(c, written, where);
    if (inc != null) c.increments.add(inc);
    note(() -> "client " + c.id + " " + did + " at " + s.id + ": " + describeAll(written));
  }

  /** What the opening read of a request on a headed key showed (null: absent). */
  private record HeadedRead(String shown) {}

  /**
   * The read that opens a request on a headed key (a hash, set or sorted set), as its read
   * command ({@code verb}) serves it: in the client's session at {@code s}, checked against the
   * model and against the session's own {@code noun} writes (read your writes). Null after an
   * ERR_DEP, which ends the request.
   */
  private HeadedRead headedRead(Client c, Server s, long wall, HeadedKeyModel model, byte[] key,
      List<HeadedKeyModel.ElementWrite> own, String verb, String noun) {
    String where = "client " + c.id + " at server " + s.id + " step " + step;
    Replica.ReadResult r = behavior.serveRead(s.replica, c.connection, key, wall);
    stats.reads++;
    if (r.status() == Replica.ReadStatus.MISSING_DEPENDENCY) {
      stats.readsRefused++;
      note(() -> "client " + c.id + " " + verb + " " + model.name() + " at " + s.id + ": ERR_DEP");
      return null;
    }
    String shown = model.shown(s.replica, r, c.connection);
    model.check(s.replica, shown, expiryNow(s), where + " " + verb);
    for (HeadedKeyModel.ElementWrite mine : own) {
      if (!model.holds(s.replica, mine)
          && !checker.collectedAtLeast(mine.entry().key(), mine.entry())) { // rule 9
        throw new Violation(Violation.Rule.SESSION, where + ": read " + model.name()
            + " without its own " + noun + " write " + Checker.describe(mine.entry())
            + " (read your writes)");
      }
    }
    return new HeadedRead(shown);
  }

  /**
   * The end of a request that wrote {@code written} on a headed key: the writes go out to the
   * peers; the reply may be lost with the connection; else the checker and the session learn of
   * every write, and the client keeps its element writes {@code mine} in {@code own} (what its
   * later reads must show).
   */
  private void acknowledgeHeadedWrite(Client c, Server s, HeadedKeyModel model, String where,
      String did, List<Entry> written, List<HeadedKeyModel.ElementWrite> mine,
      List<HeadedKeyModel.ElementWrite> own) {
    pushOwnWrite(s, written);
    if (replyLost(c, s, did, written)) return;
    acknowledge(c, written, where);
    own.addAll(mine);
    note(() -> "client " + c.id + " " + did + " " + model.name() + " at " + s.id + ": "
        + describeAll(written));
  }

  /** The share of the remaining client requests that go to the hash key. */
  private static final int HASH_PERCENT = 10;

  /**
   * A request on the hash key, as HashCommands, KeyCommands and StringCommands serve it: a read
   * in the session (ERR_DEP ends it there) showing the fields (HGETALL), checked against the
   * model and against the session's own field writes, then nothing more, HSET, HINCRBY or HDEL
   * of a field (refused, WRONGTYPE, when the key holds a string; HINCRBY refused when the field
   * holds text), DEL, or SET.
   */
  private void hashRequest(Client c, Server s) {
    long wall = wall(s);
    String where = "client " + c.id + " at server " + s.id + " step " + step;
    HeadedRead read = headedRead(c, s, wall, hash, hashKey, c.fieldWrites, "hgetall", "field");
    if (read == null) return;
    String shown = read.shown();
    int what = rnd.nextInt(100);
    boolean string = shown != null && shown.startsWith("string:");
    if (what < 30 || what < 85 && string) {
      note(() -> "client " + c.id + " hgetall " + hash.name() + " at " + s.id + ": " + shown);
      return;
    }
    Entry head = s.replica.peek(hashKey);
    boolean wasHash = head != null && head.liveAt(s.replica.now()) && head.kind() == Entry.KIND_HASH;
    VersionVector before = s.replica.vv();
    java.util.Set<HashModel.Inc> heldAll = hash.held(s.replica, -1);
    List<Entry> written;
    boolean fieldWrite = what < 85;
    String did;
    int f = rnd.nextInt(3);
    java.util.Set<HashModel.Inc> heldField = hash.held(s.replica, f);
    String base = null;
    long amount = 0;
    if (what < 55) {
      // a number half the time, so that increments add to it
      base = rnd.nextBoolean() ? CounterModel.latin1(value(c))
          : Integer.toString(rnd.nextInt(100));
      written = behavior.serveHset(s.replica, c.connection, hashKey, hash.fieldName(f),
          base.getBytes(StandardCharsets.ISO_8859_1), wall);
      stats.fieldWrites++;
      did = "hset " + (char) ('a' + f);
    } else if (what < 70) {
      amount = rnd.nextInt(21) - 5;
      written = behavior.serveHincrby(s.replica, c.connection, hashKey, hash.fieldName(f),
          amount, wall);
      if (written == null) { // the field holds text: ERR hash value is not an integer
        String value = hash.fieldShown(s.replica, f);
        note(() -> "client " + c.id + " hincrby " + (char) ('a' + f) + " at " + s.id
            + ": not an integer (" + value + ")");
        return;
      }
      stats.fieldWrites++;
      stats.fieldIncrements++;
      did = "hincrby " + (char) ('a' + f) + " " + amount;
    } else if (what < 85) {
      written = behavior.serveHdel(s.replica, c.connection, hashKey, hash.fieldName(f), wall);
      stats.fieldWrites++;
      did = "hdel " + (char) ('a' + f);
    } else if (what < 95) {
      written = behavior.serveDelete(s.replica, c.connection, hashKey, wall);
      did = "del";
    } else {
      written = behavior.serveWrite(s.replica, c.connection, List.of(hashKey),
          List.of(value(c)), new long[1], wall);
      did = "set";
    }
    List<HeadedKeyModel.ElementWrite> mine = new ArrayList<>();
    for (Entry e : written) {
      checker.issued(e, c.id, step);
      stats.writes++;
      if (Arrays.equals(e.key(), hashKey)) {
        HeadedKeyModel.HeadKind kind = did.equals("set") ? HeadedKeyModel.HeadKind.STRING
            : did.equals("del") && !wasHash ? HeadedKeyModel.HeadKind.DELETED
            : HeadedKeyModel.HeadKind.TYPED;
        hash.headWritten(e, kind, before, heldAll);
      } else if (fieldWrite) {
        if (did.startsWith("hincrby")) {
          hash.incremented(e, f, amount);
        } else {
          hash.registerWritten(e, base, heldField);
        }
        mine.add(hash.elementWritten(e, c.id));
      }
    }
    Replica.ReadResult after = s.replica.read(new SessionToken(), hashKey, wall);
    hash.check(s.replica, hash.shown(s.replica, after, new SessionToken()), expiryNow(s),
        where + " " + did);
    acknowledgeHeadedWrite(c, s, hash, where, did, written, mine, c.fieldWrites);
  }

  /** The share of the remaining client requests that go to the set key. */
  private static final int SET_PERCENT = 10;

  /**
   * A request on the set key, as SetCommands, KeyCommands and StringCommands serve it: a read in
   * the session (ERR_DEP ends it there) showing the members (SMEMBERS), checked against the
   * model and against the session's own member writes, then nothing more, SADD or SREM of a
   * member (refused, WRONGTYPE, when the key holds a string; an SREM of a member that is not
   * there writes nothing), DEL, or SET.
   */
  private void setRequest(Client c, Server s) {
    long wall = wall(s);
    String where = "client " + c.id + " at server " + s.id + " step " + step;
    HeadedRead read = headedRead(c, s, wall, set, setKey, c.memberWrites, "smembers", "member");
    if (read == null) return;
    String shown = read.shown();
    int what = rnd.nextInt(100);
    boolean string = shown != null && shown.startsWith("string:");
    if (what < 30 || what < 85 && string) {
      note(() -> "client " + c.id + " smembers " + set.name() + " at " + s.id + ": " + shown);
      return;
    }
    Entry head = s.replica.peek(setKey);
    boolean wasSet = head != null && head.liveAt(s.replica.now()) && head.kind() == Entry.KIND_SET;
    VersionVector before = s.replica.vv();
    int m = rnd.nextInt(3);
    java.util.Set<SetModel.Add> observed = set.observed(s.replica, m);
    List<Entry> written;
    String did;
    if (what < 65) {
      written = behavior.serveSadd(s.replica, c.connection, setKey, set.member(m), wall);
      stats.memberWrites++;
      did = "sadd " + (char) ('a' + m);
    } else if (what < 85) {
      written = behavior.serveSrem(s.replica, c.connection, setKey, set.member(m), wall);
      stats.memberWrites++;
      did = "srem " + (char) ('a' + m);
    } else if (what < 95) {
      written = behavior.serveDelete(s.replica, c.connection, setKey, wall);
      did = "del";
    } else {
      written = behavior.serveWrite(s.replica, c.connection, List.of(setKey),
          List.of(value(c)), new long[1], wall);
      did = "set";
    }
    List<HeadedKeyModel.ElementWrite> mine = new ArrayList<>();
    for (Entry e : written) {
      checker.issued(e, c.id, step);
      stats.writes++;
      if (Arrays.equals(e.key(), setKey)) {
        HeadedKeyModel.HeadKind kind = did.equals("set") ? HeadedKeyModel.HeadKind.STRING
            : did.equals("del") && !wasSet ? HeadedKeyModel.HeadKind.DELETED
            : HeadedKeyModel.HeadKind.TYPED;
        set.headWritten(e, kind, before);
      } else if (did.startsWith("sadd")) {
        mine.add(set.added(e, m, c.id));
      } else if (did.startsWith("srem")) {
        mine.add(set.removed(e, m, observed, c.id));
      }
    }
    Replica.ReadResult after = s.replica.read(new SessionToken(), setKey, wall);
    set.check(s.replica, set.shown(s.replica, after, new SessionToken()), expiryNow(s),
        where + " " + did);
    if (written.isEmpty()) {
      note(() -> "client " + c.id + " " + did + " " + set.name() + " at " + s.id + ": :0");
      return;
    }
    acknowledgeHeadedWrite(c, s, set, where, did, written, mine, c.memberWrites);
  }

  /** The share of the remaining client requests that go to the sorted-set key. */
  private static final int ZSET_PERCENT = 10;

  /**
   * A request on the sorted-set key, as ZSetCommands, KeyCommands and StringCommands serve it: a
   * read in the session (ERR_DEP ends it there) showing members and scores (ZRANGE WITHSCORES),
   * checked against the model and against the session's own member writes, then nothing more,
   * ZADD, ZINCRBY or ZREM of a member (refused, WRONGTYPE, when the key holds a string; a ZREM
   * of a member that is not there writes nothing), DEL, or SET.
   */
  private void zsetRequest(Client c, Server s) {
    long wall = wall(s);
    String where = "client " + c.id + " at server " + s.id + " step " + step;
    HeadedRead read = headedRead(c, s, wall, zset, zsetKey, c.zmemberWrites, "zrange", "member");
    if (read == null) return;
    String shown = read.shown();
    int what = rnd.nextInt(100);
    boolean string = shown != null && shown.startsWith("string:");
    if (what < 25 || what < 85 && string) {
      note(() -> "client " + c.id + " zrange " + zset.name() + " at " + s.id + ": " + shown);
      return;
    }
    Entry head = s.replica.peek(zsetKey);
    boolean wasZset = head != null && head.liveAt(s.replica.now())
        && head.kind() == Entry.KIND_ZSET;
    VersionVector before = s.replica.vv();
    int m = rnd.nextInt(3);
    long amount = rnd.nextInt(21) - 10;
    java.util.Set<ZSetModel.Event> observed = zset.observed(s.replica, m);
    ZSetModel.Event winner = zset.winner(s.replica, m, expiryNow(s));
    List<Entry> written;
    String did;
    if (what < 45) {
      written = behavior.serveZadd(s.replica, c.connection, zsetKey, zset.member(m),
          (double) amount, null, wall);
      stats.zsetWrites++;
      did = "zadd " + amount + " " + (char) ('a' + m);
    } else if (what < 70) {
      written = behavior.serveZadd(s.replica, c.connection, zsetKey, zset.member(m), null,
          amount, wall);
      stats.zsetWrites++;
      did = "zincrby " + amount + " " + (char) ('a' + m);
    } else if (what < 85) {
      written = behavior.serveZrem(s.replica, c.connection, zsetKey, zset.member(m), wall);
      stats.zsetWrites++;
      did = "zrem " + (char) ('a' + m);
    } else if (what < 95) {
      written = behavior.serveDelete(s.replica, c.connection, zsetKey, wall);
      did = "del";
    } else {
      written = behavior.serveWrite(s.replica, c.connection, List.of(zsetKey),
          List.of(value(c)), new long[1], wall);
      did = "set";
    }
    List<HeadedKeyModel.ElementWrite> mine = new ArrayList<>();
    for (Entry e : written) {
      checker.issued(e, c.id, step);
      stats.writes++;
      if (Arrays.equals(e.key(), zsetKey)) {
        HeadedKeyModel.HeadKind kind = did.equals("set") ? HeadedKeyModel.HeadKind.STRING
            : did.equals("del") && !wasZset ? HeadedKeyModel.HeadKind.DELETED
            : HeadedKeyModel.HeadKind.TYPED;
        zset.headWritten(e, kind, before);
      } else if (did.startsWith("zadd") || did.startsWith("zincrby")) {
        mine.add(zset.added(e, m, did.startsWith("zincrby"), amount, winner, observed, c.id));
      } else if (did.startsWith("zrem")) {
        mine.add(zset.removed(e, m, observed, c.id));
      }
    }
    Replica.ReadResult after = s.replica.read(new SessionToken(), zsetKey, wall);
    zset.check(s.replica, zset.shown(s.replica, after, new SessionToken()), expiryNow(s),
        where + " " + did);
    if (written.isEmpty()) {
      note(() -> "client " + c.id + " " + did + " " + zset.name() + " at " + s.id + ": :0");
      return;
    }
    acknowledgeHeadedWrite(c, s, zset, where, did, written, mine, c.zmemberWrites);
  }

  /**
   * After healing: every server reads every counter as the model says, and holds every
   * increment that no fault destroyed (no lost increment).
   */
  private void checkCounters() {
    for (int k = 0; k < counterKeys.length; k++) {
      for (Server s : servers) {
        if (s.retired) continue;
        long wall = wall(s);
        Replica.ReadResult r = behavior.serveRead(s.replica, new SessionToken(), counterKeys[k],
            wall);
        counters.checkRead(s.replica, k, r.status() == Replica.ReadStatus.FOUND
            ? CounterModel.latin1(r.entry().value()) : null, expiryNow(s),
            "final read at server " + s.id);
      }
    }
    for (Server s : servers) {
      if (s.retired) continue;
      long wall = wall(s);
      Replica.ReadResult r = behavior.serveRead(s.replica, new SessionToken(), hashKey, wall);
      hash.check(s.replica, hash.shown(s.replica, r, new SessionToken()), expiryNow(s),
          "final hgetall at server " + s.id);
      Replica.ReadResult sr = behavior.serveRead(s.replica, new SessionToken(), setKey, wall);
      set.check(s.replica, set.shown(s.replica, sr, new SessionToken()), expiryNow(s),
          "final smembers at server " + s.id);
      for (HeadedKeyModel.ElementWrite w : set.elementWrites()) {
        if (!checker.destroyed(w.entry()) && !set.holds(s.replica, w)
            && !checker.collectedAtLeast(w.entry().key(), w.entry())) { // collected as stable
          throw new Violation(Violation.Rule.LOST_WRITE, "member write "
              + Checker.describe(w.entry()) + " (client " + w.client()
              + ") is not held by server " + s.id + " after healing");
        }
      }
      Replica.ReadResult zr = behavior.serveRead(s.replica, new SessionToken(), zsetKey, wall);
      zset.check(s.replica, zset.shown(s.replica, zr, new SessionToken()), expiryNow(s),
          "final zrange at server " + s.id);
      for (HeadedKeyModel.ElementWrite w : zset.elementWrites()) {
        if (!checker.destroyed(w.entry()) && !zset.holds(s.replica, w)
            && !checker.collectedAtLeast(w.entry().key(), w.entry())) { // collected as stable
          throw new Violation(Violation.Rule.LOST_WRITE, "sorted-set member write "
              + Checker.describe(w.entry()) + " (client " + w.client()
              + ") is not held by server " + s.id + " after healing");
        }
      }
      for (HeadedKeyModel.ElementWrite w : hash.elementWrites()) {
        if (!checker.destroyed(w.entry()) && !hash.holds(s.replica, w)
            && !checker.collectedAtLeast(w.entry().key(), w.entry())) { // collected as stable
          throw new Violation(Violation.Rule.LOST_WRITE, "field write "
              + Checker.describe(w.entry()) + " (client " + w.client()
              + ") is not held by server " + s.id + " after healing");
        }
      }
    }
    for (CounterModel.Inc i : counters.increments()) {
      if (checker.destroyed(i.contribution())) continue;
      for (Server s : servers) {
        if (s.retired) continue;
        if (!counters.holds(s.replica, i)) {
          throw new Violation(Violation.Rule.LOST_WRITE, "increment of "
              + counters.name(i.key()) + " by " + i.delta() + " ("
              + Checker.describe(i.contribution()) + ", client " + i.client()
              + ") is not held by server " + s.id + " after healing");
        }
      }
    }
  }

  /** One slice of the server's sweep of expired values (Node's, a few entries at a time). */
  private void sweep(Server s) {
    if (!s.up) return;
    long before = s.replica.digest();
    byte[] from = s.sweepFrom;
    s.sweepFrom = s.replica.sweepExpired(from, 1 + rnd.nextInt(3), wall(s));
    stats.sweeps++;
    if (s.replica.digest() != before) {
      throw new Violation(Violation.Rule.DURABLE_STATE, "server " + s.id
          + "'s sweep of expired values changed its digest");
    }
  }

  /**
   * One slice of the server's collection of stable tombstones: first the adverts it hears (the
   * durable state of itself and of every server it has an open link to, as a real server
   * advertises what it has synced, each with what that server heard of the others), then
   * {@link Behavior#collect} from where the last slice stopped. The adverts arrive at once: what
   * they say stays true however late they come, so a delay would only slow collection down.
   */
  private void collect(Server s) {
    for (Server j : servers) {
      End e = s.links[j.id];
      if (j != s && !(j.up && e != null && e.open && e.driver != null)) continue;
      kvs.core.ReplicaMeta meta = j.store.durableMeta();
      if (meta != null) s.stability.advert(j.id, meta.origin(), meta.vv(), meta.clock());
      // What j knows comes as its KVS.STABLE message, through the server's own encoding: the
      // adverts it heard of others (so chains hear each other) and the retirements.
      if (j != s) s.stability.hear(kvs.core.Stability.decodeAdvert(j.stability.encodeAdvert()));
    }
    // As the server's Collector before it captures its durable state to advertise.
    s.replica.outrankEarlierIncarnations(s.stability);
    List<Entry> collected = new ArrayList<>();
    VersionVector stable = s.stability.stableVector();
    logRecordsCollectedUnder.mergeFrom(stable);
    for (Server w : servers) {
      if (w.batchGapUntil != null) w.batchGapUntil.mergeFrom(stable);
    }
    VersionVector vvBeforeSeal = s.replica.vv();
    int sealed = behavior.seal(s.replica, s.stability);
    if (sealed > 0) {
      stats.seals += sealed;
      note(() -> "server " + s.id + " sealed " + vvBeforeSeal + " => " + s.replica.vv());
      // As the Collector: the links check for a delta, which seals the peers (seed 8998: a
      // server sealed in a partial topology, no link of its told, the others never sealed).
      for (End e : s.links) {
        if (e != null && e.driver != null && e.open) e.driver.replicaChanged(nowMillis);
      }
    }
    try {
      s.collectFrom = behavior.collect(s.replica, s.stability, s.collectFrom,
          1 + collectRnd.nextInt(3), collected);
    } finally {
      // A storage fault in the log-record pass stops the server after collectStable committed:
      // what it collected is gone from the disk all the same, and the checker must know
      // (seed 9371: a collected sorted-set register taken for lost).
      reportCollected(s, collected);
    }
  }

  private void reportCollected(Server s, List<Entry> collected) {
    for (Entry e : collected) {
      checker.collected(e);
      set.collected(e);
      stats.collected++;
      if (anyWipe) stats.collectedAfterWipe++;
      if (anyWipe && stats.retirements > 0) stats.collectedAfterRetirement++;
      if (stats.serverRetirements > 0) stats.collectedAfterServerRetirement++;
      if (kvs.core.Elements.isElementKey(e.key())) stats.elementsCollected++;
      if (kvs.core.Elements.startsWith(e.key(),
          kvs.core.Elements.prefix(zsetKey, Entry.KIND_ZSET))) {
        stats.zsetRegistersCollected++;
      }
    }
    if (!collected.isEmpty()) {
      note(() -> "server " + s.id + " collected " + describeAll(collected));
    }
  }

  /**
   * The operator's precondition for retiring a dead incarnation: every server up, the same
   * version vector everywhere (KVS.STATE's vectors; the digests may differ by tombstones some
   * servers collected), and nothing on the wire toward an open link, which a real operator
   * gets by waiting: none of the dead incarnation's writes can arrive anywhere later.
   */
  private boolean serversAgree() {
    if (!allUp()) return false;
    for (Conn c : conns) {
      if (c.end[1].open && !c.end[0].out.isEmpty() || c.end[0].open && !c.end[1].out.isEmpty()) {
        return false;
      }
    }
    VersionVector vv = firstMember().replica.vv();
    for (Server s : servers) {
      if (!s.retired && !s.replica.vv().equals(vv)) return false;
    }
    return true;
  }

  /** The member with the lowest id (servers retired for good are no members). */
  private Server firstMember() {
    for (Server s : servers) {
      if (!s.retired) return s;
    }
    throw new AssertionError("every server retired");
  }

  /**
   * The operator of docs/deployment.md ("Retiring a server"), in a run that retires
   * {@link #retireTarget}: from {@link #retireFromStep} on its clients go elsewhere (step 1,
   * {@link #clientRequest}); once the servers agree (step 2: every server up, the same version
   * vector everywhere, nothing on the wire, {@link #serversAgree}), it stops the target for good
   * (step 3: a clean stop, so what it had sent still arrives; its data directory goes) and gives
   * {@code KVS.RETIRE <id>} on one of the other servers, drawn at random, through the server's
   * own code ({@link kvs.core.Stability#retireServerByOperator}); the others hear of it as they
   * hear every retirement, from their links. Returns true when it retired the server now.
   */
  private boolean retireServerIfDue() {
    if (retireTarget < 0 || step < retireFromStep) return false;
    Server target = servers[retireTarget];
    if (target.retired) return false;
    if (!target.drained) { // step 1: the operator moves its clients to other servers
      target.drained = true;
      for (Client c : clients) {
        if (c.server == retireTarget) moveClient(c, otherServerThan(retireTarget));
      }
      note(() -> "operator: takes server " + retireTarget + " down for good; its clients move");
    }
    if (behavior.retiresServerOnlyOnceServersAgree() ? !serversAgree() : !target.up) {
      return false;
    }
    // Step 3: a clean stop. What it had queued still leaves (the kernel sends it), so every
    // message it sent arrives; the peers notice the closed connections as they notice any.
    for (End e : target.links) {
      if (e != null) closeEnd(e, false);
    }
    for (Client c : clients) {
      if (c.server == retireTarget) c.connection = null;
    }
    target.up = false;
    target.retired = true;
    target.replica = null;
    // In half of these runs it is started again later by mistake, with its data in half of
    // those (the operator forgot to delete the directory): retiredServerRuns.
    if (retireServerRnd.nextBoolean()) {
      comebackAtStep = step + 1 + retireServerRnd.nextInt(100);
      comebackWithData = retireServerRnd.nextBoolean();
    }
    if (!comebackWithData) target.store.wipe(); // its data directory is deleted
    // Step 4: KVS.RETIRE <id> on any one remaining server.
    Server drawn = servers[otherServerThan(retireTarget)];
    if (!drawn.up && behavior.retiresServerOnlyOnceServersAgree()) {
      throw new AssertionError("the operator's precondition holds, yet server " + drawn.id
          + " is down");
    }
    // A broken operator who did not wait for every server to run gives the command to one that
    // runs, if any (what a down server's Stability records survives it here, as on its disk).
    Server up = drawn;
    for (int i = 0; !up.up && i < servers.length; i++) {
      if (i != retireTarget && servers[i].up) up = servers[i];
    }
    final Server on = up;
    on.stability.retireServerByOperator(on.id, retireTarget);
    stats.serverRetirements++;
    note(() -> "operator: server " + retireTarget + " stopped for good; KVS.RETIRE "
        + retireTarget + " on server " + on.id);
    return true;
  }

  /**
   * A retired server started again by mistake (docs/deployment.md, If a retired server comes
   * back), once every member knows of the retirement: with the data it had (its stability
   * record does not say it was retired: the retirement was given on another server after it
   * stopped), or from an empty directory as a new incarnation knowing nothing. It dials and is
   * dialled as any server; every member refuses its links ({@link #refusal}), and it takes
   * writes from a client still configured with it, none of which may ever reach a member
   * (checked after every step). It runs 5 to 60 steps, then the operator stops it for good.
   */
  private void retiredServerRuns(boolean faults) {
    if (retireTarget < 0) return;
    Server z = servers[retireTarget];
    if (!z.retired) return;
    if (z.up) {
      if (step >= comebackUntilStep || !faults) {
        stopRetiredServer("the operator notices");
        return;
      }
      if (retireServerRnd.nextInt(100) < 30) retiredServerWrite(z);
      for (Server m : servers) {
        if (m.retired || m.replica == null) continue;
        for (Entry e : retiredWrites) {
          if (m.replica.vv().covers(e.origin(), e.seq())) {
            throw new Violation(Violation.Rule.RETIRED, "server " + m.id + " holds "
                + Checker.describe(e) + ", which retired server " + z.id + " took after its"
                + " retirement");
          }
        }
      }
      return;
    }
    if (!faults || step < comebackAtStep || comebackUntilStep != Integer.MAX_VALUE) return;
    for (Server m : servers) { // comes back only once every member knows: see restart
      if (!m.retired && (!m.stability.isRetired(z.id) || m.wipeOnRestart && !m.up)) return;
    }
    int inc;
    do {
      inc = retireServerRnd.nextInt();
    } while (!z.incarnationsUsed.add(inc));
    if (!comebackWithData) z.stability = newStability(); // its record went with the directory
    z.maxWall = 0;
    z.sweepFrom = null;
    z.collectFrom = null;
    z.replica = Replica.open(z.store, z.id, inc, true); // it was stopped cleanly
    z.incarnation = Origins.incarnation(z.replica.origin());
    z.up = true;
    comebackUntilStep = step + 5 + retireServerRnd.nextInt(56);
    stats.retiredComebacks++;
    note(() -> "retired server " + z.id + " started again by mistake" + (comebackWithData
        ? " with its data" : " from an empty directory") + ", as origin "
        + Origins.toString(z.replica.origin()));
  }

  /** A write from a client still configured with the retired server: a put or a delete. */
  private void retiredServerWrite(Server z) {
    int k = retireServerRnd.nextInt(keys.length);
    byte[] value = retireServerRnd.nextBoolean() ? null
        : ("retired-" + z.id + "-" + retiredWrites.size()).getBytes(StandardCharsets.UTF_8);
    List<Entry> written = behavior.serveWrite(z.replica, new SessionToken(), List.of(keys[k]),
        java.util.Collections.singletonList(value), new long[] {0}, wall(z));
    for (Entry e : written) {
      checker.issued(e, -1, step);
      checker.outOfCluster(e); // never acknowledged to a member's session; lost with it
      retiredWrites.add(e);
    }
    pushOwnWrite(z, written);
    note(() -> "retired server " + z.id + " takes " + describeAll(written));
  }

  /** The operator stops the retired server that was started again by mistake, for good. */
  private void stopRetiredServer(String why) {
    if (retireTarget < 0) return;
    Server z = servers[retireTarget];
    if (!z.retired || !z.up) return;
    for (End e : z.links) {
      if (e != null) closeEnd(e, false);
    }
    z.up = false;
    z.replica = null;
    z.store.wipe();
    comebackUntilStep = step; // never again
    note(() -> "retired server " + z.id + " stopped again for good (" + why + ")");
  }

  /**
   * Why server {@code s} refuses a link with {@code peer}, or null: as PeerLink's handshake on
   * both sides ({@code Collector.refusal}), a server retired for good is refused by every server
   * that knows of the retirement.
   */
  private String refusal(Server s, int peer) {
    return behavior.refusesRetiredServerLinks() ? s.stability.linkRefusal(peer) : null;
  }

  /** A server other than {@code id}, drawn from the server-retiring operator's stream. */
  private int otherServerThan(int id) {
    int b = retireServerRnd.nextInt(servers.length - 1);
    return b >= id ? b + 1 : b;
  }

  /** True when every server's Stability takes the incarnation {@code w} runs as for current. */
  private boolean everyServerTakesAsCurrent(Server w) {
    if (!w.up) return false;
    long origin = w.replica.origin();
    for (Server j : servers) {
      if (j.retired) continue; // no member any more: what it knew stays as it was
      long[] clocks = {-1, -1}; // w's running incarnation, the highest of its others
      j.stability.forEachKnown((id, o, vv, clock) -> {
        if (id != w.id) return;
        if (o == origin) {
          clocks[0] = clock;
        } else {
          clocks[1] = Math.max(clocks[1], clock);
        }
      });
      if (clocks[0] <= clocks[1]) return false;
    }
    return true;
  }

  private boolean allUp() {
    for (Server s : servers) {
      if (!s.up && !s.retired) return false;
    }
    return true;
  }

  /**
   * The operator of docs/deployment.md ("A dead incarnation"): every incarnation that shows in a
   * server's vector or in what it knows of stability ({@code KVS.STATE}, {@code KVS.STABILITY})
   * and that no server runs as any more is retired with {@code KVS.RETIRE}, each on a server
   * drawn at random, through the code the server runs for it
   * ({@link kvs.core.Stability#retireOriginByOperator}). A server that still takes it for its
   * server's current incarnation refuses, and the operator tries again another time. The caller
   * checks the operator's precondition: the servers agree ({@link #converged}: every server up,
   * equal vectors and digests, which is what equal {@code KVS.STATE} shows, and nothing on the
   * wire, which a real operator gets by waiting: a dead process's connections are gone within a
   * keepalive timeout). Returns true when some server took a retirement it did not know.
   */
  private boolean retireDeadIncarnations() {
    TreeSet<Long> running = new TreeSet<>();
    TreeSet<Long> known = new TreeSet<>();
    for (Server s : servers) {
      if (s.retired) continue; // its incarnations went with it: nothing to retire one by one
      if (!s.up) { // its last incarnation is current for the others until they hear a newer one
        running.add(s.originAtCrash);
        if (s.replica != null) running.add(s.replica.origin());
        continue;
      }
      running.add(s.replica.origin());
      known.addAll(s.replica.vv().asMap().keySet());
      s.stability.forEachKnown((id, origin, vv, clock) -> known.add(origin));
    }
    known.removeAll(running);
    known.removeIf(origin -> servers[Origins.serverId(origin)].retired);
    boolean retired = false;
    for (long origin : known) {
      Server on = servers[operatorRnd.nextInt(servers.length)];
      if (!on.up || on.retired) continue;
      try {
        if (on.stability.retireOriginByOperator(on.id, on.replica.origin(), origin)) {
          retired = true;
          stats.retirements++;
          note(() -> "operator: KVS.RETIRE " + Origins.toString(origin) + " on server " + on.id);
        }
      } catch (IllegalStateException current) {
        note(() -> "operator: KVS.RETIRE " + Origins.toString(origin) + " on server " + on.id
            + " refused: " + current.getMessage());
      }
    }
    return retired;
  }

  /** A time to live: often shorter than a run's steps, sometimes as long as the whole run. */
  private long ttl() {
    return 1 + rnd.nextInt(rnd.nextBoolean() ? 50 : 3_000);
  }

  /** The wall clock of server {@code s} now, which the server passes to its replica. */
  private long wall(Server s) {
    long w = s.clock.read(nowMillis);
    s.maxWall = Math.max(s.maxWall, w);
    return w;
  }

  /**
   * The server's time for expiry as the checker derives it, not asking the replica: the highest
   * wall clock it was given since it started, and at least the physical part of its clock.
   */
  private long expiryNow(Server s) {
    return Math.max(s.maxWall, kvs.core.Hlc.physicalMillis(s.replica.clock()));
  }

  /**
   * A read of key {@code k} by client {@code c} at server {@code s} (GET, or the read EXPIRE
   * and PERSIST make), checked; the client takes in what it read. Null when refused (ERR_DEP).
   */
  private Replica.ReadResult read(Client c, Server s, int k, long wall, String command) {
    Replica.ReadResult r = behavior.serveRead(s.replica, c.connection, keys[k], wall);
    stats.reads++;
    if (r.status() == Replica.ReadStatus.MISSING_DEPENDENCY) {
      stats.readsRefused++;
      note(() -> "client " + c.id + " " + command + " " + checker.keyName(k) + " at " + s.id
          + ": ERR_DEP");
      return null;
    }
    checker.read(c.id, k, r, "client " + c.id + " " + command + " at server " + s.id + " step "
        + step, wall, expiryNow(s));
    if (r.entry() != null) {
      c.token.observe(r.entry().origin(), r.entry().seq(), r.entry().clock());
      if (!r.entry().isTombstone() && r.status() == Replica.ReadStatus.NOT_FOUND) {
        stats.readsExpired++;
      }
    }
    note(() -> "client " + c.id + " " + command + " " + checker.keyName(k) + " at " + s.id
        + " (wall " + wall + "): " + (r.entry() == null ? "nil" : Checker.describe(r.entry()))
        + (r.status() == Replica.ReadStatus.FOUND ? "" : " (absent)"));
    return r;
  }

  private void moveClient(Client c, int server) {
    if (server == c.server && c.connection != null) return;
    c.server = server;
    c.connection = null;
    stats.clientMoves++;
  }

  private byte[] value(Client c) {
    StringBuilder sb = new StringBuilder().append('c').append(c.id).append('-').append(++c.ops);
    int pad = rnd.nextInt(cfg.valueBytesMax());
    for (int i = 0; i < pad; i++) sb.append('.');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  // ---- healing and final checks ------------------------------------------------------------

  private void stopFaults() {
    for (boolean[] row : blocked) Arrays.fill(row, false);
    for (Server s : servers) s.store.faults(false);
    if (servers.length > 2 && rnd.nextBoolean()) {
      // Half the runs heal into a partial topology, as an operator's breakConnection leaves
      // it: a random spanning tree stays linked, each other pair stays cut with even odds. The
      // servers are still one group, so they must converge, with writes relayed hop by hop.
      int n = servers.length;
      int[] order = new int[n];
      for (int i = 0; i < n; i++) order[i] = i;
      for (int i = n - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      if (retireTarget >= 0) {
        // The server retired (or still to retire) hangs as a leaf: the others stay one group
        // without it.
        int at = 0;
        while (order[at] != retireTarget) at++;
        System.arraycopy(order, at + 1, order, at, n - 1 - at);
        order[n - 1] = retireTarget;
      }
      boolean[][] tree = new boolean[n][n];
      for (int k = 1; k < n; k++) {
        int a = order[k];
        int b = order[rnd.nextInt(k)];
        tree[a][b] = true;
        tree[b][a] = true;
      }
      StringBuilder cut = new StringBuilder();
      for (int a = 0; a < n; a++) {
        for (int b = a + 1; b < n; b++) {
          if (tree[a][b] || rnd.nextBoolean()) continue;
          blocked[a][b] = true;
          blocked[b][a] = true;
          cut.append(' ').append(a).append('-').append(b);
        }
      }
      stats.partialTopologies++;
      note(() -> "faults stop; every server restarts; links stay cut:" + cut);
    } else {
      note(() -> "faults stop; every server restarts and every link heals");
    }
  }

  private boolean converged() {
    if (!allUp()) return false;
    for (Conn c : conns) { // what is still on its way to an open link may change a replica
      if (c.end[1].open && !c.end[0].out.isEmpty() || c.end[0].open && !c.end[1].out.isEmpty()) {
        return false;
      }
    }
    VersionVector vv = firstMember().replica.vv();
    long digest = firstMember().replica.digest();
    for (Server s : servers) {
      if (s.retired) continue;
      if (!s.replica.vv().equals(vv) || s.replica.digest() != digest) return false;
    }
    return true;
  }

  private void checkConverged() {
    Server base = firstMember();
    List<Entry> first = live(base);
    for (Server s : servers) {
      if (s.retired) continue;
      checkDigest(s);
      List<Entry> mine = live(s);
      if (!mine.equals(first)) {
        throw new Violation(Violation.Rule.CONVERGENCE, "servers " + base.id + " and " + s.id + " have equal vectors and digests but hold "
            + first + " and " + mine);
      }
      for (Entry e : mine) checker.known(e, "final store of server " + s.id);
    }
    checker.checkFinal(base.replica);
    checkCounters();
    // Every session reads every key on every server. Without wipes nothing a session has seen
    // can be missing after convergence, so nothing may be refused either.
    for (Client c : clients) {
      for (Server s : servers) {
        if (s.retired) continue;
        SessionToken session = SessionToken.fromText(c.token.toText());
        for (int k = 0; k < keys.length; k++) {
          long wall = wall(s);
          Replica.ReadResult r = behavior.serveRead(s.replica, session, keys[k], wall);
          if (r.status() == Replica.ReadStatus.MISSING_DEPENDENCY && !anyWipe && !anyLoss) {
            // Healed replicas that cannot serve a session lack a write it saw: a lost write.
            throw new Violation(Violation.Rule.LOST_WRITE, "after convergence server " + s.id
                + " (" + s.replica.vv() + ") refuses client " + c.id + "'s session " + c.token
                + ": a write the session saw is on no replica");
          }
          checker.read(c.id, k, r, "final get by client " + c.id + " at server " + s.id, wall,
              expiryNow(s));
        }
      }
    }
  }

  /**
   * The replica's running digest must equal the sum of its entries' fingerprints, and its value
   * counts (DBSIZE) a count of its entries.
   */
  private void checkDigest(Server s) {
    Replica r = s.replica;
    long sum = 0;
    long values = 0;
    long expiring = 0;
    for (byte[] key : keys) {
      Entry e = r.peek(key);
      if (e != null) sum += e.fingerprint();
      if (e != null && !e.isTombstone()) {
        values++;
        if (e.hasExpiry()) expiring++;
      }
    }
    for (Entry e : typedEntries(s)) {
      sum += e.fingerprint();
      if (!e.isTombstone()) { // a counter's or hash's head or element holds a value too
        values++;
        if (e.hasExpiry()) expiring++;
      }
    }
    if (sum != r.digest()) {
      throw new Violation(Violation.Rule.DURABLE_STATE, "server " + r.serverId() + " digest " + Long.toHexString(r.digest())
          + " but its entries sum to " + Long.toHexString(sum));
    }
    if (values != r.valueCount() || expiring != r.expiringValueCount()) {
      throw new Violation(Violation.Rule.DURABLE_STATE, "server " + r.serverId() + " counts "
          + r.valueCount() + " values (" + r.expiringValueCount() + " expiring) but holds "
          + values + " (" + expiring + ")");
    }
  }

  /** Cheap checks after every step. */
  private void checkInvariants() {
    for (Server s : servers) {
      if (!s.up) continue;
      // Memory moves only after the disk said yes: what the replica tells peers and sessions
      // is exactly what its disk holds.
      kvs.core.ReplicaMeta onDisk = s.store.loadMeta();
      if (!onDisk.vv().equals(s.replica.vv()) || onDisk.digest() != s.replica.digest()) {
        throw new Violation(Violation.Rule.DURABLE_STATE, "server " + s.id + " holds "
            + s.replica.vv() + " digest " + Long.toHexString(s.replica.digest())
            + " in memory but " + onDisk.vv() + " digest " + Long.toHexString(onDisk.digest())
            + " on disk");
      }
      // A shadow log record lives only while its key's current entry lies beyond the vector:
      // the commit that covers that entry drops it (Replica.dropCoveredShadows).
      VersionVector vv = s.replica.vv();
      s.store.forEachShadow((origin, seq, key) -> {
        Entry current = s.replica.peek(key);
        if (current == null || vv.covers(current.origin(), current.seq())) {
          throw new Violation(Violation.Rule.DURABLE_STATE, "server " + s.id + " keeps the shadow "
              + Origins.toString(origin) + ":" + seq + " of a key whose current entry " + current
              + " its vector " + vv + " covers");
        }
      });
      // A vector may only claim writes that exist.
      for (Map.Entry<Long, Long> e : s.replica.vv().asMap().entrySet()) {
        if (e.getValue() > checker.maxSeqIssued(e.getKey())) {
          throw new Violation(Violation.Rule.NEVER_ISSUED, "server " + s.id + "'s vector " + s.replica.vv() + " claims "
              + Origins.toString(e.getKey()) + ":" + e.getValue() + ", never issued");
        }
      }
    }
  }

  private String describeCluster() {
    StringBuilder sb = new StringBuilder();
    for (Server s : servers) {
      sb.append("\n  server ").append(s.id);
      if (!s.up) {
        sb.append(s.retired ? " retired" : " down");
        continue;
      }
      sb.append(' ').append(s.replica.vv()).append(" digest ")
          .append(Long.toHexString(s.replica.digest()));
      {
        sb.append("\n    stable ").append(s.stability.stableVector()).append(" clock bound ")
            .append(s.stability.clockBound()).append(" from ").append(s.stability);
        kvs.core.ReplicaMeta durable = s.store.durableMeta();
        if (durable != null) {
          sb.append("; durable ").append(Origins.toString(durable.origin())).append(' ')
              .append(durable.vv()).append(" clock ").append(durable.clock());
        }
      }
      for (byte[] key : keys) {
        Entry e = s.replica.peek(key);
        if (e != null) sb.append("\n    ").append(Checker.describe(e));
      }
      for (End e : s.links) {
        if (e == null) continue;
        sb.append("\n    link to ").append(e.peer).append(" #").append(e.conn.id)
            .append(e.driver == null ? " (handshaking)" : " believes peer has "
                + e.driver.peerHas()).append(", ").append(e.out.size()).append(" queued");
      }
    }
    for (int i = 0; i < servers.length; i++) {
      for (int j = 0; j < servers.length; j++) {
        if (blocked[i][j]) sb.append("\n  blocked ").append(i).append(" -> ").append(j);
      }
    }
    return sb.toString();
  }

  /**
   * What the replica holds, tombstones included, an expiring entry as its remnant: converged
   * replicas hold the same, expiries included, whatever their clocks say has expired and
   * whichever expired values their sweeps have removed.
   */
  private List<Entry> live(Server s) {
    Replica r = s.replica;
    List<Entry> out = new ArrayList<>();
    for (byte[] key : keys) {
      // An expired value may be swept on one server and not yet on another: compare what the
      // digest covers, the remnant (the value of every entry is checked against its dot).
      Entry e = r.peek(key);
      if (e != null) out.add(e.hasExpiry() ? e.remnant() : e);
    }
    out.addAll(typedEntries(s));
    return out;
  }

  /**
   * The heads of the counter and hash keys and every element entry, tombstones included (a
   * deleted hash field), as stored, in key order.
   */
  private List<Entry> typedEntries(Server s) {
    List<Entry> out = new ArrayList<>();
    for (byte[] key : counterKeys) {
      Entry e = s.replica.peek(key);
      if (e != null) out.add(e);
    }
    Entry h = s.replica.peek(hashKey);
    if (h != null) out.add(h);
    Entry st = s.replica.peek(setKey);
    if (st != null) out.add(st);
    Entry zt = s.replica.peek(zsetKey);
    if (zt != null) out.add(zt);
    s.store.forEachFrom(new byte[] {kvs.core.Elements.MARK}, e -> {
      out.add(e);
      return true;
    });
    return out;
  }

  private long fingerprint() {
    long h = seed;
    for (Server s : servers) {
      h = h * 31 + (s.replica == null ? -1 : s.replica.digest());
      h = h * 31 + (s.replica == null ? -1 : s.replica.vv().hashCode());
    }
    h = h * 31 + step;
    h = h * 31 + stats.messages;
    h = h * 31 + checker.writesIssued();
    for (Client c : clients) h = h * 31 + c.token.hashCode();
    return h;
  }

  // ---- helpers -----------------------------------------------------------------------------

  private boolean chance(int permille) {
    return permille > 0 && rnd.nextInt(1000) < permille;
  }

  private int otherThan(int a) {
    int b = rnd.nextInt(servers.length - 1);
    return b >= a ? b + 1 : b;
  }

  private <T> void shuffle(List<T> list) {
    for (int i = list.size() - 1; i > 0; i--) Collections.swap(list, i, rnd.nextInt(i + 1));
  }

  private void note(java.util.function.Supplier<String> line) {
    if (!tracing) return;
    trace.addLast("step " + step + " t=" + nowMillis + ": " + line.get());
    if (trace.size() > TRACE_LINES_MAX) trace.pollFirst();
  }

  private static String describeAll(List<Entry> entries) {
    StringBuilder sb = new StringBuilder();
    for (Entry e : entries) sb.append(sb.length() == 0 ? "" : ", ").append(Checker.describe(e));
    return sb.toString();
  }

  private static String stackOf(Throwable t) {
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  // ---- model objects -----------------------------------------------------------------------

  private static final class Server {
    final int id;
    final SimClock clock;
    final End[] links; // by peer id: this server's end of its current connection to that peer
    final TreeSet<Integer> incarnationsUsed = new TreeSet<>();
    int incarnation;
    SimDisk store;
    Replica replica;
    boolean up = true;
    int restartAtStep;
    boolean wipeOnRestart;
    VersionVector vvAtCrash;
    long digestAtCrash;
    long originAtCrash;
    boolean lostAtCrash;
    /** The highest wall clock passed to the replica since the server (re)started. */
    long maxWall;
    /** Where the sweep of expired values goes on (null: from the first key). */
    byte[] sweepFrom;
    /** Where the collection of stable tombstones goes on (null: from the first key). */
    byte[] collectFrom;
    /** What this server heard of every member's durable state. */
    kvs.core.Stability stability;
    /** False from a wiped restart until its first link: it takes no clients meanwhile. */
    boolean linkedSinceWipe = true;
    /** After a wipe, until its vector covers this: rule 8 does not judge it (restart). */
    VersionVector batchGapUntil;
    /** Being taken down for good: the operator moved its clients away (retireServerIfDue). */
    boolean drained;
    /**
     * Stopped and retired for good ({@code KVS.RETIRE <id>}): no member, never restarted but by
     * the operator's mistake ({@link #retiredServerRuns}).
     */
    boolean retired;

    Server(int id, int n, SimClock clock) {
      this.id = id;
      this.clock = clock;
      this.links = new End[n];
    }
  }

  private static final class Client {
    final int id;
    final SessionToken token = new SessionToken(); // what KvsClient keeps
    SessionToken connection; // the server's session for the current connection
    /** Its acknowledged increments, which its reads must hold (read your writes). */
    final List<CounterModel.Inc> increments = new ArrayList<>();
    /** Its acknowledged field writes, which its reads must hold (read your writes). */
    final List<HeadedKeyModel.ElementWrite> fieldWrites = new ArrayList<>();
    final List<HeadedKeyModel.ElementWrite> memberWrites = new ArrayList<>();
    /** The sorted-set member writes this client's session saw acknowledged. */
    final List<HeadedKeyModel.ElementWrite> zmemberWrites = new ArrayList<>();
    int server;
    int ops;

    Client(int id, int server) {
      this.id = id;
      this.server = server;
    }
  }

  private final class Conn {
    final long id;
    final End[] end = new End[2];
    long stalledSinceMillis = -1;

    Conn(long id, int dialler, int acceptor) {
      this.id = id;
      end[0] = new End(this, 0, dialler, acceptor);
      end[1] = new End(this, 1, acceptor, dialler);
    }
  }

  /** One server's end of a connection, with the queue of what it has sent toward the peer. */
  private final class End {
    final Conn conn;
    final int side; // 0: dialled, 1: accepted
    final int self;
    final int peer;
    final ArrayDeque<Msg> out = new ArrayDeque<>();
    final EndWire wire = new EndWire(this);
    LinkDriver driver; // null until the handshake message from the peer arrives
    long peerOrigin;
    boolean open = true;
    long closeAtMillis = Long.MAX_VALUE;
    long lastDeliverAtMillis;
    int chunksSinceLast; // chunks received without a closing vector since the last one

    End(Conn conn, int side, int self, int peer) {
      this.conn = conn;
      this.side = side;
      this.self = self;
      this.peer = peer;
    }
  }

  /**
   * The transport of one end, as the driver sees it: writable while fewer than the run's window
   * of messages are in flight (a socket's send buffer), and it remembers when the driver found
   * it full, as Netty's writability change tells PeerLink.
   */
  private final class EndWire implements LinkDriver.Wire {
    private final End end;
    boolean blocked;

    EndWire(End end) {
      this.end = end;
    }

    @Override
    public boolean writable() {
      boolean writable = end.open && end.out.size() < cfg.windowChunks();
      if (!writable) blocked = true;
      return writable;
    }

    @Override
    public void send(LinkDriver.Kind kind, byte[] payload) {
      Simulator.this.send(end, kind == LinkDriver.Kind.DELTA ? DELTA : ADVERT, payload);
    }
  }

  private record Msg(byte kind, byte[] bytes, long deliverAtMillis) {}
}
