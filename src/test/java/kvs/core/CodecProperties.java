package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Binary forms read from disk and from peers: {@link EntryCodec}, {@link DeltaChunk} and
 * {@link ReplicaMeta}. Valid values round-trip; every truncation and any random or mutated byte
 * string is either a valid value or a {@link CorruptDataException}, never another exception.
 */
class CodecProperties {

  @Provide
  static Arbitrary<Entry> entries() {
    Arbitrary<byte[]> key = Arbitraries.bytes().array(byte[].class).ofMaxSize(12);
    Arbitrary<byte[]> value = Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(20),
        Arbitraries.bytes().array(byte[].class).ofMinSize(200).ofMaxSize(600)).injectNull(0.25);
    Arbitrary<Long> clock = Arbitraries.oneOf(Arbitraries.longs().between(0, 100),
        Arbitraries.longs().between(0, Long.MAX_VALUE));
    Arbitrary<Long> origin = Arbitraries.oneOf(VersionVectorProperties.someOrigin(),
        Arbitraries.longs().between(0, Long.MAX_VALUE));
    Arbitrary<Long> seq = Arbitraries.oneOf(Arbitraries.longs().between(1, 10),
        Arbitraries.longs().between(1, Long.MAX_VALUE));
    Arbitrary<Long> expiry = Arbitraries.oneOf(Arbitraries.just(0L),
        Arbitraries.longs().between(1, Long.MAX_VALUE));
    Arbitrary<Byte> kind = Arbitraries.bytes().between(Entry.KIND_STRING, Entry.KIND_MAX);
    return Combinators.combine(key, value, clock, origin, seq, expiry, kind).as(Entry::new);
  }

  @Provide
  static Arbitrary<DeltaChunk> chunks() {
    return Combinators.combine(entries().list().ofMaxSize(6),
        VersionVectorProperties.vectors().injectNull(0.4)).as(DeltaChunk::new);
  }

  @Provide
  static Arbitrary<ReplicaMeta> metas() {
    return Combinators.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE),
        Arbitraries.integers(), VersionVectorProperties.vectors(),
        Arbitraries.longs().between(0, Long.MAX_VALUE), Arbitraries.longs(),
        Arbitraries.longs().between(0, Long.MAX_VALUE))
        .as((id, inc, vv, clock, digest, values) ->
            new ReplicaMeta(id, inc, vv, clock, digest, values, values / 3));
  }

  // ---- round trips ---------------------------------------------------------------------------

  @Property(tries = 1000)
  void entryRoundTripsStoredAndOnTheWire(@ForAll("entries") Entry e) {
    byte[] stored = EntryCodec.encodeStored(e);
    assertThat(stored).hasSize(EntryCodec.storedSize(e));
    Entry back = EntryCodec.decodeStored(e.key().clone(), stored);
    assertThat(back).isEqualTo(e);
    assertThat(back.isTombstone()).isEqualTo(e.isTombstone());
    assertThat(back.fingerprint()).isEqualTo(e.fingerprint());

    ByteBuffer wire = ByteBuffer.allocate(EntryCodec.wireSize(e) + 2);
    EntryCodec.putWire(wire, e);
    assertThat(wire.position()).isEqualTo(EntryCodec.wireSize(e));
    wire.put((byte) 7).put((byte) 7).flip();
    assertThat(EntryCodec.getWire(wire)).isEqualTo(e);
    assertThat(wire.remaining()).isEqualTo(2);
  }

  /**
   * Data format 1 (before expiry) still reads: an entry as a format-1 build wrote it decodes
   * with no expiry and fingerprints as it did, and format-1 metadata decodes; an entry with an
   * expiry is the only one whose bytes changed.
   */
  @Example
  void formatOneDataStillReads() {
    byte[] v1 = ByteBuffer.allocate(25 + 4 + 2).putLong(7).putLong(8).putLong(9).put((byte) 0)
        .putInt(2).put((byte) 'h').put((byte) 'i').array();
    Entry e = EntryCodec.decodeStored(new byte[] {'k'}, v1);
    assertThat(e).isEqualTo(Entry.write(new byte[] {'k'}, new byte[] {'h', 'i'}, 7, 8, 9));
    assertThat(e.hasExpiry()).isFalse();
    assertThat(EntryCodec.encodeStored(e)).isEqualTo(v1);
    Entry expiring = Entry.write(new byte[] {'k'}, new byte[] {'h', 'i'}, 7, 8, 9, 1234);
    assertThat(EntryCodec.storedSize(expiring)).isEqualTo(v1.length + 8);
    assertThat(expiring.fingerprint()).isNotEqualTo(e.fingerprint());
    assertThat(expiring).isNotEqualTo(e);

    ReplicaMeta counted = new ReplicaMeta(1, 1, new VersionVector(), 5, 6, 9, 4);
    byte[] meta = counted.encode();
    assertThat(meta[7]).isEqualTo((byte) ReplicaMeta.FORMAT_VERSION);
    assertThat(ReplicaMeta.decode(meta)).isEqualTo(counted);
    // Formats 1 and 2 end before the counts: they read as not counted.
    byte[] older = java.util.Arrays.copyOf(meta, meta.length - 16);
    ReplicaMeta uncounted = new ReplicaMeta(1, 1, new VersionVector(), 5, 6,
        ReplicaMeta.COUNTS_UNKNOWN, ReplicaMeta.COUNTS_UNKNOWN);
    for (byte format : new byte[] {1, 2, 3}) {
      older[7] = format;
      assertThat(ReplicaMeta.decode(older)).isEqualTo(uncounted);
    }
    byte[] badCounts = meta.clone();
    badCounts[badCounts.length - 1] = 10; // more expiring values than values
    assertThatThrownBy(() -> ReplicaMeta.decode(badCounts))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad value counts");
    older[7] = 4; // format 4 without its counts
    assertThatThrownBy(() -> ReplicaMeta.decode(older))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("counts truncated");

  }

  @Example
  void emptyValueIsNotATombstone() {
    Entry empty = Entry.write(new byte[0], new byte[0], 1, 2, 3);
    Entry back = EntryCodec.decodeStored(new byte[0], EntryCodec.encodeStored(empty));
    assertThat(back.isTombstone()).isFalse();
    assertThat(back.value()).isEmpty();
    Entry tomb = Entry.tombstone(new byte[] {1}, 1, 2, 3);
    assertThat(EntryCodec.decodeStored(new byte[] {1}, EntryCodec.encodeStored(tomb)).isTombstone())
        .isTrue();
  }

  @Property(tries = 1000)
  void deltaChunkRoundTrips(@ForAll("chunks") DeltaChunk c) {
    DeltaChunk back = DeltaChunk.decode(c.encode());
    assertThat(back).isEqualTo(c);
    assertThat(back.isLast()).isEqualTo(c.completes() != null);
  }

  @Property(tries = 1000)
  void metaRoundTrips(@ForAll("metas") ReplicaMeta m) {
    ReplicaMeta back = ReplicaMeta.decode(m.encode());
    assertThat(back).isEqualTo(m);
    assertThat(back.origin()).isEqualTo(Origins.of(m.serverId(), m.incarnation()));
  }

  @Property
  void originsPackServerAndIncarnation(@ForAll int incarnation,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = Integer.MAX_VALUE) int server) {
    long o = Origins.of(server, incarnation);
    assertThat(o).isNotNegative();
    assertThat(Origins.serverId(o)).isEqualTo(server);
    assertThat(Origins.incarnation(o)).isEqualTo(incarnation);
    assertThatThrownBy(() -> Origins.of(-1, incarnation)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- truncation ----------------------------------------------------------------------------

  @Property(tries = 200)
  void everyTruncationIsRejected(@ForAll("entries") Entry e, @ForAll("chunks") DeltaChunk c,
      @ForAll("metas") ReplicaMeta m) {
    byte[] stored = EntryCodec.encodeStored(e);
    for (int len = 0; len < stored.length; len++) {
      byte[] p = Arrays.copyOf(stored, len);
      assertThatThrownBy(() -> EntryCodec.decodeStored(e.key(), p)).as("entry prefix %d", len)
          .isInstanceOf(CorruptDataException.class);
    }
    byte[] chunk = c.encode();
    for (int len = 0; len < chunk.length; len++) {
      byte[] p = Arrays.copyOf(chunk, len);
      assertThatThrownBy(() -> DeltaChunk.decode(p)).as("chunk prefix %d", len)
          .isInstanceOf(CorruptDataException.class);
    }
    byte[] meta = m.encode();
    for (int len = 0; len < meta.length; len++) {
      byte[] p = Arrays.copyOf(meta, len);
      assertThatThrownBy(() -> ReplicaMeta.decode(p)).as("meta prefix %d", len)
          .isInstanceOf(CorruptDataException.class);
    }
    // and a byte too many
    assertThatThrownBy(() -> EntryCodec.decodeStored(e.key(), Arrays.copyOf(stored, stored.length + 1)))
        .isInstanceOf(CorruptDataException.class);
    assertThatThrownBy(() -> DeltaChunk.decode(Arrays.copyOf(chunk, chunk.length + 1)))
        .isInstanceOf(CorruptDataException.class);
    assertThatThrownBy(() -> ReplicaMeta.decode(Arrays.copyOf(meta, meta.length + 1)))
        .isInstanceOf(CorruptDataException.class);
  }

  // ---- fuzz ----------------------------------------------------------------------------------

  /** Random bytes, huge announced lengths and counts, and valid encodings with one byte changed. */
  @Provide
  static Arbitrary<byte[]> garbage() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    Arbitrary<Integer> bigInt = Arbitraries.of(Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 0, 1, 2,
        1 << 20, 1 << 30, 29, 30);
    Arbitrary<byte[]> hugeLengths = Combinators.combine(bigInt, bigInt,
        Arbitraries.bytes().array(byte[].class).ofMaxSize(80))
        .as((a, b, rest) -> ByteBuffer.allocate(8 + rest.length).putInt(a).putInt(b).put(rest)
            .array());
    Arbitrary<byte[]> mutatedChunk = Combinators.combine(chunks(),
        Arbitraries.integers().between(0, 100_000), Arbitraries.bytes())
        .as((c, pos, val) -> mutate(c.encode(), pos, val));
    Arbitrary<byte[]> mutatedEntry = Combinators.combine(entries(),
        Arbitraries.integers().between(0, 100_000), Arbitraries.bytes())
        .as((e, pos, val) -> mutate(EntryCodec.encodeStored(e), pos, val));
    Arbitrary<byte[]> mutatedMeta = Combinators.combine(metas(),
        Arbitraries.integers().between(0, 100_000), Arbitraries.bytes())
        .as((m, pos, val) -> mutate(m.encode(), pos, val));
    return Arbitraries.oneOf(random, hugeLengths, mutatedChunk, mutatedEntry, mutatedMeta);
  }

  static byte[] mutate(byte[] b, int pos, byte val) {
    b[pos % b.length] = val;
    return b;
  }

  @Property(tries = 2500)
  void garbageIsOnlyEverCorruptData(@ForAll("garbage") byte[] bytes) {
    try {
      Entry e = EntryCodec.decodeStored(new byte[] {1}, bytes);
      assertThat(EntryCodec.encodeStored(e)).isEqualTo(bytes);
    } catch (CorruptDataException expected) {
      // fine
    }
    try {
      Entry e = EntryCodec.getWire(ByteBuffer.wrap(bytes));
      assertThat(e.seq()).isPositive();
    } catch (CorruptDataException expected) {
      // fine
    }
    try {
      DeltaChunk c = DeltaChunk.decode(bytes);
      assertThat(DeltaChunk.decode(c.encode())).isEqualTo(c);
    } catch (CorruptDataException expected) {
      // fine
    }
    try {
      ReplicaMeta m = ReplicaMeta.decode(bytes);
      assertThat(ReplicaMeta.decode(m.encode())).isEqualTo(m);
    } catch (CorruptDataException expected) {
      // fine
    }
  }

  @Example
  void specificMalformedHeadersAreRefused() {
    byte[] negativeClock = ByteBuffer.allocate(25).putLong(-1).putLong(1).putLong(1).put((byte) 1)
        .array();
    byte[] zeroSeq = ByteBuffer.allocate(25).putLong(1).putLong(1).putLong(0).put((byte) 1).array();
    byte[] unknownFlag = ByteBuffer.allocate(25).putLong(1).putLong(1).putLong(1).put((byte) 16)
        .array();
    byte[] truncatedKind = ByteBuffer.allocate(25).putLong(1).putLong(1).putLong(1).put((byte) 9)
        .array();
    byte[] stringKindWritten = ByteBuffer.allocate(26).putLong(1).putLong(1).putLong(1)
        .put((byte) 9).put(Entry.KIND_STRING).array();
    byte[] unknownKind = ByteBuffer.allocate(26).putLong(1).putLong(1).putLong(1).put((byte) 9)
        .put((byte) (Entry.KIND_MAX + 1)).array();
    byte[] truncatedBatch = ByteBuffer.allocate(29).putLong(1).putLong(1).putLong(1)
        .put((byte) 5).putInt(1).array();
    byte[] emptyBatch = ByteBuffer.allocate(33).putLong(1).putLong(1).putLong(1).put((byte) 5)
        .putInt(0).putInt(0).array();
    byte[] batchBeforeTheFirstDot = ByteBuffer.allocate(33).putLong(1).putLong(1).putLong(2)
        .put((byte) 5).putInt(2).putInt(0).array();
    byte[] truncatedExpiry = ByteBuffer.allocate(29).putLong(1).putLong(1).putLong(1)
        .put((byte) 3).putInt(1).array();
    byte[] zeroExpiry = ByteBuffer.allocate(33).putLong(1).putLong(1).putLong(1).put((byte) 3)
        .putLong(0).array();
    byte[] hugeValue = ByteBuffer.allocate(29).putLong(1).putLong(1).putLong(1).put((byte) 0)
        .putInt(Integer.MAX_VALUE).array();
    for (byte[] b : List.of(negativeClock, zeroSeq, unknownFlag, truncatedKind,
        stringKindWritten, unknownKind, truncatedExpiry, zeroExpiry, hugeValue, truncatedBatch,
        emptyBatch, batchBeforeTheFirstDot)) {
      assertThatThrownBy(() -> EntryCodec.decodeStored(new byte[0], b))
          .isInstanceOf(CorruptDataException.class);
    }
    byte[] hugeCount = ByteBuffer.allocate(5).putInt(Integer.MAX_VALUE).put((byte) 0).array();
    byte[] badFlag = ByteBuffer.allocate(5).putInt(0).put((byte) 3).array();
    for (byte[] b : List.of(hugeCount, badFlag)) {
      assertThatThrownBy(() -> DeltaChunk.decode(b)).isInstanceOf(CorruptDataException.class);
    }
    byte[] futureFormat = new ReplicaMeta(1, 1, new VersionVector(), 0, 0, 0, 0).encode();
    futureFormat[7] = (byte) (ReplicaMeta.FORMAT_VERSION + 1);
    assertThatThrownBy(() -> ReplicaMeta.decode(futureFormat))
        .isInstanceOf(CorruptDataException.class)
        .hasMessageContaining("version " + (ReplicaMeta.FORMAT_VERSION + 1));
    byte[] notOurs = new ReplicaMeta(1, 1, new VersionVector(), 0, 0, 0, 0).encode();
    notOurs[0] = 0;
    assertThatThrownBy(() -> ReplicaMeta.decode(notOurs))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("not a kvs data directory");
  }
}
