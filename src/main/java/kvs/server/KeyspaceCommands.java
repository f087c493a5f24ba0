package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * Commands on the keyspace: KEYS, RANDOMKEY, UNLINK, TOUCH, RENAME, RENAMENX, COPY, FLUSHALL and
 * FLUSHDB, with Redis 7's replies and errors.
 *
 * <p>RENAME, RENAMENX and COPY are one atomic write each (a tombstone for the source and the
 * value under the destination, in one batch), so every replica sees both halves or neither.
 *
 * <p>FLUSHALL and FLUSHDB remove what this server holds when they run: one batch with a tombstone
 * for every live key, replicated like any DEL. A write made concurrently on another server to a
 * key this server did not hold yet survives the flush; one to a key it did hold is decided by
 * last-writer-wins against the flush's tombstone, as with DEL. Like KEYS, they walk the whole
 * store: O(N) in the keys held, as in Redis.
 */
final class KeyspaceCommands {
  private KeyspaceCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("KEYS", 2, Access.AUTHENTICATED).flags(Flag.READONLY)
            .summary("Answers every key on this server that matches a pattern (O(N): walks the"
                + " store).")
            .handler(KeyspaceCommands::keys),
        command("RANDOMKEY", 1, Access.AUTHENTICATED).flags(Flag.READONLY)
            .summary("Answers a key of this server, chosen at random.")
            .handler(KeyspaceCommands::randomkey),
        command("UNLINK", -2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ALL)
            .summary("Deletes keys, as DEL: a replicated tombstone each.")
            .handler(KeyCommands::del), // nothing is freed in the background here
        command("TOUCH", -2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ALL)
            .summary("Counts the keys that exist, as this session sees them.")
            .handler(KeyCommands::exists),
        command("RENAME", 3, Access.AUTHENTICATED).flags(Flag.WRITE).keys(1, 2, 1)
            .summary("Renames a key, in one atomic write.")
            .handler((c, a) -> rename(c, a, false)),
        command("RENAMENX", 3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST)
            .keys(1, 2, 1)
            .summary("Renames a key only if the new name does not exist, in one atomic write.")
            .handler((c, a) -> rename(c, a, true)),
        command("COPY", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM)
            .keys(1, 2, 1)
            .summary("Copies a key's value to another key (DB 0 only; REPLACE to overwrite).")
            .handler(KeyspaceCommands::copy),
        command("FLUSHALL", -1, Access.AUTHENTICATED).flags(Flag.WRITE)
            .summary("Deletes every key this server holds, as one replicated batch of"
                + " tombstones (O(N)).")
            .handler(KeyspaceCommands::flush),
        command("FLUSHDB", -1, Access.AUTHENTICATED).flags(Flag.WRITE)
            .summary("As FLUSHALL: database 0 is the only one.")
            .handler(KeyspaceCommands::flush));
  }

  /** KEYS pattern. */
  private static void keys(ConnectionHandler c, byte[][] a) {
    byte[] pattern = a[1];
    boolean all = pattern.length == 1 && pattern[0] == '*';
    List<RedisMessage> out = new ArrayList<>();
    c.node.replica.forEachLive(e -> {
      if (all || Glob.matches(pattern, e.key())) out.add(Resp.bulk(e.key()));
    });
    c.replies.add(Resp.array(out));
  }

  /**
   * RANDOMKEY: the first live key at or after a random point of the key order (wrapping once).
   * Seeks once; it then passes over tombstones, as many as follow that point.
   */
  private static void randomkey(ConnectionHandler c, byte[][] a) {
    byte[] from = new byte[1 + ThreadLocalRandom.current().nextInt(4)];
    ThreadLocalRandom.current().nextBytes(from);
    byte[][] found = {null};
    // Element keys (kvs.core.Elements) sort after every user key: the walk ends at the first.
    c.node.replica.forEachFrom(from, e -> {
      if (c.node.replica.shownAt(e) != null) found[0] = e.key();
      return found[0] == null && !Elements.isElementKey(e.key());
    });
    if (found[0] == null) {
      c.node.replica.forEachFrom(null, e -> {
        if (c.node.replica.shownAt(e) != null) found[0] = e.key();
        return found[0] == null && !Elements.isElementKey(e.key());
      });
    }
    c.replies.add(found[0] == null ? Resp.NIL : Resp.bulk(found[0]));
  }

  /** RENAME key newkey | RENAMENX key newkey. */
  private static void rename(ConnectionHandler c, byte[][] a, boolean nx) {
    ReadResult src = CommandSupport.read(c, a[1]);
    if (src == null) return;
    if (src.status() != ReadStatus.FOUND) {
      c.replies.add(Resp.error("ERR no such key"));
      return;
    }
    if (Arrays.equals(a[1], a[2])) {
      c.replies.add(nx ? Resp.integer(0) : Resp.OK);
      return;
    }
    if (nx) {
      ReadResult dst = CommandSupport.read(c, a[2]);
      if (dst == null) return;
      if (dst.status() == ReadStatus.FOUND) {
        c.replies.add(Resp.integer(0));
        return;
      }
    }
    // As in Redis, the new name keeps the key's time to live.
    // A counter moves as its value, a string (it becomes a counter again on its next INCR); the
    // old name is deleted as DEL does (CommandSupport.delete).
    if (CommandSupport.notString(src.entry())) {
      CommandSupport.copyTyped(c, src.entry().kind(), a[1], a[2], true,
          nx ? Resp.integer(1) : Resp.OK);
      return;
    }
    Replica.Deletion deletion = c.node.replica.deletion(a[1]);
    CommandSupport.write(c, List.of(a[1], a[2]),
        Arrays.asList(deletion.value(), src.entry().value()),
        new byte[] {deletion.kind(), Entry.KIND_STRING},
        new long[] {0, src.entry().expiry()}, w -> nx ? Resp.integer(1) : Resp.OK);
  }

  /** COPY source destination [DB destination-db] [REPLACE]. */
  private static void copy(ConnectionHandler c, byte[][] a) {
    boolean replace = false;
    for (int i = 3; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if (opt.equals("REPLACE")) {
        replace = true;
      } else if (opt.equals("DB") && i + 1 < a.length) {
        long db = StringEditCommands.parseLong(a[++i]);
        if (db == Long.MIN_VALUE) {
          c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
          return;
        }
        if (db != 0) {
          c.replies.add(Resp.error("ERR DB index is out of range"));
          return;
        }
      } else {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
    }
    if (Arrays.equals(a[1], a[2])) {
      c.replies.add(Resp.error("ERR source and destination objects are the same"));
      return;
    }
    ReadResult src = CommandSupport.read(c, a[1]);
    if (src == null) return;
    if (src.status() != ReadStatus.FOUND) {
      c.replies.add(Resp.integer(0));
      return;
    }
    if (!replace) {
      ReadResult dst = CommandSupport.read(c, a[2]);
      if (dst == null) return;
      if (dst.status() == ReadStatus.FOUND) {
        c.replies.add(Resp.integer(0));
        return;
      }
    }
    if (CommandSupport.notString(src.entry())) {
      CommandSupport.copyTyped(c, src.entry().kind(), a[1], a[2], false, Resp.integer(1));
      return;
    }
    CommandSupport.write(c, List.of(a[2]), List.of(src.entry().value()),
        new long[] {src.entry().expiry()}, w -> Resp.integer(1));
  }

  /** FLUSHALL [ASYNC | SYNC] and FLUSHDB [ASYNC | SYNC]: a tombstone for every live key. */
  private static void flush(ConnectionHandler c, byte[][] a) {
    if (a.length > 2) {
      c.replies.add(Resp.error("ERR syntax error"));
      return;
    }
    if (a.length == 2) {
      String mode = Resp.ascii(a[1]).toUpperCase(Locale.ROOT);
      if (!mode.equals("ASYNC") && !mode.equals("SYNC")) {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
    }
    List<byte[]> keys = new ArrayList<>();
    c.node.replica.forEachLive(e -> keys.add(e.key()));
    if (keys.isEmpty()) {
      c.replies.add(Resp.OK);
      return;
    }
    CommandSupport.delete(c, keys, w -> Resp.OK);
  }
}
