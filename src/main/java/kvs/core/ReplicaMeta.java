package kvs.core;

import java.nio.ByteBuffer;

/**
 * What a replica must recover after a crash besides its data: who it is, how far it knows every
 * origin, the highest clock it has issued or seen, and the digest of its data.
 */
public record ReplicaMeta(int serverId, int incarnation, VersionVector vv, long clock, long digest) {
  /**
   * Bumped on any incompatible change of the on-disk layout. 2: entries may carry an expiry
   * (EntryCodec's expiry flag). A format-1 directory reads unchanged (its entries have no expiry
   * flag) and becomes format 2 at its next commit; a format-1 build refuses a format-2 directory
   * with "data format version 2, this build reads version 1". 3: entries may belong to an atomic
   * batch (EntryCodec's batch flag), read by this build from every older format alike.
   */
  public static final int FORMAT_VERSION = 3;
  /** The oldest format this build still reads. */
  public static final int FORMAT_VERSION_OLDEST = 1;
  private static final int MAGIC = 0x4B565331; // "KVS1"

  public long origin() {
    return Origins.of(serverId, incarnation);
  }

  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 + 4 + 4 + 8 + 8 + vv.encodedSize());
    b.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(serverId).putInt(incarnation)
        .putLong(clock).putLong(digest);
    vv.encodeTo(b);
    return b.array();
  }

  public static ReplicaMeta decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (b.remaining() < 32 || b.getInt() != MAGIC) {
      throw new CorruptDataException("metadata: not a kvs data directory");
    }
    int format = b.getInt();
    if (format < FORMAT_VERSION_OLDEST || format > FORMAT_VERSION) {
      throw new CorruptDataException("metadata: data format version " + format
          + ", this build reads versions " + FORMAT_VERSION_OLDEST + " to " + FORMAT_VERSION);
    }
    int serverId = b.getInt();
    int incarnation = b.getInt();
    long clock = b.getLong();
    long digest = b.getLong();
    VersionVector vv = VersionVector.decodeFrom(b);
    if (b.hasRemaining()) throw new CorruptDataException("metadata: trailing bytes");
    return new ReplicaMeta(serverId, incarnation, vv, clock, digest);
  }
}
