package kvs.core;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sorted sets whose membership is an observed-remove set (as {@link Sets}) and whose score is a
 * register under ZADD and a merging counter under ZINCRBY, built, as sets are, on per-entry
 * last-writer-wins with no merge rule of their own (docs/design.md, "Data types: sorted sets").
 *
 * <p>A sorted set is a head entry under the user key ({@link Entry#KIND_ZSET}, its value a
 * hash's head, {@link Hashes#head}) and, per member and per origin that wrote it, one
 * <em>register</em> element ({@link Sets#subKey} under {@link Entry#KIND_ZSET}), written by that
 * origin only, so last-writer-wins keeps its latest state. A register holds:
 *
 * <ul>
 *   <li>{@code added}: whether its origin's latest word on the member is an add (ZADD, ZINCRBY);
 *       the add's dot is the register entry's dot;
 *   <li>{@code removed}: per origin, a {@link Mark} (sequence, increment total) of that origin's
 *       register as this origin held it when it last removed the member (ZREM, ZPOPMIN/MAX);
 *   <li>{@code incr}: the running total of this origin's increments of the member, which only
 *       ever changes by ZINCRBY (never reset), so a mark of it at a sequence says which
 *       increments came after;
 *   <li>{@code assign} (added registers only): the score assignment the register carries: its
 *       version (clock, origin), its score, and per origin the {@link Mark} of the registers its
 *       writer held (the increments it <em>cancels</em>). A ZADD, and a ZINCRBY of a member its
 *       server does not hold, makes a new assignment (score given, or 0), stamped with the
 *       register entry's own version; a ZINCRBY of a present member copies the winning one.
 * </ul>
 *
 * <p>The rule, a function of the member's latest registers and the head only:
 *
 * <ul>
 *   <li>a register is <em>visible</em> when it says added, its dot is not covered by the head's
 *       vector, and no register records a removal of its origin at its sequence or later; the
 *       member is present iff a register is visible (as {@link Sets#present});
 *   <li>the <em>winner</em> is the assignment of the highest version among visible registers;
 *   <li>the score is the winner's score plus, for each visible register of origin p (in origin
 *       order), its total minus the <em>floor</em> of p: of the winner's cancel mark of p and of
 *       every removal mark of p in any register, the one of the highest sequence; nothing when
 *       the floor's sequence is at or above the register's (what the floor saw is all there is).
 * </ul>
 *
 * <p>So an increment the winner's writer had not seen counts (two servers' concurrent ZINCRBY
 * both count), one it had seen is cancelled, and one a removal had seen is cancelled for good.
 * Totals are decimals ({@link Counters#PRECISION}), so the sum is the same on every replica
 * whatever the order increments arrived in; the winner's score is a double and the result is
 * rounded to one. Pure.
 */
public final class SortedSets {
  private static final byte REGISTER_FORMAT = 1;

  private SortedSets() {}

  /** A ZADD or ZINCRBY whose resulting score would be NaN: refused before anything is written. */
  public static final class NotANumber extends RuntimeException {
    public NotANumber() {
      super("resulting score is not a number (NaN)", null, false, false);
    }
  }

  /** What one origin's register was when someone saw it: its sequence and increment total. */
  public record Mark(long seq, BigDecimal total) {}

  /**
   * A score assignment: the version of the write that made it ({@code clock} 0 inside an
   * encoded register: the version of the register entry itself), its score, and what it
   * cancels of each origin's increments.
   */
  public record Assign(long clock, long origin, double score, Map<Long, Mark> cancels) {
    public Assign {
      cancels = Map.copyOf(cancels);
    }

    boolean newerThan(Assign o) {
      return Entry.compareVersions(clock, origin, o.clock, o.origin) > 0;
    }
  }

  /**
   * One origin's latest word on one member (see the class comment). {@code totalAlwaysZero}:
   * its total has been zero in every state this register ever had, so every mark of its origin
   * any register holds or will hold carries a zero total ({@link #garbage} relies on it; a
   * register written before this flag existed reads false).
   */
  public record Register(boolean added, Map<Long, Mark> removed, BigDecimal incr, Assign assign,
      boolean totalAlwaysZero) {
    public Register {
      removed = Map.copyOf(removed);
      if (added != (assign != null)) throw new IllegalArgumentException("added iff assigned");
    }

    /** A register whose history is not known: it claims no zero total for ever. */
    public Register(boolean added, Map<Long, Mark> removed, BigDecimal incr, Assign assign) {
      this(added, removed, incr, assign, false);
    }

    static final Register NONE = new Register(false, Map.of(), BigDecimal.ZERO, null, true);

    /** The trailing flags word: bit 0 is {@link #totalAlwaysZero}. */
    private static final int TOTAL_ALWAYS_ZERO = 1;

    /**
     * The value stored: an assignment made by this very write ({@code own}) has clock 0, the
     * entry's version standing for it.
     */
    public byte[] encode(boolean own) {
      List<byte[]> texts = new ArrayList<>();
      int size = 1 + 1 + 4 + 1;
      byte[] incrText = Counters.format(incr);
      size += 2 + incrText.length;
      size += marksSize(removed, texts);
      if (assign != null) size += 8 + 8 + 8 + marksSize(assign.cancels(), texts);
      ByteBuffer b = ByteBuffer.allocate(size);
      b.put(REGISTER_FORMAT).put((byte) (added ? 1 : 0));
      b.putShort((short) incrText.length).put(incrText);
      int[] next = {0};
      putMarks(b, removed, texts, next);
      b.put((byte) (assign == null ? 0 : 1));
      if (assign != null) {
        b.putLong(own ? 0 : assign.clock()).putLong(own ? 0 : assign.origin())
            .putLong(Double.doubleToLongBits(assign.score()));
        putMarks(b, assign.cancels(), texts, next);
      }
      // Flags; a register written before they existed holds 0 (nothing claimed).
      b.putInt(totalAlwaysZero ? TOTAL_ALWAYS_ZERO : 0);
      return b.array();
    }

    private static int marksSize(Map<Long, Mark> marks, List<byte[]> texts) {
      int size = 4;
      for (Map.Entry<Long, Mark> m : new TreeMap<>(marks).entrySet()) {
        byte[] t = Counters.format(m.getValue().total());
        texts.add(t);
        size += 8 + 8 + 2 + t.length;
      }
      return size;
    }

    private static void putMarks(ByteBuffer b, Map<Long, Mark> marks, List<byte[]> texts,
        int[] next) {
      // Sorted, so equal registers encode equally (the digest fingerprints the bytes).
      b.putInt(marks.size());
      for (Map.Entry<Long, Mark> m : new TreeMap<>(marks).entrySet()) {
        byte[] t = texts.get(next[0]++);
        b.putLong(m.getKey()).putLong(m.getValue().seq()).putShort((short) t.length).put(t);
      }
    }

    /**
     * Reads {@link #encode}'s form stored in entry {@code e}, an own assignment taking the
     * entry's version; CorruptDataException for anything else.
     */
    public static Register decode(Entry e) {
      ByteBuffer b = ByteBuffer.wrap(e.value());
      need(b, 2);
      if (b.get() != REGISTER_FORMAT) throw new CorruptDataException("zset register: format");
      byte added = b.get();
      if (added != 0 && added != 1) throw new CorruptDataException("zset register: flag");
      BigDecimal incr = number(b);
      Map<Long, Mark> removed = marks(b);
      need(b, 1);
      byte assigned = b.get();
      if (assigned != added) throw new CorruptDataException("zset register: assignment");
      Assign assign = null;
      if (assigned == 1) {
        need(b, 24);
        long clock = b.getLong();
        long origin = b.getLong();
        double score = Double.longBitsToDouble(b.getLong());
        if (Double.isNaN(score)) throw new CorruptDataException("zset register: NaN score");
        if (clock == 0) {
          clock = e.clock();
          origin = e.origin();
        }
        assign = new Assign(clock, origin, score, marks(b));
      }
      need(b, 4);
      int flags = b.getInt();
      if ((flags & ~TOTAL_ALWAYS_ZERO) != 0 || b.hasRemaining()) {
        throw new CorruptDataException("zset register: trailing bytes");
      }
      boolean totalAlwaysZero = (flags & TOTAL_ALWAYS_ZERO) != 0;
      if (totalAlwaysZero && incr.signum() != 0) {
        throw new CorruptDataException("zset register: a total said always zero is not");
      }
      return new Register(added == 1, removed, incr, assign, totalAlwaysZero);
    }

    private static void need(ByteBuffer b, int n) {
      if (b.remaining() < n) throw new CorruptDataException("zset register: truncated");
    }

    private static BigDecimal number(ByteBuffer b) {
      need(b, 2);
      int len = Short.toUnsignedInt(b.getShort());
      need(b, len);
      byte[] text = new byte[len];
      b.get(text);
      BigDecimal v = Counters.parse(text);
      if (v == null) throw new CorruptDataException("zset register: bad number");
      return v;
    }

    private static Map<Long, Mark> marks(ByteBuffer b) {
      need(b, 4);
      int n = b.getInt();
      if (n < 0 || n > b.remaining() / 18) throw new CorruptDataException("zset register: count");
      Map<Long, Mark> out = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        need(b, 16);
        long origin = b.getLong();
        long seq = b.getLong();
        out.put(origin, new Mark(seq, number(b)));
      }
      return out;
    }
  }

  /** The register an entry holds (none: a register that never said anything). */
  public static Register registerOf(Entry e) {
    return e == null || e.value() == null ? Register.NONE : Register.decode(e);
  }

  /** A member's state: present or not, and its score when present. */
  public record State(boolean present, double score) {
    static final State ABSENT = new State(false, 0);
  }

  /**
   * The state of the member whose register entries (every origin's, any order) are
   * {@code registers}, under a head hiding {@code hidden}. O(registers x origins).
   */
  public static State state(List<Entry> registers, VersionVector hidden) {
    List<Entry> sorted = new ArrayList<>(registers);
    sorted.sort(Comparator.comparingLong(Entry::origin));
    Register[] decoded = new Register[sorted.size()];
    Map<Long, Mark> removedMarks = new TreeMap<>();
    for (int i = 0; i < decoded.length; i++) {
      decoded[i] = registerOf(sorted.get(i));
      decoded[i].removed().forEach((o, m) -> removedMarks.merge(o, m, SortedSets::later));
    }
    Assign winner = null;
    boolean[] visible = new boolean[decoded.length];
    for (int i = 0; i < decoded.length; i++) {
      Entry e = sorted.get(i);
      Mark removal = removedMarks.get(e.origin());
      visible[i] = decoded[i].added() && !hidden.covers(e.origin(), e.seq())
          && (removal == null || removal.seq() < e.seq());
      if (visible[i] && (winner == null || decoded[i].assign().newerThan(winner))) {
        winner = decoded[i].assign();
      }
    }
    if (winner == null) return State.ABSENT;
    BigDecimal sum = BigDecimal.ZERO;
    for (int i = 0; i < decoded.length; i++) {
      if (!visible[i]) continue;
      Entry e = sorted.get(i);
      Mark floor = later(winner.cancels().get(e.origin()), removedMarks.get(e.origin()));
      if (floor == null) {
        sum = sum.add(decoded[i].incr(), Counters.PRECISION);
      } else if (floor.seq() < e.seq()) {
        sum = sum.add(decoded[i].incr().subtract(floor.total()), Counters.PRECISION);
      }
    }
    return new State(true, score(winner.score(), sum));
  }

  /**
   * The winning assignment's {@code score} plus the increments' {@code sum}, never NaN: an
   * infinite assignment stays infinite whatever finite sum is added (as Redis's double does);
   * a sum beyond a double's range adds exactly, so the result is the infinity it overflows to.
   */
  static double score(double score, BigDecimal sum) {
    if (Double.isInfinite(score)) return score;
    double add = sum.doubleValue();
    double r = score + add;
    if (Double.isInfinite(add)) r = new BigDecimal(score).add(sum).doubleValue();
    return r;
  }

  /** Of two marks of one origin, the later (higher sequence); either may be null. */
  static Mark later(Mark a, Mark b) {
    if (a == null) return b;
    if (b == null) return a;
    return b.seq() > a.seq() ? b : a;
  }

  /** A mark of every register in {@code registers} as it is held now. */
  static Map<Long, Mark> marks(List<Entry> registers) {
    Map<Long, Mark> out = new TreeMap<>();
    for (Entry e : registers) {
      if (e.value() == null) continue;
      out.merge(e.origin(), new Mark(e.seq(), registerOf(e).incr()), SortedSets::later);
    }
    return out;
  }

  /** The register of {@code origin} among {@code registers}, or null. */
  private static Entry own(List<Entry> registers, long origin) {
    for (Entry e : registers) if (e.origin() == origin) return e;
    return null;
  }

  /**
   * What {@code origin} writes to its register of the member with {@code registers} (its own
   * among them or not) under a head hiding {@code hidden}, the member {@code present} or not as
   * its server showed it before this write: with a {@code score}, a ZADD (a new assignment
   * cancelling every increment held; its own total unchanged); without, a ZINCRBY of
   * {@code delta} (its total rises; the winning assignment copied when the member is present,
   * else a new one at 0 cancelling every increment held). The register's removal marks stay.
   * The caller encodes it with {@code own} = {@link #makesAssignment}.
   */
  public static Register addition(List<Entry> registers, boolean present, VersionVector hidden,
      long origin, Double score, BigDecimal delta) {
    Register mine = registerOf(own(registers, origin));
    BigDecimal incr = delta == null ? mine.incr() : mine.incr().add(delta, Counters.PRECISION);
    Assign assign;
    if (!makesAssignment(present, score)) {
      assign = winner(registers, hidden);
    } else {
      assign = new Assign(0, origin, score == null ? 0 : score, marks(registers));
    }
    return new Register(true, mine.removed(), incr, assign,
        mine.totalAlwaysZero() && incr.signum() == 0);
  }

  /** Whether {@link #addition} with these arguments makes a new assignment (encoded as own). */
  public static boolean makesAssignment(boolean present, Double score) {
    return score != null || !present;
  }

  /** The winning assignment of a present member (null when absent). */
  private static Assign winner(List<Entry> registers, VersionVector hidden) {
    Map<Long, Mark> removedMarks = new TreeMap<>();
    for (Entry e : registers) {
      registerOf(e).removed().forEach((o, m) -> removedMarks.merge(o, m, SortedSets::later));
    }
    Assign winner = null;
    for (Entry e : registers) {
      Register r = registerOf(e);
      Mark removal = removedMarks.get(e.origin());
      boolean visible = r.added() && !hidden.covers(e.origin(), e.seq())
          && (removal == null || removal.seq() < e.seq());
      if (visible && (winner == null || r.assign().newerThan(winner))) winner = r.assign();
    }
    return winner;
  }

  /**
   * What {@code origin} writes to remove the member with {@code registers}: not added, a mark
   * of every register it holds (its own too) added to its removal marks, its total unchanged.
   */
  public static Register removal(List<Entry> registers, long origin) {
    Register mine = registerOf(own(registers, origin));
    Map<Long, Mark> removed = new TreeMap<>(mine.removed());
    marks(registers).forEach((o, m) -> removed.merge(o, m, SortedSets::later));
    return new Register(false, removed, mine.incr(), null, mine.totalAlwaysZero());
  }

  /**
   * The registers among one member's ({@code registers}: every register of the member stored,
   * any order) that may be removed for good: their effect on every read and every future merge
   * is nil (docs/design.md, Tombstone collection). The rule of {@link Sets#garbage}, narrowed by
   * what a sorted-set register carries beyond a set's: a register of origin p qualifies when
   *
   * <ul>
   *   <li>{@code stable} covers its dot: every replica holds it or a newer write of it, and no
   *       older word of it can be applied again;
   *   <li>its total has always been zero ({@link Register#totalAlwaysZero}). A register's
   *       removal marks and every other register's marks of p are floors for p's later
   *       increments, which count from p's total: once the register went, p's next write would
   *       count from zero, and a mark of p with another total (held, or arriving later inside a
   *       copied assignment) would become the floor and miscount. With every total of p zero, no
   *       such mark exists, p's next total is what it would have been, and every floor of p
   *       subtracts zero either way;
   *   <li>its removal marks are of p alone. A mark of p hides only p's adds up to a sequence
   *       below this register's, which this register supersedes on every replica, and as a floor
   *       subtracts zero; a mark of another origin hides that origin's add and stays (as a set
   *       register recording a removal does, {@link Sets#garbage});
   *   <li>it is not added, or its add is hidden by a removal recorded in another origin's
   *       register of the member. That register records another origin's mark, so it never goes
   *       here, and its origin's next word keeps what it recorded: the add, never visible, never
   *       wins an assignment again.
   * </ul>
   *
   * <p>So a ZADD/ZREM churn of distinct members on one server leaves nothing once stable: each
   * member's only register is not added and marks itself alone. What stays: a removal that
   * marks another origin's register, every register of an origin that incremented the member to
   * a non-zero total at some point, and (as for sets) any add not hidden by another register.
   * Every condition stays true as the stable vector grows and later registers arrive, so a
   * replica that holds a register another collected collects it too, or sees it superseded. The
   * head's vector is not counted as hiding (see {@link Sets#garbage}). O(registers x marks).
   */
  public static List<Entry> garbage(List<Entry> registers, Sets.Stable stable) {
    int n = registers.size();
    Register[] decoded = new Register[n];
    for (int i = 0; i < n; i++) decoded[i] = registerOf(registers.get(i));
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Entry e = registers.get(i);
      Register r = decoded[i];
      if (!stable.covers(e.origin(), e.seq()) || !r.totalAlwaysZero()) continue;
      boolean marksOthers = false;
      for (Long o : r.removed().keySet()) marksOthers |= o != e.origin();
      if (marksOthers) continue;
      if (r.added() && !hiddenByAnother(registers, decoded, i)) continue;
      out.add(e);
    }
    return out;
  }

  /** Whether a register of another origin than {@code registers[i]}'s records its removal. */
  private static boolean hiddenByAnother(List<Entry> registers, Register[] decoded, int i) {
    Entry e = registers.get(i);
    for (int j = 0; j < decoded.length; j++) {
      if (registers.get(j).origin() == e.origin()) continue;
      Mark m = decoded[j].removed().get(e.origin());
      if (m != null && m.seq() >= e.seq()) return true;
    }
    return false;
  }
}
