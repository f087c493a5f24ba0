package kvs.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import kvs.core.Entry;
import kvs.core.Mutation;
import kvs.core.ReplicaMeta;
import kvs.core.Store;
import kvs.storage.MemoryStore;

/**
 * The simulated disk of one server, with the faults a real one has (after TigerBeetle's
 * simulator, whose storage fails reads and writes and loses what was not synced):
 *
 * <ul>
 *   <li>a commit the disk refuses ({@link StorageFault}, as RocksDB's write error);</li>
 *   <li>a log scan that fails part way (a RocksDB iterator that stops on an I/O error or a bad
 *       checksum); the real store checks the iterator's status and throws, and so does this
 *       one, unless the run's behaviour models the unchecked iterator that ends silently;</li>
 *   <li>a power cut: the commits the operating system had not written back yet are lost, the
 *       newest first, so the disk comes back with a prefix of its commits (a torn log).</li>
 * </ul>
 *
 * <p>Without a power cut a crash (SIGKILL, or the stop a storage failure causes) loses nothing
 * committed. Faults are drawn from the simulator's random source, so a seed replays exactly.
 */
final class SimDisk implements Store {
  /** The operating system writes back on its own once this many commits wait. */
  private static final int UNSYNCED_MAX = 64;

  private final int serverId;
  private final SplittableRandom rnd;
  private final int commitFailPermille;
  private final int scanFailPermille;
  private final boolean failedScanEndsSilently;
  private MemoryStore live = new MemoryStore();
  private MemoryStore synced = new MemoryStore();
  private final ArrayDeque<Mutation> unsynced = new ArrayDeque<>();
  private boolean faultsOn;
  long faultsInjected;

  SimDisk(int serverId, SplittableRandom rnd, SimConfig cfg, boolean failedScanEndsSilently) {
    this.serverId = serverId;
    this.rnd = rnd;
    this.commitFailPermille = cfg.commitFailPermille();
    this.scanFailPermille = cfg.scanFailPermille();
    this.failedScanEndsSilently = failedScanEndsSilently;
  }

  /** The failure of one server's disk; the simulator stops that server, as Node does. */
  static final class StorageFault extends RuntimeException {
    final int serverId;

    StorageFault(int serverId, String what) {
      super("server " + serverId + ": " + what, null, false, false);
      this.serverId = serverId;
    }
  }

  /** Faults start once the cluster has formed and stop with the fault phase, so it can heal. */
  void faults(boolean on) {
    faultsOn = on;
  }

  private boolean fault(int permille) {
    if (!faultsOn || permille == 0 || rnd.nextInt(1000) >= permille) return false;
    faultsInjected++;
    return true;
  }

  /** The operating system writes every waiting commit back to the disk. */
  void writeBack() {
    while (!unsynced.isEmpty()) synced.commit(unsynced.pollFirst());
  }

  /**
   * The process stops; with {@code powerCut} so does the machine. What the disk then holds:
   * everything committed, or after a power cut what was written back plus a random prefix of
   * the rest. Returns the number of commits lost.
   */
  int crash(boolean powerCut) {
    int lost = 0;
    if (powerCut) {
      int keep = rnd.nextInt(unsynced.size() + 1);
      lost = unsynced.size() - keep;
      for (int i = 0; i < keep; i++) synced.commit(unsynced.pollFirst());
      live = synced.durableCopy();
    } else {
      synced = live.durableCopy();
    }
    unsynced.clear();
    return lost;
  }

  /** The disk is replaced by an empty one. */
  void wipe() {
    live = new MemoryStore();
    synced = new MemoryStore();
    unsynced.clear();
  }

  /**
   * The metadata a power cut now would leave (written back, or null): what the server may
   * advertise for causal stability ({@link kvs.core.Stability}), as a real one advertises what
   * it has synced.
   */
  ReplicaMeta durableMeta() {
    return synced.loadMeta();
  }

  @Override
  public ReplicaMeta loadMeta() {
    return live.loadMeta();
  }

  @Override
  public Entry get(byte[] key) {
    return live.get(key);
  }

  @Override
  public void commit(Mutation m) {
    if (fault(commitFailPermille)) throw new StorageFault(serverId, "the disk refused a commit");
    live.commit(m);
    unsynced.addLast(m);
    if (unsynced.size() > UNSYNCED_MAX) synced.commit(unsynced.pollFirst());
  }

  @Override
  public View snapshot() {
    View inner = live.snapshot();
    return new View() {
      @Override
      public Entry get(byte[] key) {
        return inner.get(key);
      }

      @Override
      public long scanLog(long origin, long afterSeq, long uptoSeq, LogVisitor visitor) {
        if (!fault(scanFailPermille)) return inner.scanLog(origin, afterSeq, uptoSeq, visitor);
        int failAfter = rnd.nextInt(4);
        List<Long> visited = new ArrayList<>();
        long[] last = {afterSeq};
        boolean[] failed = {false};
        inner.scanLog(origin, afterSeq, uptoSeq, (seq, key) -> {
          if (visited.size() == failAfter) {
            failed[0] = true;
            return false;
          }
          visited.add(seq);
          last[0] = seq;
          return visitor.visit(seq, key);
        });
        if (failed[0] && !failedScanEndsSilently) {
          throw new StorageFault(serverId, "a log scan failed after " + failAfter + " records");
        }
        return last[0];
      }

      @Override
      public long nextLogOrigin(long afterOrigin) {
        return inner.nextLogOrigin(afterOrigin);
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }

  @Override
  public void forEachLive(Consumer<Entry> visitor) {
    live.forEachLive(visitor);
  }

  @Override
  public void forEachShadow(ShadowVisitor visitor) {
    live.forEachShadow(visitor);
  }

  @Override
  public void forEachFrom(byte[] from, java.util.function.Predicate<Entry> visitor) {
    live.forEachFrom(from, visitor);
  }

  @Override
  public void close() {}
}
