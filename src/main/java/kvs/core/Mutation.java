package kvs.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One atomic change to a {@link Store}: entries to write (each also indexed in the log by its
 * dot), log records to drop because their write was superseded, shadow log records to add and to
 * drop, tombstones collected, and the new metadata. Removals apply first, then collected
 * entries, then puts, then shadows.
 */
public final class Mutation {
  final List<Entry> puts = new ArrayList<>();
  final List<long[]> logRemovals = new ArrayList<>();
  final List<Entry> shadows = new ArrayList<>();
  final List<long[]> shadowRemovals = new ArrayList<>();
  final List<Entry> batchRecords = new ArrayList<>();
  final List<Entry> collected = new ArrayList<>();
  ReplicaMeta meta;
  byte[] stability;

  /**
   * A mutation that only records what the server knows of the cluster's stability
   * ({@link Stability#encode}): facts about others' durable states, kept apart from the replica's
   * metadata record and written when they change (format 6, docs/design.md).
   */
  public static Mutation stabilityRecord(byte[] encoded) {
    Mutation m = new Mutation();
    m.stability = encoded.clone();
    return m;
  }

  /** The stability record to write, or null. */
  public byte[] stability() {
    return stability;
  }

  public List<Entry> puts() {
    return puts;
  }

  /** Dots as {origin, seq} pairs. */
  public List<long[]> logRemovals() {
    return logRemovals;
  }

  /**
   * Log records to write for dots whose write is not (or no longer) the key's entry: each maps
   * the entry's dot to its key, and nothing goes to the data (see Replica.keepLogSound).
   */
  public List<Entry> shadows() {
    return shadows;
  }

  /**
   * Shadow records to drop, as {origin, seq} dots: the log record and its entry in the store's
   * list of shadows ({@link Store#forEachShadow}).
   */
  public List<long[]> shadowRemovals() {
    return shadowRemovals;
  }

  /**
   * Log records to write, each mapping a superseded write of an atomic batch to its key, kept for
   * good (not shadows: they stay when the key's current entry is covered), so that a delta can
   * complete the batch (Replica.DeltaStream.closeBatches). Nothing goes to the data.
   */
  public List<Entry> batchRecords() {
    return batchRecords;
  }

  /**
   * Tombstones and expiry remnants removed for good (Replica.collectStable): each entry's key
   * leaves the data and its dot's log record goes. Applied after the removals, before the puts;
   * a mutation never both collects and writes a key.
   */
  public List<Entry> collected() {
    return collected;
  }

  public ReplicaMeta meta() {
    return meta;
  }

  public boolean isEmpty() {
    return puts.isEmpty() && logRemovals.isEmpty() && shadows.isEmpty()
        && shadowRemovals.isEmpty() && batchRecords.isEmpty() && collected.isEmpty()
        && stability == null;
  }
}
