package kvs.storage;

import java.util.Arrays;
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
 *
 * <p>Eviction is CLOCK, an approximation of least-recently-used: a read only sets the slot's
 * referenced bit, where an access-ordered {@code LinkedHashMap} relinked the entry in its list on
 * every read, four pointer writes into old objects that cost cache misses on the read path and
 * dirty cards for every young collection to scan (docs/performance.md).
 */
final class EntryCache {
  /**
   * Bytes counted per entry on top of key and value: what its objects take besides them on a
   * 64-bit JVM with compressed pointers (the Entry 64, the slot 32, two array headers 32, its
   * place in the table 8 to 16 and in the ring 4). With the access-ordered map of before (168 B
   * counted), a heap histogram of a server holding 322,638 entries of 100 B showed about 276 B
   * each (docs/performance.md, issue 10).
   */
  static final int OVERHEAD_BYTES = 144;

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
  /**
   * Every slot by key: open addressing with linear probing, at most half full, a power of two
   * long. A hit reads the table, the slot and its key, where a {@code HashMap} reads a node too.
   */
  private Slot[] table = new Slot[MIN_TABLE];
  private static final int MIN_TABLE = 2048;
  /**
   * Every slot, in the order the clock hand visits them; {@code ring[i].index == i}. The table
   * holds the same slots, so {@code ringSize} counts both.
   */
  private Slot[] ring = new Slot[1024];
  private int ringSize;
  /** Where eviction looks next. */
  private int hand;

  EntryCache(long budgetBytes, long entryMaxBytes) {
    this.budgetBytes = budgetBytes;
    this.entryMaxBytes = Math.min(budgetBytes, entryMaxBytes);
  }

  /**
   * The cached entry of {@code key}; {@link #ABSENT} when the store is known not to hold the key;
   * null when nothing is cached about it (it may still be stored).
   */
  Entry get(byte[] key) {
    Slot s = find(key, Arrays.hashCode(key));
    if (s == null) return null;
    s.referenced = true;
    return s.entry;
  }

  /** Records {@code e} as the stored entry of its key. */
  void put(Entry e) {
    if (cost(e.key(), e) > entryMaxBytes) {
      remove(e.key());
      return;
    }
    keep(e.key(), e);
  }

  /** Records that the store holds no entry for {@code key} (a read found none). */
  void putAbsent(byte[] key) {
    if (cost(key, ABSENT) > entryMaxBytes) return;
    keep(key, ABSENT);
  }

  private void keep(byte[] key, Entry e) {
    int hash = Arrays.hashCode(key);
    Slot s = find(key, hash);
    if (s != null) {
      bytes += cost(s.key, e) - cost(s.key, s.entry);
      s.entry = e;
      s.referenced = true;
    } else {
      s = new Slot(key, hash);
      s.entry = e;
      insert(s);
      if (ringSize == ring.length) ring = Arrays.copyOf(ring, ring.length * 2);
      s.index = ringSize;
      ring[ringSize++] = s;
      bytes += cost(s.key, e);
    }
    while (bytes > budgetBytes && ringSize > 1) evictOneBesides(s);
  }

  /**
   * Evicts the first slot from the hand on that is not referenced, clearing the bits it passes;
   * never {@code kept}, the slot just written (it is the most recently used).
   */
  private void evictOneBesides(Slot kept) {
    while (true) {
      if (hand >= ringSize) hand = 0;
      Slot s = ring[hand];
      if (s.referenced || s == kept) {
        s.referenced = false;
        hand++;
      } else {
        drop(s); // the last slot moves to the hand, and is looked at next
        return;
      }
    }
  }

  /** Forgets {@code key}: its entry was removed from the store (Replica.collectStable). */
  void remove(byte[] key) {
    Slot s = find(key, Arrays.hashCode(key));
    if (s != null) drop(s);
  }

  private void drop(Slot s) {
    delete(s);
    bytes -= cost(s.key, s.entry);
    Slot last = ring[--ringSize];
    ring[s.index] = last;
    last.index = s.index;
    ring[ringSize] = null;
    // A cache that shrank gives its arrays back.
    if (table.length > MIN_TABLE && ringSize * 8 < table.length) rehash(table.length / 2);
    if (ringSize >= 1024 && ringSize < ring.length / 4) {
      ring = Arrays.copyOf(ring, ring.length / 2);
    }
  }

  long bytes() {
    return bytes;
  }

  int size() {
    return ringSize;
  }

  /** Where a hash starts its probe: the bits mixed, since {@code Arrays.hashCode} is weak. */
  private static int home(int hash, int mask) {
    int h = hash * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }

  private Slot find(byte[] key, int hash) {
    int mask = table.length - 1;
    for (int i = home(hash, mask); ; i = (i + 1) & mask) {
      Slot s = table[i];
      if (s == null) return null;
      if (s.hash == hash && Arrays.equals(s.key, key)) return s;
    }
  }

  /** Adds {@code s} to the table; the caller then adds it to the ring. */
  private void insert(Slot s) {
    if ((ringSize + 1) * 2 > table.length) rehash(table.length * 2);
    place(table, s);
  }

  private static void place(Slot[] t, Slot s) {
    int mask = t.length - 1;
    int i = home(s.hash, mask);
    while (t[i] != null) i = (i + 1) & mask;
    t[i] = s;
  }

  /**
   * Removes {@code s} from the table, shifting back the slots of its probe run that would no
   * longer be found past the hole (no tombstones, so probes stay short however many removals).
   */
  private void delete(Slot s) {
    int mask = table.length - 1;
    int i = home(s.hash, mask);
    while (table[i] != s) i = (i + 1) & mask;
    for (int j = (i + 1) & mask; table[j] != null; j = (j + 1) & mask) {
      int k = home(table[j].hash, mask);
      boolean reachable = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!reachable) {
        table[i] = table[j];
        i = j;
      }
    }
    table[i] = null;
  }

  private void rehash(int length) {
    Slot[] t = new Slot[length];
    for (Slot s : table) {
      if (s != null) place(t, s);
    }
    table = t;
  }

  private static long cost(byte[] key, Entry e) {
    return (long) key.length + (e.value() == null ? 0 : e.value().length) + OVERHEAD_BYTES;
  }

  /** A key and its hash, its cached entry, and its place in the ring. */
  private static final class Slot {
    final byte[] key;
    final int hash;
    Entry entry;
    boolean referenced;
    int index;

    Slot(byte[] key, int hash) {
      this.key = key;
      this.hash = hash;
    }
  }
}
