package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real network faults across hosts: three network namespaces (hosts h0, h1, h2 with servers 0,
 * 1, 2) and a fourth (m) for the master and the clients, each with a veth pair to a bridge in a
 * namespace of its own and an address in 10.77.0.0/24 that exists only inside the namespaces.
 * Every host runs {@code ./kvs agent}; the master runs a script through {@code ./master --hosts}.
 *
 * <p>Faults, all below the application: a partition of h2 from h0 and h1 by iptables DROP (the
 * test waits until the servers have noticed by themselves that the links are dead: heartbeats and
 * the idle timeout), random loss of 5% of h1's packets (iptables -m statistic), a 2 Mbit/s cap on
 * h0's outgoing traffic (tc tbf), and 30 ms of latency each way on the healed link from h2 to
 * h0 through a delaying TCP proxy (the kernel has no netem; iptables DNAT sends the redial
 * through the proxy). Then: convergence (stabilize, identical printStore), both session
 * guarantees across the partition, SIGKILL of a server while the others take writes, rejoin,
 * convergence.
 *
 * <p>Needs root, ip netns, ss, tc, iptables and kill; skips otherwise, or fails under KVS_CI=1
 * (see {@link Tool#require}). Namespaces are named
 * {@code kvsit-*} and removed afterwards, and at the start in case a crashed run left some.
 */
class NetworkFaultsIT {
  private static final String PREFIX = "kvsit-";
  private static final String NET = "10.77.0.";
  private static final String[] HOSTS = {"h0", "h1", "h2"};
  private static final String M = "m";
  private static final int AGENT_PORT = 7070;
  private static final long WAIT_MS = 60_000;

  @TempDir Path tmp;
  private final List<Process> processes = new ArrayList<>();
  private final StringBuffer masterErr = new StringBuffer();
  private final BlockingQueue<String> masterOut = new LinkedBlockingQueue<>();
  private OutputStream masterIn;
  private Process master;
  private int marker;
  private String secret;
  private boolean created;
  private java.nio.channels.FileChannel lockChannel;
  private java.nio.channels.FileLock lock;

  private static String ns(String host) {
    return PREFIX + host;
  }

  private static String addr(String host) {
    return NET + (host.equals(M) ? 10 : Integer.parseInt(host.substring(1)) + 1);
  }

  @BeforeEach
  void setUp() throws Exception {
    Tool.require("root".equals(System.getProperty("user.name")) || uid() == 0,
        "NetworkFaultsIT needs root (network namespaces, iptables, tc)");
    Tool.require(ok("ip", "netns", "list"), "NetworkFaultsIT needs 'ip netns' (iproute2)");
    Tool.require(ok("ss", "-V"), "NetworkFaultsIT needs ss (iproute2)");
    Tool.require(ok("tc", "-V"), "NetworkFaultsIT needs tc (iproute2)");
    Tool.require(ok("iptables", "--version"), "NetworkFaultsIT needs iptables");
    Tool.requireOnPath("kill"); // procps: ends what a crashed run left in a namespace
    // One run at a time on a machine (the names are fixed): a lock, held until tearDown. Under
    // it, any kvsit-* namespace is a leftover of a run that crashed.
    lockChannel = java.nio.channels.FileChannel.open(Path.of(System.getProperty("java.io.tmpdir"),
        "kvs-network-faults-it.lock"), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.WRITE);
    long lockDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while ((lock = lockChannel.tryLock()) == null) {
      if (System.nanoTime() > lockDeadline) {
        throw new AssertionError("another NetworkFaultsIT held the lock for 3 minutes");
      }
      Thread.sleep(200); // another process's test; nothing to be notified by
    }
    created = true;
    removeNamespaces();
    boolean ready = false;
    try {
      sh("ip", "netns", "add", ns("br"));
      sh("ip", "-n", ns("br"), "link", "add", "br0", "type", "bridge");
      sh("ip", "-n", ns("br"), "link", "set", "br0", "up");
      List<String> all = new ArrayList<>(List.of(HOSTS));
      all.add(M);
      for (String h : all) {
        sh("ip", "netns", "add", ns(h));
        sh("ip", "link", "add", "eth0", "netns", ns(h), "type", "veth", "peer", "name", "p-" + h,
            "netns", ns("br"));
        sh("ip", "-n", ns("br"), "link", "set", "p-" + h, "master", "br0", "up");
        sh("ip", "-n", ns(h), "addr", "add", addr(h) + "/24", "dev", "eth0");
        sh("ip", "-n", ns(h), "link", "set", "eth0", "up");
        sh("ip", "-n", ns(h), "link", "set", "lo", "up");
      }
      ready = true; // the agents' READY and the master's first commands show reachability
    } finally {
      if (!ready) removeNamespaces();
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    if (!created) return; // skipped
    if (masterIn != null) {
      try {
        masterIn.close();
      } catch (IOException ignored) {
        // gone
      }
    }
    if (master != null && !master.waitFor(20, TimeUnit.SECONDS)) master.destroyForcibly();
    for (Process p : processes) p.destroyForcibly();
    for (Process p : processes) p.waitFor(10, TimeUnit.SECONDS);
    try {
      removeNamespaces();
    } finally {
      lock.release();
      lockChannel.close();
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void partitionLossBandwidthLatencyAndKillAcrossHosts() throws Exception {
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    secret = HexFormat.of().formatHex(random);
    for (String h : HOSTS) startAgent(h);
    startAgent(M); // clients live on m, which reaches every host even while hosts are cut apart
    Path hosts = tmp.resolve("hosts");
    Files.writeString(hosts, "# servers on their hosts, clients with the master\n"
        + "0 " + addr("h0") + ":" + AGENT_PORT + "\n"
        + "1 " + addr("h1") + ":" + AGENT_PORT + "\n"
        + "2 " + addr("h2") + ":" + AGENT_PORT + "\n"
        + "* " + addr(M) + ":" + AGENT_PORT + "\n");
    startMaster(hosts);

    send("joinServer 0", "joinServer 1", "joinServer 2",
        "joinClient 10 0", "joinClient 11 1", "joinClient 12 2",
        "put 10 a 1", "put 11 b 2", "put 12 c 3", "stabilize");
    List<List<String>> stores = printStores();
    assertThat(stores.get(0)).containsExactly("a:1", "b:2", "c:3");
    assertThat(stores).allMatch(s -> s.equals(stores.get(0)));

    // Server 2 dialled servers 0 and 1 when it joined: those are its links.
    assertThat(established("h2", addr("h0"))).as("links from h2 to h0").isPositive();
    assertThat(established("h2", addr("h1"))).as("links from h2 to h1").isPositive();
    // A real partition: h2 drops everything from and to h0 and h1.
    for (String peer : new String[] {"h0", "h1"}) {
      ipt("h2", "-A", "INPUT", "-s", addr(peer), "-j", "DROP");
      ipt("h2", "-A", "OUTPUT", "-d", addr(peer), "-j", "DROP");
    }
    // Loss on h1 and a bandwidth cap on h0 from now on.
    ipt("h1", "-A", "INPUT", "-m", "statistic", "--mode", "random", "--probability", "0.05",
        "-j", "DROP");
    ipt("h1", "-A", "OUTPUT", "-m", "statistic", "--mode", "random", "--probability", "0.05",
        "-j", "DROP");
    sh("ip", "netns", "exec", ns("h0"), "tc", "qdisc", "add", "dev", "eth0", "root", "tbf",
        "rate", "2mbit", "burst", "32kbit", "latency", "400ms");

    // Both sides take writes; a kilobyte value each, so that the heal moves some data.
    String kb = "v".repeat(1000);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      lines.add("put 10 p0-" + i + " " + kb + i);
      lines.add("put 12 p2-" + i + " " + kb + i);
    }
    lines.add("put 12 c 3-during");
    lines.add("put 10 c 3-other-side");
    send(lines.toArray(String[]::new));
    // Read your writes: client 12 wrote s on server 2, moves to server 0 across the partition.
    send("put 12 s mine", "joinClient 12 0");
    assertThat(get(12, "s")).isEqualTo("s:ERR_DEP");
    // Monotonic reads: client 11 reads m on server 0, then moves to server 2.
    send("put 10 m seen", "joinClient 11 0");
    assertThat(get(11, "m")).isEqualTo("m:seen");
    send("joinClient 11 2");
    assertThat(get(11, "m")).isEqualTo("m:ERR_DEP");

    // The servers notice by themselves that the links are dead (no TCP reset ever comes).
    int port0 = serverPort("h0");
    await("server 2's links to servers 0 and 1 to be closed as dead", () ->
        established("h2", addr("h0")) == 0 && established("h2", addr("h1")) == 0);

    // Latency: server 2 redials server 0 through a proxy in m that delays each way by 30 ms.
    int proxyPort = 7171;
    Process proxy = start("proxy", ns(M), List.of(javaBin(), "-cp",
        MasterRun.REPO.resolve("target/test-classes").toString(), "kvs.it.DelayProxy", addr(M),
        Integer.toString(proxyPort), addr("h0"), Integer.toString(port0), "30"));
    BlockingQueue<String> proxyOut = lines(proxy);
    assertThat(proxyOut.poll(WAIT_MS, TimeUnit.MILLISECONDS)).isEqualTo("READY");
    ipt("h2", "-t", "nat", "-A", "OUTPUT", "-d", addr("h0"), "-p", "tcp", "--dport",
        Integer.toString(port0), "-j", "DNAT", "--to-destination", addr(M) + ":" + proxyPort);
    // Heal the partition (loss, cap and latency stay).
    sh("ip", "netns", "exec", ns("h2"), "iptables", "-F", "INPUT");
    sh("ip", "netns", "exec", ns("h2"), "iptables", "-F", "OUTPUT");
    send("stabilize");
    assertThat(proxyOut.poll(WAIT_MS, TimeUnit.MILLISECONDS))
        .as("server 2 relinked to server 0 through the delaying proxy").isEqualTo("ACCEPT");
    List<List<String>> healed = printStores();
    assertThat(healed).allMatch(s -> s.equals(healed.get(0)));
    assertThat(healed.get(0)).contains("s:mine", "m:seen", "p0-59:" + kb + 59, "p2-59:" + kb + 59)
        .hasSize(3 + 120 + 2);
    // The session guarantees once the data is there: the values themselves.
    assertThat(get(12, "s")).isEqualTo("s:mine");
    assertThat(get(11, "m")).isEqualTo("m:seen");

    // SIGKILL of server 1 while the others keep taking writes; its rejoin catches up.
    send("killServer 1", "joinClient 11 2");
    for (int i = 0; i < 30; i++) send("put 10 k0-" + i + " x" + i, "put 11 k2-" + i + " y" + i);
    send("joinServer 1", "joinClient 13 1", "stabilize");
    assertThat(get(13, "k2-29")).isEqualTo("k2-29:y29");
    List<List<String>> rejoined = printStores();
    assertThat(rejoined).allMatch(s -> s.equals(rejoined.get(0)));
    assertThat(rejoined.get(0)).contains("k0-29:x29", "k2-29:y29").hasSize(3 + 120 + 2 + 60);
    assertThat(masterErr.toString()).as("master's standard error").isEmpty();
  }

  // ---- the master, driven line by line ----

  private void startMaster(Path hosts) throws IOException {
    master = start("master", ns(M), List.of(MasterRun.REPO.resolve("master").toString(),
        "--hosts", hosts.toString(), "--stabilize-timeout-ms", "45000"));
    masterIn = master.getOutputStream();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(master.getInputStream(), StandardCharsets.ISO_8859_1));
    daemon(() -> {
      String l;
      try {
        while ((l = out.readLine()) != null) masterOut.add(l);
      } catch (IOException ignored) {
        // ended
      }
    });
    BufferedReader err = new BufferedReader(
        new InputStreamReader(master.getErrorStream(), StandardCharsets.UTF_8));
    daemon(() -> {
      String l;
      try {
        while ((l = err.readLine()) != null) {
          // A stabilize through loss and a capped link may take seconds and say so: no error.
          if (!l.startsWith("stabilize: waiting ")) masterErr.append(l).append('\n');
        }
      } catch (IOException ignored) {
        // ended
      }
    });
  }

  /**
   * Sends script lines and waits until the master has carried them all out (a read of a key
   * nobody writes prints a line after them), failing on any error message.
   */
  private void send(String... lines) throws Exception {
    StringBuilder b = new StringBuilder();
    for (String l : lines) b.append(l).append('\n');
    String key = "zz-marker-" + (marker++);
    b.append("get 10 ").append(key).append('\n');
    masterIn.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    masterIn.flush();
    String l = next();
    assertThat(l).as("marker after %s; stderr: %s", lines[lines.length - 1], masterErr)
        .isEqualTo(key + ":ERR_KEY");
    assertThat(masterErr.toString()).as("master's standard error").isEmpty();
  }

  private String next() throws InterruptedException {
    String l = masterOut.poll(WAIT_MS, TimeUnit.MILLISECONDS);
    if (l == null) throw new AssertionError("no output from the master in time; stderr: " + masterErr);
    return l;
  }

  private String get(int client, String key) throws Exception {
    masterIn.write(("get " + client + " " + key + "\n").getBytes(StandardCharsets.ISO_8859_1));
    masterIn.flush();
    return next();
  }

  /** printStore of servers 0, 1 and 2, each as its lines. */
  private List<List<String>> printStores() throws Exception {
    List<List<String>> stores = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      String key = "zz-end-" + (marker++);
      masterIn.write(("printStore " + s + "\nget 10 " + key + "\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      masterIn.flush();
      List<String> lines = new ArrayList<>();
      String l;
      while (!(l = next()).equals(key + ":ERR_KEY")) lines.add(l);
      stores.add(lines);
    }
    return stores;
  }

  // ---- hosts, processes and the network ----

  private void startAgent(String host) throws Exception {
    Process p = start("agent-" + host, ns(host), List.of(MasterRun.REPO.resolve("kvs").toString(),
        "agent", "--listen", addr(host) + ":" + AGENT_PORT, "--data-dir",
        tmp.resolve("agent-" + host).toString(), "--exit-on-stdin-eof"));
    String first = lines(p).poll(WAIT_MS, TimeUnit.MILLISECONDS);
    assertThat(first).as("agent on %s", host).isEqualTo("READY " + AGENT_PORT);
  }

  private Process start(String name, String namespace, List<String> command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(MasterRun.REPO.toFile())
        .redirectError(tmp.resolve(name + ".err").toFile());
    pb.environment().put("KVS_CLUSTER_SECRET", secret);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static BlockingQueue<String> lines(Process p) {
    BlockingQueue<String> q = new LinkedBlockingQueue<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.ISO_8859_1));
    daemon(() -> {
      String l;
      try {
        while ((l = r.readLine()) != null) q.add(l);
      } catch (IOException ignored) {
        // ended
      }
    });
    return q;
  }

  /** The port of the server listening on {@code host} (the one that is not the agent). */
  private static int serverPort(String host) throws Exception {
    for (String l : output("ip", "netns", "exec", ns(host), "ss", "-Hltn").split("\n")) {
      String[] w = l.trim().split("\\s+");
      if (w.length < 4 || !plain(w[3]).startsWith(addr(host) + ":")) continue;
      int port = Integer.parseInt(w[3].substring(w[3].lastIndexOf(':') + 1));
      if (port != AGENT_PORT) return port;
    }
    throw new AssertionError("no server listens on " + host);
  }

  /** Established TCP connections from {@code host} to {@code peer}, but not to its agent. */
  private static int established(String host, String peer) {
    try {
      int n = 0;
      for (String l : output("ip", "netns", "exec", ns(host), "ss", "-Htn", "state",
          "established").split("\n")) {
        String[] w = l.trim().split("\\s+");
        String remote = w.length >= 4 ? plain(w[w.length - 1]) : "";
        if (remote.startsWith(peer + ":") && !remote.equals(peer + ":" + AGENT_PORT)) {
          n++;
        }
      }
      return n;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** An address as ss prints it, IPv4 in IPv6 ({@code [::ffff:10.77.0.1]:7000}) made plain. */
  private static String plain(String address) {
    return address.replace("[::ffff:", "").replace("]", "");
  }

  /** Waits, bounded, for a condition that the system reaches on its own. */
  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(100); // polling a kernel table; nothing to be notified by
    }
  }

  private static void ipt(String host, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(host), "iptables"));
    cmd.addAll(List.of(args));
    sh(cmd.toArray(String[]::new));
  }

  private static void removeNamespaces() throws Exception {
    String list = output("ip", "netns", "list");
    for (String l : list.split("\n")) {
      String name = l.trim().split("\\s+")[0];
      if (!name.startsWith(PREFIX)) continue;
      // Whatever still runs inside (a crashed run's agents and servers) goes first.
      for (String pid : output("ip", "netns", "pids", name).split("\\s+")) {
        if (!pid.isBlank()) new ProcessBuilder("kill", "-9", pid).start().waitFor();
      }
      sh("ip", "netns", "del", name);
    }
  }

  private static long uid() {
    try {
      return Long.parseLong(output("id", "-u").trim());
    } catch (Exception e) {
      return -1;
    }
  }

  private static boolean ok(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static String output(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  private static void sh(String... cmd) throws Exception {
    output(cmd);
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void daemon(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    t.start();
  }
}
