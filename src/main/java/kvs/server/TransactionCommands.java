package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH: Redis transactions, atomic and isolated on the server
 * that runs them, and all or nothing on every other replica.
 *
 * <p>Between MULTI and EXEC, commands are checked (name, arity, permission) and queued; one that
 * fails the check is refused and makes EXEC answer {@code EXECABORT}, as in Redis. EXEC runs the
 * queue in one go on the event loop (no other command runs in between) inside one replica batch
 * ({@link Replica#beginBatch}): the commands see each other's writes, and all the writes are
 * committed as one store commit and marked as one atomic batch, which replication never cuts, so
 * every other replica applies them together. A command that fails at run time (WRONGTYPE, a bad
 * argument) gets its error in EXEC's reply and the others still run, as in Redis.
 *
 * <p>WATCH is an optimistic check against what this server holds: EXEC fails (a null reply) if a
 * watched key's entry changed since WATCH, by a write taken here or one received from a peer,
 * or if its value expired meanwhile. A concurrent write on another server that has not reached
 * this one yet does not make EXEC fail; it merges by last writer wins when it arrives
 * (docs/design.md, Transactions).
 */
final class TransactionCommands {
  /** Most commands one transaction may queue. */
  static final int QUEUED_COMMANDS_MAX = 100_000;
  /** Most bytes of arguments one transaction may queue. */
  static final long QUEUED_BYTES_MAX = 2 * Replica.ATOMIC_BATCH_BYTES_MAX;
  /** Most keys one connection may watch at once. */
  static final int WATCHED_KEYS_MAX = 100_000;

  static final String EXECABORT =
      "EXECABORT Transaction discarded because of previous errors.";

  private TransactionCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("MULTI", 1, Access.AUTHENTICATED)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.FAST, Flag.ALLOW_BUSY)
            .summary("Starts a transaction: commands are queued until EXEC.")
            .handler(TransactionCommands::multi),
        command("EXEC", 1, Access.AUTHENTICATED)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.SKIP_SLOWLOG)
            .summary("Runs the queued commands atomically; replicas apply their writes together.")
            .handler(TransactionCommands::exec),
        command("DISCARD", 1, Access.AUTHENTICATED)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.FAST, Flag.ALLOW_BUSY)
            .summary("Forgets the queued commands and the watched keys.")
            .handler(TransactionCommands::discard),
        // Redis lists no readonly flag for WATCH, but its key specs read: so does this table
        // (a command that takes keys is read-only or writes, CommandSpec.inconsistencies).
        command("WATCH", -2, Access.AUTHENTICATED)
            .flags(Flag.READONLY, Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.FAST,
                Flag.ALLOW_BUSY)
            .keys(Keys.ALL)
            .summary("EXEC fails if one of these keys changes on this server before it.")
            .handler(TransactionCommands::watch),
        command("UNWATCH", 1, Access.AUTHENTICATED)
            .flags(Flag.NOSCRIPT, Flag.LOADING, Flag.STALE, Flag.FAST, Flag.ALLOW_BUSY)
            .summary("Forgets the watched keys.")
            .handler(TransactionCommands::unwatch));
  }

  /** A command queued by MULTI: its declaration, found by dispatch, and its arguments. */
  record Queued(CommandSpec spec, byte[][] args) {}

  /** A connection's transaction state: what it queued since MULTI, and what it watches. */
  static final class State {
    /** Null outside MULTI. */
    List<Queued> queued;
    long queuedBytes;
    /** A command was refused while queuing: EXEC answers EXECABORT. */
    boolean aborted;
    /** Watched key to what it was at WATCH time (null outside WATCH). */
    Map<ByteBuffer, Watched> watched;

    boolean inMulti() {
      return queued != null;
    }

    /** How many commands are queued, or -1 outside MULTI (CLIENT LIST's multi field). */
    int queuedCount() {
      return queued == null ? -1 : queued.size();
    }

    void reset() {
      queued = null;
      queuedBytes = 0;
      aborted = false;
      watched = null;
    }
  }

  /**
   * A watched key's entry at WATCH time: its dot (0, 0 for none), whether it had a value, and a
   * stamp of its elements (a counter's or hash's, which INCR and HSET write without the key's
   * own entry: Replica.elementsStamp).
   */
  private record Watched(long origin, long seq, boolean live, long elements) {
    static Watched of(ConnectionHandler c, byte[] key, long now) {
      Entry e = c.node.replica.peek(key);
      long elements = c.node.replica.elementsStamp(key);
      return e == null ? new Watched(0, 0, false, elements)
          : new Watched(e.origin(), e.seq(), e.liveAt(now), elements);
    }
  }

  /**
   * Whether dispatch runs {@code name} at once inside MULTI instead of queuing it, as Redis does
   * for these.
   */
  static boolean runsInsideMulti(String name) {
    return switch (name) {
      case "EXEC", "DISCARD", "MULTI", "WATCH", "QUIT" -> true;
      default -> false;
    };
  }

  /**
   * Whether {@code spec} may be queued: not a member's command, nor one whose reply waits for
   * something (a backup, a state change) or that changes the protocol of the replies EXEC
   * collects.
   */
  static boolean queueable(CommandSpec spec) {
    return spec.access() != Access.ADMIN && !spec.flags().contains(Flag.NO_MULTI);
  }

  /** Queues a checked command; replies QUEUED, or refuses it when the queue is full. */
  static void queue(ConnectionHandler c, CommandSpec spec, byte[][] args) {
    State t = c.transaction;
    long bytes = 0;
    for (byte[] a : args) bytes += a.length;
    if (t.queued.size() >= QUEUED_COMMANDS_MAX || t.queuedBytes + bytes > QUEUED_BYTES_MAX) {
      refuse(c, "ERR transaction too large: at most " + QUEUED_COMMANDS_MAX + " commands and "
          + QUEUED_BYTES_MAX / (1024 * 1024) + " MiB of arguments may be queued");
      t.queued.clear(); // EXEC will refuse it: the memory is freed now
      t.queuedBytes = 0;
      return;
    }
    t.queued.add(new Queued(spec, args));
    t.queuedBytes += bytes;
    c.replies.add(Resp.simple("QUEUED"));
  }

  /** Answers an error for a command given inside MULTI and dooms the transaction. */
  static void refuse(ConnectionHandler c, String error) {
    c.transaction.aborted = true;
    c.replies.add(Resp.error(error));
  }

  private static void multi(ConnectionHandler c, byte[][] a) {
    State t = c.transaction;
    if (t.inMulti()) {
      c.replies.add(Resp.error("ERR MULTI calls can not be nested"));
      return;
    }
    t.queued = new ArrayList<>();
    c.replies.add(Resp.OK);
  }

  private static void discard(ConnectionHandler c, byte[][] a) {
    State t = c.transaction;
    if (!t.inMulti()) {
      c.replies.add(Resp.error("ERR DISCARD without MULTI"));
      return;
    }
    t.reset();
    c.replies.add(Resp.OK);
  }

  private static void watch(ConnectionHandler c, byte[][] a) {
    State t = c.transaction;
    if (t.inMulti()) {
      c.replies.add(Resp.error("ERR WATCH inside MULTI is not allowed"));
      return;
    }
    if (t.watched == null) t.watched = new HashMap<>();
    long now = c.node.replica.now();
    for (int i = 1; i < a.length; i++) {
      ByteBuffer key = ByteBuffer.wrap(a[i]);
      if (t.watched.containsKey(key)) continue;
      if (t.watched.size() >= WATCHED_KEYS_MAX) {
        c.replies.add(Resp.error("ERR too many watched keys: at most " + WATCHED_KEYS_MAX
            + " per connection"));
        return;
      }
      t.watched.put(key, Watched.of(c, a[i], now));
    }
    c.replies.add(Resp.OK);
  }

  private static void unwatch(ConnectionHandler c, byte[][] a) {
    c.transaction.watched = null;
    c.replies.add(Resp.OK);
  }

  /** True when a watched key's entry changed since WATCH, or its value expired meanwhile. */
  private static boolean watchedKeyTouched(ConnectionHandler c) {
    Map<ByteBuffer, Watched> watched = c.transaction.watched;
    if (watched == null) return false;
    long now = c.node.replica.now();
    for (Map.Entry<ByteBuffer, Watched> w : watched.entrySet()) {
      Watched then = w.getValue();
      Watched current = Watched.of(c, w.getKey().array(), now);
      if (current.origin() != then.origin() || current.seq() != then.seq()
          || then.live() && !current.live() || current.elements() != then.elements()) {
        return true;
      }
    }
    return false;
  }

  private static void exec(ConnectionHandler c, byte[][] a) {
    State t = c.transaction;
    if (!t.inMulti()) {
      c.replies.add(Resp.error("ERR EXEC without MULTI"));
      return;
    }
    List<Queued> queued = t.queued;
    boolean aborted = t.aborted;
    boolean touched = !aborted && watchedKeyTouched(c);
    t.reset(); // EXEC always ends the transaction and unwatches, whatever it answers
    if (aborted) {
      c.replies.add(Resp.error(EXECABORT));
      return;
    }
    if (touched) {
      c.replies.add(ArrayRedisMessage.NULL_INSTANCE);
      return;
    }
    Replica replica = c.node.replica;
    List<RedisMessage> results = new ArrayList<>(queued.size());
    replica.beginBatch();
    List<Entry> written;
    try {
      c.replies.capture(results);
      try {
        for (Queued q : queued) Commands.run(c, q.spec(), q.args());
      } finally {
        c.replies.endCapture();
      }
      long bytes = replica.stagedBytes();
      if (bytes > Replica.ATOMIC_BATCH_BYTES_MAX) {
        replica.abandonBatch();
        for (RedisMessage m : results) io.netty.util.ReferenceCountUtil.release(m);
        c.replies.add(Resp.error("EXECABORT Transaction discarded: its writes take "
            + bytes + " bytes, more than the "
            + Replica.ATOMIC_BATCH_BYTES_MAX / (1024 * 1024)
            + " MiB that reach other servers as one"));
        return;
      }
      written = replica.commitBatch();
    } finally {
      if (replica.batchOpen()) replica.abandonBatch();
    }
    RedisMessage reply = Resp.array(results);
    if (written.isEmpty()) {
      c.replies.add(reply);
      return;
    }
    CommandSupport.committed(c, written, reply);
  }
}
