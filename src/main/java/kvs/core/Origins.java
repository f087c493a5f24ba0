package kvs.core;

/**
 * An origin names the writer of a write: a server id plus the incarnation of that server's data.
 *
 * <p>A server that loses its data directory cannot know how far it had counted, so it starts a
 * new incarnation instead of counting its sequence from 1 again; otherwise its new writes would
 * carry dots that other replicas already cover and would be silently dropped (the data loss Riak
 * suffered in basho/riak_kv#679). Packing both into one {@code long} keeps dots and versions
 * primitive and gives every replica the same total order of origins.
 */
public final class Origins {
  private Origins() {}

  public static long of(int serverId, int incarnation) {
    if (serverId < 0) throw new IllegalArgumentException("server id must be >= 0, got " + serverId);
    return ((long) serverId << 32) | (incarnation & 0xffffffffL);
  }

  public static int serverId(long origin) {
    return (int) (origin >>> 32);
  }

  public static int incarnation(long origin) {
    return (int) origin;
  }

  public static String toString(long origin) {
    return serverId(origin) + "." + Integer.toUnsignedString(incarnation(origin), 16);
  }
}
