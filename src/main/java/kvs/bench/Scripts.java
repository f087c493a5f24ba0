package kvs.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates the master scripts of the benchmark scenarios (SPEC section 8), deterministically
 * from a seed, into files. Servers have ids 0..n-1 and clients 100..100+n-1 (one namespace), client
 * {@code 100+i} starting on server {@code i}.
 *
 * <p>Values are slices of one random alphanumeric pool, so generating 200 MB costs a copy, not a
 * random draw per byte; a slice starts at a random offset, so no two values share a prefix.
 */
final class Scripts {
  static final int CLIENT_BASE = 100;
  private static final int POOL_BYTES = 1 << 20;
  private static final byte[] ALPHABET =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".getBytes(StandardCharsets.US_ASCII);

  /** What a generated script holds. */
  record Script(Path file, long commands, long puts, long gets, long valueBytes) {}

  private final SplittableRandom random;
  private final byte[] pool;

  Scripts(long seed) {
    this.random = new SplittableRandom(seed);
    this.pool = new byte[POOL_BYTES + 64 * 1024 * 1024 / 32];
    for (int i = 0; i < pool.length; i++) pool[i] = ALPHABET[random.nextInt(ALPHABET.length)];
  }

  /**
   * Scenario (a): n servers linked as a binary tree (parent of i is (i-1)/2, every other link cut),
   * client 100+i on server i, {@code puts} puts by the clients in turn of values of 1..maxValue
   * bytes over {@code keys} keys, then stabilize.
   */
  Script tree(Path file, int servers, int puts, int maxValue, int keys) throws IOException {
    try (Writer w = new Writer(file)) {
      for (int s = 0; s < servers; s++) w.line("joinServer " + s);
      for (int a = 0; a < servers; a++) {
        for (int b = a + 1; b < servers; b++) {
          if ((b - 1) / 2 != a) w.line("breakConnection " + a + " " + b);
        }
      }
      for (int s = 0; s < servers; s++) w.line("joinClient " + (CLIENT_BASE + s) + " " + s);
      for (int i = 0; i < puts; i++) {
        w.put(CLIENT_BASE + i % servers, "k" + random.nextInt(keys), 1 + random.nextInt(maxValue));
      }
      w.line("stabilize");
      return w.done();
    }
  }

  /**
   * Scenario (b): about {@code commands} commands with values of minValue..maxValue bytes, 70%
   * puts and 30% gets of keys written before, in phases: servers join one by one (each with its
   * client); the servers are cut into two groups; the last server is killed (its client moves to
   * another server of its group); it rejoins (its client comes back); the groups are joined again;
   * stabilize.
   */
  Script churn(Path file, int servers, int commands, int minValue, int maxValue)
      throws IOException {
    if (servers < 3) throw new IllegalArgumentException("the churn scenario needs 3 servers or more");
    int control = 3 * servers + servers * servers + 8;
    int phases = servers + 4;
    int perPhase = Math.max(1, (commands - control) / phases);
    List<String> written = new ArrayList<>();
    List<Integer> clients = new ArrayList<>();
    int[] serverOf = new int[servers];
    int last = servers - 1;
    int half = servers / 2; // group A: 0..half-1, group B: half..n-1
    try (Writer w = new Writer(file)) {
      for (int s = 0; s < servers; s++) {
        w.line("joinServer " + s);
        w.line("joinClient " + (CLIENT_BASE + s) + " " + s);
        clients.add(CLIENT_BASE + s);
        serverOf[s] = s;
        ops(w, perPhase, clients, written, minValue, maxValue);
      }
      for (int a = 0; a < half; a++) {
        for (int b = half; b < servers; b++) w.line("breakConnection " + a + " " + b);
      }
      ops(w, perPhase, clients, written, minValue, maxValue);
      w.line("killServer " + last);
      w.line("joinClient " + (CLIENT_BASE + last) + " " + (last - 1));
      ops(w, perPhase, clients, written, minValue, maxValue);
      // A rejoin links the server to every live server, so it also bridges the two groups.
      w.line("joinServer " + last);
      w.line("joinClient " + (CLIENT_BASE + last) + " " + last);
      ops(w, perPhase, clients, written, minValue, maxValue);
      for (int a = 0; a < half; a++) {
        for (int b = half; b < last; b++) w.line("createConnection " + a + " " + b);
      }
      int rest = (int) Math.max(1, commands - w.commands - 1);
      ops(w, rest, clients, written, minValue, maxValue);
      w.line("stabilize");
      return w.done();
    }
  }

  private void ops(Writer w, int n, List<Integer> clients, List<String> written, int minValue,
      int maxValue) throws IOException {
    for (int i = 0; i < n; i++) {
      int client = clients.get((int) (w.commands % clients.size()));
      if (!written.isEmpty() && random.nextInt(10) < 3) {
        w.line("get " + client + " " + written.get(random.nextInt(written.size())));
        w.gets++;
      } else {
        String key = "k" + random.nextInt(5000);
        written.add(key);
        w.put(client, key, minValue + random.nextInt(maxValue - minValue + 1));
      }
    }
  }

  /**
   * Scenario (c): n servers cut into two groups (0..n/2-1 and the rest), a client in each group
   * writing distinct keys of about {@code valueBytes} each until the groups hold
   * {@code totalBytes} of divergent values together, then every cut link restored and stabilize.
   */
  Script heal(Path file, int servers, long totalBytes, int valueBytes) throws IOException {
    int half = servers / 2;
    try (Writer w = new Writer(file)) {
      for (int s = 0; s < servers; s++) w.line("joinServer " + s);
      w.line("joinClient " + CLIENT_BASE + " 0");
      w.line("joinClient " + (CLIENT_BASE + 1) + " " + (servers - 1));
      for (int a = 0; a < half; a++) {
        for (int b = half; b < servers; b++) w.line("breakConnection " + a + " " + b);
      }
      long i = 0;
      while (w.valueBytes < totalBytes) {
        int len = valueBytes - valueBytes / 32 + random.nextInt(valueBytes / 16 + 1);
        int side = (int) (i % 2);
        w.put(CLIENT_BASE + side, (side == 0 ? "a" : "b") + i, len);
        i++;
      }
      for (int a = 0; a < half; a++) {
        for (int b = half; b < servers; b++) w.line("createConnection " + a + " " + b);
      }
      w.line("stabilize");
      return w.done();
    }
  }

  /**
   * joinServer latency: server 0 and a client with a few writes, then {@code joins} times server
   * 1 joining (the first time fresh, later restarting on its data) and being killed.
   */
  Script joins(Path file, int joins) throws IOException {
    try (Writer w = new Writer(file)) {
      w.line("joinServer 0");
      w.line("joinClient " + CLIENT_BASE + " 0");
      for (int i = 0; i < 20; i++) w.put(CLIENT_BASE, "j" + i, 100);
      for (int i = 0; i < joins; i++) {
        w.line("joinServer 1");
        w.line("killServer 1");
      }
      return w.done();
    }
  }

  private final class Writer implements AutoCloseable {
    private final Path file;
    private final OutputStream out;
    long commands;
    long puts;
    long gets;
    long valueBytes;

    Writer(Path file) throws IOException {
      this.file = file;
      this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
    }

    void line(String s) throws IOException {
      out.write(s.getBytes(StandardCharsets.US_ASCII));
      out.write('\n');
      commands++;
    }

    void put(int client, String key, int valueLength) throws IOException {
      out.write(("put " + client + " " + key + " ").getBytes(StandardCharsets.US_ASCII));
      int remaining = valueLength;
      while (remaining > 0) {
        int n = Math.min(remaining, POOL_BYTES);
        out.write(pool, random.nextInt(pool.length - n + 1), n);
        remaining -= n;
      }
      out.write('\n');
      commands++;
      puts++;
      valueBytes += valueLength;
    }

    Script done() throws IOException {
      out.flush();
      return new Script(file, commands, puts, gets, valueBytes);
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
