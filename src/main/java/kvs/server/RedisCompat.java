package kvs.server;

/** What the server tells Redis tools about itself. */
final class RedisCompat {
  /** Reported as redis_version; clients gate features on it, 7.0 has all they ask of us. */
  static final String VERSION = "7.0.0";

  private RedisCompat() {}
}
