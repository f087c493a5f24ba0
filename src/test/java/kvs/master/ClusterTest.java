package kvs.master;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The executor's bookkeeping and protocol, against in-memory servers and agents that record what
 * the master asked of them.
 */
class ClusterTest {
  private final FakeFleet fleet = new FakeFleet();
  private Cluster cluster = new Cluster(fleet, 10_000);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @AfterEach
  void close() {
    cluster.close();
  }

  /**
   * A shorter stabilize timeout, for the tests that expect stabilize to give up; call before any
   * command, since it starts a fresh cluster.
   */
  private void useStabilizeTimeout(long ms) {
    cluster.close();
    cluster = new Cluster(fleet, ms);
  }

  private void run(String... lines) {
    for (String line : lines) {
      try {
        cluster.execute(ScriptParser.parse(line.getBytes(ISO_8859_1)), out);
      } catch (ScriptError | IOException e) {
        throw new AssertionError("\"" + line + "\" failed: " + e.getMessage(), e);
      }
    }
  }

  private String fails(String line) {
    int before = out.size();
    try {
      cluster.execute(ScriptParser.parse(line.getBytes(ISO_8859_1)), out);
    } catch (ScriptError e) {
      assertThat(out.size()).as("output of a failed line").isEqualTo(before);
      return e.getMessage();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("\"" + line + "\" succeeded");
  }

  private String output() {
    return out.toString(ISO_8859_1);
  }

  @Test
  void joinServerDialsEveryRunningServer() {
    run("joinServer 0", "joinServer 1", "joinServer 2");
    assertThat(fleet.log).containsExactly("start 0 {}", "start 1 {0=1000}",
        "start 2 {0=1000, 1=1001}");
  }

  @Test
  void putAndGetGoThroughTheClientsServer() {
    run("joinServer 0", "joinClient 5 0", "put 5 k1 v1", "get 5 k1", "get 5 nope");
    assertThat(output()).isEqualTo("k1:v1\nnope:ERR_KEY\n");
    assertThat(fleet.agentLog).containsExactly("5: connect 127.0.0.1 1000", "5: put k1 v1",
        "5: get k1", "5: get nope");
  }

  @Test
  void getPrintsErrDep() {
    run("joinServer 0", "joinClient 5 0");
    fleet.servers.get(0).depMissing.add("k");
    run("get 5 k");
    assertThat(output()).isEqualTo("k:ERR_DEP\n");
  }

  @Test
  void deleteGoesThroughTheAgent() {
    run("joinServer 0", "joinClient 5 0", "put 5 k v", "delete 5 k", "get 5 k");
    assertThat(output()).isEqualTo("k:ERR_KEY\n");
  }

  @Test
  void valuesComeBackByteExact() {
    run("joinServer 0", "joinClient 5 0", "put 5 \u00ffk\u0001 *&^%$#@!()[]/,.=-\u0080", "get 5 \u00ffk\u0001");
    assertThat(output()).isEqualTo("\u00ffk\u0001:*&^%$#@!()[]/,.=-\u0080\n");
  }

  @Test
  void printStoreListsKeyValueLines() {
    run("joinServer 0", "joinClient 5 0", "put 5 b 2", "put 5 a 1", "printStore 0");
    assertThat(output()).isEqualTo("a:1\nb:2\n");
  }

  @Test
  void anEmptyStorePrintsNothing() {
    run("joinServer 0", "printStore 0");
    assertThat(output()).isEmpty();
  }

  @Test
  void serversAndClientsShareOneIdNamespace() {
    run("joinServer 0", "joinClient 5 0");
    assertThat(fails("joinServer 5")).isEqualTo("5 is a client; it cannot be a server too");
    assertThat(fails("joinClient 0 0")).contains("one id cannot be both");
    run("joinServer 1");
    assertThat(fails("joinClient 1 0")).isEqualTo("1 is a server; it cannot be a client too");
    assertThat(fails("joinClient 6 5")).isEqualTo("5 is a client, not a server");
    assertThat(fails("put 0 k v")).isEqualTo("0 is a server, not a client");
    assertThat(fails("get 1 k")).isEqualTo("1 is a server, not a client");
    assertThat(fails("printStore 5")).isEqualTo("5 is a client, not a server");
    assertThat(fails("killServer 5")).isEqualTo("5 is a client, not a server");
  }

  @Test
  void aKilledServerStaysAServerId() {
    run("joinServer 0", "killServer 0");
    assertThat(fails("joinClient 0 1")).contains("0 is a server");
  }

  /**
   * A server whose process ended on its own (a crash, a storage failure that stops it) is not
   * running: joinServer restarts it as after killServer, with its data, links and clients,
   * instead of answering "already running" to a process that is gone.
   */
  @Test
  void joinServerRestartsAServerThatExitedOnItsOwn() {
    run("joinServer 0", "joinServer 1", "joinClient 5 0", "breakConnection 0 1");
    fleet.servers.get(0).alive = false;
    fleet.log.clear();
    fleet.agentLog.clear();
    run("joinServer 0");
    assertThat(fleet.log).containsExactly("kill 0", "unblock 1 0", "start 0 {1=1001}");
    assertThat(fleet.agentLog).containsExactly("5: connect 127.0.0.1 1002");
    run("put 5 k v");
  }

  @Test
  void serverLifecycleErrors() {
    assertThat(fails("killServer 3")).isEqualTo("server 3 is not running (it never joined)");
    assertThat(fails("printStore 3")).isEqualTo("server 3 is not running (it never joined)");
    run("joinServer 3");
    assertThat(fails("joinServer 3")).isEqualTo("server 3 is already running");
    run("killServer 3");
    assertThat(fails("killServer 3")).isEqualTo("server 3 is not running (it was killed)");
    assertThat(fails("printStore 3")).isEqualTo("server 3 is not running (it was killed)");
    assertThat(fails("joinClient 5 3")).isEqualTo("server 3 is not running (it was killed)");
    assertThat(fleet.log).containsExactly("start 3 {}", "kill 3");
  }

  @Test
  void clientErrors() {
    assertThat(fails("put 5 k v")).isEqualTo("client 5 does not exist (joinClient 5 SID starts it)");
    assertThat(fails("joinClient 5 0")).isEqualTo("server 0 is not running (it never joined)");
    assertThat(fleet.agents).isEmpty();
    run("joinServer 0", "joinClient 5 0", "killServer 0");
    assertThat(fails("put 5 k v")).isEqualTo("client 5's server 0 is not running");
    assertThat(fails("get 5 k")).isEqualTo("client 5's server 0 is not running");
  }

  @Test
  void agentErrorsBecomeLineErrors() {
    run("joinServer 0", "joinClient 5 0");
    fleet.agents.get(5).failNext = "ERROR client 5: server closed the connection";
    assertThat(fails("put 5 k v")).isEqualTo("client 5 put failed: server closed the connection");
    fleet.agents.get(5).failNext = "WHAT";
    assertThat(fails("get 5 k")).isEqualTo("client 5 agent answered \"WHAT\" to get");
  }

  @Test
  void aFailedConnectLeavesTheClientUnattached() {
    run("joinServer 0", "joinServer 1", "joinClient 5 0");
    fleet.agents.get(5).failNext = "ERROR client 5: connection refused";
    assertThat(fails("joinClient 5 1")).isEqualTo("client 5 connect failed: connection refused");
    assertThat(fails("put 5 k v")).isEqualTo("client 5 is not connected to any server");
    run("joinClient 5 1", "put 5 k v");
  }

  @Test
  void anExistingClientKeepsItsAgentWhenItMoves() {
    run("joinServer 0", "joinServer 1", "joinClient 5 0", "put 5 k v", "joinClient 5 1", "get 5 k");
    assertThat(fleet.agentStarts).containsExactly(5);
    assertThat(fleet.agentLog).contains("5: connect 127.0.0.1 1001");
  }

  @Test
  void aDeadAgentIsRestartedByJoinClient() {
    run("joinServer 0", "joinClient 5 0");
    fleet.agents.get(5).alive = false;
    run("joinClient 5 0");
    assertThat(fleet.agentStarts).containsExactly(5, 5);
  }

  @Test
  void breakingAServerLinkBlocksBothEnds() {
    run("joinServer 0", "joinServer 1", "breakConnection 1 0");
    assertThat(fleet.log).endsWith("block 1 0", "block 0 1");
    run("createConnection 0 1");
    assertThat(fleet.log).endsWith("unblock 0 1", "unblock 1 0", "connect 0 1 1001");
  }

  @Test
  void serverLinksNeedRunningServers() {
    run("joinServer 0", "joinServer 1", "killServer 1");
    assertThat(fails("breakConnection 0 1")).isEqualTo("server 1 is not running (it was killed)");
    assertThat(fails("createConnection 1 0")).isEqualTo("server 1 is not running (it was killed)");
    assertThat(fails("breakConnection 0 9")).isEqualTo("no server or client has id 9");
  }

  @Test
  void breakingAClientFromItsServerCutsItOff() {
    run("joinServer 0", "joinServer 1", "joinClient 5 0", "breakConnection 5 0");
    assertThat(fleet.agentLog).endsWith("5: disconnect");
    assertThat(fails("put 5 k v")).isEqualTo("client 5 is cut off from server 0");
    assertThat(fails("get 5 k")).isEqualTo("client 5 is cut off from server 0");
    // Breaking it again changes nothing and is not an error.
    run("breakConnection 0 5");
    assertThat(fleet.agentLog).filteredOn(l -> l.endsWith("disconnect")).hasSize(1);
    run("createConnection 1 5", "put 5 k v");
    assertThat(fleet.agentLog).contains("5: connect 127.0.0.1 1001");
  }

  @Test
  void aClientCanOnlyBeCutFromItsOwnServer() {
    run("joinServer 0", "joinServer 1", "joinClient 5 0", "joinClient 6 0");
    assertThat(fails("breakConnection 5 1"))
        .isEqualTo("client 5 is not connected to server 1 (it is attached to server 0)");
    assertThat(fails("breakConnection 5 6")).contains("are both clients");
    assertThat(fails("createConnection 5 6")).contains("are both clients");
    assertThat(fails("createConnection 7 8")).isEqualTo("neither 7 nor 8 is a server");
  }

  @Test
  void createConnectionToANewIdStartsAClient() {
    run("joinServer 0", "createConnection 0 7", "put 7 k v");
    assertThat(fleet.agentStarts).containsExactly(7);
  }

  @Test
  void aRejoinHealsItsLinksAndReconnectsItsClients() {
    useStabilizeTimeout(200);
    run("joinServer 0", "joinServer 1", "joinServer 2", "joinClient 5 1", "joinClient 6 1",
        "joinClient 7 0", "breakConnection 6 1", "breakConnection 1 0", "breakConnection 2 1",
        "breakConnection 0 2", "killServer 1");
    fleet.log.clear();
    fleet.agentLog.clear();
    run("joinServer 1");
    assertThat(fleet.log).containsExactly("unblock 0 1", "unblock 2 1", "start 1 {0=1000, 2=1002}");
    // Client 5 reconnects to the new port; 6 stays cut off; 7 is on another server.
    assertThat(fleet.agentLog).containsExactly("5: connect 127.0.0.1 1003");
    // Links of 1 are healed, the cut between 0 and 2 stays: 0-1-2 is a chain, one group.
    fleet.servers.get(0).state = "a";
    fleet.servers.get(1).state = "a";
    fleet.servers.get(2).state = "a";
    run("stabilize");
    fleet.servers.get(2).state = "b";
    assertThat(fails("stabilize")).isEqualTo(
        "stabilize gave up after 0.2 s; servers still apart: [0, 1, 2] (2 different states)");
  }

  @Test
  void slowStabilizeReportsWhatItWaitsForAboutOnceASecond() {
    useStabilizeTimeout(2_600);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cluster.progress = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
    run("joinServer 0", "joinServer 1", "joinServer 2");
    fleet.servers.get(0).state = "ab12 {0.1=5, 1.1=3}";
    fleet.servers.get(1).state = "cd34 {0.1=2, 1.1=3}";
    fleet.servers.get(2).state = "ab12 {0.1=5, 1.1=3}";
    assertThat(fails("stabilize")).startsWith("stabilize gave up after 2.6 s");
    List<String> lines = List.of(err.toString(java.nio.charset.StandardCharsets.UTF_8)
        .split("\n"));
    // After 1 s and 2 s: about once a second, not at every state read.
    assertThat(lines).hasSizeBetween(2, 3);
    assertThat(lines.get(0)).startsWith("stabilize: waiting 1.")
        .endsWith("group [0, 1, 2] (2 different states): 0 (up to date), 1 (3 writes behind),"
            + " 2 (up to date)");
  }

  @Test
  void fastStabilizePrintsNoProgress() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cluster.progress = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
    run("joinServer 0", "joinServer 1", "joinServer 2", "stabilize");
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void progressLineNamesServersAndHowFarBehind() {
    assertThat(Cluster.progressLine(1_234, List.of(new java.util.TreeSet<>(List.of(0, 1, 2))),
        Map.of(0, "ab12 {0.1=5, 1.1=3}", 1, "cd34 {0.1=2}", 2, "ab12 {0.1=5, 1.1=3}")))
        .isEqualTo("stabilize: waiting 1.2 s for group [0, 1, 2] (2 different states):"
            + " 0 (up to date), 1 (6 writes behind), 2 (up to date)");
    assertThat(Cluster.progressLine(2_000, List.of(new java.util.TreeSet<>(List.of(3, 4))),
        Map.of(3, "a", 4, "b")))
        .isEqualTo("stabilize: waiting 2.0 s for group [3, 4] (2 different states):"
            + " 3 (state a), 4 (state b)");
  }

  @Test
  void stabilizeReturnsAtOnceWhenEveryGroupAgrees() {
    run("joinServer 0", "joinServer 1", "joinServer 2", "breakConnection 0 1",
        "breakConnection 0 2");
    fleet.servers.get(0).state = "lonely";
    fleet.servers.get(1).state = "x";
    fleet.servers.get(2).state = "x";
    run("stabilize");
    assertThat(fleet.awaits()).isZero();
  }

  @Test
  void stabilizeWaitsForAChangeAndChecksAgain() {
    run("joinServer 0", "joinServer 1", "joinServer 2");
    fleet.servers.get(0).state = "new";
    fleet.servers.get(1).state = "old";
    fleet.servers.get(2).state = "old";
    // Server 1 catches up only after the master started waiting on it; 2 after 1 did.
    fleet.servers.get(1).nextStates.add("new");
    fleet.servers.get(2).nextStates.add("new");
    run("stabilize");
    assertThat(fleet.awaits()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void stabilizeChecksGroupsAcrossSeveralHopsAndNamesThoseApart() {
    useStabilizeTimeout(200);
    run("joinServer 0", "joinServer 1", "joinServer 2", "joinServer 3", "joinServer 4",
        "breakConnection 0 2", "breakConnection 0 3", "breakConnection 0 4",
        "breakConnection 1 3", "breakConnection 1 4", "breakConnection 2 4",
        "breakConnection 1 2");
    // Groups: 0-1 and 2-3-4 (a chain).
    fleet.servers.get(0).state = "a";
    fleet.servers.get(1).state = "a";
    fleet.servers.get(2).state = "b";
    fleet.servers.get(3).state = "b";
    fleet.servers.get(4).state = "c";
    assertThat(fails("stabilize")).isEqualTo(
        "stabilize gave up after 0.2 s; servers still apart: [2, 3, 4] (2 different states)");
    fleet.servers.get(4).state = "b";
    run("stabilize");
    fleet.servers.get(1).state = "z";
    fleet.servers.get(3).state = "z";
    assertThat(fails("stabilize")).isEqualTo("stabilize gave up after 0.2 s; servers still apart:"
        + " [0, 1] (2 different states), [2, 3, 4] (2 different states)");
  }

  @Test
  void aKilledServerLeavesItsGroupAndMaySplitIt() {
    useStabilizeTimeout(200);
    run("joinServer 0", "joinServer 1", "joinServer 2", "breakConnection 0 2");
    fleet.servers.get(0).state = "a";
    fleet.servers.get(1).state = "a";
    fleet.servers.get(2).state = "b";
    assertThat(fails("stabilize")).contains("[0, 1, 2]");
    run("killServer 1", "stabilize");
  }

  @Test
  void aServerThatCannotAwaitFailsStabilizeInsteadOfSpinning() {
    run("joinServer 0", "joinServer 1");
    fleet.servers.get(0).state = "a";
    fleet.servers.get(1).state = "b";
    fleet.servers.get(1).awaitError = "server 1 refused KVS.AWAIT: ERR unknown command";
    assertThat(fails("stabilize")).isEqualTo("stabilize cannot wait for changes: server 1 refused"
        + " KVS.AWAIT: ERR unknown command");
    assertThat(fleet.servers.get(1).awaits).isEqualTo(1);
  }

  /**
   * A server that does not answer its state read (stopped, hung) holds stabilize no longer than
   * the stabilize timeout, and the error names it; before, stabilize waited for the read's socket
   * timeout (30 s) whatever --stabilize-timeout-ms said.
   */
  @Test
  void aServerThatDoesNotAnswerItsStateReadFailsStabilizeAtTheTimeout() {
    useStabilizeTimeout(300);
    run("joinServer 0", "joinServer 1");
    fleet.servers.get(1).stateDelayMs = 5_000;
    long start = System.nanoTime();
    assertThat(fails("stabilize")).isEqualTo(
        "stabilize gave up after 0.3 s; servers [1] did not report their state (not answering)");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
  }

  @Test
  void stabilizeWithoutServersReturns() {
    run("stabilize");
  }

  /** In-memory servers on made-up ports and agents that act on them directly. */
  private static final class FakeFleet implements Fleet {
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    final List<String> agentLog = new ArrayList<>();
    final List<Integer> agentStarts = new ArrayList<>();
    final Map<Integer, FakeServer> servers = new HashMap<>();
    final Map<Integer, FakeServer> byPort = new HashMap<>();
    final Map<Integer, FakeAgent> agents = new HashMap<>();
    final List<FakeServer> all = new ArrayList<>();
    int nextPort = 1000;

    int awaits() {
      int n = 0;
      for (FakeServer s : all) {
        n += s.awaits;
      }
      return n;
    }

    @Override
    public ServerHandle startServer(int id, Map<Integer, Integer> peerPorts) {
      log.add("start " + id + " " + new TreeMap<>(peerPorts));
      FakeServer s = new FakeServer(id, nextPort++);
      servers.put(id, s);
      byPort.put(s.port, s);
      all.add(s);
      return s;
    }

    @Override
    public AgentHandle startAgent(int id) {
      agentStarts.add(id);
      FakeAgent a = new FakeAgent(id);
      agents.put(id, a);
      return a;
    }

    @Override
    public void close() {}

    final class FakeServer implements ServerHandle {
      final int id;
      final int port;
      final TreeMap<String, String> data = new TreeMap<>();
      final Set<String> depMissing = new HashSet<>();
      final List<String> nextStates = Collections.synchronizedList(new ArrayList<>());
      volatile String state = "empty";
      volatile int awaits;
      volatile String awaitError;
      volatile boolean alive = true;
      /** How long a state read takes: a server that is slow or does not answer. */
      volatile long stateDelayMs;

      FakeServer(int id, int port) {
        this.id = id;
        this.port = port;
      }

      @Override
      public int port() {
        return port;
      }

      @Override
      public void blockLink(int peer) {
        log.add("block " + id + " " + peer);
      }

      @Override
      public void unblockLink(int peer) {
        log.add("unblock " + id + " " + peer);
      }

      @Override
      public void connectLink(int peer, int peerPort) {
        log.add("connect " + id + " " + peer + " " + peerPort);
      }

      @Override
      public String state() {
        if (stateDelayMs > 0) {
          try {
            Thread.sleep(stateDelayMs);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return state;
      }

      @Override
      public synchronized String awaitChange(String seen, long timeoutMs) throws ScriptError {
        awaits++;
        if (awaitError != null) {
          throw new ScriptError(awaitError);
        }
        if (!nextStates.isEmpty()) {
          state = nextStates.remove(0);
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (state.equals(seen) && System.currentTimeMillis() < deadline) {
          try {
            wait(Math.max(1, deadline - System.currentTimeMillis()));
          } catch (InterruptedException e) {
            return state;
          }
        }
        return state;
      }

      @Override
      public void dump(Fleet.EntrySink sink) throws java.io.IOException {
        for (Map.Entry<String, String> e : data.entrySet()) {
          sink.accept(e.getKey().getBytes(ISO_8859_1), e.getValue().getBytes(ISO_8859_1));
        }
      }

      @Override
      public boolean isAlive() {
        return alive;
      }

      @Override
      public void kill() {
        log.add("kill " + id);
        alive = false;
      }
    }

    final class FakeAgent implements AgentHandle {
      final int id;
      FakeServer server;
      boolean alive = true;
      String failNext;

      FakeAgent(int id) {
        this.id = id;
      }

      @Override
      public byte[] call(byte[]... words) {
        StringBuilder line = new StringBuilder();
        for (byte[] w : words) {
          line.append(line.length() == 0 ? "" : " ").append(new String(w, ISO_8859_1));
        }
        agentLog.add(id + ": " + line);
        if (failNext != null) {
          String reply = failNext;
          failNext = null;
          return reply.getBytes(ISO_8859_1);
        }
        String[] w = line.toString().split(" ");
        String reply;
        switch (w[0]) {
          case "connect":
            server = byPort.get(Integer.parseInt(w[2]));
            reply = "OK";
            break;
          case "disconnect":
            server = null;
            reply = "OK";
            break;
          case "put":
            server.data.put(w[1], w[2]);
            reply = "OK";
            break;
          case "delete":
            server.data.remove(w[1]);
            reply = "OK";
            break;
          case "get":
            reply = server.depMissing.contains(w[1]) ? "ERR_DEP"
                : server.data.containsKey(w[1]) ? "VALUE " + server.data.get(w[1]) : "ERR_KEY";
            break;
          default:
            reply = "ERROR unknown";
        }
        return reply.getBytes(ISO_8859_1);
      }

      @Override
      public boolean isAlive() {
        return alive;
      }

      @Override
      public void kill() {
        alive = false;
      }
    }
  }
}
