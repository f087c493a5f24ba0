package kvs.master;

import java.util.List;
import java.util.Map;

/**
 * Starts and reaches the processes a script drives. The executor only talks to this interface,
 * so its bookkeeping can be tested without processes; {@link ProcessFleet} is the real one.
 */
interface Fleet extends AutoCloseable {

  /**
   * Starts server {@code id}, dialling every peer in {@code peerPorts} (server id to port), and
   * returns once it serves requests.
   */
  ServerHandle startServer(int id, Map<Integer, Integer> peerPorts) throws ScriptError;

  /** Starts the agent process of client {@code id}, not yet connected to any server. */
  AgentHandle startAgent(int id) throws ScriptError;

  /** Kills every process still running and waits for each to be gone. Idempotent. */
  @Override
  void close();

  /** A running server, reached over admin connections (docs/internal-protocol.md). */
  interface ServerHandle {
    /** The address the server listens on, as clients and peers reach it. */
    default String host() {
      return ProcessFleet.HOST;
    }

    int port();

    void blockLink(int peer) throws ScriptError;

    void unblockLink(int peer) throws ScriptError;

    /** Returns once the link to {@code peer} is up. */
    void connectLink(int peer, int peerPort) throws ScriptError;

    /** The replica's state; equal states mean equal data. */
    String state() throws ScriptError;

    /**
     * Blocks until the state differs from {@code state} or {@code timeoutMs} passes, and returns
     * the state then. Runs on a connection of its own, from another thread than the other calls,
     * and at most one call at a time.
     */
    String awaitChange(String state, long timeoutMs) throws ScriptError;

    /**
     * Readies what {@link #awaitChange} needs (its connection), so the first one is quick. Same
     * threading rules as {@link #awaitChange}.
     */
    default void prepareAwaits() throws ScriptError {}

    /**
     * Passes the live entries to {@code sink} in ascending key order, page by page as the server
     * sends them: neither side holds the whole store. A failure part way leaves what was passed
     * on so far.
     */
    void dump(EntrySink sink) throws ScriptError, java.io.IOException;

    /**
     * False once the server's process has ended, on its own or killed; true while it runs or
     * when that cannot be told from here.
     */
    default boolean isAlive() {
      return true;
    }

    /** Kills the process at once (SIGKILL) and returns once it is gone. */
    void kill();
  }

  /** Where {@link ServerHandle#dump} puts entries. */
  @FunctionalInterface
  interface EntrySink {
    void accept(byte[] key, byte[] value) throws java.io.IOException;
  }

  /** A client agent process, driven one request line at a time. */
  interface AgentHandle {
    /**
     * Sends one request line made of {@code words} joined by spaces and returns the reply line,
     * without its line feed.
     */
    byte[] call(byte[]... words) throws ScriptError;

    boolean isAlive();

    void kill();
  }
}
