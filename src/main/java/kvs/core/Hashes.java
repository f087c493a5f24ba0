package kvs.core;

import java.nio.ByteBuffer;

/**
 * Hashes whose fields merge one by one: two servers setting different fields of one hash at the
 * same time both keep theirs.
 *
 * <p>A hash is a head entry under the user key ({@link Entry#KIND_HASH}) and one element entry
 * per field ({@link Elements#key} with the field as sub-key), each a last-writer-wins register of
 * its own: HSET writes the field's element, HDEL a tombstone for it. The head holds a version
 * vector, what its writer held when it wrote it: a field is visible when it has a value and its
 * write is not covered by that vector. A new head (HSET of a key that is not a hash yet, DEL of
 * a hash) hides the fields its writer had seen and no other, so fields set concurrently on
 * another server survive a DEL, and two servers making the same hash at once keep both sides'
 * fields. A hash with no visible field does not exist, as in Redis. Pure.
 */
public final class Hashes {
  private static final byte HEAD_FORMAT = 1;

  private Hashes() {}

  /** A head that hides every field written at or below {@code seen}. */
  public static byte[] head(VersionVector seen) {
    ByteBuffer b = ByteBuffer.allocate(1 + seen.encodedSize());
    b.put(HEAD_FORMAT);
    seen.encodeTo(b);
    return b.array();
  }

  /** The vector a head hides; throws CorruptDataException for anything {@link #head} did not make. */
  public static VersionVector hidden(byte[] head) {
    ByteBuffer b = ByteBuffer.wrap(head);
    if (!b.hasRemaining() || b.get() != HEAD_FORMAT) {
      throw new CorruptDataException("hash head: unknown format");
    }
    VersionVector v = VersionVector.decodeFrom(b);
    if (b.hasRemaining()) throw new CorruptDataException("hash head: trailing bytes");
    return v;
  }

  /** Whether the field element {@code e} is visible under a head hiding {@code hidden}. */
  public static boolean visible(Entry e, VersionVector hidden) {
    return e.value() != null && !hidden.covers(e.origin(), e.seq());
  }
}
