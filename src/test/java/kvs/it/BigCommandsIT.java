package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * SPEC section 7: no command costs more than linear time in its own size. A 100,000-pair MSET, a
 * full SCAN of the 100,000 keys and a 100,000-key DEL against one server of a two-server
 * {@code ./kvs cluster}: each gives the right result, reaches the other server, and completes
 * within {@link #BOUND_MS} (see below), while another client's PINGs keep being answered.
 *
 * <p>The bound is a complexity check, not a performance assertion. Measured on a two-core
 * machine shared with other builds: with a linear scan per key (issue 11) an MSET of 40,000
 * pairs took 16-19 s and one of 100,000 takes minutes, while linear code does 100,000 in about a
 * second (Redis: tens of milliseconds). 20 s is far above the linear figure and far below the
 * quadratic one. The same holds for SCAN: when each page walked the keyspace from its first key,
 * the full scan with COUNT 100 here (1,000 walks of 100,000 entries) took 69 s; it takes under a
 * second now. A heavily loaded machine stretches the linear figure past 20 s all the same (23 s
 * under CPU hogs with the load average at 25), so the bound grows with the machine's pace there:
 * {@link #TENTH_FACTOR} times what an MSET of a tenth of the pairs took just before, when that
 * is more (linear code takes 10 times as long for 10 times the work, quadratic code 100 times).
 *
 * <p>The values are 400 bytes, so the write batch (about 44 MB on the wire) is larger than a
 * peer link's largest message ({@code Limits.bulkBytesMax}, 32 MiB): its push to the peer must
 * go in pieces, and the link must never drop (checked in the servers' logs).
 */
class BigCommandsIT {
  private static final int N = 100_000;
  private static final int VALUE_BYTES = 400;
  /** Per command; see the class comment for why this is a complexity bound. */
  private static final int BOUND_MS = 20_000;
  /**
   * On a loaded machine the bound is this many times what an MSET of a tenth of the pairs took
   * there, when that is more than {@link #BOUND_MS}: linear code takes about 10 times as long
   * for 10 times the pairs, quadratic code 100 times, whatever the machine's speed.
   */
  private static final int TENTH_FACTOR = 30;

  private static byte[] key(int i) {
    return ("big:" + i).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] value(int i) {
    byte[] v = new byte[VALUE_BYTES];
    Arrays.fill(v, (byte) 'v');
    byte[] id = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(id, 0, v, 0, id.length);
    return v;
  }

  /** Every 997th key, and the first and the last. */
  private static List<Integer> sample() {
    List<Integer> s = new ArrayList<>();
    for (int i = 0; i < N; i += 997) s.add(i);
    s.add(N - 1);
    return s;
  }

  /** A connection whose replies may take up to {@code timeoutMs} (the default is 10 s). */
  private static Jedis connect(ClusterProcess c, int server, int timeoutMs) {
    return new Jedis(new HostAndPort(ClusterProcess.HOST, c.port(server)),
        DefaultJedisClientConfig.builder().socketTimeoutMillis(timeoutMs).build());
  }

  /**
   * Another client, PINGing the same server all along: how many PINGs were answered, and the
   * longest wait for one. A PING waits at most for the command being served (the event loop
   * serves one command at a time, as Redis does), so it must never wait longer than the bound.
   */
  private static final class Pinger implements AutoCloseable {
    final long boundMs;
    final AtomicLong answered = new AtomicLong();
    final AtomicLong longestNanos = new AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Pinger(ClusterProcess c, int server, long boundMs) {
      this.boundMs = boundMs;
      thread = new Thread(() -> {
        try (Jedis j = connect(c, server, (int) boundMs + 5_000)) {
          while (!stop.get()) {
            long t0 = System.nanoTime();
            assertThat(j.ping()).isEqualTo("PONG");
            long waited = System.nanoTime() - t0;
            longestNanos.accumulateAndGet(waited, Math::max);
            answered.incrementAndGet();
            Thread.sleep(1); // pacing, so that the PINGs do not compete for the cores
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "pinger");
      thread.setDaemon(true);
      thread.start();
    }

    /** Waits, bounded, until at least {@code n} PINGs were answered in all. */
    void awaitAnswered(long n) throws InterruptedException {
      ClusterProcess.await(n + " PINGs answered", boundMs,
          () -> answered.get() >= n || failure.get() != null);
      assertThat(failure.get()).as("the other client's PING").isNull();
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(boundMs + 10_000);
      assertThat(thread.isAlive()).as("the pinger stopped").isFalse();
      assertThat(failure.get()).as("the other client's PING").isNull();
      assertThat(longestNanos.get()).as("longest wait for a PING, ns")
          .isLessThan(TimeUnit.MILLISECONDS.toNanos(boundMs));
    }
  }

  /** Runs {@code command}, failing with a clear message when it takes longer than the bound. */
  private static <T> T bounded(String what, Pinger pinger, java.util.concurrent.Callable<T> command)
      throws Exception {
    long before = pinger.answered.get();
    long t0 = System.nanoTime();
    T result;
    try {
      result = command.call();
    } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
      throw new AssertionError(what + " got no reply within " + pinger.boundMs + " ms: the server's"
          + " work is not linear in the command's size (SPEC section 7)", e);
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    System.out.println("BigCommandsIT: " + what + " took " + ms + " ms");
    assertThat(ms).as(what + " took %d ms; the bound is %d ms", ms, pinger.boundMs)
        .isLessThan(pinger.boundMs);
    // Answered while the command ran, or right after it: the other client is served.
    pinger.awaitAnswered(before + 1);
    return result;
  }

  @Test
  void hundredThousandKeyMsetScanAndDelAreLinearAndReplicate() throws Exception {
    ClusterProcess c = ClusterProcess.start(2);
    boolean done = false;
    try {
      byte[][] pairs = new byte[2 * N][];
      for (int i = 0; i < N; i++) {
        pairs[2 * i] = key(i);
        pairs[2 * i + 1] = value(i);
      }
      // The machine's pace: the first tenth of the pairs in one MSET (the MSET below overwrites
      // them). A stressed run's MSET of all of them took 23 s, linear as it was.
      long tenthMs;
      try (Jedis j = connect(c, 0, 300_000)) {
        assertThat(j.mset(Arrays.copyOf(pairs, 2 * (N / 100)))).isEqualTo("OK"); // a fresh server
        long t0 = System.nanoTime();
        assertThat(j.mset(Arrays.copyOf(pairs, 2 * (N / 10)))).isEqualTo("OK");
        tenthMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      }
      long boundMs = Math.max(BOUND_MS, TENTH_FACTOR * tenthMs);
      System.out.println("BigCommandsIT: MSET of " + N / 10 + " pairs took " + tenthMs
          + " ms; the bound is " + boundMs + " ms");
      // For the peer to hold what the command did; also far below a quadratic apply.
      long replicationMs = boundMs * 3 / 2;
      try (Jedis s0 = connect(c, 0, (int) boundMs); Jedis s1 = connect(c, 1, (int) boundMs);
          Pinger pinger = new Pinger(c, 0, boundMs)) {
        pinger.awaitAnswered(1);
        assertThat(bounded("MSET of " + N + " pairs", pinger, () -> s0.mset(pairs)))
            .isEqualTo("OK");
        assertThat(s0.dbSize()).isEqualTo(N);
        for (int i : sample()) assertThat(s0.get(key(i))).as("GET big:%d", i).isEqualTo(value(i));

        ClusterProcess.await("server 1 holds the MSET's last key", replicationMs,
            () -> s1.exists(key(N - 1)));
        ClusterProcess.await("server 1 holds all " + N + " keys", replicationMs,
            () -> s1.dbSize() == N);
        for (int i : sample()) assertThat(s1.get(key(i))).as("GET big:%d on server 1", i).isEqualTo(value(i));

        Set<String> scanned = bounded("a full SCAN with COUNT 100", pinger, () -> {
          Set<String> keys = new HashSet<>();
          String cursor = ScanParams.SCAN_POINTER_START;
          ScanParams params = new ScanParams().count(100);
          int calls = 0;
          do {
            ScanResult<String> page = s0.scan(cursor, params);
            keys.addAll(page.getResult());
            cursor = page.getCursor();
            assertThat(++calls).as("SCAN calls").isLessThanOrEqualTo(N / 100 + 1);
          } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
          return keys;
        });
        assertThat(scanned).hasSize(N).contains("big:0", "big:" + (N - 1));

        byte[][] keys = new byte[N][];
        for (int i = 0; i < N; i++) keys[i] = key(i);
        assertThat(bounded("DEL of " + N + " keys", pinger, () -> s0.del(keys))).isEqualTo((long) N);
        assertThat(s0.dbSize()).isZero();
        for (int i : sample()) assertThat(s0.get(key(i))).as("GET big:%d", i).isNull();

        ClusterProcess.await("server 1 has the DEL's last tombstone", replicationMs,
            () -> !s1.exists(key(N - 1)));
        ClusterProcess.await("server 1 holds no key", replicationMs, () -> s1.dbSize() == 0);
        for (int i : sample()) assertThat(s1.get(key(i))).as("GET big:%d on server 1", i).isNull();
        assertLinkNeverDropped(c);
      }
      done = true;
    } finally {
      if (!done) {
        // A server stuck in quadratic work would keep the cluster from stopping for minutes.
        c.process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      }
      c.close();
    }
  }

  /**
   * The servers' logs (in the cluster's data directory, removed when it stops) show that the
   * link between them was never closed or dropped.
   */
  private static void assertLinkNeverDropped(ClusterProcess c) throws Exception {
    String ready = c.stdout.stream().filter(l -> l.contains("ready")).findFirst().orElseThrow();
    Matcher m = Pattern.compile("data in (\\S+) ").matcher(ready);
    assertThat(m.find()).as(ready).isTrue();
    Path logs = Path.of(m.group(1)).resolve("logs");
    for (int id = 0; id < 2; id++) {
      String log = Files.readString(logs.resolve("server-" + id + ".log"));
      assertThat(log).as("server %d's log", id)
          .doesNotContainPattern("link to server \\d+ closed|dropping link|closing the link");
    }
  }
}
