package kvs.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sets in which an add wins over a concurrent remove of the same member (an observed-remove
 * set), built on the per-entry last-writer-wins machinery with no merge rule of their own.
 *
 * <p>A set is a head entry under the user key ({@link Entry#KIND_SET}, its value a hash's head:
 * the version vector its writer covered, {@link Hashes#head}) and, per member and per origin
 * that added or removed it, one <em>register</em> element ({@link #subKey}). Only that origin
 * writes its register, each write a newer version of the same key, so last-writer-wins keeps its
 * latest state and loses nothing (the reason counters keep one element per origin). A register
 * holds whether its origin's latest word on the member is "added" (the add is the register
 * entry's dot) and, per other origin, the highest dot of that origin's add of the member it has
 * removed. A remove records the adds it saw and hides those only:
 *
 * <p>a member is present iff some register says "added", its dot is not covered by the head's
 * vector, and no register of the member records a removal of that dot (or a later one of the
 * same origin).
 *
 * <p>An add concurrent with a remove has a dot the remove did not see, so it survives whatever
 * the clocks say; a remove that saw an add hides it on every replica. Visibility is a function of
 * the set of latest register states, each decided by a total order (the entry's version), so
 * replicas holding the same entries agree. Pure.
 */
public final class Sets {
  private static final byte REGISTER_FORMAT = 1;

  private Sets() {}

  /**
   * One origin's latest word on one member: {@code added}, and per origin the highest sequence
   * of that origin's adds of the member this origin has removed.
   */
  public record Register(boolean added, Map<Long, Long> removed) {
    public Register {
      removed = Map.copyOf(removed);
    }

    public byte[] encode() {
      ByteBuffer b = ByteBuffer.allocate(1 + 1 + 4 + 16 * removed.size());
      b.put(REGISTER_FORMAT).put((byte) (added ? 1 : 0)).putInt(removed.size());
      // Sorted, so equal registers encode equally (the digest fingerprints the bytes).
      for (Map.Entry<Long, Long> e : new TreeMap<>(removed).entrySet()) {
        b.putLong(e.getKey()).putLong(e.getValue());
      }
      return b.array();
    }

    /** Throws CorruptDataException for anything {@link #encode} did not make. */
    public static Register decode(byte[] v) {
      ByteBuffer b = ByteBuffer.wrap(v);
      if (b.remaining() < 6 || b.get() != REGISTER_FORMAT) {
        throw new CorruptDataException("set register: bad header");
      }
      byte added = b.get();
      int n = b.getInt();
      if (added > 1 || added < 0 || n < 0 || n != b.remaining() / 16
          || b.remaining() % 16 != 0) {
        throw new CorruptDataException("set register: bad length");
      }
      Map<Long, Long> removed = new TreeMap<>();
      for (int i = 0; i < n; i++) removed.put(b.getLong(), b.getLong());
      return new Register(added == 1, removed);
    }
  }

  /** The sub-key prefix of {@code member}'s registers: length (4 bytes), member. */
  public static byte[] memberPrefix(byte[] member) {
    return ByteBuffer.allocate(4 + member.length).putInt(member.length).put(member).array();
  }

  /** The sub-key of the register of {@code member} written by {@code origin}. */
  public static byte[] subKey(byte[] member, long origin) {
    return ByteBuffer.allocate(4 + member.length + 8).putInt(member.length).put(member)
        .putLong(origin).array();
  }

  /** The member a register's sub-key names; CorruptDataException if it is not one. */
  public static byte[] memberOf(byte[] subKey) {
    if (subKey.length < 12) throw new CorruptDataException("set register key: too short");
    int n = ByteBuffer.wrap(subKey).getInt();
    if (n != subKey.length - 12) throw new CorruptDataException("set register key: bad length");
    return Arrays.copyOfRange(subKey, 4, 4 + n);
  }

  /** The register an entry holds (none: a register that never said anything). */
  public static Register registerOf(Entry e) {
    return e == null || e.value() == null ? new Register(false, Map.of())
        : Register.decode(e.value());
  }

  /**
   * Whether the member whose register entries (every origin's, any order) are {@code registers}
   * is present under a head hiding {@code hidden}. O(registers).
   */
  public static boolean present(List<Entry> registers, VersionVector hidden) {
    Map<Long, Long> removed = new java.util.HashMap<>();
    Register[] decoded = new Register[registers.size()];
    for (int i = 0; i < decoded.length; i++) {
      decoded[i] = registerOf(registers.get(i));
      decoded[i].removed().forEach((o, s) -> removed.merge(o, s, Math::max));
    }
    for (int i = 0; i < decoded.length; i++) {
      Entry e = registers.get(i);
      if (decoded[i].added() && !hidden.covers(e.origin(), e.seq())
          && removed.getOrDefault(e.origin(), 0L) < e.seq()) {
        return true;
      }
    }
    return false;
  }

  /** Whether every replica holds a write or a newer one of its key: the stable vector's word. */
  public interface Stable {
    boolean covers(long origin, long seq);
  }

  /**
   * The registers among one member's ({@code registers}: every register of the member stored,
   * any order) that may be removed for good: their effect on every read and every future merge
   * is nil. A register qualifies when
   *
   * <ul>
   *   <li>{@code stable} covers its dot: every replica holds it or a newer write of its
   *       register, and only its origin writes that register, always at a higher sequence, so
   *       no replica can still receive an older word of it (a write the vector covers is never
   *       applied again);
   *   <li>it records no removal, so it hides nothing, held or still to come;
   *   <li>it is not added, or its add is hidden by a removal recorded in another register of
   *       the member. That register records something, so it never goes, and its origin's next
   *       word keeps what it recorded: the add stays hidden on every replica for good.
   * </ul>
   *
   * <p>A register that records removals stays, even once every add it hides is gone here: a
   * replica cannot tell whether the others have collected those adds too, and a removal that
   * went while another replica still held an add it hid would reveal that add there once its
   * origin's next word (which no longer records it) arrived (simulator seed 1177). Nor may its
   * going depend on other registers that may go later (a replica that had not collected yet
   * could then never follow: the first version of this rule, caught by
   * {@code ReplicaElementCollectTest}). Every condition here stays true as the stable vector
   * grows and later registers arrive, so a replica that holds a register another collected
   * collects it too, or sees it superseded.
   *
   * <p>The head's vector is not counted as hiding: a head concurrent with the one that hides a
   * register may win and hide less (docs/design.md, Tombstone collection). O(registers x
   * removals recorded).
   */
  public static List<Entry> garbage(List<Entry> registers, Stable stable) {
    int n = registers.size();
    Register[] decoded = new Register[n];
    Map<Long, Long> removedUpTo = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      decoded[i] = registerOf(registers.get(i));
      decoded[i].removed().forEach((o, s) -> removedUpTo.merge(o, s, Math::max));
    }
    List<Entry> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      Entry e = registers.get(i);
      if (!stable.covers(e.origin(), e.seq()) || !decoded[i].removed().isEmpty()) continue;
      if (decoded[i].added() && removedUpTo.getOrDefault(e.origin(), 0L) < e.seq()) continue;
      out.add(e);
    }
    return out;
  }

  /**
   * The register {@code origin} writes to add the member: "added", keeping every removal its
   * previous register ({@code own}, or null) recorded, since those adds stay removed.
   */
  public static Register addition(Entry own) {
    return new Register(true, registerOf(own).removed());
  }

  /**
   * The register {@code origin} writes to remove the member whose registers it holds are
   * {@code registers} (its own among them or not): every add it holds is recorded as removed,
   * with what its previous register recorded. Its own add is not recorded: this very write
   * supersedes it (and in a transaction may keep its dot, which a record would then hide).
   */
  public static Register removal(List<Entry> registers, long origin) {
    Map<Long, Long> removed = new TreeMap<>();
    for (Entry e : registers) {
      Register r = registerOf(e);
      if (e.origin() == origin) {
        r.removed().forEach((o, s) -> removed.merge(o, s, Math::max));
      } else if (r.added()) {
        removed.merge(e.origin(), e.seq(), Math::max);
      }
    }
    return new Register(false, removed);
  }
}
