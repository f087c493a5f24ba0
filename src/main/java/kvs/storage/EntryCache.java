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
 */
final class EntryCache {
  /**
   * Bytes counted per entry on top of key and value: what its objects take besides them on a
   * 64-bit JVM with compressed pointers (the Entry 64, the map's node 40, the Key 16, two array
   * headers 32, the map's table about 8, and padding). A heap histogram of a server holding
   * 322,638 entries of 100 B showed about 276 B each (docs/performance.md, issue 10).
   */
  static final int OVERHEAD_BYTES = 168;

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

  /** The cached entry of {@code key}, or null when it is not cached (it may still be stored). */
  Entry get(byte[] key) {
    return entries.get(new Key(key));
  }

  /** Records {@code e} as the stored entry of its key. */
  void put(Entry e) {
    if (cost(e) > entryMaxBytes) {
      Entry old = entries.remove(new Key(e.key()));
      if (old != null) bytes -= cost(old);
      return;
    }
    Entry old = entries.put(new Key(e.key()), e);
    bytes += cost(e) - (old == null ? 0 : cost(old));
    Iterator<Map.Entry<Key, Entry>> eldest = entries.entrySet().iterator();
    while (bytes > budgetBytes) {
      bytes -= cost(eldest.next().getValue());
      eldest.remove();
    }
  }

  /** Forgets {@code key}: its entry was removed from the store (Replica.collectStable). */
  void remove(byte[] key) {
    Entry old = entries.remove(new Key(key));
    if (old != null) bytes -= cost(old);
  }

  long bytes() {
    return bytes;
  }

  int size() {
    return entries.size();
  }

  private static long cost(Entry e) {
    return (long) e.key().length + (e.value() == null ? 0 : e.value().length) + OVERHEAD_BYTES;
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
