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
