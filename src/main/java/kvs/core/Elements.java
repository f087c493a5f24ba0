package kvs.core;

import java.nio.ByteBuffer;

/**
 * Storage keys of the elements of typed keys: a counter's per-origin contributions, a hash's
 * fields, a set's per-member and per-origin registers, each stored as an entry of its own so
 * that one update writes one small entry and replication, the log, the digest and the vectors
 * carry it as any other entry.
 *
 * <pre>
 *   element key:  0xFF  userKeyLength:4  userKey  kind:1  subKey
 * </pre>
 *
 * <p>User keys never begin with byte 0xFF (the server refuses such keys), so element keys never
 * collide with user keys and all sort after them; the length prefix makes the encoding of user
 * keys prefix-free, so a scan from {@link #prefix} lists the elements of one key and kind only.
 */
public final class Elements {
  /** The first byte of every element key, and a byte no user key begins with. */
  public static final byte MARK = (byte) 0xFF;

  private Elements() {}

  /** True for an element key, false for a user key. */
  public static boolean isElementKey(byte[] key) {
    return key.length > 0 && key[0] == MARK;
  }

  /** The common prefix of the element keys of {@code userKey} of {@code kind}. */
  public static byte[] prefix(byte[] userKey, byte kind) {
    return ByteBuffer.allocate(1 + 4 + userKey.length + 1)
        .put(MARK).putInt(userKey.length).put(userKey).put(kind).array();
  }

  /** The key of the element {@code subKey} of {@code userKey} of {@code kind}. */
  public static byte[] key(byte[] userKey, byte kind, byte[] subKey) {
    return ByteBuffer.allocate(1 + 4 + userKey.length + 1 + subKey.length)
        .put(MARK).putInt(userKey.length).put(userKey).put(kind).put(subKey).array();
  }

  /** {@code prefix} (from {@link #prefix}) followed by {@code subKey}: an element key. */
  public static byte[] join(byte[] prefix, byte[] subKey) {
    byte[] out = java.util.Arrays.copyOf(prefix, prefix.length + subKey.length);
    System.arraycopy(subKey, 0, out, prefix.length, subKey.length);
    return out;
  }

  /** The key of a counter's contribution from {@code origin}. */
  public static byte[] counterKey(byte[] userKey, long origin) {
    return key(userKey, Entry.KIND_COUNTER, ByteBuffer.allocate(8).putLong(origin).array());
  }

  /** The sub-key of {@code elementKey} under {@code prefix} (which it must start with). */
  public static byte[] subKey(byte[] prefix, byte[] elementKey) {
    return java.util.Arrays.copyOfRange(elementKey, prefix.length, elementKey.length);
  }

  /** True when {@code key} begins with {@code prefix}. */
  public static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
