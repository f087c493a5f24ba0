package kvs.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What INFO's Stats section, CLIENT LIST and SLOWLOG report: commands processed, connections
 * received, the instantaneous rate (Redis's 16 samples, one each 100 ms), every open connection
 * with its id and last command, and the slow log. Only the event loop touches it.
 */
final class ServerStats {
  /** Redis's slowlog-log-slower-than and slowlog-max-len defaults. */
  static final long SLOWLOG_SLOWER_THAN_MICROS = 10_000;
  static final int SLOWLOG_MAX_LEN = 128;
  /** Redis keeps at most 32 arguments of a slow command, each at most 128 bytes. */
  private static final int SLOWLOG_ARGS_MAX = 32;
  private static final int SLOWLOG_ARG_BYTES_MAX = 128;
  private static final int SAMPLES = 16;
  static final long SAMPLE_INTERVAL_MS = 100;

  private static final AttributeKey<Client> CLIENT = AttributeKey.valueOf("kvs.client");

  final long startedNanos = System.nanoTime();
  long commandsProcessed;
  long connectionsReceived;
  private long nextClientId = 1;
  /** Every open connection by id, in the order accepted (peers and admins filtered on report). */
  final Map<Long, Client> connections = new LinkedHashMap<>();
  private final long[] opsSamples = new long[SAMPLES];
  private int sampleIndex;
  private long lastSampleNanos = System.nanoTime();
  private long lastSampleCommands;
  private long slowlogNextId;
  final Deque<SlowEntry> slowlog = new ArrayDeque<>();

  /** One connection as CLIENT LIST shows it. */
  static final class Client {
    final long id;
    final ConnectionHandler handler;
    final long createdNanos = System.nanoTime();
    long lastCommandNanos = createdNanos;
    /** The last command's name as declared, and its subcommand for a container; see cmd(). */
    String lastCommandName;
    byte[] lastSubcommand;

    Client(long id, ConnectionHandler handler) {
      this.id = id;
      this.handler = handler;
    }

    /**
     * CLIENT LIST's cmd field, as Redis shows it ({@code get}, {@code client|list}): built when
     * asked for, not on every command.
     */
    String cmd() {
      if (lastCommandName == null) return "NULL";
      String cmd = lastSubcommand == null ? lastCommandName
          : lastCommandName + "|" + kvs.net.Resp.ascii(lastSubcommand);
      return cmd.toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One slow command: Redis's six fields. */
  record SlowEntry(long id, long unixSeconds, long micros, List<byte[]> args, String addr,
      String name) {}

  /** Counts an accepted connection and gives it the next client id (CLIENT ID, CLIENT LIST). */
  void accepted(Channel ch, ConnectionHandler handler) {
    connectionsReceived++;
    Client client = new Client(nextClientId++, handler);
    ch.attr(CLIENT).set(client);
    connections.put(client.id, client);
    ch.closeFuture().addListener(f -> connections.remove(client.id));
  }

  static Client client(ConnectionHandler c) {
    return c.ctx == null ? null : c.ctx.channel().attr(CLIENT).get();
  }

  /** Commands CLIENT LIST shows with their subcommand, as Redis: client|list. */
  private static final java.util.Set<String> CONTAINERS =
      java.util.Set.of("CLIENT", "CONFIG", "COMMAND", "SLOWLOG", "MEMORY");

  /**
   * Before each command: remembers it for CLIENT LIST (cmd, idle); returns the start time for
   * {@link #commandDone}.
   */
  long commandStarting(ConnectionHandler c, String name, byte[][] args) {
    long now = System.nanoTime();
    Client client = client(c);
    if (client != null) {
      client.lastCommandName = name;
      client.lastSubcommand = CONTAINERS.contains(name) && args.length > 1 ? args[1] : null;
      client.lastCommandNanos = now;
    }
    return now;
  }

  /** After each command: counts it, logs it when slow. */
  void commandDone(ConnectionHandler c, byte[][] args, long elapsedNanos) {
    commandsProcessed++;
    long micros = elapsedNanos / 1_000;
    if (micros >= SLOWLOG_SLOWER_THAN_MICROS) slow(c, args, micros);
  }

  private void slow(ConnectionHandler c, byte[][] args, long micros) {
    List<byte[]> kept = new ArrayList<>();
    int n = Math.min(args.length, SLOWLOG_ARGS_MAX);
    for (int i = 0; i < n; i++) {
      if (i == SLOWLOG_ARGS_MAX - 1 && args.length > SLOWLOG_ARGS_MAX) {
        kept.add(("... (" + (args.length - SLOWLOG_ARGS_MAX + 1) + " more arguments)").getBytes());
      } else if (args[i].length > SLOWLOG_ARG_BYTES_MAX) {
        byte[] b = java.util.Arrays.copyOf(args[i], SLOWLOG_ARG_BYTES_MAX);
        String more = "... (" + (args[i].length - SLOWLOG_ARG_BYTES_MAX) + " more bytes)";
        byte[] out = new byte[b.length + more.length()];
        System.arraycopy(b, 0, out, 0, b.length);
        System.arraycopy(more.getBytes(), 0, out, b.length, more.length());
        kept.add(out);
      } else {
        kept.add(args[i]);
      }
    }
    slowlog.addFirst(new SlowEntry(slowlogNextId++, System.currentTimeMillis() / 1000, micros,
        kept, RedisCompat.address(c.ctx.channel().remoteAddress()),
        c.clientName == null ? "" : c.clientName));
    while (slowlog.size() > SLOWLOG_MAX_LEN) slowlog.removeLast();
  }

  /** Takes one sample of the command rate; the loop calls it every {@link #SAMPLE_INTERVAL_MS}. */
  void sample() {
    long now = System.nanoTime();
    long elapsed = now - lastSampleNanos;
    if (elapsed <= 0) return;
    long ops = commandsProcessed - lastSampleCommands;
    opsSamples[sampleIndex++ % SAMPLES] = ops * TimeUnit.SECONDS.toNanos(1) / elapsed;
    lastSampleNanos = now;
    lastSampleCommands = commandsProcessed;
  }

  /** Redis's instantaneous_ops_per_sec: the mean of the last 16 samples. */
  long instantaneousOpsPerSec() {
    long sum = 0;
    for (long s : opsSamples) sum += s;
    return sum / SAMPLES;
  }

  long uptimeSeconds() {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
  }
}
