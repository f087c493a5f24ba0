package kvs.core;

/**
 * Builds {@link Mutation}s for the storage benchmarks, which live outside this package
 * ({@code Mutation.meta} is package-private); the benchmarks' twin of the tests' TestMutations.
 */
public final class BenchMutations {
  private BenchMutations() {}

  /** One put and the replica metadata written with it: what a client write commits. */
  public static Mutation onePut(Entry put, ReplicaMeta meta) {
    Mutation m = new Mutation();
    m.puts.add(put);
    m.meta = meta;
    return m;
  }
}
