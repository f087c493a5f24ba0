package kvs.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One atomic change to a {@link Store}: entries to write (each also indexed in the log by its
 * dot), log records to drop because their write was superseded, and the new metadata.
 */
public final class Mutation {
  final List<Entry> puts = new ArrayList<>();
  final List<long[]> logRemovals = new ArrayList<>();
  ReplicaMeta meta;

  public List<Entry> puts() {
    return puts;
  }

  /** Dots as {origin, seq} pairs. */
  public List<long[]> logRemovals() {
    return logRemovals;
  }

  public ReplicaMeta meta() {
    return meta;
  }

  public boolean isEmpty() {
    return puts.isEmpty() && logRemovals.isEmpty();
  }
}
