package kvs.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import kvs.core.ClockAheadException;
import kvs.core.Entry;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;

/** What handlers of several families share: limits on keys and values, the write path, parsing. */
final class CommandSupport {
  static final String ERR_DEP = "ERR_DEP this server lacks writes the session has already seen;"
      + " retry later or on another server";

  private CommandSupport() {}

  /** Redis's arity error; {@code name} as the client would write it, e.g. "config|get". */
  static String wrongArity(String name) {
    return "ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command";
  }

  /** An argument for an error text: at most 128 bytes, anything unprintable as '?'. */
  static String printable(byte[] b) {
    String s = new String(b, 0, Math.min(b.length, 128), StandardCharsets.ISO_8859_1);
    return s.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** The integer in {@code b} if it is within [min, max], else {@link Integer#MIN_VALUE}. */
  static int parseInt(byte[] b, int min, int max) {
    try {
      int v = Integer.parseInt(Resp.ascii(b));
      if (v < min || v > max) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      return Integer.MIN_VALUE;
    }
  }

  /** Compares in constant time; false when no secret is set. */
  static boolean secretMatches(byte[] given, String expected) {
    return expected != null
        && MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8));
  }

  static boolean checkKey(ConnectionHandler c, byte[] key) {
    if (key.length > c.node.config.limits().keyBytesMax()) {
      c.replies.add(Resp.error("ERR key is " + key.length + " bytes; the limit is "
          + c.node.config.limits().keyBytesMax()));
      return false;
    }
    return true;
  }

  private static boolean checkValue(ConnectionHandler c, byte[] value) {
    if (value.length > c.node.config.limits().valueBytesMax()) {
      c.replies.add(Resp.error("ERR value is " + value.length + " bytes; the limit is "
          + c.node.config.limits().valueBytesMax()));
      return false;
    }
    return true;
  }

  /**
   * Reads {@code key} in this connection's session; null after answering ERR_DEP (the server
   * lacks a write the session has seen). A missing key gives a result whose status is NOT_FOUND.
   */
  static ReadResult read(ConnectionHandler c, byte[] key) {
    ReadResult r = c.node.replica.read(c.session, key);
    if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
      c.replies.add(Resp.error(ERR_DEP));
      return null;
    }
    return r;
  }

  /**
   * Reads {@code key} in the session as a key of {@code kind} (a hash or a set): true when it is
   * one, or absent (an empty one), false after answering WRONGTYPE or ERR_DEP.
   */
  static boolean readAs(ConnectionHandler c, byte[] key, byte kind) {
    // Empty and absent answer the same to the caller: no walk to tell them apart.
    ReadResult r = c.node.replica.readCollection(c.session, key, kind);
    if (r.status() == ReadStatus.MISSING_DEPENDENCY) {
      c.replies.add(Resp.error(ERR_DEP));
      return false;
    }
    if (r.status() == ReadStatus.FOUND && r.entry().kind() != kind) {
      c.replies.add(Resp.error(WRONGTYPE));
      return false;
    }
    return true;
  }

  /**
   * {@code items} as KVS.DUMP and printStore show a hash or a set: {@code {a, b, ...}}, the bytes
   * as they are.
   */
  static byte[] braced(Iterable<byte[]> items) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write('{');
    boolean first = true;
    for (byte[] item : items) {
      if (!first) out.writeBytes(new byte[] {',', ' '});
      first = false;
      out.writeBytes(item);
    }
    out.write('}');
    return out.toByteArray();
  }

  /**
   * COPY, or RENAME with {@code rename}, of the live hash or set {@code src} (of {@code kind}):
   * every field or member written under the new name in one atomic write, then {@code reply}.
   */
  static void copyTyped(ConnectionHandler c, byte kind, byte[] src, byte[] dst, boolean rename,
      RedisMessage reply) {
    if (!checkKey(c, dst)) return;
    List<Entry> written = attempt(c, (replica, now) -> switch (kind) {
      case Entry.KIND_HASH -> replica.copyHash(c.session, src, dst, rename, now);
      case Entry.KIND_ZSET -> replica.copyZset(c.session, src, dst, rename, now);
      default -> replica.copySet(c.session, src, dst, rename, now);
    });
    if (written == null) return;
    committed(c, written, reply);
  }

  /**
   * True for a hash, a set or a sorted set, which string commands answer WRONGTYPE for (a
   * counter is a string).
   */
  static boolean notString(Entry shown) {
    return shown.kind() == Entry.KIND_HASH || shown.kind() == Entry.KIND_SET
        || shown.kind() == Entry.KIND_ZSET;
  }

  static final String WRONGTYPE =
      "WRONGTYPE Operation against a key holding the wrong kind of value";

  /**
   * As {@link #read}, for a command on strings (a counter is one): null after answering
   * WRONGTYPE when the key holds a hash.
   */
  static ReadResult readString(ConnectionHandler c, byte[] key) {
    ReadResult r = read(c, key);
    if (r != null && r.status() == ReadStatus.FOUND && notString(r.entry())) {
      c.replies.add(Resp.error(WRONGTYPE));
      return null;
    }
    return r;
  }

  /**
   * Writes (a null value is a tombstone) in this connection's session and replies once the write
   * is durable; {@code reply} is built from the entries written.
   */
  static void write(ConnectionHandler c, List<byte[]> keys, List<byte[]> values,
      Function<List<Entry>, RedisMessage> reply) {
    write(c, keys, values, null, reply);
  }

  /**
   * As {@link #write(ConnectionHandler, List, List, Function)}, each value expiring at
   * {@code expiries[i]} (absolute Unix ms, 0 for never; null for no expiry at all).
   */
  static void write(ConnectionHandler c, List<byte[]> keys, List<byte[]> values, long[] expiries,
      Function<List<Entry>, RedisMessage> reply) {
    write(c, keys, values, null, expiries, reply);
  }

  /**
   * As {@link #write(ConnectionHandler, List, List, long[], Function)}, each value of kind
   * {@code kinds[i]} (null: all strings). Only values a command took from the store (a counter's
   * head being rewritten with a new expiry, a counter's reset) have another kind than string.
   */
  static void write(ConnectionHandler c, List<byte[]> keys, List<byte[]> values, byte[] kinds,
      long[] expiries, Function<List<Entry>, RedisMessage> reply) {
    for (byte[] k : keys) if (!checkKey(c, k)) return;
    for (int i = 0; i < values.size(); i++) {
      byte[] v = values.get(i);
      boolean typed = kinds != null && kinds[i] != Entry.KIND_STRING;
      if (v != null && !typed && !checkValue(c, v)) return;
    }
    List<Entry> written = attempt(c,
        (replica, now) -> replica.write(c.session, keys, values, kinds, expiries, now));
    if (written == null) return;
    committed(c, written, reply.apply(written));
  }

  /** A write of the replica, given the server's wall clock now. */
  @FunctionalInterface
  interface ReplicaWrite<T> {
    T run(kvs.core.Replica replica, long nowMillis);
  }

  /**
   * Runs {@code write} for this connection; null after answering the error when the replica
   * refuses a session clock too far ahead of this server's ({@link ClockAheadException}).
   */
  static <T> T attempt(ConnectionHandler c, ReplicaWrite<T> write) {
    try {
      // Inside EXEC (an open batch) the time stays where EXEC's dispatch set it, as Redis 7
      // samples it once per transaction: no key expires between two of its commands.
      kvs.core.Replica replica = c.node.replica;
      return write.run(replica, replica.batchOpen() ? replica.now() : c.node.clock.millis());
    } catch (ClockAheadException e) {
      c.replies.add(Resp.error("ERR " + e.getMessage()));
      return null;
    } catch (kvs.core.SortedSets.NotANumber e) {
      c.replies.add(Resp.error("ERR resulting score is not a number (NaN)"));
      return null;
    } catch (kvs.core.Counters.TotalOutOfRange e) {
      // Refused before anything is written: this server's running total would not be storable.
      c.replies.add(Resp.error(CounterCommands.NAN_OR_INFINITY));
      return null;
    }
  }

  /**
   * Deletes keys in this connection's session as DEL does: a tombstone each, or for a counter
   * or a hash a head that what was written concurrently survives ({@code kvs.core.Counters},
   * {@code kvs.core.Hashes}).
   */
  static void delete(ConnectionHandler c, List<byte[]> keys,
      Function<List<Entry>, RedisMessage> reply) {
    List<byte[]> values = new java.util.ArrayList<>(keys.size());
    byte[] kinds = new byte[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      kvs.core.Replica.Deletion d = c.node.replica.deletion(keys.get(i));
      values.add(d.value());
      kinds[i] = d.kind();
    }
    write(c, keys, values, kinds, null, reply);
  }

  /**
   * Writes the live key {@code key} again, as stored (its kind and value: a counter stays a
   * counter), with a new expiry (0 for none): EXPIRE, PERSIST, GETEX.
   */
  static void rewriteExpiry(ConnectionHandler c, byte[] key, long expiry,
      Function<List<Entry>, RedisMessage> reply) {
    Entry stored = c.node.replica.peek(key);
    write(c, List.of(key), List.of(stored.value()), new byte[] {stored.kind()},
        new long[] {expiry}, reply);
  }

  /**
   * Hands {@code written}, just written by this connection, to replication, and queues
   * {@code answer} to go out once the write is durable; inside EXEC (a batch open), EXEC
   * commits, pushes and waits for the log, and the answer goes out at once.
   */
  static void committed(ConnectionHandler c, List<Entry> written, RedisMessage answer) {
    Node node = c.node;
    if (node.replica.batchOpen()) {
      c.replies.add(answer);
      return;
    }
    node.onOwnWrite(written);
    replyWhenDurable(c, answer);
  }

  /** Replies once what was written so far is durable, in order with the connection's replies. */
  static void replyWhenDurable(ConnectionHandler c, RedisMessage answer) {
    if (c.replies.isEmpty() && !c.node.config.fsync()) {
      c.replies.add(answer);
    } else {
      ReplyQueue.Slot slot = c.replies.defer();
      c.node.whenDurable(() -> slot.complete(answer));
    }
  }
}
