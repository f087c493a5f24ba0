package kvs.core;

import java.util.List;

/**
 * Builds {@link Mutation}s for store tests outside this package ({@code Mutation.meta} is
 * package-private, so a test in {@code kvs.storage} cannot set it on its own).
 */
public final class TestMutations {
  private TestMutations() {}

  public static Mutation of(List<Entry> puts, List<long[]> logRemovals, ReplicaMeta meta) {
    Mutation m = new Mutation();
    m.puts.addAll(puts);
    m.logRemovals.addAll(logRemovals);
    m.meta = meta;
    return m;
  }

  /** As {@link #of(List, List, ReplicaMeta)}, with shadow records to add and to drop. */
  public static Mutation of(List<Entry> puts, List<long[]> logRemovals, List<Entry> shadows,
      List<long[]> shadowRemovals, ReplicaMeta meta) {
    Mutation m = of(puts, logRemovals, meta);
    m.shadows.addAll(shadows);
    m.shadowRemovals.addAll(shadowRemovals);
    return m;
  }

  public static Mutation puts(Entry... puts) {
    return of(List.of(puts), List.of(), null);
  }
}
