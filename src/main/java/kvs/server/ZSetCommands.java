package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import kvs.core.Counters;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.core.Replica.ZMember;
import kvs.core.Replica.ZUpdate;
import kvs.net.Resp;
import kvs.net.Resp3;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;

/**
 * The sorted-set commands, with Redis 7's replies and errors (scores as doubles in RESP3,
 * WITHSCORES as [member, score] pairs in RESP3). Membership is an observed-remove set and a
 * score a register under ZADD and a merging counter under ZINCRBY ({@code kvs.core.SortedSets}).
 * There is no score index: ZRANGE and its kin read every member's registers and sort,
 * O(N log N) (docs/design.md, Sorted sets).
 */
final class ZSetCommands {
  static final String NOT_FLOAT = "ERR value is not a valid float";
  static final String RANGE_NOT_FLOAT = "ERR min or max is not a float";
  static final String LEX_RANGE = "ERR min or max not valid string range item";

  private ZSetCommands() {}

  static List<CommandSpec> declarations() {
    return List.of(
        command("ZADD", -4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Adds members to a sorted set or sets their scores (NX XX GT LT CH INCR);"
                + " an add wins over a concurrent remove.")
            .handler(ZSetCommands::zadd),
        command("ZINCRBY", 4, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.DENYOOM, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Adds to a member's score; concurrent increments on different servers all"
                + " count.")
            .handler(ZSetCommands::zincrby),
        command("ZREM", -3, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Removes members of a sorted set (the adds this server has seen).")
            .handler(ZSetCommands::zrem),
        command("ZSCORE", 3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers a member's score (a double in RESP3).")
            .handler(ZSetCommands::zscore),
        command("ZMSCORE", -3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers the scores of members.")
            .handler(ZSetCommands::zmscore),
        command("ZCARD", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
            .summary("Counts the members of a sorted set (O(N): walks the members).")
            .handler(ZSetCommands::zcard),
        command("ZCOUNT", 4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Counts the members with a score in a range.")
            .handler(ZSetCommands::zcount),
        command("ZLEXCOUNT", 4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Counts the members in a lexicographical range.")
            .handler(ZSetCommands::zlexcount),
        command("ZRANGE", -4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers members by rank, score (BYSCORE) or name (BYLEX), with REV, LIMIT"
                + " and WITHSCORES.")
            .handler((c, a) -> range(c, a, Mode.RANK, false, 4, true)),
        command("ZREVRANGE", -4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers members by rank, highest score first.")
            .handler((c, a) -> range(c, a, Mode.RANK, true, 4, false)),
        command("ZRANGEBYSCORE", -4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers members with a score in a range.")
            .handler((c, a) -> range(c, a, Mode.SCORE, false, 4, false)),
        command("ZREVRANGEBYSCORE", -4, Access.AUTHENTICATED).flags(Flag.READONLY)
            .keys(Keys.ONE)
            .summary("Answers members with a score in a range, highest first.")
            .handler((c, a) -> range(c, a, Mode.SCORE, true, 4, false)),
        command("ZRANGEBYLEX", -4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers members in a lexicographical range.")
            .handler((c, a) -> range(c, a, Mode.LEX, false, 4, false)),
        command("ZREVRANGEBYLEX", -4, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Answers members in a lexicographical range, last first.")
            .handler((c, a) -> range(c, a, Mode.LEX, true, 4, false)),
        command("ZRANK", -3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers a member's rank, lowest score first.")
            .handler((c, a) -> rank(c, a, false)),
        command("ZREVRANK", -3, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST)
            .keys(Keys.ONE)
            .summary("Answers a member's rank, highest score first.")
            .handler((c, a) -> rank(c, a, true)),
        command("ZPOPMIN", -2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Removes and answers the members with the lowest scores.")
            .handler((c, a) -> pop(c, a, false)),
        command("ZPOPMAX", -2, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.FAST).keys(Keys.ONE)
            .summary("Removes and answers the members with the highest scores.")
            .handler((c, a) -> pop(c, a, true)),
        command("ZSCAN", -3, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
            .summary("Iterates over the members and scores of a sorted set, with MATCH and COUNT"
                + " (one page: cursor 0).")
            .handler(ZSetCommands::zscan));
  }

  // ---- parsing -------------------------------------------------------------------------------

  /**
   * A score as Redis's strtod takes it: decimal digits with sign, point and exponent, or
   * {@code inf}/{@code infinity} with a sign; null for anything else, NaN included, or text
   * longer than {@link Counters#TEXT_MAX}.
   */
  static Double parseScore(byte[] text) {
    return parseScore(text, false);
  }

  /**
   * As {@link #parseScore(byte[])}; with {@code outOfRange}, a text beyond a double's range is
   * taken as strtod gives it (an infinity, or 0), as Redis's score bounds (zslParseRange, which
   * does not check ERANGE) take {@code 1e400}.
   */
  static Double parseScore(byte[] text, boolean outOfRange) {
    if (text.length == 0 || text.length > Counters.TEXT_MAX) return null;
    String s = Resp.ascii(text);
    String unsigned = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    String lower = unsigned.toLowerCase(Locale.ROOT);
    if (lower.equals("inf") || lower.equals("infinity")) {
      return s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    boolean digit = false;
    for (int i = 0; i < unsigned.length(); i++) {
      char ch = unsigned.charAt(i);
      if (ch >= '0' && ch <= '9') {
        digit = true;
      } else if (ch != '.' && ch != 'e' && ch != 'E' && ch != '-' && ch != '+') {
        return null;
      }
    }
    if (!digit) return null;
    try {
      double d = Double.parseDouble(s);
      // As strtod's ERANGE, which Redis refuses: a finite text too large, or one too small
      // to be anything but 0.
      if (outOfRange) return d;
      if (Double.isInfinite(d)) return null;
      if (d == 0 && unsigned.replaceAll("[eE].*", "").matches(".*[1-9].*")) return null;
      return d;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** An increment as the exact decimal of its double; null after answering the error. */
  private static BigDecimal delta(ConnectionHandler c, double by) {
    if (Double.isInfinite(by)) {
      c.replies.add(Resp.error("ERR increment must be a finite number (increments merge as"
          + " decimal counters)"));
      return null;
    }
    return new BigDecimal(by).round(Counters.PRECISION);
  }

  /** Reads {@code key} as a sorted set (see {@link CommandSupport#readAs}). */
  private static boolean readZset(ConnectionHandler c, byte[] key) {
    return CommandSupport.readAs(c, key, Entry.KIND_ZSET);
  }

  private static boolean checkMember(ConnectionHandler c, byte[] member) {
    if (member.length > c.node.config.limits().keyBytesMax()) {
      c.replies.add(Resp.error("ERR member is " + member.length + " bytes; the limit is "
          + c.node.config.limits().keyBytesMax()));
      return false;
    }
    return true;
  }

  /** Members ordered by score, then by name (unsigned bytes), as Redis orders them. */
  static final Comparator<ZMember> ORDER = Comparator.comparingDouble(ZMember::score)
      .thenComparing(ZMember::member, Arrays::compareUnsigned);

  private static List<ZMember> sorted(ConnectionHandler c, byte[] key) {
    List<ZMember> all = new ArrayList<>(c.node.replica.zsetMembers(c.session, key));
    all.sort(ORDER);
    return all;
  }

  private static boolean resp3(ConnectionHandler c) {
    return c.replies.protocol() == 3;
  }

  /** Members, with their scores when asked: flat in RESP2, [member, score] pairs in RESP3. */
  private static RedisMessage withScores(ConnectionHandler c, List<ZMember> members,
      boolean scores) {
    List<RedisMessage> out = new ArrayList<>();
    for (ZMember m : members) {
      if (!scores) {
        out.add(Resp.bulk(m.member()));
      } else if (resp3(c)) {
        out.add(Resp.array(List.of(Resp.bulk(m.member()), Resp.dbl(m.score()))));
      } else {
        out.add(Resp.bulk(m.member()));
        out.add(Resp.dbl(m.score()));
      }
    }
    return Resp.array(out);
  }

  // ---- writes --------------------------------------------------------------------------------

  /** ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]. */
  private static void zadd(ConnectionHandler c, byte[][] a) {
    boolean nx = false;
    boolean xx = false;
    boolean gt = false;
    boolean lt = false;
    boolean ch = false;
    boolean incr = false;
    int i = 2;
    for (; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      switch (opt) {
        case "NX" -> nx = true;
        case "XX" -> xx = true;
        case "GT" -> gt = true;
        case "LT" -> lt = true;
        case "CH" -> ch = true;
        case "INCR" -> incr = true;
        default -> { }
      }
      if (!List.of("NX", "XX", "GT", "LT", "CH", "INCR").contains(opt)) break;
    }
    int pairs = a.length - i;
    if (pairs == 0 || pairs % 2 != 0) {
      c.replies.add(Resp.error("ERR syntax error"));
      return;
    }
    if (nx && xx) {
      c.replies.add(Resp.error("ERR XX and NX options at the same time are not compatible"));
      return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
      c.replies.add(Resp.error(
          "ERR GT, LT, and/or NX options at the same time are not compatible"));
      return;
    }
    if (incr && pairs > 2) {
      c.replies.add(Resp.error("ERR INCR option supports a single increment-element pair"));
      return;
    }
    List<Double> scores = new ArrayList<>();
    List<byte[]> members = new ArrayList<>();
    for (int j = i; j < a.length; j += 2) {
      Double s = parseScore(a[j]);
      if (s == null) {
        c.replies.add(Resp.error(NOT_FLOAT));
        return;
      }
      scores.add(s);
      members.add(a[j + 1]);
    }
    for (byte[] m : members) if (!checkMember(c, m)) return;
    BigDecimal by = incr ? delta(c, scores.get(0)) : null;
    if (incr && by == null) return;
    if (!readZset(c, a[1])) return;
    // Decide per member as Redis does, on the scores this server holds, the members named
    // before it in this command included.
    java.util.Map<java.nio.ByteBuffer, Double> now = new java.util.HashMap<>();
    List<ZUpdate> updates = new ArrayList<>();
    long added = 0;
    long changed = 0;
    boolean skipped = false;
    for (int j = 0; j < members.size(); j++) {
      byte[] m = members.get(j);
      java.nio.ByteBuffer name = java.nio.ByteBuffer.wrap(m);
      Double cur = now.containsKey(name) ? now.get(name)
          : c.node.replica.zscore(c.session, a[1], m);
      double score = scores.get(j);
      if (cur != null) {
        if (nx) {
          skipped = true;
          continue;
        }
        double next = incr ? cur + score : score;
        if (Double.isNaN(next)) {
          c.replies.add(Resp.error("ERR resulting score is not a number (NaN)"));
          return;
        }
        if ((gt && next <= cur) || (lt && next >= cur)) {
          skipped = true;
          continue;
        }
        if (next != cur) changed++;
        now.put(name, next);
        updates.add(incr ? new ZUpdate(m, null, by) : new ZUpdate(m, score, null));
      } else {
        if (xx) {
          skipped = true;
          continue;
        }
        added++;
        now.put(name, score);
        updates.add(incr ? new ZUpdate(m, null, by) : new ZUpdate(m, score, null));
      }
    }
    long count = ch ? added + changed : added;
    if (updates.isEmpty()) {
      c.replies.add(incr ? Resp.NIL : Resp.integer(count));
      return;
    }
    boolean incrDone = incr && !skipped;
    if (!CommandSupport.checkKey(c, a[1])) return;
    Replica.ZChange done = CommandSupport.attempt(c,
        (replica, t) -> replica.zadd(c.session, a[1], updates, t));
    if (done == null) return;
    RedisMessage reply = incrDone ? Resp.dbl(done.scores().get(0)) : Resp.integer(count);
    CommandSupport.committed(c, done.written(), reply);
  }

  /** ZINCRBY key increment member. */
  private static void zincrby(ConnectionHandler c, byte[][] a) {
    Double by = parseScore(a[2]);
    if (by == null) {
      c.replies.add(Resp.error(NOT_FLOAT));
      return;
    }
    if (!checkMember(c, a[3])) return;
    BigDecimal delta = delta(c, by);
    if (delta == null || !readZset(c, a[1]) || !CommandSupport.checkKey(c, a[1])) return;
    Double cur = c.node.replica.zscore(c.session, a[1], a[3]);
    if (cur != null && Double.isNaN(cur + by)) {
      c.replies.add(Resp.error("ERR resulting score is not a number (NaN)"));
      return;
    }
    Replica.ZChange done = CommandSupport.attempt(c, (replica, t) ->
        replica.zadd(c.session, a[1], List.of(new ZUpdate(a[3], null, delta)), t));
    if (done == null) return;
    CommandSupport.committed(c, done.written(), Resp.dbl(done.scores().get(0)));
  }

  /** Runs a ZREM of the core and replies with {@code reply}, once durable. */
  private static void remove(ConnectionHandler c, byte[] key, List<byte[]> members,
      RedisMessage reply) {
    Replica.ZChange done = CommandSupport.attempt(c,
        (replica, t) -> replica.zrem(c.session, key, members, t));
    if (done == null) return;
    if (done.written().isEmpty()) { // nothing to remove: no write, as Redis
      c.replies.add(reply);
      return;
    }
    CommandSupport.committed(c, done.written(), reply);
  }

  /** ZREM key member [member ...]: answers how many members were there. */
  private static void zrem(ConnectionHandler c, byte[][] a) {
    if (!readZset(c, a[1])) return;
    List<byte[]> members = List.of(a).subList(2, a.length);
    long n = 0;
    java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
    for (byte[] m : members) {
      if (seen.add(java.nio.ByteBuffer.wrap(m))
          && c.node.replica.zscore(c.session, a[1], m) != null) {
        n++;
      }
    }
    remove(c, a[1], members, Resp.integer(n));
  }

  /** ZPOPMIN / ZPOPMAX key [count]. */
  private static void pop(ConnectionHandler c, byte[][] a, boolean max) {
    long n = 1;
    if (a.length > 3) {
      c.replies.add(Resp.error("ERR syntax error"));
      return;
    }
    if (a.length == 3) {
      n = StringEditCommands.parseLong(a[2]);
      if (n < 0) { // a count that is no integer too, as Redis answers
        c.replies.add(Resp.error("ERR value is out of range, must be positive"));
        return;
      }
    }
    if (!readZset(c, a[1])) return;
    List<ZMember> all = sorted(c, a[1]);
    if (max) java.util.Collections.reverse(all);
    List<ZMember> chosen = all.subList(0, (int) Math.min(n, all.size()));
    RedisMessage reply;
    if (a.length == 3 && resp3(c)) {
      reply = withScores(c, chosen, true); // pairs
    } else {
      List<RedisMessage> flat = new ArrayList<>();
      for (ZMember m : chosen) {
        flat.add(Resp.bulk(m.member()));
        flat.add(Resp.dbl(m.score()));
      }
      reply = Resp.array(flat);
    }
    if (chosen.isEmpty()) {
      c.replies.add(reply);
      return;
    }
    List<byte[]> names = new ArrayList<>();
    for (ZMember m : chosen) names.add(m.member());
    remove(c, a[1], names, reply);
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** ZSCORE key member. */
  private static void zscore(ConnectionHandler c, byte[][] a) {
    if (!readZset(c, a[1])) return;
    Double s = c.node.replica.zscore(c.session, a[1], a[2]);
    c.replies.add(s == null ? Resp.NIL : Resp.dbl(s));
  }

  /** ZMSCORE key member [member ...]. */
  private static void zmscore(ConnectionHandler c, byte[][] a) {
    if (!readZset(c, a[1])) return;
    List<RedisMessage> out = new ArrayList<>();
    for (int i = 2; i < a.length; i++) {
      Double s = c.node.replica.zscore(c.session, a[1], a[i]);
      out.add(s == null ? Resp.NIL : Resp.dbl(s));
    }
    c.replies.add(Resp.array(out));
  }

  /** ZCARD key. */
  private static void zcard(ConnectionHandler c, byte[][] a) {
    if (!readZset(c, a[1])) return;
    c.replies.add(Resp.integer(c.node.replica.zsetMembers(c.session, a[1]).size()));
  }

  /** A score bound: its value and whether it is exclusive ({@code (}). */
  record ScoreBound(double value, boolean exclusive) {
    boolean below(double s) { // s is at or above this lower bound
      return exclusive ? s > value : s >= value;
    }

    boolean above(double s) { // s is at or below this upper bound
      return exclusive ? s < value : s <= value;
    }
  }

  /** A score bound as ZRANGEBYSCORE takes it ({@code 1.5}, {@code (1.5}, {@code -inf}), or null. */
  static ScoreBound scoreBound(byte[] b) {
    boolean exclusive = b.length > 0 && b[0] == '(';
    Double v = parseScore(exclusive ? Arrays.copyOfRange(b, 1, b.length) : b, true);
    return v == null ? null : new ScoreBound(v, exclusive);
  }

  /**
   * A lexicographical bound: {@code -} (below all), {@code +} (above all), {@code [x} or
   * {@code (x}; null when it is none of these.
   */
  record LexBound(byte[] value, boolean exclusive, int infinite) {
    boolean below(byte[] m) { // m is at or above this lower bound
      if (infinite != 0) return infinite < 0;
      int cmp = Arrays.compareUnsigned(m, value);
      return exclusive ? cmp > 0 : cmp >= 0;
    }

    boolean above(byte[] m) { // m is at or below this upper bound
      if (infinite != 0) return infinite > 0;
      int cmp = Arrays.compareUnsigned(m, value);
      return exclusive ? cmp < 0 : cmp <= 0;
    }
  }

  static LexBound lexBound(byte[] b) {
    if (b.length == 1 && b[0] == '-') return new LexBound(null, false, -1);
    if (b.length == 1 && b[0] == '+') return new LexBound(null, false, 1);
    if (b.length >= 1 && (b[0] == '[' || b[0] == '(')) {
      return new LexBound(Arrays.copyOfRange(b, 1, b.length), b[0] == '(', 0);
    }
    return null;
  }

  /** ZCOUNT key min max. */
  private static void zcount(ConnectionHandler c, byte[][] a) {
    ScoreBound min = scoreBound(a[2]);
    ScoreBound max = scoreBound(a[3]);
    if (min == null || max == null) {
      c.replies.add(Resp.error(RANGE_NOT_FLOAT));
      return;
    }
    if (!readZset(c, a[1])) return;
    long n = 0;
    for (ZMember m : c.node.replica.zsetMembers(c.session, a[1])) {
      if (min.below(m.score()) && max.above(m.score())) n++;
    }
    c.replies.add(Resp.integer(n));
  }

  /** ZLEXCOUNT key min max. */
  private static void zlexcount(ConnectionHandler c, byte[][] a) {
    LexBound min = lexBound(a[2]);
    LexBound max = lexBound(a[3]);
    if (min == null || max == null) {
      c.replies.add(Resp.error(LEX_RANGE));
      return;
    }
    if (!readZset(c, a[1])) return;
    long n = 0;
    for (ZMember m : c.node.replica.zsetMembers(c.session, a[1])) {
      if (min.below(m.member()) && max.above(m.member())) n++;
    }
    c.replies.add(Resp.integer(n));
  }

  enum Mode { RANK, SCORE, LEX }

  /**
   * ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES] when
   * {@code full}; else the older commands (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
   * ZRANGEBYLEX, ZREVRANGEBYLEX) with their fixed mode and direction, which take WITHSCORES
   * (not the lex ones) and LIMIT (not ZREVRANGE).
   */
  private static void range(ConnectionHandler c, byte[][] a, Mode mode, boolean rev, int from,
      boolean full) {
    boolean scores = false;
    boolean limited = false;
    long offset = 0;
    long count = -1;
    // As Redis 7's zrangeGenericCommand: every form takes WITHSCORES and LIMIT (refused below
    // where they do not apply); only ZRANGE takes REV, BYSCORE and BYLEX, each once.
    boolean typed = !full;
    boolean directed = !full;
    for (int i = from; i < a.length; i++) {
      String opt = Resp.ascii(a[i]).toUpperCase(Locale.ROOT);
      if (!typed && opt.equals("BYSCORE")) {
        mode = Mode.SCORE;
        typed = true;
      } else if (!typed && opt.equals("BYLEX")) {
        mode = Mode.LEX;
        typed = true;
      } else if (!directed && opt.equals("REV")) {
        rev = true;
        directed = true;
      } else if (opt.equals("WITHSCORES")) {
        scores = true;
      } else if (opt.equals("LIMIT") && i + 2 < a.length) {
        offset = StringEditCommands.parseLong(a[i + 1]);
        count = StringEditCommands.parseLong(a[i + 2]);
        if (offset == Long.MIN_VALUE || count == Long.MIN_VALUE) {
          c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
          return;
        }
        limited = true;
        i += 2;
      } else {
        c.replies.add(Resp.error("ERR syntax error"));
        return;
      }
    }
    if (limited && count == -1 && mode == Mode.RANK) {
      limited = false; // Redis refuses LIMIT by rank only with a count other than -1
    }
    if (limited && count != -1 && mode == Mode.RANK) {
      c.replies.add(Resp.error("ERR syntax error, LIMIT is only supported in combination with"
          + " either BYSCORE or BYLEX"));
      return;
    }
    if (scores && mode == Mode.LEX) {
      c.replies.add(Resp.error("ERR syntax error, WITHSCORES not supported in combination with"
          + " BYLEX"));
      return;
    }
    // With REV (and in the ZREV* commands) the first bound is the high one for scores and names.
    byte[] lo = rev && mode != Mode.RANK ? a[3] : a[2];
    byte[] hi = rev && mode != Mode.RANK ? a[2] : a[3];
    List<ZMember> out = new ArrayList<>();
    switch (mode) {
      case RANK -> {
        long start = StringEditCommands.parseLong(a[2]);
        long stop = StringEditCommands.parseLong(a[3]);
        if (start == Long.MIN_VALUE || stop == Long.MIN_VALUE) {
          c.replies.add(Resp.error(StringEditCommands.NOT_INTEGER));
          return;
        }
        if (!readZset(c, a[1])) return;
        List<ZMember> all = sorted(c, a[1]);
        if (rev) java.util.Collections.reverse(all);
        long n = all.size();
        if (start < 0) start = Math.max(0, n + start);
        if (stop < 0) stop = n + stop;
        if (stop >= n) stop = n - 1;
        for (long r = start; r <= stop; r++) out.add(all.get((int) r));
      }
      case SCORE -> {
        ScoreBound min = scoreBound(lo);
        ScoreBound max = scoreBound(hi);
        if (min == null || max == null) {
          c.replies.add(Resp.error(RANGE_NOT_FLOAT));
          return;
        }
        if (!readZset(c, a[1])) return;
        List<ZMember> all = sorted(c, a[1]);
        if (rev) java.util.Collections.reverse(all);
        for (ZMember m : all) {
          if (min.below(m.score()) && max.above(m.score())) out.add(m);
        }
      }
      case LEX -> {
        LexBound min = lexBound(lo);
        LexBound max = lexBound(hi);
        if (min == null || max == null) {
          c.replies.add(Resp.error(LEX_RANGE));
          return;
        }
        if (!readZset(c, a[1])) return;
        List<ZMember> all = sorted(c, a[1]);
        if (rev) java.util.Collections.reverse(all);
        for (ZMember m : all) {
          if (min.below(m.member()) && max.above(m.member())) out.add(m);
        }
      }
      default -> throw new IllegalStateException();
    }
    if (limited) {
      // As Redis: a negative offset answers nothing, a negative count means all the rest.
      if (offset < 0 || offset >= out.size()) {
        out = List.of();
      } else {
        long end = count < 0 || count > out.size() - offset ? out.size() : offset + count;
        out = out.subList((int) offset, (int) end);
      }
    }
    c.replies.add(withScores(c, out, scores));
  }

  /** ZRANK / ZREVRANK key member [WITHSCORE]. */
  private static void rank(ConnectionHandler c, byte[][] a, boolean rev) {
    boolean score = false;
    if (a.length > 4) { // as Redis 7.2
      c.replies.add(Resp.error(CommandSupport.wrongArity(
          Resp.ascii(a[0]).toLowerCase(Locale.ROOT))));
      return;
    } else if (a.length == 4 && Resp.ascii(a[3]).equalsIgnoreCase("WITHSCORE")) {
      score = true;
    } else if (a.length != 3) {
      c.replies.add(Resp.error("ERR syntax error"));
      return;
    }
    // Redis 7.2 answers a null array (RESP2 *-1) for a missing member WITHSCORE.
    RedisMessage none = score
        ? io.netty.handler.codec.redis.ArrayRedisMessage.NULL_INSTANCE : Resp.NIL;
    if (!readZset(c, a[1])) return;
    List<ZMember> all = sorted(c, a[1]);
    if (rev) java.util.Collections.reverse(all);
    for (int i = 0; i < all.size(); i++) {
      if (Arrays.equals(all.get(i).member(), a[2])) {
        c.replies.add(score
            ? Resp.array(List.of(Resp.integer(i), Resp.dbl(all.get(i).score())))
            : Resp.integer(i));
        return;
      }
    }
    c.replies.add(none);
  }

  /**
   * ZSCAN key cursor [MATCH pattern] [COUNT count]: a page of about COUNT registers' members,
   * each with its score, paged as SSCAN pages (ElementScan).
   */
  private static void zscan(ConnectionHandler c, byte[][] a) {
    ElementScan scan = ElementScan.parse(c, a, false);
    if (scan == null) return;
    if (!readZset(c, a[1])) return;
    scan.run(c, kvs.core.Elements.prefix(a[1], Entry.KIND_ZSET), (from, budget) -> {
      kvs.core.Replica.MemberPage<ZMember> p =
          c.node.replica.zsetMembers(c.session, a[1], from, budget);
      List<RedisMessage> out = new ArrayList<>();
      for (ZMember m : p.members()) {
        if (!scan.matches(m.member())) continue;
        out.add(Resp.bulk(m.member()));
        out.add(Resp.bulk(new Resp3.DoubleMessage(m.score()).text()));
      }
      return new ElementScan.Page(out, p.next(), p.examined());
    });
  }

  /**
   * A sorted set as KVS.DUMP and printStore show it: {@code {a=1, b=2.5, ...}} in score order.
   */
  static byte[] printable(ConnectionHandler c, byte[] key) {
    List<ZMember> all = new ArrayList<>(
        c.node.replica.zsetMembers(new kvs.core.SessionToken(), key));
    all.sort(ORDER);
    List<byte[]> items = new ArrayList<>();
    for (ZMember m : all) {
      byte[] score = Resp.bytes(new Resp3.DoubleMessage(m.score()).text());
      byte[] item = Arrays.copyOf(m.member(), m.member().length + 1 + score.length);
      item[m.member().length] = '=';
      System.arraycopy(score, 0, item, m.member().length + 1, score.length);
      items.add(item);
    }
    return CommandSupport.braced(items);
  }
}
