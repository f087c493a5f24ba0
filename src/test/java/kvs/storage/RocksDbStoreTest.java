package kvs.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import kvs.core.Entry;
import kvs.core.Origins;
import kvs.core.Replica;
import kvs.core.ReplicaMeta;
import kvs.core.SessionToken;
import kvs.core.Store;
import kvs.core.TestMutations;
import kvs.core.VersionVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

class RocksDbStoreTest {
  static final long O1 = Origins.of(1, 7);
  static final long O2 = Origins.of(1, 8); // numerically adjacent to O1
  static final long BIG = Origins.of(Integer.MAX_VALUE, -1);

  @TempDir Path tmp;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) out[i] = (byte) values[i];
    return out;
  }

  static List<Entry> live(Store s) {
    List<Entry> out = new ArrayList<>();
    s.forEachLive(out::add);
    return out;
  }

  static List<Long> scan(Store.View v, long origin, long after, long upto) {
    List<Long> seqs = new ArrayList<>();
    v.scanLog(origin, after, upto, (seq, key) -> seqs.add(seq) || true);
    return seqs;
  }

  static ReplicaMeta meta(long clock) {
    VersionVector vv = new VersionVector();
    vv.raise(O1, 5);
    vv.raise(BIG, 9);
    return new ReplicaMeta(1, 7, vv, clock, -42, 3, 1);
  }

  /** getAll answers as get of each key does: from the cache, and the rest in one multi-get. */
  @Test
  void getAllReadsSeveralKeysAsGetDoesWhetherCachedStoredOrAbsent() {
    Entry a = Entry.write(b("a"), b("1"), 100, O1, 1);
    Entry gone = Entry.tombstone(b("g"), 101, O1, 2);
    Entry c = Entry.write(b("c"), b("3"), 102, O1, 3);
    try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db"), false)) {
      s.commit(TestMutations.of(List.of(a, gone, c), List.of(), meta(7)));
    }
    try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db"), false)) { // an empty cache
      assertThat(s.get(b("c"))).isEqualTo(c); // now cached
      assertThat(s.getAll(List.of(b("a"), b("nothing"), b("g"), b("c"), b("a"))))
          .containsExactly(a, null, gone, c, a);
      assertThat(s.getAll(List.of(b("nothing")))).containsExactly((Entry) null);
      assertThat(s.getAll(List.of())).isEmpty();
    }
  }

  /**
   * A read that finds a key absent marks it so in the entry cache; every later commit of the
   * key, staged or written at once, and its collection, must leave reads answering from the
   * store, never from the mark.
   */
  @Test
  void aKeyReadAsAbsentReadsWhatIsCommittedLaterStagedOrNotAndAfterCollection() {
    for (boolean staged : new boolean[] {false, true}) {
      SessionToken session = new SessionToken();
      try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db" + staged), false, staged)) {
        Replica r = Replica.open(s, 3, 1);
        assertThat(s.get(b("k"))).isNull();
        assertThat(s.get(b("k"))).as("served by the mark").isNull();
        Entry put = r.put(session, b("k"), b("v"), 1_000);
        assertThat(s.get(b("k"))).isEqualTo(put);
        assertThat(s.getAll(List.of(b("k"), b("never")))).containsExactly(put, null);
        Entry del = r.put(session, b("k"), null, 1_000);
        assertThat(r.collectStable(r.vv(), del.clock(), null, 10, new ArrayList<>())).isNull();
        assertThat(s.get(b("k"))).as("collected").isNull();
        Entry again = r.put(session, b("k"), b("w"), 1_000);
        assertThat(s.get(b("k"))).isEqualTo(again);
        s.flushWal();
      }
      try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db" + staged), false)) {
        assertThat(s.get(b("k"))).as("after reopen").isNotNull();
        assertThat(s.get(b("k")).value()).isEqualTo(b("w"));
      }
    }
  }

  @Test
  void commitThenGetAndForEachLiveInUnsignedByteOrder() {
    try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db"), false)) {
      assertThat(s.loadMeta()).isNull();
      byte[][] keys = {bytes(0xff), bytes(0x80), bytes(0x01), bytes(0x7f), bytes(0x80, 0x00),
          bytes(0x00), bytes(0x7f, 0xff, 0xff), bytes(0xfe)};
      List<Entry> puts = new ArrayList<>();
      for (int i = 0; i < keys.length; i++) {
        puts.add(Entry.write(keys[i], bytes(i), 100 + i, O1, i + 1));
      }
      puts.add(Entry.tombstone(bytes(0x10), 5, O2, 1));
      puts.add(Entry.write(bytes(0x11), new byte[0], 5, O2, 2)); // empty value, not a tombstone
      s.commit(TestMutations.of(puts, List.of(), meta(7)));

      assertThat(live(s)).extracting(Entry::key).containsExactly(bytes(0x00), bytes(0x01),
          bytes(0x11), bytes(0x7f), bytes(0x7f, 0xff, 0xff), bytes(0x80), bytes(0x80, 0x00),
          bytes(0xfe), bytes(0xff));
      assertThat(s.get(bytes(0x80))).isEqualTo(puts.get(1));
      assertThat(s.get(bytes(0x10)).isTombstone()).isTrue();
      assertThat(s.get(bytes(0x11)).isTombstone()).isFalse();
      assertThat(s.get(bytes(0x11)).value()).isEmpty();
      assertThat(s.get(bytes(0x12))).isNull();
      assertThat(s.loadMeta()).isEqualTo(meta(7));

      MemoryStore m = new MemoryStore();
      m.commit(TestMutations.of(puts, List.of(), meta(7)));
      assertThat(live(s)).as("same order as the in-memory store").isEqualTo(live(m));
    }
  }

  /**
   * The log's origins are kept in memory (a seek for the next origin steps over every deletion
   * marker at the start of its range): found again at open, grown by commits, and fixed per
   * view. A scan is bounded to its origin and range, however many markers lie beyond.
   */
  @Test
  void logOriginsSurviveReopenGrowWithCommitsAndScansStopAtTheirOrigin() {
    Path dir = tmp.resolve("db");
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      List<Entry> puts = new ArrayList<>();
      for (int seq = 1; seq <= 50; seq++) puts.add(Entry.write(b("a" + seq), b("x"), seq, O1, seq));
      puts.add(Entry.write(b("c"), b("x"), 1, BIG, 1));
      s.commit(TestMutations.of(puts, List.of(), meta(1)));
    }
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Store.View before = s.snapshot();
      assertThat(StoreConformanceProperties.logOrigins(before)).containsExactly(O1, BIG);
      s.commit(TestMutations.of(List.of(Entry.write(b("b"), b("x"), 1, O2, 1)), List.of(),
          null));
      try (Store.View v = s.snapshot()) {
        assertThat(StoreConformanceProperties.logOrigins(v)).containsExactly(O1, O2, BIG);
      }
      assertThat(StoreConformanceProperties.logOrigins(before)).as("a view keeps its origins")
          .containsExactly(O1, BIG);
      assertThat(scan(before, O2, 0, Long.MAX_VALUE)).isEmpty();
      before.close();
      // O1's records 1-49 deleted: markers before its last record, none after it
      List<long[]> removals = new ArrayList<>();
      for (long seq = 1; seq < 50; seq++) removals.add(new long[] {O1, seq});
      s.commit(TestMutations.of(List.of(), removals, null));
      try (Store.View v = s.snapshot()) {
        assertThat(scan(v, O1, 0, Long.MAX_VALUE)).containsExactly(50L);
        assertThat(scan(v, O1, 0, 49)).isEmpty();
        assertThat(scan(v, O2, 0, Long.MAX_VALUE)).containsExactly(1L);
        assertThat(v.scanLog(O2, 0, 0, (seq, key) -> true)).isEqualTo(0);
      }
    }
  }

  @Test
  void logScansByOriginAndRangeAndLogRemovalsTakeEffect() {
    try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db"), false)) {
      List<Entry> puts = new ArrayList<>();
      for (int seq = 1; seq <= 5; seq++) {
        puts.add(Entry.write(b("a" + seq), b("x"), seq, O1, seq));
        puts.add(Entry.write(b("b" + seq), b("x"), seq, O2, seq));
        puts.add(Entry.write(b("c" + seq), b("x"), seq, BIG, seq + 300)); // seq crosses a byte
      }
      s.commit(TestMutations.of(puts, List.of(), null));
      assertThat(s.loadMeta()).as("a mutation without metadata leaves none").isNull();
      try (Store.View v = s.snapshot()) {
        assertThat(scan(v, O1, 0, Long.MAX_VALUE)).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(scan(v, O1, 1, 4)).containsExactly(2L, 3L, 4L);
        assertThat(scan(v, O2, 3, 3)).isEmpty();
        assertThat(scan(v, BIG, 300, 1000)).containsExactly(301L, 302L, 303L, 304L, 305L);
        assertThat(scan(v, Origins.of(5, 5), 0, 100)).isEmpty();
        List<String> keys = new ArrayList<>();
        long last = v.scanLog(O2, 1, 5, (seq, key) -> {
          keys.add(new String(key, StandardCharsets.UTF_8));
          return seq < 3;
        });
        assertThat(last).as("the last sequence visited").isEqualTo(3);
        assertThat(keys).containsExactly("b2", "b3");
        assertThat(v.scanLog(O2, 5, 9, (seq, key) -> true)).as("nothing visited").isEqualTo(5);
      }
      s.commit(TestMutations.of(List.of(), List.of(new long[] {O1, 2}, new long[] {O1, 4},
          new long[] {O1, 99}), null));
      try (Store.View v = s.snapshot()) {
        assertThat(scan(v, O1, 0, 10)).containsExactly(1L, 3L, 5L);
        assertThat(scan(v, O2, 0, 10)).containsExactly(1L, 2L, 3L, 4L, 5L);
      }
    }
  }

  @Test
  void reopeningKeepsDataLogAndMetadata() {
    Path dir = tmp.resolve("db");
    List<Entry> puts = List.of(Entry.write(b("k"), b("v"), 10, O1, 1),
        Entry.tombstone(b("t"), 11, O1, 2), Entry.write(bytes(0xff), bytes(0, 1), 12, O2, 1));
    for (boolean sync : new boolean[] {false, true}) {
      Path d = dir.resolve(sync ? "sync" : "nosync");
      try (RocksDbStore s = RocksDbStore.open(d, sync)) {
        s.commit(TestMutations.of(puts, List.of(), meta(3)));
        s.commit(TestMutations.of(List.of(Entry.write(b("k"), b("v2"), 13, O2, 2)),
            List.<long[]>of(new long[] {O1, 1}), meta(4)));
        s.syncWal();
      }
      try (RocksDbStore s = RocksDbStore.open(d, sync)) {
        assertThat(s.loadMeta()).isEqualTo(meta(4));
        assertThat(s.get(b("k"))).isEqualTo(Entry.write(b("k"), b("v2"), 13, O2, 2));
        assertThat(s.get(b("t"))).isEqualTo(puts.get(1));
        assertThat(live(s)).extracting(Entry::key).containsExactly(b("k"), bytes(0xff));
        try (Store.View v = s.snapshot()) {
          assertThat(scan(v, O1, 0, 10)).containsExactly(2L);
          assertThat(scan(v, O2, 0, 10)).containsExactly(1L, 2L);
        }
      }
    }
  }

  @Test
  void aSnapshotDoesNotSeeLaterCommits() {
    try (RocksDbStore s = RocksDbStore.open(tmp.resolve("db"), false)) {
      Entry k1 = Entry.write(b("k"), b("v1"), 10, O1, 1);
      s.commit(TestMutations.of(List.of(k1, Entry.write(b("m"), b("m1"), 11, O1, 2)), List.of(),
          meta(1)));
      Store.View v = s.snapshot();
      Entry k2 = Entry.write(b("k"), b("v2"), 20, O1, 3);
      s.commit(TestMutations.of(List.of(k2, Entry.tombstone(b("m"), 21, O1, 4),
          Entry.write(b("n"), b("n1"), 22, O1, 5)), List.<long[]>of(new long[] {O1, 1},
          new long[] {O1, 2}), meta(2)));

      assertThat(v.get(b("k"))).isEqualTo(k1);
      assertThat(v.get(b("m")).isTombstone()).isFalse();
      assertThat(v.get(b("n"))).isNull();
      assertThat(scan(v, O1, 0, 100)).containsExactly(1L, 2L);
      // the live store moved on
      assertThat(s.get(b("k"))).isEqualTo(k2);
      assertThat(s.loadMeta()).isEqualTo(meta(2));
      try (Store.View now = s.snapshot()) {
        assertThat(scan(now, O1, 0, 100)).containsExactly(3L, 4L, 5L);
        assertThat(now.get(b("k"))).isEqualTo(k2);
      }
      v.close();
      v.close(); // closing twice is harmless
    }
  }

  @Test
  void aCollectedTombstoneLeavesDataLogAndCacheAndStaysGoneAfterReopen() {
    Path dir = tmp.resolve("db");
    SessionToken session = new SessionToken();
    long digest;
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica r = Replica.open(s, 3, 1);
      r.put(session, b("k"), b("v"), 1_000);
      Entry del = r.put(session, b("k"), null, 1_000);
      r.put(session, b("other"), b("x"), 1_000);
      assertThat(s.get(b("k"))).isEqualTo(del); // cached
      List<Entry> collected = new ArrayList<>();
      assertThat(r.collectStable(r.vv(), del.clock(), null, 10, collected)).isNull();
      assertThat(collected).containsExactly(del);
      assertThat(s.get(b("k"))).as("neither stored nor cached").isNull();
      try (Store.View v = s.snapshot()) {
        assertThat(scan(v, r.origin(), 0, 10)).containsExactly(3L); // only "other"'s record
      }
      digest = r.digest();
    }
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica r = Replica.open(s, 3, 1);
      assertThat(r.peek(b("k"))).isNull();
      assertThat(r.digest()).isEqualTo(digest);
      assertThat(r.digest()).isEqualTo(s.get(b("other")).fingerprint());
    }
  }

  @Test
  void aReplicaOnRocksDbSurvivesReopenWithItsVectorClockDigestAndSequence() {
    Path dir = tmp.resolve("db");
    SessionToken session = new SessionToken();
    VersionVector vv;
    long clock;
    long digest;
    List<Entry> live;
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica r = Replica.open(s, 3, 0xBEEF);
      r.put(session, b("x"), b("1"), 1_000);
      r.put(session, b("y"), b("2"), 1_000);
      r.put(session, b("x"), null, 1_000);
      MemoryStore otherStore = new MemoryStore();
      Replica other = Replica.open(otherStore, 4, 1);
      other.put(new SessionToken(), b("z"), b("3"), 5_000);
      try (Replica.DeltaStream d = other.openDelta(r.vv())) {
        for (var c = d.next(10); c != null; c = d.next(10)) r.applyDelta(c);
      }
      vv = r.vv();
      clock = r.clock();
      digest = r.digest();
      live = new ArrayList<>();
      r.forEachLive(live::add);
    }
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThatThrownBy(() -> Replica.open(s, 4, 1)).isInstanceOf(IllegalStateException.class);
      Replica r = Replica.open(s, 3, 1);
      assertThat(r.origin()).isEqualTo(Origins.of(3, 0xBEEF));
      assertThat(r.vv()).isEqualTo(vv);
      assertThat(r.clock()).isEqualTo(clock);
      assertThat(r.digest()).isEqualTo(digest);
      List<Entry> after = new ArrayList<>();
      r.forEachLive(after::add);
      assertThat(after).isEqualTo(live);
      Entry next = r.put(session, b("w"), b("4"), 0);
      assertThat(next.seq()).isEqualTo(4);
      assertThat(next.clock()).isGreaterThan(clock);
      assertThat(r.read(session, b("y")).status()).isEqualTo(Replica.ReadStatus.FOUND);
    }
  }

  // ---- refusing bad directories --------------------------------------------------------------

  @Test
  void anOpenStoresDirectoryCannotBeOpenedTwice() {
    Path dir = tmp.resolve("db");
    try (RocksDbStore first = RocksDbStore.open(dir, false)) {
      first.commit(TestMutations.of(List.of(Entry.write(b("k"), b("v"), 1, O1, 1)), List.of(),
          meta(1)));
      assertThatThrownBy(() -> RocksDbStore.open(dir, false))
          .isInstanceOf(StoreOpenException.class)
          .hasMessageContaining(dir.toString())
          .hasMessageContaining("lock");
      // the failed attempt did not disturb the open store
      first.commit(TestMutations.of(List.of(Entry.write(b("k2"), b("v"), 2, O1, 2)), List.of(),
          meta(2)));
      assertThat(first.get(b("k"))).isNotNull();
      assertThat(live(first)).hasSize(2);
    }
    try (RocksDbStore again = RocksDbStore.open(dir, false)) {
      assertThat(live(again)).hasSize(2);
      assertThat(again.loadMeta()).isEqualTo(meta(2));
    }
  }

  @Test
  void aGarbageCurrentFileIsRefused() throws Exception {
    Path dir = tmp.resolve("db");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("CURRENT"), "this is not a manifest name\n");
    assertThatThrownBy(() -> RocksDbStore.open(dir, false))
        .isInstanceOf(StoreOpenException.class)
        .hasMessageContaining("cannot open data directory " + dir);
  }

  @Test
  void aGarbageManifestIsRefused() throws Exception {
    Path dir = tmp.resolve("db");
    writeSomething(dir);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        if (p.getFileName().toString().startsWith("MANIFEST")) {
          Files.write(p, "garbage garbage garbage".getBytes(StandardCharsets.US_ASCII));
        }
      }
    }
    assertThatThrownBy(() -> RocksDbStore.open(dir, false))
        .isInstanceOf(StoreOpenException.class)
        .hasMessageContaining("cannot open data directory " + dir);
  }

  /**
   * BUG (RocksDbStore opened any directory holding a CURRENT file with
   * create_missing_column_families, and only then found it held no replica metadata): another
   * program's RocksDB database was refused, but only after the open had added kvs's column
   * families "data" and "log" to it, so that its own program could no longer open it ("Column
   * families not opened: log, data"). It must be refused before anything is written into it.
   */
  @Test
  void anotherProgramsRocksDbIsRefusedAndLeftAsItWas() throws Exception {
    Path dir = tmp.resolve("foreign");
    try (DBOptions o = new DBOptions().setCreateIfMissing(true);
        ColumnFamilyOptions co = new ColumnFamilyOptions()) {
      List<ColumnFamilyDescriptor> d =
          List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, co));
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB db = RocksDB.open(o, dir.toString(), d, handles)) {
        db.put(b("user:1"), b("precious"));
        handles.forEach(ColumnFamilyHandle::close);
      }
      assertThatThrownBy(() -> RocksDbStore.open(dir, false))
          .isInstanceOf(StoreOpenException.class)
          .hasMessageContaining(dir.toString())
          .hasMessageContaining("not a kvs database");
      assertThat(dir.resolve(RocksDbStore.RUNNING_MARKER)).doesNotExist();
      // its program opens it as before, with its one column family and its data
      handles.clear();
      try (RocksDB db = RocksDB.open(o, dir.toString(), d, handles)) {
        assertThat(db.get(b("user:1"))).isEqualTo(b("precious"));
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  @Test
  void aPathThatIsAFileIsRefused() throws Exception {
    Path file = tmp.resolve("file");
    Files.writeString(file, "x");
    assertThatThrownBy(() -> RocksDbStore.open(file, false))
        .isInstanceOf(StoreOpenException.class).hasMessageContaining(file.toString());
  }

  @Test
  void aCorruptMetadataValueIsRefused() throws Exception {
    Path dir = tmp.resolve("db");
    writeSomething(dir);
    putRaw(dir, 0, b("replica"), b("certainly not metadata"));
    assertThatThrownBy(() -> RocksDbStore.open(dir, false))
        .isInstanceOf(StoreOpenException.class)
        .hasMessageContaining("corrupt")
        .hasMessageContaining("not a kvs data directory");
    // and the refusal changed nothing: still refused the second time
    assertThatThrownBy(() -> RocksDbStore.open(dir, false)).isInstanceOf(StoreOpenException.class);
  }

  @Test
  void metadataOfAnotherFormatVersionIsRefused() throws Exception {
    Path dir = tmp.resolve("db");
    writeSomething(dir);
    byte[] future = meta(1).encode();
    future[7] = 9; // format version 9
    putRaw(dir, 0, b("replica"), future);
    assertThatThrownBy(() -> RocksDbStore.open(dir, false))
        .isInstanceOf(StoreOpenException.class)
        .hasMessageContaining("version 9");
  }

  @Test
  void truncatedMetadataIsRefused() throws Exception {
    Path dir = tmp.resolve("db");
    writeSomething(dir);
    byte[] good = meta(1).encode();
    putRaw(dir, 0, b("replica"), Arrays.copyOf(good, good.length - 3));
    assertThatThrownBy(() -> RocksDbStore.open(dir, false))
        .isInstanceOf(StoreOpenException.class).hasMessageContaining("corrupt");
  }

  @Test
  void dataWithoutMetadataIsRefused() throws Exception {
    Path dir = tmp.resolve("db");
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      s.commit(TestMutations.of(List.of(Entry.write(b("k"), b("v"), 1, O1, 1)), List.of(), null));
    }
    assertThatThrownBy(() -> RocksDbStore.open(dir, false))
        .isInstanceOf(StoreOpenException.class)
        .hasMessageContaining("no replica metadata");
  }

  /**
   * BUG (RocksDbStore: DBOptions left at the default WAL recovery mode, kPointInTimeRecovery):
   * a write-ahead log whose bytes are all garbage is silently dropped; the store opens empty, with
   * no metadata, and Replica.open would start a brand-new replica in its place. SPEC section 5: a
   * corrupt data directory must make the server refuse to start.
   */
  @Test
  void aGarbledWriteAheadLogIsRefusedNotSilentlyDropped() throws Exception {
    Path dir = tmp.resolve("db");
    writeSomething(dir);
    corruptWal(dir, wal -> {
      for (int i = 0; i < wal.length; i++) wal[i] ^= 0x5a;
    });
    assertRefusedOrIntact(dir, 1);
  }

  /**
   * BUG (same cause): one flipped byte in the middle of the write-ahead log makes RocksDB stop
   * replaying there and open with an older state. The replica comes back with an older vector for
   * its own origin and will number its next writes with dots its peers already hold, which they
   * then drop as duplicates: the data loss DESIGN.md warns about (basho/riak_kv#679).
   */
  @Test
  void aFlippedByteInTheWriteAheadLogIsRefusedNotSilentlyTruncated() throws Exception {
    Path dir = tmp.resolve("db");
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica r = Replica.open(s, 1, 1);
      for (int i = 0; i < 20; i++) r.put(new SessionToken(), b("k" + i), b("v" + i), 1_000);
    }
    corruptWal(dir, wal -> wal[wal.length / 2] ^= 0x5a);
    assertRefusedOrIntact(dir, 20);
  }

  /** Either the open is refused, or nothing was lost (own sequence still at {@code seq}). */
  static void assertRefusedOrIntact(Path dir, long seq) {
    RocksDbStore s;
    try {
      s = RocksDbStore.open(dir, false);
    } catch (StoreOpenException refused) {
      assertThat(refused.getMessage()).contains(dir.toString());
      return;
    }
    try (s) {
      ReplicaMeta m = s.loadMeta();
      assertThat(m).as("metadata after reopening a directory with a corrupt WAL").isNotNull();
      assertThat(m.vv().get(m.origin()))
          .as("own sequence after reopening a directory with a corrupt WAL").isEqualTo(seq);
    }
  }

  interface Corruption {
    void apply(byte[] wal);
  }

  static void corruptWal(Path dir, Corruption c) throws Exception {
    int corrupted = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        if (!p.getFileName().toString().endsWith(".log")) continue;
        byte[] wal = Files.readAllBytes(p);
        if (wal.length == 0) continue;
        c.apply(wal);
        Files.write(p, wal);
        corrupted++;
      }
    }
    assertThat(corrupted).as("write-ahead log files found").isPositive();
  }

  static void writeSomething(Path dir) {
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica r = Replica.open(s, 1, 1);
      r.put(new SessionToken(), b("k"), b("v"), 1_000);
    }
  }

  /** Writes a raw value into column family {@code cf} (0 default, 1 data, 2 log). */
  static void putRaw(Path dir, int cf, byte[] key, byte[] value) throws Exception {
    try (DBOptions o = new DBOptions(); ColumnFamilyOptions co = new ColumnFamilyOptions()) {
      List<ColumnFamilyDescriptor> d = List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, co),
          new ColumnFamilyDescriptor(b("data"), co), new ColumnFamilyDescriptor(b("log"), co));
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB db = RocksDB.open(o, dir.toString(), d, handles)) {
        db.put(handles.get(cf), key, value);
        db.flushWal(true);
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  @Test
  void groupedLogWritesWaitForFlushWalAndSurviveAReopen() {
    Path dir = tmp.resolve("grouped");
    Replica r;
    try (RocksDbStore s = RocksDbStore.open(dir, false, true)) {
      r = Replica.open(s, 1, 7);
      assertThat(s.logPending()).isTrue();
      s.flushWal();
      assertThat(s.logPending()).isFalse();
      r.put(new SessionToken(), b("k"), b("v"), 1_000);
      assertThat(s.logPending()).isTrue();
      s.flushWal();
      assertThat(s.logPending()).isFalse();
    }
    try (RocksDbStore s = RocksDbStore.open(dir, false, true)) {
      assertThat(s.get(b("k")).value()).isEqualTo(b("v"));
      assertThat(s.logPending()).isFalse();
    }
  }

  @Test
  void stagedCommitsOfALoopTurnAreReadBackAndReachRocksDbAsOne() {
    Path dir = tmp.resolve("staged");
    try (RocksDbStore s = RocksDbStore.open(dir, false, true)) {
      Replica r = Replica.open(s, 1, 7);
      s.flushWal();
      SessionToken session = new SessionToken();
      r.put(session, b("a"), b("1"), 1_000);
      r.put(session, b("b"), b("2"), 1_001);
      r.put(session, b("a"), b("3"), 1_002); // displaces a's first write: its log record goes
      assertThat(s.logPending()).isTrue();
      // Served from the entry cache while staged; a snapshot and an iteration write them first.
      assertThat(s.get(b("a")).value()).isEqualTo(b("3"));
      try (Store.View v = s.snapshot()) {
        assertThat(v.get(b("b")).value()).isEqualTo(b("2"));
        assertThat(scan(v, r.origin(), 0, Long.MAX_VALUE)).containsExactly(2L, 3L);
      }
      assertThat(live(s)).extracting(e -> new String(e.value(), StandardCharsets.UTF_8))
          .containsExactly("3", "2");
      r.put(session, b("c"), b("4"), 1_003);
      assertThat(s.logPending()).isTrue();
    } // a clean close writes what is staged, then the log
    try (RocksDbStore s = RocksDbStore.open(dir, false, true)) {
      assertThat(s.lastStopWasClean()).isTrue();
      assertThat(s.get(b("c")).value()).isEqualTo(b("4"));
      assertThat(s.loadMeta().vv().get(s.loadMeta().origin())).isEqualTo(4);
    }
  }

  @Test
  void groupedLogWritesAndSyncedWritesExcludeEachOther() {
    assertThatThrownBy(() -> RocksDbStore.open(tmp.resolve("both"), true, true))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aStoreClosedCleanlySaysSoAndOneLeftRunningDoesNot() throws Exception {
    Path dir = tmp.resolve("marker");
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica.open(s, 1, 1);
      assertThat(dir.resolve(RocksDbStore.RUNNING_MARKER)).exists();
    }
    assertThat(dir.resolve(RocksDbStore.RUNNING_MARKER)).doesNotExist();
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThat(s.lastStopWasClean()).isTrue();
    }
    // What a SIGKILL or a power cut leaves: the marker of the run that never closed.
    Files.createFile(dir.resolve(RocksDbStore.RUNNING_MARKER));
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThat(s.lastStopWasClean()).isFalse();
      assertThat(Replica.open(s, 1, 2, s.lastStopWasClean()).origin()).isEqualTo(Origins.of(1, 2));
    }
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThat(s.lastStopWasClean()).isTrue(); // the careful run closed cleanly
      assertThat(Replica.open(s, 1, 3, true).origin()).isEqualTo(Origins.of(1, 2));
    }
  }

  /**
   * BUG (RocksDbStore.close removed the marker whenever it closed cleanly): a start that failed
   * after an unclean stop (a wrong --id, a retired server, a corrupt stability record) before it
   * took a new incarnation still closed the store cleanly, which removed the marker of the run
   * that had not stopped cleanly. The next start then took the stop for clean and went on
   * numbering writes in the old incarnation from what its log had kept, reusing the dots of
   * writes a power cut had taken from the log but peers held (SPEC section 5). Likewise after a
   * restore, whose marker makes the first start take a new incarnation.
   */
  @Test
  void aStartThatFailsBeforeTakingANewIncarnationKeepsTheMarkerOfAnUncleanStop() throws Exception {
    Path dir = tmp.resolve("failed-start");
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica.open(s, 1, 1);
    }
    Files.createFile(dir.resolve(RocksDbStore.RUNNING_MARKER)); // a SIGKILL or a power cut
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThat(s.lastStopWasClean()).isFalse();
      // started under the wrong server id: refused before anything is committed
      assertThatThrownBy(() -> Replica.open(s, 2, 2, s.lastStopWasClean()))
          .isInstanceOf(IllegalStateException.class);
    }
    assertThat(dir.resolve(RocksDbStore.RUNNING_MARKER)).exists();
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThat(s.lastStopWasClean()).isFalse();
      assertThat(Replica.open(s, 1, 3, s.lastStopWasClean()).origin())
          .isEqualTo(Origins.of(1, 3));
    }
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      assertThat(s.lastStopWasClean()).isTrue(); // the run that took over closed cleanly
    }
  }

  /**
   * A scan that meets a corrupt block must fail (and tell the failure handler, which stops the
   * server), not end as if the data ended there: a delta cut from such a scan would close with a
   * vector claiming writes it never carried.
   */
  @Test
  void aScanThatMeetsCorruptionFailsInsteadOfEndingEarly() throws Exception {
    Path dir = tmp.resolve("corrupt");
    int n = 20_000;
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      Replica r = Replica.open(s, 1, 1);
      for (int i = 0; i < n; i += 1_000) {
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (int k = i; k < i + 1_000; k++) {
          keys.add(b(String.format("key-%06d", k)));
          values.add(b("value-" + k + "-".repeat(40)));
        }
        r.write(new SessionToken(), keys, values, 1_000 + i);
      }
      s.persistMemtables();
    }
    List<Path> tables;
    try (Stream<Path> files = Files.list(dir)) {
      tables = files.filter(f -> f.toString().endsWith(".sst")).toList();
    }
    Path biggest = tables.stream().max((x, y) -> Long.compare(x.toFile().length(),
        y.toFile().length())).orElseThrow();
    byte[] raw = Files.readAllBytes(biggest);
    for (int i = raw.length / 4; i < raw.length / 4 + 64; i++) raw[i] ^= 0x5A;
    Files.write(biggest, raw);

    List<StorageFailure> told = new ArrayList<>();
    try (RocksDbStore s = RocksDbStore.open(dir, false)) {
      s.onFailure(told::add);
      int[] seen = {0};
      assertThatThrownBy(() -> {
        s.forEachLive(e -> seen[0]++);
        try (Store.View v = s.snapshot()) {
          for (long o = v.nextLogOrigin(-1); o >= 0; o = v.nextLogOrigin(o)) {
            v.scanLog(o, 0, Long.MAX_VALUE, (seq, key) -> seen[0]++ >= 0);
          }
        }
      }).isInstanceOf(StorageFailure.class);
      assertThat(seen[0]).isLessThan(2 * n);
      assertThat(told).hasSize(1);
    }
  }
}
