package kvs.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import kvs.core.SessionToken;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The Java client: one session (read your writes, monotonic reads) over one or more servers.
 *
 * <p>The client keeps its session token itself, taken from every reply, so it can carry the
 * session to another server even when the old one is unreachable. Connecting to a server hands
 * it the token ({@code KVS.SESSION}). A token is signed by the cluster (SPEC section 6): the
 * client cannot make or edit one, only carry the latest its servers gave it, which is why each
 * reply of {@code KVS.PUT}, {@code KVS.DEL} and {@code KVS.GET} carries the session's token. When a server is unreachable, times out, or cannot serve
 * a read because it lacks writes the session has seen ({@code ERR_DEP}), the client tries the
 * next server, up to {@code maxAttempts} tries with exponential backoff, as Azure Cosmos DB's
 * SDK retries {@code ReadSessionNotAvailable}. With one server and one attempt it never retries,
 * which is what the master's client agent uses.
 *
 * <pre>{@code
 * try (KvsClient kv = KvsClient.builder()
 *     .server("127.0.0.1", 7000).server("127.0.0.1", 7001)
 *     .maxAttempts(4).build()) {
 *   kv.put("user:1".getBytes(), "ada".getBytes());
 *   ReadResult r = kv.get("user:1".getBytes()); // FOUND "ada", on whichever server answers
 *   String token = kv.sessionToken();            // hand to another process: Builder.session(token)
 * }
 * }</pre>
 *
 * <p>Not thread-safe: a session is a sequence of requests. Use one client per session.
 */
public final class KvsClient implements AutoCloseable {
  private static final ProtocolCommand PUT = () -> "KVS.PUT".getBytes();
  private static final ProtocolCommand DEL = () -> "KVS.DEL".getBytes();
  private static final ProtocolCommand GET = () -> "KVS.GET".getBytes();
  private static final ProtocolCommand SESSION = () -> "KVS.SESSION".getBytes();
  private static final byte[] RESET = "RESET".getBytes(StandardCharsets.US_ASCII);

  private final List<HostAndPort> servers;
  private final DefaultJedisClientConfig jedisConfig;
  private final int maxAttempts;
  private final long backoffMs;
  /** The latest token a server gave this session; null while the session has seen nothing. */
  private String session;
  private int current;
  private Jedis connection;

  private KvsClient(Builder b) {
    this.servers = new ArrayList<>(b.servers);
    this.maxAttempts = b.maxAttempts;
    this.backoffMs = b.backoff.toMillis();
    this.session = b.session;
    DefaultJedisClientConfig.Builder jc = DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis((int) b.connectTimeout.toMillis())
        .socketTimeoutMillis((int) b.requestTimeout.toMillis())
        .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
    if (b.password != null) jc.password(b.password);
    if (b.tls != null) jc.ssl(true).sslSocketFactory(b.tls);
    this.jedisConfig = jc.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Writes {@code value} under {@code key}; returns once the server has stored it durably. */
  public void put(byte[] key, byte[] value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    execute(false, jedis -> recordDot(jedis.sendCommand(PUT, key, value)));
  }

  /** Deletes {@code key}: afterwards it reads as absent everywhere once the delete propagated. */
  public void delete(byte[] key) {
    Objects.requireNonNull(key, "key");
    execute(false, jedis -> recordDot(jedis.sendCommand(DEL, key)));
  }

  /** Reads {@code key}: a value at least as new as this session has seen, absent, or refused. */
  public ReadResult get(byte[] key) {
    Objects.requireNonNull(key, "key");
    return execute(true, jedis -> {
      List<?> reply = (List<?>) jedis.sendCommand(GET, key);
      if (reply.size() == 5) session = ascii(reply.get(4)); // [nil] leaves the session as it was
      byte[] value = (byte[]) reply.get(0);
      return value == null ? ReadResult.NOT_FOUND : new ReadResult(ReadResult.Status.FOUND, value);
    });
  }

  /**
   * The session token, to carry this session to another client ({@link Builder#session}); null
   * while the session has read or written nothing (a new client needs no token then).
   */
  public String sessionToken() {
    return session;
  }

  /**
   * Starts the session afresh, here and on the connected server ({@code KVS.SESSION RESET}):
   * the way out when every server answers {@code ERR_DEP}, because the writes the session saw
   * are lost (the server that took them lost its disk) and no server will ever have them.
   */
  public void resetSession() {
    session = null;
    if (connection != null) {
      try {
        connection.sendCommand(SESSION, RESET);
      } catch (RuntimeException e) {
        closeConnection(); // the next connection starts with no token, so afresh as well
      }
    }
  }

  /**
   * Moves this session to {@code host:port}: it becomes the only server of this client and is
   * connected to now, so an unreachable server is reported here.
   */
  public void useServer(String host, int port) {
    closeConnection();
    servers.clear();
    servers.add(new HostAndPort(host, port));
    current = 0;
    connection();
  }

  /** Drops the connection; the session is kept for the next request or {@link #useServer}. */
  public void disconnect() {
    closeConnection();
  }

  @Override
  public void close() {
    closeConnection();
  }

  /** Keeps the token of a write's reply {@code [origin, seq, clock, token]}. */
  private Object recordDot(Object reply) {
    session = ascii(((List<?>) reply).get(3));
    return null;
  }

  private static String ascii(Object bulk) {
    return new String((byte[]) bulk, StandardCharsets.US_ASCII);
  }

  private interface Request<T> {
    T run(Jedis jedis);
  }

  private <T> T execute(boolean isRead, Request<T> request) {
    if (servers.isEmpty()) throw new KvsException("no server configured", null);
    RuntimeException last = null;
    for (int attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) backoff(attempt);
      try {
        return request.run(connection());
      } catch (JedisConnectionException e) {
        closeConnection();
        last = e;
      } catch (JedisDataException e) {
        String msg = String.valueOf(e.getMessage());
        if (!msg.startsWith("ERR_DEP")) throw new KvsException(msg, e);
        if (attempt == maxAttempts - 1) {
          @SuppressWarnings("unchecked")
          T refused = (T) ReadResult.DEPENDENCY_MISSING;
          if (isRead) return refused;
        }
        last = e;
      }
      nextServer();
    }
    throw new KvsException("request failed after " + maxAttempts + " attempt(s): "
        + (last == null ? "?" : last.getMessage()), last);
  }

  private void nextServer() {
    if (servers.size() > 1) {
      closeConnection();
      current = (current + 1) % servers.size();
    }
  }

  private void backoff(int attempt) {
    long ms = Math.min(1_000, backoffMs << Math.min(attempt - 1, 10));
    if (ms <= 0) return;
    try {
      Thread.sleep(ms); // retry pacing between attempts; never on the path of a successful request
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvsException("interrupted", e);
    }
  }

  private Jedis connection() {
    if (connection == null) {
      Jedis j = new Jedis(servers.get(current), jedisConfig);
      try {
        if (session != null) j.sendCommand(SESSION, session.getBytes(StandardCharsets.US_ASCII));
      } catch (RuntimeException e) {
        j.close();
        throw e;
      }
      connection = j;
    }
    return connection;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (RuntimeException ignored) {
        // the connection is being thrown away either way
      }
      connection = null;
    }
  }

  /** Configuration of a {@link KvsClient}; every setting checks its argument. */
  public static final class Builder {
    private final List<HostAndPort> servers = new ArrayList<>();
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private int maxAttempts = 3;
    private Duration backoff = Duration.ofMillis(20);
    private String password;
    private String session;
    private javax.net.ssl.SSLSocketFactory tls;

    private Builder() {}

    /**
     * Connects over TLS through {@code factory}: one from an {@code SSLContext} whose trust
     * manager trusts the servers' CA, with a key manager when the servers require client
     * certificates (null: plain connections).
     */
    public Builder tls(javax.net.ssl.SSLSocketFactory factory) {
      this.tls = factory;
      return this;
    }

    /** Adds a server; requests go to the first and fail over in the order added. */
    public Builder server(String host, int port) {
      if (port < 1 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
      servers.add(new HostAndPort(Objects.requireNonNull(host, "host"), port));
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive(d, "connectTimeout");
      return this;
    }

    public Builder requestTimeout(Duration d) {
      this.requestTimeout = positive(d, "requestTimeout");
      return this;
    }

    /** Tries per request, across servers; 1 means no retry. */
    public Builder maxAttempts(int n) {
      if (n < 1) throw new IllegalArgumentException("maxAttempts must be >= 1, got " + n);
      this.maxAttempts = n;
      return this;
    }

    /** First pause between tries; doubles each try, capped at one second. */
    public Builder backoff(Duration d) {
      if (d.isNegative()) throw new IllegalArgumentException("backoff must be >= 0, got " + d);
      this.backoff = d;
      return this;
    }

    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /**
     * Continues a session exported by {@link KvsClient#sessionToken()} (null: a new session).
     * Only its layout is checked here; the servers check its signature.
     */
    public Builder session(String token) {
      if (token != null) SessionToken.Text.parse(token); // a malformed one fails here, not later
      this.session = token;
      return this;
    }

    public KvsClient build() {
      return new KvsClient(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
