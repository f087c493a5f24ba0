package kvs.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import kvs.core.Entry;
import kvs.core.Origins;
import kvs.core.ReplicaMeta;
import kvs.core.Store;
import kvs.core.TestMutations;
import kvs.core.VersionVector;
import kvs.process.Trees;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Differential test: the same random commits go to a {@link MemoryStore} and a
 * {@link RocksDbStore}; both must answer every read identically, snapshots included, and the
 * RocksDB one again after a reopen. The simulator trusts MemoryStore to behave like the disk.
 */
class StoreConformanceProperties {
  static final long[] ORIGINS = {Origins.of(0, 0), Origins.of(0, 1), Origins.of(Integer.MAX_VALUE, -1)};
  static final byte[][] KEYS = {{}, {0x00}, {0x01}, {0x7f}, {(byte) 0x80}, {(byte) 0xff},
      {(byte) 0x80, 0x00}, {0x7f, (byte) 0xff}};

  /**
   * One commit: puts, log removals, shadow records added and dropped, maybe new metadata, maybe a
   * snapshot taken before it.
   */
  record Commit(List<Entry> puts, List<long[]> removals, List<Entry> shadows,
      List<long[]> shadowRemovals, ReplicaMeta meta, boolean snapshotBefore) {}

  @Provide
  Arbitrary<List<Commit>> histories() {
    Arbitrary<Entry> entry = Combinators.combine(Arbitraries.integers().between(0, KEYS.length - 1),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(6).injectNull(0.2),
        Arbitraries.longs().between(0, 1000), Arbitraries.integers().between(0, 2),
        Arbitraries.longs().between(1, 12))
        .as((k, v, c, o, s) -> new Entry(KEYS[k], v, c, ORIGINS[o], s));
    Arbitrary<long[]> removal = Combinators.combine(Arbitraries.integers().between(0, 2),
        Arbitraries.longs().between(1, 12)).as((o, s) -> new long[] {ORIGINS[o], s});
    Arbitrary<ReplicaMeta> meta = Combinators.combine(Arbitraries.longs().between(0, 1000),
        Arbitraries.longs(), Arbitraries.longs().between(0, 12))
        .as((clock, digest, seq) -> {
          VersionVector vv = new VersionVector();
          vv.raise(ORIGINS[0], seq);
          return new ReplicaMeta(0, 0, vv, clock, digest, seq, seq / 2);
        }).injectNull(0.5);
    Arbitrary<Commit> commit = Combinators.combine(entry.list().ofMaxSize(4),
        removal.list().ofMaxSize(3), entry.list().ofMaxSize(2), removal.list().ofMaxSize(2),
        meta, Arbitraries.of(true, false, false, false))
        .as(Commit::new);
    return commit.list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 40)
  void rocksDbBehavesLikeTheInMemoryStore(@ForAll("histories") List<Commit> history)
      throws IOException {
    Path dir = Files.createTempDirectory("kvs-conformance");
    try {
      MemoryStore memory = new MemoryStore();
      List<Store.View> memoryViews = new ArrayList<>();
      List<Store.View> rocksViews = new ArrayList<>();
      try (RocksDbStore rocks = RocksDbStore.open(dir, false)) {
        for (Commit c : history) {
          if (c.snapshotBefore()) {
            memoryViews.add(memory.snapshot());
            rocksViews.add(rocks.snapshot());
          }
          memory.commit(TestMutations.of(c.puts(), c.removals(), c.shadows(),
              c.shadowRemovals(), c.meta()));
          rocks.commit(TestMutations.of(c.puts(), c.removals(), c.shadows(),
              c.shadowRemovals(), c.meta()));
          assertSame(memory, rocks);
        }
        for (int i = 0; i < memoryViews.size(); i++) {
          assertSameView(memoryViews.get(i), rocksViews.get(i));
          rocksViews.get(i).close();
        }
      }
      try (RocksDbStore reopened = RocksDbStore.open(dir, false)) {
        assertSame(memory, reopened);
      } catch (StoreOpenException e) {
        // a history that stored data but never metadata is refused on reopen, by design
        assertThat(memory.loadMeta()).isNull();
        assertThat(e).hasMessageContaining("no replica metadata");
      }
    } finally {
      assertThat(Trees.delete(dir)).as("deleted " + dir).isTrue();
    }
  }

  static void assertSame(Store expected, Store actual) {
    assertThat(actual.loadMeta()).isEqualTo(expected.loadMeta());
    for (byte[] k : KEYS) assertThat(actual.get(k)).isEqualTo(expected.get(k));
    List<Entry> e = new ArrayList<>();
    List<Entry> a = new ArrayList<>();
    expected.forEachLive(e::add);
    actual.forEachLive(a::add);
    assertThat(a).isEqualTo(e);
    assertThat(shadows(actual)).isEqualTo(shadows(expected));
    try (Store.View ev = expected.snapshot(); Store.View av = actual.snapshot()) {
      assertSameView(ev, av);
    }
  }

  static void assertSameView(Store.View expected, Store.View actual) {
    for (byte[] k : KEYS) assertThat(actual.get(k)).isEqualTo(expected.get(k));
    // Every origin with a record is named; one named beyond those has no record left.
    List<Long> named = logOrigins(actual);
    assertThat(named).containsAll(logOrigins(expected)).isSorted();
    for (long o : named) {
      if (!logOrigins(expected).contains(o)) {
        assertThat(scan(actual, o, 0, Long.MAX_VALUE)).containsExactly("last=0");
      }
    }
    for (long o : ORIGINS) {
      for (long after = 0; after <= 12; after += 3) {
        for (long upto : new long[] {after, after + 2, 12, Long.MAX_VALUE}) {
          assertThat(scan(actual, o, after, upto)).isEqualTo(scan(expected, o, after, upto));
        }
      }
      // a visitor that stops after the first record
      long stopE = expected.scanLog(o, 0, 100, (s, k) -> false);
      long stopA = actual.scanLog(o, 0, 100, (s, k) -> false);
      assertThat(stopA).isEqualTo(stopE);
    }
  }

  static List<Long> logOrigins(Store.View v) {
    List<Long> out = new ArrayList<>();
    for (long o = v.nextLogOrigin(-1); o >= 0; o = v.nextLogOrigin(o)) out.add(o);
    return out;
  }

  static List<String> shadows(Store s) {
    List<String> out = new ArrayList<>();
    s.forEachShadow((o, seq, key) ->
        out.add(o + ":" + seq + ":" + java.util.HexFormat.of().formatHex(key)));
    return out;
  }

  static List<String> scan(Store.View v, long origin, long after, long upto) {
    List<String> out = new ArrayList<>();
    long last = v.scanLog(origin, after, upto, (seq, key) -> {
      out.add(seq + ":" + java.util.HexFormat.of().formatHex(key));
      return true;
    });
    out.add("last=" + last);
    return out;
  }
}
