package kvs.core;

import java.util.function.Consumer;

/**
 * The replica's durable state, seen from the protocol core. Implementations: RocksDB for servers,
 * an in-memory map for tests and the simulator. Storage stays dumb: it never compares versions.
 *
 * <p>Three things are kept: the data (key to entry, tombstones included), the log (dot to key,
 * only for dots whose write is still the current entry of its key, so a delta sends live data
 * only), and the replica's metadata. {@link #commit} applies a {@link Mutation} atomically: after
 * a crash either all of it is there or none of it.
 */
public interface Store extends AutoCloseable {

  /** The metadata last committed, or null when the store is empty (never used). */
  ReplicaMeta loadMeta();

  /** The stability record last committed ({@link Mutation#stabilityRecord}), or null. */
  default byte[] loadStability() {
    return null;
  }

  /** The entry of {@code key}, tombstones included, or null. */
  Entry get(byte[] key);

  /**
   * The entries of {@code keys}, in the same order (null where a key has none), as {@link #get}
   * of each would give them. A store may read them together: RocksDB in one call across JNI
   * instead of one per key, for the keys of a whole received push or delta chunk.
   */
  default Entry[] getAll(java.util.List<byte[]> keys) {
    Entry[] out = new Entry[keys.size()];
    for (int i = 0; i < out.length; i++) out[i] = get(keys.get(i));
    return out;
  }

  void commit(Mutation mutation);

  /** A consistent read-only view as of now; later commits do not show through it. */
  View snapshot();

  /** Every entry that is not a tombstone, in ascending unsigned byte order of keys. */
  void forEachLive(Consumer<Entry> visitor);

  /**
   * Every entry, tombstones included, from {@code from} (inclusive; null for the first key) in
   * ascending unsigned byte order of keys, while the visitor returns true.
   */
  default void forEachFrom(byte[] from, java.util.function.Predicate<Entry> visitor) {
    throw new UnsupportedOperationException("forEachFrom");
  }

  /**
   * Every shadow log record ({@link Mutation#shadows}) the store holds, as dot and key: the
   * store lists them apart from the log so that a replica finds them without reading the log.
   */
  void forEachShadow(ShadowVisitor visitor);

  @Override
  void close();

  @FunctionalInterface
  interface ShadowVisitor {
    void visit(long origin, long seq, byte[] key);
  }

  /** A point-in-time view. */
  interface View extends AutoCloseable {
    Entry get(byte[] key);

    /**
     * Visits log records of {@code origin} with {@code afterSeq < seq <= uptoSeq} in ascending
     * order while the visitor returns true. Returns the last sequence visited, or afterSeq.
     */
    long scanLog(long origin, long afterSeq, long uptoSeq, LogVisitor visitor);

    /**
     * The smallest origin above {@code afterOrigin} that may have a log record, or -1 when none:
     * every origin with a record is named, and a store may also name one whose records are all
     * gone (its {@link #scanLog} then visits nothing).
     */
    long nextLogOrigin(long afterOrigin);

    @Override
    void close();
  }

  @FunctionalInterface
  interface LogVisitor {
    boolean visit(long seq, byte[] key);
  }
}
