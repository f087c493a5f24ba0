package kvs.master;

import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A running server reached over admin connections (docs/internal-protocol.md) at
 * {@code host:port}: one for commands, made when the server starts (by {@link ProcessFleet} in
 * the background, see {@link AdminConnection#connectInBackground}), and one for
 * {@code KVS.AWAIT}, made in the background right after ({@link #prepareAwaits}), so that a
 * pending await never holds up a command. Subclasses say how the server is killed
 * ({@link ProcessFleet}: a child process; {@link RemoteFleet}: through the agent of its host)
 * and where its peers are.
 */
abstract class AdminServerHandle implements Fleet.ServerHandle {
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  /** Longest KVS.AWAIT the master issues; its socket waits that long plus this margin. */
  static final int AWAIT_MAX_MS = 10_000;
  private static final int AWAIT_SOCKET_MARGIN_MS = 10_000;

  final int id;
  final String host;
  final int port;
  final AdminConnection commands;
  private final AdminConnection awaits;

  AdminServerHandle(int id, String host, int port, String secret, int commandTimeoutMs) {
    this.id = id;
    this.host = host;
    this.port = port;
    this.commands = new AdminConnection(id, host, port, secret, commandTimeoutMs);
    this.awaits = new AdminConnection(id, host, port, secret, AWAIT_MAX_MS + AWAIT_SOCKET_MARGIN_MS);
  }

  /** The address (host) at which server {@code peer} serves, for {@code KVS.LINK.CONNECT}. */
  abstract String peerHost(int peer) throws ScriptError;

  @Override
  public String host() {
    return host;
  }

  @Override
  public int port() {
    return port;
  }

  /** Closes both admin connections; a blocked await wakes with an error. */
  void closeConnections() {
    commands.close();
    awaits.close();
  }

  @Override
  public void blockLink(int peer) throws ScriptError {
    commands.send(Admin.LINK_BLOCK, num(peer));
  }

  @Override
  public void unblockLink(int peer) throws ScriptError {
    commands.send(Admin.LINK_UNBLOCK, num(peer));
  }

  @Override
  public void connectLink(int peer, int peerPort) throws ScriptError {
    commands.send(Admin.LINK_CONNECT, num(peer), Bytes.ascii(peerHost(peer)), num(peerPort));
  }

  @Override
  public String state() throws ScriptError {
    return text(commands.send(Admin.STATE));
  }

  @Override
  public void prepareAwaits() throws ScriptError {
    awaits.connect();
  }

  @Override
  public String awaitChange(String state, long timeoutMs) throws ScriptError {
    long ms = Math.max(1, Math.min(timeoutMs, AWAIT_MAX_MS));
    return text(awaits.send(Admin.AWAIT, Bytes.ascii(state), num(ms)));
  }

  /** Entries a KVS.DUMP page examines: a slice of about a millisecond on the server's loop. */
  static final int DUMP_PAGE_COUNT = 1_000;

  /**
   * Pages through the store with KVS.DUMP (docs/internal-protocol.md), each page asked from
   * where the last one ended, so the server's loop serves other clients between pages.
   */
  @Override
  public void dump(Fleet.EntrySink sink) throws ScriptError, java.io.IOException {
    byte[] from = null;
    do {
      Object reply = from == null ? commands.send(Admin.DUMP, num(DUMP_PAGE_COUNT))
          : commands.send(Admin.DUMP, num(DUMP_PAGE_COUNT), from);
      if (!(reply instanceof List<?> page) || page.size() != 2
          || !(page.get(0) == null || page.get(0) instanceof byte[])
          || !(page.get(1) instanceof List<?> pairs)) {
        throw new ScriptError("server " + id + " answered KVS.DUMP with " + text(reply));
      }
      if (pairs.size() % 2 != 0) {
        throw new ScriptError("server " + id + " answered KVS.DUMP with an odd number of elements");
      }
      for (int i = 0; i < pairs.size(); i += 2) {
        if (!(pairs.get(i) instanceof byte[] key) || !(pairs.get(i + 1) instanceof byte[] value)) {
          throw new ScriptError("server " + id + " answered KVS.DUMP with a non-string element");
        }
        sink.accept(key, value);
      }
      byte[] next = (byte[]) page.get(0);
      if (next != null && from != null && java.util.Arrays.compareUnsigned(next, from) <= 0) {
        throw new ScriptError("server " + id + " answered KVS.DUMP with a key that does not advance");
      }
      from = next;
    } while (from != null);
  }

  private static byte[] num(long n) {
    return Bytes.ascii(Long.toString(n));
  }

  private static String text(Object reply) {
    return reply instanceof byte[] ? Bytes.latin1((byte[]) reply) : String.valueOf(reply);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The admin commands of docs/internal-protocol.md. */
  enum Admin implements ProtocolCommand {
    ADMIN("KVS.ADMIN"),
    LINK_BLOCK("KVS.LINK.BLOCK"),
    LINK_UNBLOCK("KVS.LINK.UNBLOCK"),
    LINK_CONNECT("KVS.LINK.CONNECT"),
    STATE("KVS.STATE"),
    AWAIT("KVS.AWAIT"),
    DUMP("KVS.DUMP");

    private final byte[] raw;

    Admin(String name) {
      this.raw = Bytes.ascii(name);
    }

    @Override
    public byte[] getRaw() {
      return raw;
    }

    String text() {
      return Bytes.latin1(raw);
    }
  }

  /**
   * One authenticated admin connection, made on first use and made again after it broke, so that
   * one lost connection costs one failed command, not the server.
   */
  static final class AdminConnection {
    private final int serverId;
    private final String host;
    private final int port;
    private final String secret;
    private final int socketTimeoutMs;
    private volatile Jedis jedis;

    AdminConnection(int serverId, String host, int port, String secret, int socketTimeoutMs) {
      this.serverId = serverId;
      this.host = host;
      this.port = port;
      this.secret = secret;
      this.socketTimeoutMs = socketTimeoutMs;
    }

    /**
     * Connects on a thread of its own, so that a command's caller does not wait for it: a server
     * that just reported READY is busy dialling its peers, and the connection took it 40-130 ms
     * more (docs/performance.md). The first command waits for it (the methods share one lock)
     * and, if it failed, tries again and reports the failure.
     */
    void connectInBackground() {
      Thread t = new Thread(() -> {
        try {
          connect();
        } catch (ScriptError | RuntimeException e) {
          // The first command connects again and reports what fails.
        }
      }, "admin-connect-" + serverId);
      t.setDaemon(true);
      t.start();
    }

    synchronized void connect() throws ScriptError {
      if (jedis != null) {
        return;
      }
      DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
          .connectionTimeoutMillis(CONNECT_TIMEOUT_MS)
          .socketTimeoutMillis(socketTimeoutMs)
          .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
      if (AdminTls.factory() != null) config.ssl(true).sslSocketFactory(AdminTls.factory());
      Jedis j;
      try {
        // Jedis connects in its constructor: a server that is gone fails here.
        j = new Jedis(new HostAndPort(host, port), config.build());
      } catch (JedisException e) {
        // Its message only repeats the address; the socket's reason is attached as suppressed.
        Throwable[] why = e.getSuppressed();
        throw new ScriptError("server " + serverId + " cannot be reached at " + host + ":" + port
            + " (" + rootMessage(why.length > 0 ? why[0] : e) + ")", e);
      }
      try {
        j.sendCommand(Admin.ADMIN, Bytes.ascii(secret));
      } catch (JedisException e) {
        j.close();
        throw failure(Admin.ADMIN, e);
      }
      jedis = j;
    }

    synchronized Object send(Admin command, byte[]... args) throws ScriptError {
      connect();
      try {
        return jedis.sendCommand(command, args);
      } catch (JedisDataException e) {
        throw failure(command, e);
      } catch (JedisException e) {
        close();
        throw failure(command, e);
      }
    }

    private ScriptError failure(Admin command, JedisException e) {
      String reason = e instanceof JedisConnectionException
          ? "did not answer " + command.text() + " (" + rootMessage(e) + ")"
          : "refused " + command.text() + ": " + e.getMessage();
      return new ScriptError("server " + serverId + " " + reason, e);
    }

    /**
     * Not under the lock: closing from another thread is how a blocked await is woken (with an
     * error), and that await holds the lock while it waits.
     */
    void close() {
      Jedis j = jedis;
      jedis = null;
      if (j != null) {
        try {
          j.close();
        } catch (RuntimeException ignored) {
          // The connection is being thrown away; a failure to close it changes nothing.
        }
      }
    }
  }
}
