package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * The set commands, with Redis 7's replies and errors (SMEMBERS, SINTER, SUNION, SDIFF and SPOP
 * with a count answer a RESP3 set). Membership is an observed-remove set ({@code kvs.core.Sets}):
 * an SADD on one server survives an SREM or SPOP of the same member on another that had not seen
 * it. There is no member count: SCARD walks the members, O(N) (docs/design.md, Sets).
 */
final class SetCommands {
  private SetCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("SADD", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Adds members to a set; an add wins over a concurrent remove.")
            .handler(SetCommands::sadd),
        command("SREM", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Removes members of a set (the adds this server has seen).")
            .handler(SetCommands::srem),
        command("SMEMBERS", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers the members of a set (a set in RESP3).")
            .handler(SetCommands::smembers),
        command("SISMEMBER", 3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers whether a member is in a set.")
            .handler(SetCommands::sismember),
        command("SMISMEMBER", -3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers whether each member is in a set.")
            .handler(SetCommands::smismember),
        command("SCARD", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Counts the members of a set (O(N): walks the members).")
            .handler(SetCommands::scard),
        command("SPOP", -2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Removes and answers random members of a set.")
            .handler(SetCommands::spop),
        command("SRANDMEMBER", -2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers random members of a set.")
            .handler(SetCommands::srandmember),
        command("SSCAN", -3, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Iterates over the members of a set, with MATCH and COUNT (one page:"
                + " cursor 0).")
            .handler(SetCommands::sscan),
        command("SINTER", -2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ALL)
            .summary("Answers the members every given set holds.")
            .handler((c, a) -> combine(c, a, 'i')),
        command("SUNION", -2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ALL)
            .summary("Answers the members any given set holds.")
            .handler((c, a) -> combine(c, a, 'u')),
        command("SDIFF", -2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ALL)
            .summary("Answers the members of the first set the others do not hold.")
            .handler((c, a) -> combine(c, a, 'd')));
  }

  /** Reads {@code key} as a set (see {@link CommandSupport#readAs}). */
  private static boolean readSet(ConnectionHandler c, byte[] key) {
    return CommandSupport.readAs(c, key, Entry.KIND_SET);
  }

  private static List<byte[]> members(ConnectionHandler c, byte[] key) {
    return c.node.replica.setMembers(c.session, key);
  }

  private static List<RedisMessage> bulks(Iterable<byte[]> members) {
    List<RedisMessage> out = new ArrayList<>();
    for (byte[] m : members) out.add(Resp.bulk(m));
    return out;
  }

  /** Runs an SADD or SREM of the core and replies with what it changed, once durable. */
  private static void change(ConnectionHandler c, byte[] key, List<byte[]> members, boolean add,
      java.util.function.Function<List<byte[]>, RedisMessage> reply) {
    if (add && !CommandSupport.checkKey(c, key)) return;
    Replica.SetChange done = CommandSupport.attempt(c, (replica, now) -> add
        ? replica.sadd(c.session, key, members, now) : replica.srem(c.session, key, members, now));
    if (done == null) return;
    if (done.written().isEmpty()) { // nothing to remove: no write, as Redis
      c.replies.add(reply.apply(done.members()));
      return;
    }
    CommandSupport.committed(c, done.written(), reply.apply(done.members()));
  }

  /** SADD key member [member ...]: answers how many members are new. */
  private static void sadd(ConnectionHandler c, byte[][] a) {
    for (int i = 2; i < a.length; i++) {
      if (a[i].length > c.node.config.limits().keyBytesMax()) {
        c.replies.add(Resp.error("ERR member is " + a[i].length + " bytes; the limit is "
            + c.node.config.limits().keyBytesMax()));
        return;
      }
    }
    if (!readSet(c, a[1])) return;
    change(c, a[1], List.of(a).subList(2, a.length), true, m -> Resp.integer(m.size()));
  }

  /** SREM key member [member ...]: answers how many members were there. */
  private static void srem(ConnectionHandler c, byte[][] a) {
    if (!readSet(c, a[1])) return;
    change(c, a[1], List.of(a).subList(2, a.length), false, m -> Resp.integer(m.size()));
  }

  /** SMEMBERS key. */
  private static void smembers(ConnectionHandler c, byte[][] a) {
    if (!readSet(c, a[1])) return;
    c.replies.add(Resp.set(bulks(members(c, a[1]))));
  }

  /** SISMEMBER key member. */
  private static void sismember(ConnectionHandler c, byte[][] a) {
    if (!readSet(c, a[1])) return;
    c.replies.add(Resp.integer(c.node.replica.setContains(c.session, a[1], a[2]) ? 1 : 0));
  }

  /** SMISMEMBER key member [member ...]. */
  private static void smismember(ConnectionHandler c, byte[][] a) {
    if (!readSet(c, a[1])) return;
    List<RedisMessage> out = new ArrayList<>();
    for (int i = 2; i < a.length; i++) {
      out.add(Resp.integer(c.node.replica.setContains(c.session, a[1], a[i]) ? 1 : 0));
    }
    c.replies.add(Resp.array(out));
  }

  /** SCARD key. */
  private static void scard(ConnectionHandler c, byte[][] a) {
    if (!readSet(c, a[1])) return;
    c.replies.add(Resp.integer(members(c, a[1]).size()));
  }

  /**
   * The count argument of SPOP or SRANDMEMBER ({@code a[2]}); null after answering the error.
   * SPOP's must not be negative.
   */
  private static Long count(ConnectionHandler c, byte[][] a, boolean positive) {
    if (a.length > 3) {
      c.replies.add(Resp.error("ERR syntax error"));
      return null;
    }
    long n = StringEditCommands.parseLong(a[2]);
    if (n == Long.MIN_VALUE && !positive) {
      c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
      return null;
    }
    if (positive && n < 0) { // a count that is no integer too, as Redis answers
      c.replies.add(Resp.error("ERR value is out of range, must be positive"));
      return null;
    }
    return n;
  }

  /** {@code n} distinct members chosen at random (all of them when there are not more). */
  private static List<byte[]> pick(List<byte[]> members, long n) {
    List<byte[]> copy = new ArrayList<>(members);
    int k = (int) Math.min(n, copy.size());
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < k; i++) { // a partial Fisher-Yates shuffle: O(k) after the copy
      java.util.Collections.swap(copy, i, i + random.nextInt(copy.size() - i));
    }
    return copy.subList(0, k);
  }

  /** SPOP key [count]: removes random members as SREM does and answers them. */
  private static void spop(ConnectionHandler c, byte[][] a) {
    Long n = a.length > 2 ? count(c, a, true) : Long.valueOf(-1);
    if (n == null || !readSet(c, a[1])) return;
    List<byte[]> chosen = pick(members(c, a[1]), n < 0 ? 1 : n);
    if (chosen.isEmpty()) {
      c.replies.add(n < 0 ? Resp.NIL : Resp.set(List.of()));
      return;
    }
    change(c, a[1], chosen, false,
        m -> n < 0 ? Resp.bulk(m.get(0)) : Resp.set(bulks(m)));
  }

  /**
   * SRANDMEMBER key [count]: a positive count answers distinct members, a negative one that
   * many members with repeats, as in Redis.
   */
  private static void srandmember(ConnectionHandler c, byte[][] a) {
    Long n = a.length > 2 ? count(c, a, false) : null;
    if (a.length > 2 && n == null) return;
    if (!readSet(c, a[1])) return;
    List<byte[]> members = members(c, a[1]);
    if (n == null) {
      c.replies.add(members.isEmpty() ? Resp.NIL : Resp.bulk(pick(members, 1).get(0)));
      return;
    }
    if (n >= 0 || members.isEmpty()) {
      c.replies.add(Resp.array(bulks(pick(members, n < 0 ? 0 : n))));
      return;
    }
    // Every repeat is a bulk string of at least 4 bytes: a reply of more repeats than the value
    // limit's bytes would be refused by any client; Redis 7.2 refuses huge counts too.
    if (-n > c.node.config.limits().valueBytesMax()) {
      c.replies.add(Resp.error("ERR value is out of range"));
      return;
    }
    List<RedisMessage> out = new ArrayList<>();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (long i = 0; i < -n; i++) out.add(Resp.bulk(members.get(random.nextInt(members.size()))));
    c.replies.add(Resp.array(out));
  }

  /** SSCAN key cursor [MATCH pattern] [COUNT count]: every matching member in one page. */
  private static void sscan(ConnectionHandler c, byte[][] a) {
    ElementScan scan = ElementScan.parse(c, a, false);
    if (scan == null) return;
    if (!readSet(c, a[1])) return;
    scan.run(c, kvs.core.Elements.prefix(a[1], Entry.KIND_SET), (from, budget) -> {
      kvs.core.Replica.MemberPage<byte[]> p = c.node.replica.setMembers(c.session, a[1], from, budget);
      List<RedisMessage> out = new ArrayList<>();
      for (byte[] m : p.members()) {
        if (scan.matches(m)) out.add(Resp.bulk(m));
      }
      return new ElementScan.Page(out, p.next(), p.examined());
    });
  }

  /**
   * SINTER ('i'), SUNION ('u'), SDIFF ('d') of the keys {@code a[1..]}: every key is read first,
   * so a key of another type answers WRONGTYPE whatever the others hold (as Redis). O(total
   * members).
   */
  private static void combine(ConnectionHandler c, byte[][] a, char op) {
    for (int i = 1; i < a.length; i++) {
      if (!readSet(c, a[i])) return;
    }
    Set<ByteBuffer> result = new LinkedHashSet<>();
    for (byte[] m : members(c, a[1])) result.add(ByteBuffer.wrap(m));
    for (int i = 2; i < a.length && !(op != 'u' && result.isEmpty()); i++) {
      Set<ByteBuffer> other = new java.util.HashSet<>();
      for (byte[] m : members(c, a[i])) other.add(ByteBuffer.wrap(m));
      switch (op) {
        case 'i' -> result.retainAll(other);
        case 'u' -> result.addAll(other);
        default -> result.removeAll(other);
      }
    }
    List<RedisMessage> out = new ArrayList<>();
    for (ByteBuffer m : result) out.add(Resp.bulk(m.array()));
    c.replies.add(Resp.set(out));
  }

  /** A set as KVS.DUMP and printStore show it: {@code {a, b, ...}} in register-key order. */
  static byte[] printable(ConnectionHandler c, byte[] key) {
    return CommandSupport.braced(c.node.replica.setMembers(new kvs.core.SessionToken(), key));
  }

}
