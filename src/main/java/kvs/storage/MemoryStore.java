package kvs.storage;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import kvs.core.Entry;
import kvs.core.Mutation;
import kvs.core.ReplicaMeta;
import kvs.core.Store;

/**
 * A store in memory for tests and the simulator. {@link #durableCopy()} is what survives a crash:
 * since every commit is atomic and immediate here, that is simply everything committed.
 */
public final class MemoryStore implements Store {
  private final TreeMap<byte[], Entry> data;
  private final TreeMap<Long, TreeMap<Long, byte[]>> log;
  /** The shadow records among the log's, by dot. */
  private final TreeMap<Long, TreeMap<Long, byte[]>> shadows;
  private ReplicaMeta meta;
  private byte[] stability;

  public MemoryStore() {
    this(new TreeMap<>(Arrays::compareUnsigned), new TreeMap<>(), new TreeMap<>(), null);
  }

  private MemoryStore(TreeMap<byte[], Entry> data, TreeMap<Long, TreeMap<Long, byte[]>> log,
      TreeMap<Long, TreeMap<Long, byte[]>> shadows, ReplicaMeta meta) {
    this.data = data;
    this.log = log;
    this.shadows = shadows;
    this.meta = meta;
  }

  /** An independent copy of everything committed so far. */
  public MemoryStore durableCopy() {
    MemoryStore c = new MemoryStore(new TreeMap<>(data), copy(log), copy(shadows), meta);
    c.stability = stability;
    return c;
  }

  private static TreeMap<Long, TreeMap<Long, byte[]>> copy(TreeMap<Long, TreeMap<Long, byte[]>> t) {
    TreeMap<Long, TreeMap<Long, byte[]>> c = new TreeMap<>();
    t.forEach((o, m) -> c.put(o, new TreeMap<>(m)));
    return c;
  }

  /** Log records visited by every view's {@code scanLog} so far: work counted, not timed. */
  private long logRecordsVisited;

  public long logRecordsVisited() {
    return logRecordsVisited;
  }

  public int logSize() {
    return log.values().stream().mapToInt(Map::size).sum();
  }

  @Override
  public ReplicaMeta loadMeta() {
    return meta;
  }

  @Override
  public Entry get(byte[] key) {
    return data.get(key);
  }

  @Override
  public void commit(Mutation m) {
    for (long[] dot : m.logRemovals()) remove(log, dot);
    for (long[] dot : m.shadowRemovals()) {
      remove(log, dot);
      remove(shadows, dot);
    }
    for (Entry e : m.collected()) {
      data.remove(e.key());
      remove(log, new long[] {e.origin(), e.seq()});
    }
    for (Entry e : m.puts()) {
      data.put(e.key(), e);
      log.computeIfAbsent(e.origin(), o -> new TreeMap<>()).put(e.seq(), e.key());
    }
    for (Entry e : m.shadows()) {
      log.computeIfAbsent(e.origin(), o -> new TreeMap<>()).put(e.seq(), e.key());
      shadows.computeIfAbsent(e.origin(), o -> new TreeMap<>()).put(e.seq(), e.key());
    }
    for (Entry e : m.batchRecords()) {
      log.computeIfAbsent(e.origin(), o -> new TreeMap<>()).put(e.seq(), e.key());
    }
    if (m.meta() != null) meta = m.meta();
    if (m.stability() != null) stability = m.stability();
  }

  @Override
  public byte[] loadStability() {
    return stability;
  }

  private static void remove(TreeMap<Long, TreeMap<Long, byte[]>> byOrigin, long[] dot) {
    TreeMap<Long, byte[]> seqs = byOrigin.get(dot[0]);
    if (seqs == null) return;
    seqs.remove(dot[1]);
    if (seqs.isEmpty()) byOrigin.remove(dot[0]);
  }

  @Override
  public void forEachShadow(ShadowVisitor visitor) {
    shadows.forEach((o, seqs) -> seqs.forEach((s, k) -> visitor.visit(o, s, k)));
  }

  @Override
  public View snapshot() {
    MemoryStore copy = durableCopy();
    return new View() {
      @Override
      public Entry get(byte[] key) {
        return copy.get(key);
      }

      @Override
      public long scanLog(long origin, long afterSeq, long uptoSeq, LogVisitor visitor) {
        TreeMap<Long, byte[]> seqs = copy.log.get(origin);
        long last = afterSeq;
        if (seqs == null) return last;
        for (Map.Entry<Long, byte[]> e : seqs.subMap(afterSeq, false, uptoSeq, true).entrySet()) {
          logRecordsVisited++;
          last = e.getKey();
          if (!visitor.visit(e.getKey(), e.getValue())) break;
        }
        return last;
      }

      @Override
      public long nextLogOrigin(long afterOrigin) {
        for (Map.Entry<Long, TreeMap<Long, byte[]>> e : copy.log.tailMap(afterOrigin, false).entrySet()) {
          if (!e.getValue().isEmpty()) return e.getKey();
        }
        return -1;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void forEachLive(Consumer<Entry> visitor) {
    for (Entry e : data.values()) {
      if (!e.isTombstone()) visitor.accept(e);
    }
  }

  @Override
  public void forEachFrom(byte[] from, java.util.function.Predicate<Entry> visitor) {
    for (Entry e : (from == null ? data : data.tailMap(from, true)).values()) {
      if (!visitor.test(e)) return;
    }
  }

  @Override
  public void close() {}
}
