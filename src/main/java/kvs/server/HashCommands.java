package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kvs.core.Counters;
import kvs.core.Replica;
import kvs.core.Entry;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * The hash commands, with Redis 7's replies and errors. Each field is an entry of its own, a
 * last-writer-wins register ({@code kvs.core.Hashes}): two servers setting different fields at
 * the same time both keep theirs; of the same field, the later write wins. HINCRBY and
 * HINCRBYFLOAT make a field a merging counter: each server adds to its own running total of the
 * field, so increments on different servers all count; HSET and HDEL hide the increments their
 * server had seen and no other.
 */
final class HashCommands {
  private HashCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("HSET", -4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Sets fields of a hash; each field merges on its own.")
            .handler(HashCommands::hset),
        command("HSETNX", 4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Sets a field of a hash only if it is not there.")
            .handler(HashCommands::hsetnx),
        command("HGET", 3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Answers a field of a hash.")
            .handler(HashCommands::hget),
        command("HMGET", -3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Answers fields of a hash.")
            .handler(HashCommands::hmget),
        command("HGETALL", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers every field and value of a hash (a map in RESP3).")
            .handler((c, a) -> all(c, a, true, true)),
        command("HKEYS", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers the fields of a hash.")
            .handler((c, a) -> all(c, a, true, false)),
        command("HVALS", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers the values of a hash.")
            .handler((c, a) -> all(c, a, false, true)),
        command("HLEN", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Counts the fields of a hash (O(N): walks the fields).")
            .handler(HashCommands::hlen),
        command("HEXISTS", 3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers whether a hash has a field.")
            .handler(HashCommands::hexists),
        command("HSTRLEN", 3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers the length of a field's value.")
            .handler(HashCommands::hstrlen),
        command("HDEL", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Deletes fields of a hash; the last one deletes the key.")
            .handler(HashCommands::hdel),
        command("HINCRBY", 4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Adds an integer to a field; increments on different servers all count.")
            .handler((c, a) -> hincr(c, a, false)),
        command("HINCRBYFLOAT", 4, Access.AUTHENTICATED)
            .flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST).keys(Keys.ONE)
            .summary("Adds a decimal to a field; increments on different servers all count.")
            .handler((c, a) -> hincr(c, a, true)),
        command("HSCAN", -3, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Iterates over the fields of a hash, about COUNT per call, with MATCH and"
                + " NOVALUES.")
            .handler(HashCommands::hscan));
  }

  /** Reads {@code key} as a hash (see {@link CommandSupport#readAs}). */
  private static boolean readHash(ConnectionHandler c, byte[] key) {
    return CommandSupport.readAs(c, key, Entry.KIND_HASH);
  }

  /** The fields as reads show them, by field, in field order. */
  private static Map<java.nio.ByteBuffer, byte[]> fields(ConnectionHandler c, byte[] key) {
    Map<java.nio.ByteBuffer, byte[]> out = new LinkedHashMap<>();
    for (Replica.HashField f : c.node.replica.hashFields(c.session, key)) {
      out.put(java.nio.ByteBuffer.wrap(f.name()), f.value());
    }
    return out;
  }

  private static boolean checkFields(ConnectionHandler c, byte[][] a, int from, int step) {
    for (int i = from; i < a.length; i += step) {
      if (a[i].length > c.node.config.limits().keyBytesMax()) {
        c.replies.add(Resp.error("ERR field is " + a[i].length + " bytes; the limit is "
            + c.node.config.limits().keyBytesMax()));
        return false;
      }
      if (step == 2 && a[i + 1].length > c.node.config.limits().valueBytesMax()) {
        c.replies.add(Resp.error("ERR value is " + a[i + 1].length + " bytes; the limit is "
            + c.node.config.limits().valueBytesMax()));
        return false;
      }
    }
    return true;
  }

  /** Writes fields (values all null: deletes them, HDEL) and replies once durable. */
  private static void setFields(ConnectionHandler c, byte[] key, List<byte[]> fields,
      List<byte[]> values, RedisMessage reply) {
    if (!CommandSupport.checkKey(c, key)) return;
    List<Entry> written;
    if (values.get(0) == null) { // HDEL: all null
      written = CommandSupport.attempt(c,
          (replica, now) -> replica.hdel(c.session, key, fields, now));
    } else {
      written = CommandSupport.attempt(c,
          (replica, now) -> replica.hset(c.session, key, fields, values, now));
    }
    if (written == null) return;
    CommandSupport.committed(c, written, reply);
  }

  /** HSET key field value [field value ...]: answers how many fields are new. */
  private static void hset(ConnectionHandler c, byte[][] a) {
    if (a.length % 2 != 0) {
      c.replies.add(Resp.error(CommandSupport.wrongArity("hset")));
      return;
    }
    if (!checkFields(c, a, 2, 2) || !readHash(c, a[1])) return;
    // Per distinct field named, whether it is there (as HSETNX and HDEL ask): O(fields named),
    // not a read of the whole hash.
    List<byte[]> fields = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
    int added = 0;
    for (int i = 2; i < a.length; i += 2) {
      fields.add(a[i]);
      values.add(a[i + 1]);
      if (seen.add(java.nio.ByteBuffer.wrap(a[i])) && field(c, a[1], a[i]) == null) added++;
    }
    setFields(c, a[1], fields, values, Resp.integer(added));
  }

  /** HSETNX key field value. */
  private static void hsetnx(ConnectionHandler c, byte[][] a) {
    if (!checkFields(c, a, 2, 2) || !readHash(c, a[1])) return;
    if (c.node.replica.hashField(c.session, a[1], a[2]) != null) {
      c.replies.add(Resp.integer(0));
      return;
    }
    setFields(c, a[1], List.of(a[2]), List.of(a[3]), Resp.integer(1));
  }

  private static byte[] field(ConnectionHandler c, byte[] key, byte[] field) {
    return c.node.replica.hashField(c.session, key, field);
  }

  /** HGET key field. */
  private static void hget(ConnectionHandler c, byte[][] a) {
    if (!readHash(c, a[1])) return;
    c.replies.add(Resp.bulk(field(c, a[1], a[2])));
  }

  /** HMGET key field [field ...]. */
  private static void hmget(ConnectionHandler c, byte[][] a) {
    if (!readHash(c, a[1])) return;
    List<RedisMessage> out = new ArrayList<>();
    for (int i = 2; i < a.length; i++) out.add(Resp.bulk(field(c, a[1], a[i])));
    c.replies.add(Resp.array(out));
  }

  /** HGETALL, HKEYS, HVALS. */
  private static void all(ConnectionHandler c, byte[][] a, boolean keys, boolean values) {
    if (!readHash(c, a[1])) return;
    List<RedisMessage> out = new ArrayList<>();
    for (Map.Entry<java.nio.ByteBuffer, byte[]> f : fields(c, a[1]).entrySet()) {
      if (keys) out.add(Resp.bulk(f.getKey().array()));
      if (values) out.add(Resp.bulk(f.getValue()));
    }
    c.replies.add(keys && values ? Resp.map(out) : Resp.array(out));
  }

  /** HLEN key. */
  private static void hlen(ConnectionHandler c, byte[][] a) {
    if (!readHash(c, a[1])) return;
    c.replies.add(Resp.integer(c.node.replica.hashFields(c.session, a[1]).size()));
  }

  /** HEXISTS key field. */
  private static void hexists(ConnectionHandler c, byte[][] a) {
    if (!readHash(c, a[1])) return;
    c.replies.add(Resp.integer(field(c, a[1], a[2]) == null ? 0 : 1));
  }

  /** HSTRLEN key field. */
  private static void hstrlen(ConnectionHandler c, byte[][] a) {
    if (!readHash(c, a[1])) return;
    byte[] v = field(c, a[1], a[2]);
    c.replies.add(Resp.integer(v == null ? 0 : v.length));
  }

  /** HDEL key field [field ...]: tombstones for the fields that are there; answers how many. */
  private static void hdel(ConnectionHandler c, byte[][] a) {
    if (!readHash(c, a[1])) return;
    List<byte[]> fields = new ArrayList<>();
    java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
    for (int i = 2; i < a.length; i++) {
      if (seen.add(java.nio.ByteBuffer.wrap(a[i])) && field(c, a[1], a[i]) != null) {
        fields.add(a[i]);
      }
    }
    if (fields.isEmpty()) {
      c.replies.add(Resp.integer(0));
      return;
    }
    setFields(c, a[1], fields, java.util.Collections.nCopies(fields.size(), null),
        Resp.integer(fields.size()));
  }

  /**
   * HINCRBY key field increment | HINCRBYFLOAT key field increment: checks the field's value (a
   * number; absent counts as 0) and the sum as Redis 7 does, then adds the increment to this
   * server's running total of the field ({@code Replica.hincrement}): increments made on
   * different servers at the same time all count.
   */
  private static void hincr(ConnectionHandler c, byte[][] a, boolean decimal) {
    if (!checkFields(c, a, 2, 1) || !readHash(c, a[1])) return;
    if (!CommandSupport.checkKey(c, a[1])) return;
    byte[] old = field(c, a[1], a[2]);
    BigDecimal by;
    RedisMessage reply;
    if (decimal) {
      by = Counters.parse(a[3]);
      BigDecimal current = old == null ? BigDecimal.ZERO : Counters.parse(old);
      if (by == null || current == null) {
        c.replies.add(Resp.error(by == null ? CounterCommands.NOT_FLOAT
            : "ERR hash value is not a float"));
        return;
      }
      BigDecimal sum = Counters.bounded(current.add(by));
      if (sum == null) {
        c.replies.add(Resp.error(CounterCommands.NAN_OR_INFINITY));
        return;
      }
      reply = Resp.bulk(Counters.format(sum));
    } else {
      Long step = CounterCommands.parseStrictLong(a[3]);
      if (step == null) {
        c.replies.add(Resp.error(CounterCommands.NOT_INTEGER));
        return;
      }
      Long current = old == null ? Long.valueOf(0) : CounterCommands.parseStrictLong(old);
      if (current == null) {
        c.replies.add(Resp.error("ERR hash value is not an integer"));
        return;
      }
      long sum;
      try {
        sum = Math.addExact(current, step);
      } catch (ArithmeticException e) {
        c.replies.add(Resp.error(CounterCommands.OVERFLOW));
        return;
      }
      by = BigDecimal.valueOf(step);
      reply = Resp.integer(sum);
    }
    BigDecimal delta = by;
    List<Entry> written = CommandSupport.attempt(c,
        (replica, now) -> replica.hincrement(c.session, a[1], a[2], delta, now));
    if (written == null) return;
    CommandSupport.committed(c, written, reply);
  }

  /**
   * HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]: one page of about COUNT fields
   * and the cursor of the next ({@link ElementScan}).
   */
  private static void hscan(ConnectionHandler c, byte[][] a) {
    ElementScan scan = ElementScan.parse(c, a, true);
    if (scan == null) return;
    if (!readHash(c, a[1])) return;
    scan.run(c, kvs.core.Elements.prefix(a[1], Entry.KIND_HASH), (from, budget) -> {
      Replica.HashPage p = c.node.replica.hashFields(c.session, a[1], from, budget);
      List<RedisMessage> out = new ArrayList<>();
      for (Replica.HashField f : p.fields()) {
        if (!scan.matches(f.name())) continue;
        out.add(Resp.bulk(f.name()));
        if (scan.values()) out.add(Resp.bulk(f.value()));
      }
      return new ElementScan.Page(out, p.next(), p.examined());
    });
  }

  /**
   * A hash as KVS.DUMP and printStore show it: {@code {field=value, ...}} in field order (the
   * bytes as they are).
   */
  static byte[] printable(ConnectionHandler c, byte[] key) {
    List<byte[]> pairs = new ArrayList<>();
    for (Replica.HashField f : c.node.replica.hashFields(new kvs.core.SessionToken(), key)) {
      byte[] field = f.name();
      byte[] pair = java.util.Arrays.copyOf(field, field.length + 1 + f.value().length);
      pair[field.length] = '=';
      System.arraycopy(f.value(), 0, pair, field.length + 1, f.value().length);
      pairs.add(pair);
    }
    return CommandSupport.braced(pairs);
  }

}
