package kvs.core;

import java.nio.ByteBuffer;

/**
 * What a replica must recover after a crash besides its data: who it is, how far it knows every
 * origin, the highest clock it has issued or seen, the digest of its data, and how many of its
 * entries hold a value ({@code values}) and of those how many carry an expiry
 * ({@code expiringValues}): DBSIZE and INFO's keyspace line without walking the store. The counts
 * change in the same commit as the entries they count, so they survive any crash exactly.
 * {@link #COUNTS_UNKNOWN} in both: metadata written before the counts existed (format 2 or older),
 * which {@link Replica#open} counts once.
 */
public record ReplicaMeta(int serverId, int incarnation, VersionVector vv, long clock, long digest,
    long values, long expiringValues) {
  /**
   * Bumped on any incompatible change of the on-disk layout. 2: entries may carry an expiry
   * (EntryCodec's expiry flag). 3: entries may belong to an atomic batch (EntryCodec's batch
   * flag). 4: the metadata ends with the two value counts. 5: entries may carry a kind
   * (EntryCodec's kind flag: the heads of counters and hashes, docs/design.md, Data types).
   * 6: entries may be of kind {@link Entry#KIND_ZSET} (sorted sets' heads; their registers are
   * string-kind elements a format-5 build would misread as a set's if it knew the kind); hash
   * fields may be counters (increment elements of kind {@code Hashes.INCREMENTS}, field
   * registers of kind counter, hash heads that cancel increments: kvs.core.Hashes); and the
   * store may hold a stability record beside the metadata (what the server knows of the
   * cluster's members, their durable states and retirements: server/Collector), a directory
   * without one knowing nothing yet, which only delays collection.
   * 7: version vectors may carry sealed origins (VersionVector: the entry count's high bit, then
   * the sealed set), in the metadata, the stability record and hash heads; a format-6 build
   * would read them as corrupt (docs/design.md, Compacting the vector entries of retired
   * incarnations).
   * Older formats read unchanged (format 1 entries have no expiry flag, no entry before 3 a
   * batch flag, none before 5 a kind, none before 6 a sorted set, a field counter or a
   * stability record, none before 7 a seal, and metadata before 4 has no counts) and become
   * format 7 at the next commit; an older build refuses a newer directory with "data format
   * version 7, this build reads versions 1 to 6".
   */
  public static final int FORMAT_VERSION = 7;
  /** The oldest format this build still reads. */
  public static final int FORMAT_VERSION_OLDEST = 1;
  /** The first format whose metadata ends with the value counts. */
  static final int COUNTS_SINCE_FORMAT = 4;
  /** The value counts of metadata from before {@link #COUNTS_SINCE_FORMAT}: not recorded. */
  public static final long COUNTS_UNKNOWN = -1;
  private static final int MAGIC = 0x4B565331; // "KVS1"

  public ReplicaMeta {
    if ((values == COUNTS_UNKNOWN) != (expiringValues == COUNTS_UNKNOWN)
        || (values != COUNTS_UNKNOWN && (values < 0 || expiringValues < 0
            || expiringValues > values))) {
      throw new IllegalArgumentException("bad value counts " + values + ", " + expiringValues);
    }
  }

  public long origin() {
    return Origins.of(serverId, incarnation);
  }

  public boolean countsKnown() {
    return values != COUNTS_UNKNOWN;
  }

  public byte[] encode() {
    if (!countsKnown()) throw new IllegalStateException("metadata without value counts");
    ByteBuffer b = ByteBuffer.allocate(4 + 4 + 4 + 4 + 8 + 8 + vv.encodedSizeWithFrontiers() + 16);
    b.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(serverId).putInt(incarnation)
        .putLong(clock).putLong(digest);
    vv.encodeWithFrontiersTo(b); // the session frontiers of sealed origins live here only
    b.putLong(values).putLong(expiringValues);
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
    long values = COUNTS_UNKNOWN;
    long expiringValues = COUNTS_UNKNOWN;
    if (format >= COUNTS_SINCE_FORMAT) {
      if (b.remaining() < 16) throw new CorruptDataException("metadata: value counts truncated");
      values = b.getLong();
      expiringValues = b.getLong();
      if (values < 0 || expiringValues < 0 || expiringValues > values) {
        throw new CorruptDataException("metadata: bad value counts " + values + ", "
            + expiringValues);
      }
    }
    if (b.hasRemaining()) throw new CorruptDataException("metadata: trailing bytes");
    return new ReplicaMeta(serverId, incarnation, vv, clock, digest, values, expiringValues);
  }
}
