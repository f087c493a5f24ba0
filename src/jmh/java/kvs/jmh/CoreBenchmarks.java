package kvs.jmh;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.EntryCodec;
import kvs.core.Origins;
import kvs.core.Replica;
import kvs.core.SessionToken;
import kvs.core.VersionVector;
import kvs.storage.MemoryStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The protocol core on the hot path of every write and read: version comparison, version-vector
 * merge and covers, the session check of a read, and the binary forms of entries and delta
 * chunks. Average time per operation; run as docs/performance.md says.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CoreBenchmarks {

  /** Pairs of versions and vectors over {@code origins} origins. */
  @State(Scope.Thread)
  public static class Vectors {
    @Param({"5", "50"})
    public int origins;

    long[] clocks = new long[1024];
    long[] originIds = new long[1024];
    int i;
    VersionVector a;
    VersionVector b;
    VersionVector aCovered;

    @Setup
    public void setup() {
      SplittableRandom r = new SplittableRandom(1);
      for (int k = 0; k < clocks.length; k++) {
        clocks[k] = (1_700_000_000_000L << 16) + r.nextInt(1 << 20);
        originIds[k] = Origins.of(r.nextInt(origins), 7);
      }
      a = new VersionVector();
      b = new VersionVector();
      aCovered = new VersionVector();
      for (int o = 0; o < origins; o++) {
        long origin = Origins.of(o, 7);
        a.raise(origin, 1000 + r.nextInt(1000));
        b.raise(origin, 1000 + r.nextInt(1000));
        aCovered.raise(origin, a.get(origin) - r.nextInt(10));
      }
    }
  }

  @Benchmark
  public int versionCompare(Vectors v) {
    int k = v.i++ & 1023;
    int j = (k + 1) & 1023;
    return Entry.compareVersions(v.clocks[k], v.originIds[k], v.clocks[j], v.originIds[j]);
  }

  /** A copy then a pointwise maximum: what a receiver or a session merge does. */
  @Benchmark
  public VersionVector vectorMerge(Vectors v) {
    VersionVector c = v.a.copy();
    c.mergeFrom(v.b);
    return c;
  }

  /** The check every read makes (true case: walks every origin). */
  @Benchmark
  public boolean vectorCovers(Vectors v) {
    return v.a.covers(v.aCovered);
  }

  /** A replica over the in-memory store, holding {@code keys} keys written by itself. */
  @State(Scope.Thread)
  public static class ReplicaState {
    @Param({"10000"})
    public int keys;

    Replica replica;
    byte[][] keyBytes;
    SessionToken satisfied;
    SessionToken ahead;
    int i;

    @Setup
    public void setup() {
      replica = Replica.open(new MemoryStore(), 0, 7);
      keyBytes = new byte[keys][];
      SessionToken writer = new SessionToken();
      byte[] value = new byte[100];
      for (int k = 0; k < keys; k++) {
        keyBytes[k] = ("key:" + k).getBytes(StandardCharsets.US_ASCII);
        replica.put(writer, keyBytes[k], value, 1_700_000_000_000L + k);
      }
      satisfied = writer.copy();
      ahead = writer.copy();
      ahead.observe(Origins.of(3, 9), 5, 0); // a write this replica has not seen
    }
  }

  /** Replica.read with a session the replica satisfies: the check, a lookup, the observe. */
  @Benchmark
  public Replica.ReadResult sessionReadServed(ReplicaState s) {
    return s.replica.read(s.satisfied, s.keyBytes[s.i++ % s.keys]);
  }

  /** Replica.read with a session ahead of the replica: refused with ERR_DEP, no lookup. */
  @Benchmark
  public Replica.ReadResult sessionReadRefused(ReplicaState s) {
    return s.replica.read(s.ahead, s.keyBytes[s.i++ % s.keys]);
  }

  /** Entries of {@code valueBytes} and a delta chunk of about 256 KiB of them. */
  @State(Scope.Thread)
  public static class Codec {
    @Param({"100", "1600", "10000"})
    public int valueBytes;

    Entry entry;
    byte[] stored;
    DeltaChunk chunk;
    byte[] chunkBytes;

    @Setup(Level.Trial)
    public void setup() {
      SplittableRandom r = new SplittableRandom(2);
      byte[] value = new byte[valueBytes];
      for (int k = 0; k < value.length; k++) value[k] = (byte) ('a' + r.nextInt(26));
      long origin = Origins.of(1, 7);
      entry = Entry.write("key:12345".getBytes(StandardCharsets.US_ASCII), value,
          1_700_000_000_000L << 16, origin, 42);
      stored = EntryCodec.encodeStored(entry);
      List<Entry> entries = new ArrayList<>();
      int bytes = 0;
      for (int k = 0; bytes < 256 * 1024; k++) {
        Entry e = Entry.write(("key:" + k).getBytes(StandardCharsets.US_ASCII), value,
            (1_700_000_000_000L << 16) + k, origin, k + 1);
        entries.add(e);
        bytes += EntryCodec.wireSize(e);
      }
      VersionVector vv = new VersionVector();
      for (int o = 0; o < 5; o++) vv.raise(Origins.of(o, 7), 1000);
      chunk = new DeltaChunk(entries, vv);
      chunkBytes = chunk.encode();
    }
  }

  @Benchmark
  public byte[] entryEncode(Codec c) {
    return EntryCodec.encodeStored(c.entry);
  }

  @Benchmark
  public Entry entryDecode(Codec c) {
    return EntryCodec.decodeStored(c.entry.key(), c.stored);
  }

  /** Encode one ~256 KiB delta chunk (the size PeerLink sends); divide by its entry count. */
  @Benchmark
  public byte[] deltaChunkEncode(Codec c) {
    return c.chunk.encode();
  }

  @Benchmark
  public void deltaChunkDecode(Codec c, Blackhole bh) {
    bh.consume(DeltaChunk.decode(c.chunkBytes));
  }
}
