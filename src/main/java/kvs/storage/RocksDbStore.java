package kvs.storage;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import kvs.core.CorruptDataException;
import kvs.core.Entry;
import kvs.core.EntryCodec;
import kvs.core.Mutation;
import kvs.core.ReplicaMeta;
import kvs.core.Store;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.rocksdb.WALRecoveryMode;

/**
 * The server's store on RocksDB. Column families: {@code default} holds the replica metadata,
 * {@code data} maps key to encoded entry, {@code log} maps {@code origin:8 seq:8} (big-endian, so
 * byte order is numeric order) to key. Each {@link Mutation} is one {@link WriteBatch}, so data,
 * log and metadata change together or not at all. {@code default} also lists the shadow log
 * records, under {@code shadow} followed by the dot, to key: few, and read only at open.
 *
 * <p>Without {@code syncWrites} a commit is in the write-ahead log in the operating system's
 * page cache when it returns: it survives SIGKILL of the process, not power loss. With it, every
 * commit is fsynced first. With {@code groupLogWrites} a commit stays in RocksDB's log buffer
 * until {@link #flushWal} writes every buffered commit with one system call; the caller must call
 * it before anything reveals those commits (the server does, before every socket flush). With it
 * too, commits are staged in one write batch that reaches RocksDB at {@link #flushWal} (or before
 * any read the entry cache cannot serve): the commits of one loop turn are one RocksDB write with
 * one metadata record. Each commit stays atomic (a write batch is), and so is their group.
 */
public final class RocksDbStore implements Store {
  private static final byte[] META_KEY = "replica".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** What the server knows of the cluster's stability (format 6, server/Collector). */
  private static final byte[] STABILITY_KEY =
      "stability".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] SHADOW_PREFIX =
      "shadow".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  static {
    RocksDbNative.load();
  }

  private final RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final ColumnFamilyOptions dataCfOptions;
  private final ColumnFamilyOptions logCfOptions;
  /** The memtable budget shared by every column family, and the cache it is charged to; or null. */
  private final org.rocksdb.WriteBufferManager writeBufferManager;
  private final org.rocksdb.Cache blockCache;
  private final ColumnFamilyHandle metaCf;
  private final ColumnFamilyHandle dataCf;
  private final ColumnFamilyHandle logCf;
  private final WriteOptions writeOptions;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  /** Recently used entries; see {@link EntryCache}. */
  private final EntryCache cache = new EntryCache(CACHE_BYTES, CACHE_ENTRY_MAX_BYTES);
  /** Memory for cached entries (keys and values): 64 MiB. */
  static final long CACHE_BYTES = 64L << 20;
  /** The memtables of all column families together, in MiB (kvs.rocks.memtableBudgetMb). */
  static final long MEMTABLE_BUDGET_MB = 64;
  /** The block cache the column families share, beside the memtables' charge, in MiB. */
  static final long BLOCK_CACHE_MB = 32;
  /** Entries with more key and value bytes than this are not cached: 16 KiB. */
  static final long CACHE_ENTRY_MAX_BYTES = 16L << 10;

  private final boolean groupLogWrites;
  /** A commit is in the log buffer (or in {@link #pending}), not yet written to the system. */
  private boolean logPending;
  /**
   * With {@code groupLogWrites}: the commits made since the last {@link #flushWal}, in one write
   * batch that reaches RocksDB (memtables and log buffer) in one write when the log is written,
   * or before anything reads RocksDB itself. So the writes of every connection served in one
   * loop turn, and every push applied in it, cost one RocksDB write, one metadata record and one
   * log record (issue 10). Reads in between are served by the entry cache, which a commit
   * updates at once; a read the cache cannot serve writes the batch first.
   */
  private final WriteBatch pending;
  /** Commits staged in {@link #pending}. */
  private int pendingCount;
  /** The metadata of the last commit in {@link #pending}: only the last one is written. */
  private ReplicaMeta pendingMeta;
  /**
   * Present while the store is open; removed by a clean {@link #close}. Found at open, it says
   * the last run ended without one (SIGKILL, power loss, a storage failure), so the log may have
   * lost its tail. It lives outside RocksDB and is fsynced, so no torn log can hide it.
   */
  static final String RUNNING_MARKER = "KVS-RUNNING";
  private final Path dir;
  private boolean cleanStop;
  private String markerNote = "";
  /** This instance checked and holds the marker; only then may its close remove it. */
  private boolean marked;
  /**
   * After an unclean stop, the incarnation the metadata held at open: the marker may go only once
   * a new one is committed (see {@link #uncleanStopTakenOver}).
   */
  private int uncleanIncarnation;
  private volatile Consumer<StorageFailure> onFailure = f -> {};
  /**
   * Every origin with a record in the log, sorted (see {@link #readLogOrigins}); an origin whose
   * records were all removed since the open may stay listed, and a scan then finds nothing.
   */
  private long[] logOrigins;

  private RocksDbStore(Path dir, boolean syncWrites, boolean groupLogWrites, boolean existed) {
    this.dir = dir;
    this.groupLogWrites = groupLogWrites;
    // A torn last record (a crash mid-append, never acknowledged) is dropped; corruption
    // anywhere else refuses the open rather than silently losing acknowledged writes. Column
    // families are created only in a new database: one that lacks them is not a kvs database,
    // and adding them would leave its own program unable to open it.
    dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(!existed)
        .setParanoidChecks(true).setMaxBackgroundJobs(2).setKeepLogFileNum(2)
        .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords)
        .setManualWalFlush(groupLogWrites)
        .setAllowConcurrentMemtableWrite(Boolean.parseBoolean(
            System.getProperty("kvs.rocks.concurrentMemtable", "true")));
    // 64 MiB memtables (RocksDB's default) and LZ4, the cheapest of RocksDB's codecs: healing
    // a partition writes hundreds of MB at once, and with 32 MiB and Snappy the flushes and
    // the compaction they trigger competed with replication for the cores (stabilize after
    // healing 210 MB: 3.17-3.23 s before, 2.42-2.96 s after, docs/performance.md).
    cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(Long.getLong("kvs.rocks.writeBufferMb", 64) << 20)
        .setCompressionType(CompressionType.LZ4_COMPRESSION);
    dataCfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(Long.getLong("kvs.rocks.writeBufferMb", 64) << 20)
        .setCompressionType(CompressionType.LZ4_COMPRESSION);
    double bloom = Double.parseDouble(System.getProperty("kvs.rocks.memtableBloom", "0"));
    if (bloom > 0) {
      dataCfOptions.setMemtablePrefixBloomSizeRatio(bloom).setMemtableWholeKeyFiltering(true);
    }
    logCfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(Long.getLong("kvs.rocks.logWriteBufferMb", 64) << 20)
        .setCompressionType(CompressionType.LZ4_COMPRESSION);
    // One memtable budget for the three column families (issue 10, docs/performance.md): RocksDB
    // flushes a column family once all memtables together hold 7/8 of it, so memtables at rest
    // stay under it, and the log column family, which fills slowly, no longer keeps every
    // write-ahead log file alive until it reaches 64 MiB on its own. The budget is charged to
    // the block cache that the column families share (the blocks get what it leaves of the
    // cache), and never stalls writes. 0 gives the former separate 64 MiB memtables.
    long budgetMb = Long.getLong("kvs.rocks.memtableBudgetMb", MEMTABLE_BUDGET_MB);
    if (budgetMb > 0) {
      blockCache = new org.rocksdb.LRUCache(
          (budgetMb + Long.getLong("kvs.rocks.blockCacheMb", BLOCK_CACHE_MB)) << 20);
      writeBufferManager = new org.rocksdb.WriteBufferManager(budgetMb << 20, blockCache);
      dbOptions.setWriteBufferManager(writeBufferManager);
      for (ColumnFamilyOptions o : List.of(cfOptions, dataCfOptions, logCfOptions)) {
        o.setTableFormatConfig(new org.rocksdb.BlockBasedTableConfig().setBlockCache(blockCache));
      }
    } else {
      blockCache = null;
      writeBufferManager = null;
    }
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor("data".getBytes(), dataCfOptions),
        new ColumnFamilyDescriptor("log".getBytes(), logCfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      dbOptions.close();
      cfOptions.close();
      dataCfOptions.close();
      logCfOptions.close();
      if (writeBufferManager != null) writeBufferManager.close();
      if (blockCache != null) blockCache.close();
      if (existed && e.getStatus() != null
          && e.getStatus().getCode() == org.rocksdb.Status.Code.InvalidArgument
          && String.valueOf(e.getMessage()).contains("Column famil")) {
        throw new StoreOpenException("data directory " + dir + " holds a RocksDB database that"
            + " is not a kvs database (" + e.getMessage() + "); refusing to write into it", e);
      }
      throw new StoreOpenException("cannot open data directory " + dir + ": " + e.getMessage(), e);
    }
    metaCf = handles.get(0);
    dataCf = handles.get(1);
    logCf = handles.get(2);
    closeables.addAll(handles);
    writeOptions = new WriteOptions().setSync(syncWrites);
    pending = groupLogWrites ? new WriteBatch() : null;
    readLogOrigins();
  }

  /**
   * The origins with log records, found by one seek per origin at open. Deltas walk the log
   * origin by origin; a seek for "the next origin" from RocksDB lands on that origin's oldest
   * records, and under steady overwrites those are a long run of deletion markers (every write
   * deletes the record of the write it displaced) that the seek steps over one by one until a
   * compaction drops them: in a tree of servers, with a delta check every 20 ms, that was a
   * fifth of each server's CPU.
   */
  private void readLogOrigins() {
    logOrigins = new long[0];
    try (RocksIterator it = db.newIterator(logCf)) {
      for (long o = 0; o >= 0; ) {
        it.seek(logKey(o, 0));
        if (!it.isValid()) break;
        long origin = ByteBuffer.wrap(it.key()).getLong();
        noteLogOrigin(origin);
        o = origin == Long.MAX_VALUE ? -1 : origin + 1;
      }
      checkStatus(it);
    }
  }

  /** Adds {@code origin} to {@link #logOrigins} (a new array: views keep the one they took). */
  private void noteLogOrigin(long origin) {
    long[] origins = logOrigins;
    int at = Arrays.binarySearch(origins, origin);
    if (at >= 0) return;
    int insert = -at - 1;
    long[] grown = new long[origins.length + 1];
    System.arraycopy(origins, 0, grown, 0, insert);
    grown[insert] = origin;
    System.arraycopy(origins, insert, grown, insert + 1, origins.length - insert);
    logOrigins = grown;
  }

  /**
   * Opens or creates the store in {@code dir}.
   *
   * @throws StoreOpenException when the directory is unusable: corrupt, locked by another
   *     process, from an incompatible version, or on a disk that is full
   */
  public static RocksDbStore open(Path dir, boolean syncWrites) {
    return open(dir, syncWrites, false);
  }

  /**
   * As {@link #open(Path, boolean)}; with {@code groupLogWrites} (only without
   * {@code syncWrites}) commits reach the write-ahead log file at {@link #flushWal} only.
   */
  public static RocksDbStore open(Path dir, boolean syncWrites, boolean groupLogWrites) {
    if (syncWrites && groupLogWrites) {
      throw new IllegalArgumentException("syncWrites and groupLogWrites exclude each other");
    }
    boolean existed;
    try {
      existed = Files.exists(dir.resolve("CURRENT"));
      if (!existed && Files.isDirectory(dir)) {
        try (var entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            throw new StoreOpenException("data directory " + dir
                + " is not empty and holds no kvs database; refusing to write into it", null);
          }
        }
      }
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new StoreOpenException("cannot create data directory " + dir + ": " + e, e);
    }
    RocksDbStore store = new RocksDbStore(dir, syncWrites, groupLogWrites, existed);
    try {
      store.validate(dir, existed);
      store.markRunning();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  /**
   * Records the run-state marker: whether the last run stopped cleanly, then (durably) that this
   * one is running.
   */
  private void markRunning() {
    Path marker = dir.resolve(RUNNING_MARKER);
    cleanStop = !Files.exists(marker);
    if (!cleanStop) {
      ReplicaMeta meta = loadMeta(); // not null: validate refused a database without one
      if (meta != null) uncleanIncarnation = meta.incarnation();
      try {
        byte[] b = Files.readAllBytes(marker); // empty, or the note of a restore (Backup)
        markerNote = new String(b, 0, Math.min(b.length, 4096),
            java.nio.charset.StandardCharsets.UTF_8).trim();
        if (b.length > 0) {
          // Said once: the marker stays (this run is marked), its note goes.
          try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(marker,
              java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.force(true);
          }
        }
      } catch (java.io.IOException e) {
        markerNote = "";
      }
    }
    try {
      if (cleanStop) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(marker,
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        Backup.syncDirectory(dir);
      }
    } catch (java.io.IOException e) {
      throw new StoreOpenException("cannot write " + marker + ": " + e, e);
    }
    marked = true;
  }

  /**
   * True when the store's last run ended with a clean {@link #close}, so everything it committed
   * then is here. False after SIGKILL, power loss or a storage failure: the log may have lost
   * commits that others saw (see Replica.open).
   */
  public boolean lastStopWasClean() {
    return cleanStop;
  }

  /**
   * What the running marker found at open says: empty after an unclean stop, the restore's note
   * ({@link Backup}) on the first start of a restored directory, empty too after a clean stop.
   */
  public String lastStopNote() {
    return markerNote;
  }

  /**
   * Who hears of a storage failure, before the exception is thrown: the server stops there, so
   * that no path (client, replication, a background task) can answer or advertise after it.
   */
  public void onFailure(Consumer<StorageFailure> handler) {
    this.onFailure = handler;
  }

  /**
   * True unless the last run stopped uncleanly and this one committed no new incarnation since
   * (Replica.open takes one before anything is served): a start that failed before that (a wrong
   * server id, say) must leave the marker, or the next start would take the stop for clean and
   * reuse the dots of writes its log lost.
   */
  private boolean uncleanStopTakenOver() throws RocksDBException {
    if (cleanStop) return true;
    byte[] bytes = db.get(metaCf, META_KEY);
    try {
      return bytes != null && ReplicaMeta.decode(bytes).incarnation() != uncleanIncarnation;
    } catch (CorruptDataException e) {
      return false;
    }
  }

  /** Tells the failure handler, then returns the failure for the caller to throw. */
  private StorageFailure fail(String what, Exception cause) {
    StorageFailure f = new StorageFailure(what + ": " + cause.getMessage(), cause);
    onFailure.accept(f);
    return f;
  }

  /** Refuses a directory whose metadata is missing while it holds data, or does not decode. */
  private void validate(Path dir, boolean existed) {
    ReplicaMeta meta;
    try {
      meta = loadMeta();
    } catch (CorruptDataException e) {
      throw new StoreOpenException("data directory " + dir
          + " is corrupt or from another version: " + e.getMessage(), e);
    }
    if (meta == null && existed) {
      // Replica metadata is written right after the database is created, so a database
      // without it lost its write-ahead log or was never ours.
      throw new StoreOpenException("data directory " + dir + " holds a database but no replica"
          + " metadata (lost or corrupt write-ahead log?)", null);
    }
    if (meta == null) {
      try (RocksIterator it = db.newIterator(dataCf)) {
        it.seekToFirst();
        if (it.isValid()) {
          throw new StoreOpenException("data directory " + dir
              + " holds data but no replica metadata", null);
        }
      }
    }
  }

  @Override
  public byte[] loadStability() {
    writePending();
    return getOrFail(metaCf, null, STABILITY_KEY);
  }

  @Override
  public ReplicaMeta loadMeta() {
    writePending();
    byte[] bytes = getOrFail(metaCf, null, META_KEY);
    return bytes == null ? null : ReplicaMeta.decode(bytes);
  }

  @Override
  public Entry get(byte[] key) {
    Entry cached = cache.get(key);
    if (cached == EntryCache.ABSENT) return null;
    if (cached != null) return cached;
    writePending();
    byte[] stored = getOrFail(dataCf, null, key);
    if (stored == null) {
      cache.putAbsent(key);
      return null;
    }
    Entry e = decode(key, stored);
    cache.put(e);
    return e;
  }

  /**
   * As {@link #get} of each key, the cache first; the keys it lacks are read from RocksDB in one
   * multi-get (one call across JNI for all of them), and cached as {@code get} caches, except
   * that a key the multi-get finds absent is not marked so: these are the keys of a push or a
   * write, about to be stored.
   */
  @Override
  public Entry[] getAll(List<byte[]> keys) {
    Entry[] out = new Entry[keys.size()];
    List<byte[]> missing = new ArrayList<>();
    List<Integer> missingAt = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      Entry cached = cache.get(keys.get(i));
      if (cached == null) {
        missing.add(keys.get(i));
        missingAt.add(i);
      } else if (cached != EntryCache.ABSENT) {
        out[i] = cached;
      }
    }
    if (missing.size() == 1) {
      out[missingAt.get(0)] = get(missing.get(0));
    } else if (!missing.isEmpty()) {
      writePending();
      List<byte[]> stored;
      try {
        stored = db.multiGetAsList(java.util.Collections.nCopies(missing.size(), dataCf),
            missing);
      } catch (RocksDBException e) {
        throw fail("read failed", e);
      }
      for (int j = 0; j < missing.size(); j++) {
        if (stored.get(j) == null) continue;
        Entry e = decode(missing.get(j), stored.get(j));
        cache.put(e);
        out[missingAt.get(j)] = e;
      }
    }
    return out;
  }

  /** Decodes a stored entry; one that does not decode is a storage failure like a bad read. */
  private Entry decode(byte[] key, byte[] stored) {
    try {
      return EntryCodec.decodeStored(key, stored);
    } catch (CorruptDataException e) {
      throw fail("stored entry does not decode", e);
    }
  }

  /** An iterator that stopped early on an error must not pass for the end of the data. */
  private void checkStatus(RocksIterator it) {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw fail("read failed", e);
    }
  }

  private byte[] getOrFail(ColumnFamilyHandle cf, ReadOptions ro, byte[] key) {
    try {
      return ro == null ? db.get(cf, key) : db.get(cf, ro, key);
    } catch (RocksDBException e) {
      throw fail("read failed", e);
    }
  }

  @Override
  public void commit(Mutation m) {
    if (pending != null) {
      // Staged: written with the other commits of this loop turn (see pending).
      try {
        add(pending, m, false);
      } catch (RocksDBException e) {
        throw fail("write failed", e);
      }
      if (m.meta() != null) pendingMeta = m.meta();
      pendingCount++;
      logPending = true;
    } else {
      try (WriteBatch batch = new WriteBatch()) {
        add(batch, m, true);
        db.write(writeOptions, batch);
      } catch (RocksDBException e) {
        throw fail("write failed", e);
      }
    }
    for (Entry e : m.collected()) cache.remove(e.key());
    for (Entry e : m.puts()) cache.put(e);
  }

  /** Adds the records of {@code m} to {@code batch}, its metadata too when {@code withMeta}. */
  private void add(WriteBatch batch, Mutation m, boolean withMeta) throws RocksDBException {
    for (long[] dot : m.logRemovals()) batch.delete(logCf, logKey(dot[0], dot[1]));
    for (long[] dot : m.shadowRemovals()) {
      batch.delete(logCf, logKey(dot[0], dot[1]));
      batch.delete(metaCf, shadowKey(dot[0], dot[1]));
    }
    for (Entry e : m.collected()) {
      batch.delete(dataCf, e.key());
      batch.delete(logCf, logKey(e.origin(), e.seq()));
    }
    for (Entry e : m.puts()) {
      batch.put(dataCf, e.key(), EntryCodec.encodeStored(e));
      batch.put(logCf, logKey(e.origin(), e.seq()), e.key());
      noteLogOrigin(e.origin());
    }
    for (Entry e : m.shadows()) {
      batch.put(logCf, logKey(e.origin(), e.seq()), e.key());
      batch.put(metaCf, shadowKey(e.origin(), e.seq()), e.key());
      noteLogOrigin(e.origin());
    }
    for (Entry e : m.batchRecords()) {
      batch.put(logCf, logKey(e.origin(), e.seq()), e.key());
      noteLogOrigin(e.origin());
    }
    if (withMeta && m.meta() != null) batch.put(metaCf, META_KEY, m.meta().encode());
    if (m.stability() != null) batch.put(metaCf, STABILITY_KEY, m.stability());
  }

  /**
   * Writes the staged commits ({@link #pending}) to RocksDB in one write: in its memtables and
   * log buffer. A failure is a storage failure as a failed commit is: the server stops before
   * anything that depends on these commits is answered or sent (they are written before the log
   * is, and the log before any socket flush).
   */
  private void writePending() {
    if (pending == null || (pendingCount == 0 && pendingMeta == null)) return;
    try {
      if (pendingMeta != null) pending.put(metaCf, META_KEY, pendingMeta.encode());
      db.write(writeOptions, pending);
    } catch (RocksDBException e) {
      throw fail("write failed", e);
    } finally {
      pending.clear();
      pendingCount = 0;
      pendingMeta = null;
    }
  }

  /** True when a commit waits in the log buffer for {@link #flushWal}. */
  public boolean logPending() {
    return logPending;
  }

  /**
   * Writes the buffered commits to the write-ahead log file (one system call): from then on
   * they survive SIGKILL. Nothing to do when none wait.
   */
  public void flushWal() {
    if (!logPending) return;
    writePending();
    try {
      db.flushWal(false);
    } catch (RocksDBException e) {
      throw fail("write-ahead log write failed", e);
    }
    logPending = false;
  }

  /**
   * Flushes the memtables and compacts every column family, waiting for the end: space taken by
   * overwritten, deleted and collected entries goes back to the file system. Thread-safe (RocksDB
   * serializes it with its own background work); a failure is a storage failure.
   */
  public void compact() {
    try (org.rocksdb.FlushOptions options = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
      db.flush(options, List.of(metaCf, dataCf, logCf));
      // Forced down to the bottom level too: files already there are rewritten, so deletion
      // markers and what they hide go (RocksDB skips bottom-level files by default).
      try (CompactRangeOptions range = new CompactRangeOptions().setBottommostLevelCompaction(
          CompactRangeOptions.BottommostLevelCompaction.kForceOptimized)) {
        for (ColumnFamilyHandle cf : List.of(metaCf, dataCf, logCf)) {
          db.compactRange(cf, null, null, range);
        }
      }
    } catch (RocksDBException e) {
      throw fail("compaction failed", e);
    }
  }

  /**
   * Writes the memtables to table files and waits: what was committed so far no longer depends
   * on the write-ahead log. A new store does this once for its identity, so that no cut of the
   * log can leave a database without its metadata (which a start refuses).
   */
  public void persistMemtables() {
    writePending();
    try (org.rocksdb.FlushOptions options = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
      db.flush(options, List.of(metaCf, dataCf, logCf));
    } catch (RocksDBException e) {
      throw fail("flush failed", e);
    }
  }

  /**
   * Writes a RocksDB checkpoint of the store into {@code target}, which must not exist (its parent
   * must): table files hard-linked where the file system allows, copied otherwise, and the log
   * that the memtables still need copied. RocksDB flushes the memtables first and makes the
   * checkpoint one consistent point in the sequence of commits, while commits go on; so it may
   * run on any thread. Commits still in the log buffer ({@link #flushWal}) are not in it: the
   * caller writes the buffer first, on the thread that commits. A failure here is the backup's,
   * not the server's: it is thrown, not reported to the failure handler.
   */
  public void checkpoint(Path target) throws RocksDBException {
    try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
      cp.createCheckpoint(target.toString());
    }
  }

  /**
   * The replica metadata of the database in {@code dir}, opened read-only (nothing in it
   * changes, no marker is written): how a backup's manifest and a restore learn and check whose
   * data it holds.
   *
   * @throws StoreOpenException when it does not open or its metadata is missing or corrupt
   */
  public static ReplicaMeta readMeta(Path dir) {
    try (DBOptions options = new DBOptions().setParanoidChecks(true);
        ColumnFamilyOptions cf = new ColumnFamilyOptions()) {
      List<ColumnFamilyDescriptor> descriptors = List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cf),
          new ColumnFamilyDescriptor("data".getBytes(), cf),
          new ColumnFamilyDescriptor("log".getBytes(), cf));
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB ro = RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)) {
        try {
          byte[] bytes = ro.get(handles.get(0), META_KEY);
          if (bytes == null) {
            throw new StoreOpenException("database in " + dir + " holds no replica metadata", null);
          }
          return ReplicaMeta.decode(bytes);
        } finally {
          handles.forEach(ColumnFamilyHandle::close);
        }
      }
    } catch (RocksDBException e) {
      throw new StoreOpenException("cannot open the database in " + dir + ": " + e.getMessage(), e);
    } catch (CorruptDataException e) {
      throw new StoreOpenException("the replica metadata in " + dir + " is corrupt or from"
          + " another version: " + e.getMessage(), e);
    }
  }

  /** Forces the write-ahead log to disk: every commit so far survives power loss. */
  public void syncWal() {
    try {
      db.syncWal();
    } catch (RocksDBException e) {
      throw fail("fsync failed", e);
    }
  }

  static byte[] logKey(long origin, long seq) {
    return ByteBuffer.allocate(16).putLong(origin).putLong(seq).array();
  }

  private static byte[] shadowKey(long origin, long seq) {
    return ByteBuffer.allocate(SHADOW_PREFIX.length + 16).put(SHADOW_PREFIX).putLong(origin)
        .putLong(seq).array();
  }

  @Override
  public void forEachShadow(ShadowVisitor visitor) {
    writePending();
    try (RocksIterator it = db.newIterator(metaCf)) {
      for (it.seek(SHADOW_PREFIX); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (k.length != SHADOW_PREFIX.length + 16
            || !Arrays.equals(k, 0, SHADOW_PREFIX.length, SHADOW_PREFIX, 0, SHADOW_PREFIX.length)) {
          break;
        }
        ByteBuffer dot = ByteBuffer.wrap(k, SHADOW_PREFIX.length, 16);
        visitor.visit(dot.getLong(), dot.getLong(), it.value());
      }
      checkStatus(it);
    }
  }

  @Override
  public View snapshot() {
    writePending();
    Snapshot snapshot = db.getSnapshot();
    ReadOptions ro = new ReadOptions().setSnapshot(snapshot);
    long[] origins = logOrigins; // commits after the snapshot add no record it shows
    return new View() {
      private boolean closed;

      @Override
      public Entry get(byte[] key) {
        byte[] stored = getOrFail(dataCf, ro, key);
        return stored == null ? null : decode(key, stored);
      }

      @Override
      public long scanLog(long origin, long afterSeq, long uptoSeq, LogVisitor visitor) {
        long last = afterSeq;
        if (afterSeq >= uptoSeq) return last;
        // Bounded to the range, so the iterator stops there instead of stepping over the next
        // origin's deletion markers to its first record (see readLogOrigins).
        byte[] bound = uptoSeq == Long.MAX_VALUE
            ? (origin == Long.MAX_VALUE ? null : logKey(origin + 1, 0))
            : logKey(origin, uptoSeq + 1);
        try (Slice upper = bound == null ? null : new Slice(bound);
            ReadOptions bounded = new ReadOptions().setSnapshot(snapshot);
            RocksIterator it = db.newIterator(logCf,
                upper == null ? bounded : bounded.setIterateUpperBound(upper))) {
          for (it.seek(logKey(origin, afterSeq + 1)); it.isValid(); it.next()) {
            ByteBuffer k = ByteBuffer.wrap(it.key());
            if (k.getLong() != origin) break;
            long seq = k.getLong();
            if (seq > uptoSeq) break;
            last = seq;
            if (!visitor.visit(seq, it.value())) return last;
          }
          checkStatus(it);
        }
        return last;
      }

      @Override
      public long nextLogOrigin(long afterOrigin) {
        int at = Arrays.binarySearch(origins, afterOrigin);
        int next = at >= 0 ? at + 1 : -at - 1;
        return next < origins.length ? origins[next] : -1;
      }

      @Override
      public void close() {
        if (closed) return;
        closed = true;
        ro.close();
        db.releaseSnapshot(snapshot);
      }
    };
  }

  /**
   * Visits entries, tombstones included, from the first key at or after {@code from} (null: the
   * first key) in ascending order while {@code visitor} returns true: one seek, then only the
   * entries visited, so the cost is that of what is visited (SCAN's pages).
   */
  @Override
  public void forEachFrom(byte[] from, java.util.function.Predicate<Entry> visitor) {
    writePending();
    try (RocksIterator it = db.newIterator(dataCf)) {
      if (from == null) {
        it.seekToFirst();
      } else {
        it.seek(from);
      }
      for (; it.isValid(); it.next()) {
        if (!visitor.test(decode(it.key(), it.value()))) return;
      }
      checkStatus(it);
    }
  }

  @Override
  public void forEachLive(Consumer<Entry> visitor) {
    writePending();
    try (RocksIterator it = db.newIterator(dataCf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        Entry e = decode(it.key(), it.value());
        if (!e.isTombstone()) visitor.accept(e);
      }
      checkStatus(it);
    }
  }

  /**
   * Bytes on disk: the SST files of every column family, and the live write-ahead log files.
   * Cheap (RocksDB keeps the first as a property, the second is a directory listing of a few
   * files); for the metrics.
   */
  public long[] diskBytes() {
    long sst = 0;
    long wal = 0;
    try {
      sst = db.getAggregatedLongProperty("rocksdb.total-sst-files-size");
      for (org.rocksdb.LogFile f : db.getSortedWalFiles()) {
        if (f.type() == org.rocksdb.WalFileType.kAliveLogFile) wal += f.sizeFileBytes();
      }
    } catch (RocksDBException e) {
      // Reported as what was read so far: a metric, not a failure of the store.
    }
    return new long[] {sst, wal};
  }

  /**
   * Where the store's memory goes, for INFO memory (docs/performance.md measures it): RocksDB's
   * memtables (active and immutable, every column family), its block cache and table readers
   * (index and filter blocks held outside the cache), the entry cache's accounted bytes and
   * entries, and whether RocksDB has a flush or compaction running or pending (a server at rest
   * has neither). Cheap: RocksDB keeps these as properties. Call on the store's thread.
   */
  public java.util.Map<String, Long> memoryStats() {
    java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
    try {
      m.put("rocksdb_memtables", db.getAggregatedLongProperty("rocksdb.cur-size-all-mem-tables"));
      m.put("rocksdb_block_cache", db.getLongProperty(dataCf, "rocksdb.block-cache-usage"));
      m.put("rocksdb_table_readers",
          db.getAggregatedLongProperty("rocksdb.estimate-table-readers-mem"));
      m.put("rocksdb_busy", db.getAggregatedLongProperty("rocksdb.num-running-flushes")
          + db.getAggregatedLongProperty("rocksdb.num-running-compactions")
          + db.getAggregatedLongProperty("rocksdb.mem-table-flush-pending")
          + db.getAggregatedLongProperty("rocksdb.compaction-pending"));
    } catch (RocksDBException e) {
      // Reported as what was read so far: a statistic, not a failure of the store.
    }
    m.put("entry_cache_bytes", cache.bytes());
    m.put("entry_cache_entries", (long) cache.size());
    return m;
  }

  /**
   * Closes the store. A clean close writes and fsyncs the log, closes RocksDB and only then
   * removes the running marker, so the next open knows nothing was lost; a close that fails part
   * way leaves the marker, and the next open treats the stop as unclean.
   */
  @Override
  public void close() {
    boolean clean;
    try {
      flushWal();
      db.syncWal();
      clean = uncleanStopTakenOver();
    } catch (StorageFailure | RocksDBException e) {
      clean = false; // closing anyway; the marker stays, so the next start is careful
    }
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing on shutdown: nothing useful to do with a failure here
      }
    }
    try {
      db.closeE();
    } catch (RocksDBException e) {
      clean = false;
    }
    writeOptions.close();
    if (pending != null) pending.close();
    dbOptions.close();
    cfOptions.close();
    dataCfOptions.close();
    logCfOptions.close();
    if (writeBufferManager != null) writeBufferManager.close();
    if (blockCache != null) blockCache.close();
    if (clean && marked) {
      try {
        Files.deleteIfExists(dir.resolve(RUNNING_MARKER));
        Backup.syncDirectory(dir);
      } catch (java.io.IOException e) {
        // the marker stays: the next start takes a fresh incarnation, which is always safe
      }
    }
  }
}
