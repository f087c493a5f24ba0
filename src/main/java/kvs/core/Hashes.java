package kvs.core;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Hashes whose fields merge one by one: two servers setting different fields of one hash at the
 * same time both keep theirs, and two servers adding to one field with HINCRBY both count.
 *
 * <p>A hash is a head entry under the user key ({@link Entry#KIND_HASH}), one <em>register</em>
 * element per field ({@link Elements#key} with the field as sub-key, last-writer-wins: HSET,
 * HSETNX and HDEL write it) and, per field and origin that ran HINCRBY on it, an
 * <em>increment</em> element ({@link #INCREMENTS}, sub-key {@link #incrementSubKey}) holding that
 * origin's running total of its increments of the field, written by that origin only, as a
 * counter's contribution ({@link Counters}).
 *
 * <p>The head holds a version vector, what its writer held when it wrote it, and (data format
 * 6) per field the increments its writer held ({@link Counters.Cancel}: sequence and total per
 * origin): a field's register is hidden when the vector covers its write, and the increments
 * the head cancels do not count. A register holds the field's base value and, when its writer
 * held increments of the field, what it cancels of them ({@link Register}, stored with kind
 * {@link Entry#KIND_COUNTER}); a plain register (kind string) is a base and cancels nothing; a
 * tombstone, or a register flagged reset (HDEL of a field with increments), has no base.
 *
 * <p>A field's value: with no increment newer than what the register and the head cancel, the
 * register's base as written (absent when it has none or is hidden); else the base as a number
 * (0 when absent or hidden) plus, per origin, its total minus the later of the two cancels of
 * that origin; a base that is not a number is shown as it is (increments cannot be added to
 * text). So an HSET or HDEL hides exactly the increments its writer had seen, and an increment
 * concurrent with it still counts: an observed reset, as DEL of a counter. Pure.
 */
public final class Hashes {
  /**
   * The kind byte of the element keys of field increments. Not an {@link Entry} kind (an
   * element's kind byte only separates element families of one key), chosen far above them so
   * that a new entry kind never collides with it.
   */
  public static final byte INCREMENTS = 'h';
  private static final byte HEAD_FORMAT = 1;
  /** A head that also cancels field increments (data format 6). */
  private static final byte HEAD_FORMAT_CANCELS = 2;
  private static final byte REGISTER_FORMAT = 1;
  private static final byte FLAG_RESET = 1;

  private Hashes() {}

  /** A head that hides every field written at or below {@code seen}. */
  public static byte[] head(VersionVector seen) {
    ByteBuffer b = ByteBuffer.allocate(1 + seen.encodedSize());
    b.put(HEAD_FORMAT);
    seen.encodeTo(b);
    return b.array();
  }

  /**
   * A head that hides every field written at or below {@code seen} and cancels, per field, the
   * increments in {@code cancelled} (the form of {@link #head(VersionVector)} when there are
   * none, so that a hash without counters reads with older builds too).
   */
  public static byte[] head(VersionVector seen,
      SortedMap<ByteBuffer, SortedMap<Long, Counters.Cancel>> cancelled) {
    if (cancelled.isEmpty()) return head(seen);
    int size = 1 + seen.encodedSize() + 4;
    for (Map.Entry<ByteBuffer, SortedMap<Long, Counters.Cancel>> f : cancelled.entrySet()) {
      size += 4 + f.getKey().remaining() + Counters.cancelsSize(f.getValue());
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(HEAD_FORMAT_CANCELS);
    seen.encodeTo(b);
    b.putInt(cancelled.size());
    for (Map.Entry<ByteBuffer, SortedMap<Long, Counters.Cancel>> f : cancelled.entrySet()) {
      b.putInt(f.getKey().remaining()).put(f.getKey().duplicate());
      Counters.putCancels(b, f.getValue());
    }
    return b.array();
  }

  /** A decoded head: the vector it hides and, per field, the increments it cancels. */
  public record Head(VersionVector hidden,
      Map<ByteBuffer, SortedMap<Long, Counters.Cancel>> cancelled) {
    /** What the head cancels of {@code field}'s increments (empty for none). */
    public SortedMap<Long, Counters.Cancel> cancelledOf(byte[] field) {
      SortedMap<Long, Counters.Cancel> c = cancelled.get(ByteBuffer.wrap(field));
      return c == null ? Collections.emptySortedMap() : c;
    }
  }

  /** Reads a head; throws CorruptDataException for anything {@link #head} did not make. */
  public static Head decodeHead(byte[] head) {
    ByteBuffer b = ByteBuffer.wrap(head);
    if (!b.hasRemaining()) throw new CorruptDataException("hash head: unknown format");
    byte format = b.get();
    if (format != HEAD_FORMAT && format != HEAD_FORMAT_CANCELS) {
      throw new CorruptDataException("hash head: unknown format");
    }
    VersionVector v = VersionVector.decodeFrom(b);
    Map<ByteBuffer, SortedMap<Long, Counters.Cancel>> cancelled = new TreeMap<>();
    if (format == HEAD_FORMAT_CANCELS) {
      if (b.remaining() < 4) throw new CorruptDataException("hash head: truncated");
      int n = b.getInt();
      if (n < 0 || n > b.remaining() / 8) throw new CorruptDataException("hash head: bad count");
      for (int i = 0; i < n; i++) {
        if (b.remaining() < 4) throw new CorruptDataException("hash head: truncated");
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) throw new CorruptDataException("hash head: truncated");
        byte[] field = new byte[len];
        b.get(field);
        cancelled.put(ByteBuffer.wrap(field), Counters.getCancels(b, "hash head"));
      }
    }
    if (b.hasRemaining()) throw new CorruptDataException("hash head: trailing bytes");
    return new Head(v, cancelled);
  }

  /** The vector a head hides; throws CorruptDataException for anything {@link #head} did not make. */
  public static VersionVector hidden(byte[] head) {
    return decodeHead(head).hidden();
  }

  /** Whether the field element {@code e} is visible under a head hiding {@code hidden}. */
  public static boolean visible(Entry e, VersionVector hidden) {
    return e.value() != null && !hidden.covers(e.origin(), e.seq());
  }

  /**
   * A field's register: its base value (null for none: HDEL) and what it cancels of the field's
   * increments, per origin.
   */
  public record Register(byte[] base, SortedMap<Long, Counters.Cancel> cancelled) {
    public Register {
      cancelled = Collections.unmodifiableSortedMap(new TreeMap<>(cancelled));
    }

    /** The register stored in {@code e} (null: no register, reads as no base, no cancel). */
    public static Register of(Entry e) {
      if (e == null || e.value() == null) return new Register(null, Collections.emptySortedMap());
      if (e.kind() != Entry.KIND_COUNTER) {
        return new Register(e.value(), Collections.emptySortedMap());
      }
      return decode(e.value());
    }

    /** The kind to store this register with: a plain value unless it cancels something. */
    public byte kind() {
      return cancelled.isEmpty() ? Entry.KIND_STRING : Entry.KIND_COUNTER;
    }

    /**
     * The value to store: the base itself for a plain register (null, a tombstone, for no base
     * and no cancel), else {@code format:1 flags:1 [baseLength:4 base] cancels}.
     */
    public byte[] encode() {
      if (cancelled.isEmpty()) return base;
      int size = 2 + (base == null ? 0 : 4 + base.length) + Counters.cancelsSize(cancelled);
      ByteBuffer b = ByteBuffer.allocate(size);
      b.put(REGISTER_FORMAT).put(base == null ? FLAG_RESET : 0);
      if (base != null) b.putInt(base.length).put(base);
      Counters.putCancels(b, cancelled);
      return b.array();
    }

    static Register decode(byte[] value) {
      ByteBuffer b = ByteBuffer.wrap(value);
      if (b.remaining() < 2 || b.get() != REGISTER_FORMAT) {
        throw new CorruptDataException("hash field: unknown format");
      }
      byte flags = b.get();
      if ((flags & ~FLAG_RESET) != 0) throw new CorruptDataException("hash field: bad flags");
      byte[] base = null;
      if ((flags & FLAG_RESET) == 0) {
        if (b.remaining() < 4) throw new CorruptDataException("hash field: truncated");
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) throw new CorruptDataException("hash field: truncated");
        base = new byte[len];
        b.get(base);
      }
      SortedMap<Long, Counters.Cancel> cancelled = Counters.getCancels(b, "hash field");
      if (b.hasRemaining()) throw new CorruptDataException("hash field: trailing bytes");
      return new Register(base, cancelled);
    }
  }

  /**
   * The value field {@code field} shows, or null when it is absent: {@code register} is its
   * register entry (null for none), {@code increments} its increment elements, under the
   * winning head {@code head}. See the class comment for the rule.
   */
  public static byte[] value(byte[] field, Entry register, List<Entry> increments, Head head) {
    Register r = Register.of(register);
    byte[] base = register != null && visible(register, head.hidden()) ? r.base() : null;
    BigDecimal sum = Counters.uncancelled(r.cancelled(), head.cancelledOf(field), increments);
    if (sum == null) return base;
    BigDecimal number = base == null ? BigDecimal.ZERO : Counters.parse(base);
    if (number == null) return base; // text: increments cannot be added to it
    return Counters.format(Counters.round(number.add(sum)));
  }

  /**
   * The sub-key of {@code origin}'s increments of {@code field}: the field in an
   * order-preserving, prefix-free form ({@link #fieldPrefix}), then the origin (8 bytes, last,
   * as {@link Counters#totalOf} expects). So increment keys sort in the order of their fields,
   * as the registers do, and one field's increments are adjacent.
   */
  public static byte[] incrementSubKey(byte[] field, long origin) {
    byte[] p = fieldPrefix(field);
    return ByteBuffer.allocate(p.length + 8).put(p).putLong(origin).array();
  }

  /**
   * {@code field} with every 0x00 byte written as 0x00 0xFF and 0x00 0x00 appended: byte order
   * between fields is kept and no field's form is a prefix of another's.
   */
  public static byte[] fieldPrefix(byte[] field) {
    int zeros = 0;
    for (byte x : field) if (x == 0) zeros++;
    byte[] out = new byte[field.length + zeros + 2];
    int j = 0;
    for (byte x : field) {
      out[j++] = x;
      if (x == 0) out[j++] = (byte) 0xFF;
    }
    return out; // the last two bytes stay 0x00 0x00
  }

  /** The field of increment sub-key {@code subKey}; throws CorruptDataException when it is none. */
  public static byte[] fieldOfIncrement(byte[] subKey) {
    byte[] out = new byte[subKey.length];
    int n = 0;
    for (int i = 0; i + 8 < subKey.length; i++) {
      if (subKey[i] != 0) {
        out[n++] = subKey[i];
      } else if (subKey[i + 1] == (byte) 0xFF) {
        out[n++] = 0;
        i++;
      } else if (subKey[i + 1] == 0 && i + 2 + 8 == subKey.length) {
        return java.util.Arrays.copyOf(out, n);
      } else {
        break;
      }
    }
    throw new CorruptDataException("hash increment: bad sub-key");
  }

  /** What a head or register writer cancels: every increment as it is stored now. */
  public static SortedMap<Long, Counters.Cancel> cancelAll(List<Entry> increments) {
    return Counters.cancelAll(increments);
  }
}
