package kvs.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kvs.core.BenchMutations;
import kvs.core.Entry;
import kvs.core.Origins;
import kvs.core.Replica;
import kvs.core.ReplicaMeta;
import kvs.core.SessionToken;
import kvs.core.VersionVector;
import kvs.storage.RocksDbStore;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The storage write path: one RocksDB write batch per client write (data, log record, replica
 * metadata), with and without a sync of the write-ahead log; and the same through Replica.put,
 * which adds the clock, the vector and the metadata encoding. Without sync a commit is a write to
 * the log in the page cache, the durability SPEC section 5 asks for against SIGKILL; with sync it
 * is what {@code --fsync} costs when nothing else shares the fsync (no group commit here).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StorageBenchmarks {

  @State(Scope.Thread)
  public static class Db {
    @Param({"false", "true"})
    public boolean sync;

    @Param({"100", "1600"})
    public int valueBytes;

    Path dir;
    RocksDbStore store;
    Replica replica;
    SessionToken session;
    byte[] value;
    long origin;
    long seq;
    VersionVector vv;

    @Setup(Level.Trial)
    public void setup() throws IOException {
      dir = Files.createTempDirectory("kvs-jmh-");
      store = RocksDbStore.open(dir.resolve("db"), sync);
      replica = Replica.open(store, 0, 7);
      session = new SessionToken();
      value = new byte[valueBytes];
      origin = Origins.of(0, 7);
      vv = new VersionVector();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      store.close();
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** RocksDbStore.commit of a one-entry Mutation with its metadata (keys cycle over 100,000). */
  @Benchmark
  public void commitOneEntry(Db db) {
    long s = ++db.seq;
    db.vv.raise(db.origin, s);
    Entry e = Entry.write(("key:" + (s % 100_000)).getBytes(StandardCharsets.US_ASCII), db.value,
        (1_700_000_000_000L << 16) + s, db.origin, s);
    db.store.commit(BenchMutations.onePut(e,
        new ReplicaMeta(0, 7, db.vv, e.clock(), s, 0, 0)));
  }

  /** Replica.put into RocksDB: the whole server-side write minus the network. */
  @Benchmark
  public Entry replicaPut(Db db) {
    long s = ++db.seq;
    return db.replica.put(db.session,
        ("key:" + (s % 100_000)).getBytes(StandardCharsets.US_ASCII), db.value,
        1_700_000_000_000L + s / 1000);
  }
}
