package kvs.storage;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import kvs.core.Entry;

/**
 * The most recently used entries of a store, by key, kept in memory up to a budget of key and
 * value bytes, so that reads of hot keys (and the read of the current entry that every write
 * and every applied push does) skip a RocksDB lookup through JNI. Write-through: the store puts
 * each entry here after its commit succeeded, so the cache never holds what the database does
 * not. Not thread-safe; the store's owner (one event loop) is its only user.
 *
 * <p>It also remembers keys a read found absent ({@link #ABSENT}): a GET of a key that was never
 * written otherwise searches RocksDB's memtables and files every time, which was a fifth of a
 * server's CPU under redis-benchmark's GETs, where a fifth of the keys asked for are absent
 * (docs/performance.md). Every commit that stores an entry replaces the key's mark, so a mark is
 * as sound as a cached entry.
 */
final class EntryCache {
  /**
   * Bytes counted per entry on top of key and value: what its objects take besides them on a
   * 64-bit JVM with compressed pointers (the Entry 64, the map's node 40, the Key 16, two array
   * headers 32, the map's table about 8, and padding). A heap histogram of a server holding
   * 322,638 entries of 100 B showed about 276 B each (docs/performance.md, issue 10).
   */
  static final int OVERHEAD_BYTES = 168;

  /**
   * What {@link #get} returns for a key the store is known not to hold; compared by identity,
   * never stored anywhere else.
   */
  static final Entry ABSENT = Entry.tombstone(new byte[0], 0, 0, 1);

  private final long budgetBytes;
  /**
   * Entries bigger than this are not kept: a lookup costs little next to copying such a value,
   * and a stream of them (a partition healing, a bulk load) would only push the whole cache
   * through the garbage collector's copying.
   */
  private final long entryMaxBytes;
  private long bytes;
  /** In access order: the first is the least recently used. */
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(1024, 0.75f, true);

  EntryCache(long budgetBytes, long entryMaxBytes) {
    this.budgetBytes = budgetBytes;
    this.entryMaxBytes = Math.min(budgetBytes, entryMaxBytes);
  }

  /**
   * The cached entry of {@code key}; {@link #ABSENT} when the store is known not to hold the key;
   * null when nothing is cached about it (it may still be stored).
   */
  Entry get(byte[] key) {
    return entries.get(new Key(key));
  }

  /** Records {@code e} as the stored entry of its key. */
  void put(Entry e) {
    Key k = new Key(e.key());
    if (cost(k, e) > entryMaxBytes) {
      Entry old = entries.remove(k);
      if (old != null) bytes -= cost(k, old);
      return;
    }
    keep(k, e);
  }

  /** Records that the store holds no entry for {@code key} (a read found none). */
  void putAbsent(byte[] key) {
    keep(new Key(key), ABSENT);
  }

  private void keep(Key k, Entry e) {
    Entry old = entries.put(k, e);
    bytes += cost(k, e) - (old == null ? 0 : cost(k, old));
    Iterator<Map.Entry<Key, Entry>> eldest = entries.entrySet().iterator();
    while (bytes > budgetBytes) {
      Map.Entry<Key, Entry> lru = eldest.next();
      bytes -= cost(lru.getKey(), lru.getValue());
      eldest.remove();
    }
  }

  /** Forgets {@code key}: its entry was removed from the store (Replica.collectStable). */
  void remove(byte[] key) {
    Key k = new Key(key);
    Entry old = entries.remove(k);
    if (old != null) bytes -= cost(k, old);
  }

  long bytes() {
    return bytes;
  }

  int size() {
    return entries.size();
  }

  private static long cost(Key k, Entry e) {
    return (long) k.bytes.length + (e.value() == null ? 0 : e.value().length) + OVERHEAD_BYTES;
  }

  /** A key with value equality, for the map. */
  private record Key(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }
}
