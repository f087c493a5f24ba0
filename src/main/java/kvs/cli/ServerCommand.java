package kvs.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvs.net.Limits;
import kvs.server.Clock;
import kvs.server.Node;
import kvs.server.ServerConfig;
import kvs.storage.StoreOpenException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kvs server}: runs one server in the foreground. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = {"Runs one server. Prints 'READY <port>' on standard output once it serves; it"
        + " links to its peers in the background.",
        "The cluster secret is read from the environment variable KVS_CLUSTER_SECRET, the"
            + " client password (if any) from KVS_REQUIREPASS unless an option gives it."})
public final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--id", required = true, description = "This server's id (a non-negative integer).")
  int id;

  @Option(names = "--data-dir", required = true, description = "Directory of this server's data.")
  Path dataDir;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(names = "--port", defaultValue = "0",
      description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port = 0;

  @Option(names = "--peer", paramLabel = "ID=HOST:PORT",
      description = "A server to link to at start; repeat for each.")
  List<String> peers = List.of();

  @Option(names = "--fsync",
      description = "Acknowledge a write only once it is fsynced (survives power loss); writes"
          + " waiting at the same time share one fsync.")
  boolean fsync;

  @Option(names = "--requirepass", paramLabel = "PASSWORD",
      description = "Clients must AUTH with this password. Every user of the machine sees it in"
          + " ps: prefer --requirepass-file or the environment variable KVS_REQUIREPASS.")
  String requirePass;

  @Option(names = "--requirepass-file", paramLabel = "FILE",
      description = "Clients must AUTH with the password on the first line of FILE.")
  Path requirePassFile;

  @Option(names = "--client-output-buffer-limit", paramLabel = "BYTES",
      defaultValue = "64mb", converter = ByteSize.class,
      description = "Disconnect a client when more than BYTES of replies wait for it (it does not"
          + " read them), as Redis's client-output-buffer-limit normal; peers and admin"
          + " connections are exempt. A number with an optional kb, mb or gb; 0: no limit"
          + " (default: ${DEFAULT-VALUE}).")
  long clientOutputBufferLimit = 64L << 20;

  @Option(names = "--maxclients", paramLabel = "N", defaultValue = "10000",
      description = "Refuse client connections beyond N, as Redis's maxclients; peers and admin"
          + " connections are still accepted (default: ${DEFAULT-VALUE}).")
  int maxClients = 10_000;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "0",
      description = "Disconnect a client idle for SECONDS, as Redis's timeout; peers and admin"
          + " connections are exempt. 0: never (default: ${DEFAULT-VALUE}).")
  int timeout = 0;

  @picocli.CommandLine.ArgGroup(exclusive = false)
  TlsOptions tls;

  /** --tls-cert, --tls-key, --tls-ca and --tls-auth-clients: all three files or none. */
  static final class TlsOptions {
    @Option(names = "--tls-cert", required = true, paramLabel = "FILE",
        description = "Serve clients, admin connections and peers over TLS with this PEM"
            + " certificate (chain); peer links dialled present it too.")
    Path cert;

    @Option(names = "--tls-key", required = true, paramLabel = "FILE",
        description = "The certificate's private key: PEM, PKCS#8, unencrypted (openssl genpkey).")
    Path key;

    @Option(names = "--tls-ca", required = true, paramLabel = "FILE",
        description = "PEM certificates to trust: peers' certificates, client certificates.")
    Path ca;

    @Option(names = "--tls-auth-clients", paramLabel = "yes|no|optional", defaultValue = "yes",
        description = "Whether connections must present a certificate signed by --tls-ca, as"
            + " Redis's tls-auth-clients: yes (default), optional (one presented must be"
            + " valid) or no.")
    String authClients;

    /** The same options for a {@code kvs server} command line. */
    List<String> serverArgs() {
      return List.of("--tls-cert", cert.toAbsolutePath().toString(), "--tls-key",
          key.toAbsolutePath().toString(), "--tls-ca", ca.toAbsolutePath().toString(),
          "--tls-auth-clients", authClients);
    }

    kvs.net.Tls load() {
      return kvs.net.Tls.load(cert, key, ca, kvs.net.Tls.AuthClients.parse(authClients));
    }
  }

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics over HTTP on PORT, path /metrics, on the --host"
          + " address (docs/deployment.md); 0 picks a free one. Off when not given.")
  Integer metricsPort;

  /** kvs cluster's --metrics-port: server i serves its metrics on BASE+i (its id is i). */
  @Option(names = "--metrics-port-base", paramLabel = "BASE", hidden = true)
  Integer metricsPortBase;

  @Option(names = "--exit-on-stdin-eof",
      description = "Exit when standard input closes (used by the master so no server outlives it).")
  boolean exitOnStdinEof;

  /**
   * Starts loading, on a background thread, what a server needs before it can serve: the logging
   * set-up, the RocksDB and epoll native libraries, Netty's allocator, the seed of the random
   * incarnation. The main thread meanwhile parses the command line, so on two cores a server
   * reports READY tens of milliseconds sooner (docs/performance.md). Each step is an idempotent
   * class initialisation or library load that the main thread would do anyway; a failure here
   * is left for the main thread to meet and report.
   */
  static void preload() {
    Thread t = new Thread(() -> {
      try {
        org.slf4j.LoggerFactory.getLogger(ServerCommand.class);
        Class.forName("kvs.storage.RocksDbStore");
        kvs.net.Transport.serverChannel();
        io.netty.buffer.ByteBufAllocator.DEFAULT.getClass(); // the allocator channels use
        new SecureRandom().nextInt();
      } catch (Throwable e) {
        // The main thread does each of these again and reports what fails.
      }
    }, "preload");
    t.setDaemon(true);
    t.start();
  }

  /**
   * The command line in the form the master starts its servers with, parsed without picocli, or
   * null for any other form (which picocli then parses). That form holds only
   * {@code --exit-on-stdin-eof}, {@code --fsync}, {@code --id}, {@code --data-dir},
   * {@code --port} and {@code --peer}, each option once but {@code --peer}; every other option
   * keeps its default. Building picocli's model of this command took about 60 ms of a server's
   * 300 ms start (docs/performance.md), paid by every joinServer. {@code ServerCommandFormTest}
   * checks that this gives exactly the fields picocli gives for the same words.
   */
  static ServerCommand masterForm(String[] args) {
    if (args.length == 0 || !args[0].equals("server")) return null;
    ServerCommand c = new ServerCommand();
    java.util.Set<String> seen = new java.util.HashSet<>();
    List<String> peers = new java.util.ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String option = args[i];
      if (!option.equals("--peer") && !seen.add(option)) return null;
      switch (option) {
        case "--exit-on-stdin-eof" -> c.exitOnStdinEof = true;
        case "--fsync" -> c.fsync = true;
        case "--id", "--port", "--data-dir", "--peer" -> {
          if (++i == args.length || args[i].isEmpty() || args[i].startsWith("-")) return null;
          String value = args[i];
          switch (option) {
            case "--data-dir" -> c.dataDir = Path.of(value);
            case "--peer" -> peers.add(value);
            default -> {
              if (value.length() > 9 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                return null;
              }
              if (option.equals("--id")) {
                c.id = Integer.parseInt(value);
              } else {
                c.port = Integer.parseInt(value);
              }
            }
          }
        }
        default -> {
          return null;
        }
      }
    }
    if (!seen.contains("--id") || !seen.contains("--data-dir")) return null;
    c.peers = List.copyOf(peers);
    return c;
  }

  /** A bad option value: picocli's usage error when picocli parsed the line, else a plain one. */
  private RuntimeException bad(String message) {
    return spec != null ? new ParameterException(spec.commandLine(), message)
        : new UsageError(message);
  }

  /** A bad option value met without picocli (see {@link #runMasterForm}). */
  private static final class UsageError extends RuntimeException {
    UsageError(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Runs a server parsed by {@link #masterForm}, ending as under picocli ({@link Main}): a bad
   * value exits 2 and an I/O failure 1, each with one line; anything else is a bug and keeps its
   * stack trace.
   */
  int runMasterForm() {
    try {
      return call();
    } catch (UsageError e) {
      System.err.println("kvs server: " + e.getMessage());
      return 2;
    } catch (java.io.IOException e) {
      System.err.println("kvs server: " + kvs.process.IoMessages.describe(e));
      return 1;
    } catch (java.io.UncheckedIOException e) {
      System.err.println("kvs server: " + kvs.process.IoMessages.describe(e.getCause()));
      return 1;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (id < 0) throw bad("--id must be >= 0, got " + id);
    if (port < 0 || port > 65535) {
      throw bad("--port must be in 0..65535, got " + port);
    }
    String problem = clientLimitsProblem(clientOutputBufferLimit, maxClients, timeout);
    if (problem != null) throw bad(problem);
    Integer metrics = metricsPort != null ? metricsPort
        : metricsPortBase != null ? Integer.valueOf(metricsPortBase + id) : null;
    if (metrics != null && (metrics < 0 || metrics > 65535)) {
      throw bad("--metrics-port must be in 0..65535, got " + metrics);
    }
    Limits limits = Limits.DEFAULT.withClientOutputBufferLimit(clientOutputBufferLimit)
        .withMaxClients(maxClients).withClientTimeoutSeconds(timeout);
    Map<Integer, InetSocketAddress> peerMap = parsePeers();
    String secret = System.getenv("KVS_CLUSTER_SECRET");
    if (secret == null || secret.isEmpty()) {
      if (!peerMap.isEmpty()) {
        throw bad("--peer needs the cluster secret in the environment variable KVS_CLUSTER_SECRET");
      }
      byte[] random = new byte[16];
      new SecureRandom().nextBytes(random);
      secret = HexFormat.of().formatHex(random); // a lone server: nobody can join it
    }
    String pass;
    try {
      pass = RequirePass.resolve(requirePass, requirePassFile, System.getenv());
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
    kvs.net.Tls tlsContexts;
    try {
      tlsContexts = tls == null ? null : tls.load();
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
    // Metrics are kept only by a server that serves them: building them costs its start.
    ServerConfig config = new ServerConfig(id, host, port, dataDir, peerMap, secret, pass,
        fsync, limits, tlsContexts, metrics != null);
    Node node;
    try {
      node = Node.start(config, Clock.SYSTEM);
    } catch (StoreOpenException | IllegalStateException e) {
      System.err.println("server " + id + ": cannot start: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      // Netty rethrows a failed bind (port in use, address not local) as an undeclared
      // IOException; a host name that does not resolve fails the bind unchecked.
      boolean unresolved = e instanceof java.nio.channels.UnresolvedAddressException;
      if (!(e instanceof java.io.IOException) && !unresolved) throw e;
      System.err.println("server " + id + ": cannot listen on " + host + ":" + port + ": "
          + (unresolved ? "unknown host" : e.getMessage()));
      return 2;
    }
    // The hook before READY: a SIGTERM that follows READY at once must find it, and registering
    // one once the JVM is shutting down throws (then the node is closed here).
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(node::close, "shutdown"));
    } catch (IllegalStateException shuttingDown) {
      node.close();
      return 0;
    }
    if (metrics != null) {
      try {
        int bound = node.startMetrics(host, metrics);
        System.err.println("server " + id + ": metrics on http://" + host + ":" + bound
            + "/metrics");
      } catch (java.io.IOException e) {
        System.err.println("server " + id + ": cannot serve metrics on " + host + ":" + metrics
            + ": " + e.getMessage());
        node.close();
        return 2;
      }
    }
    // READY as soon as the port serves; the links come up in the background (a peer that is
    // down or cut off is redialled with backoff instead of holding up the start).
    System.out.println("READY " + node.port());
    System.out.flush();
    node.dialConfiguredPeers();
    if (exitOnStdinEof) {
      // Like SIGKILL, but on purpose: every acknowledged write is already in the log.
      StdinWatch.onClose(() -> Runtime.getRuntime().halt(0));
    }
    Thread.currentThread().join();
    return 0;
  }

  /**
   * What is wrong with the client-limit options (null for one not given), or null when nothing
   * is: {@code kvs cluster} checks them too before it starts any server.
   */
  static String clientLimitsProblem(Long outputBufferLimit, Integer maxClients, Integer timeout) {
    if (outputBufferLimit != null && outputBufferLimit < 0) {
      return "--client-output-buffer-limit must be >= 0 (0: no limit), got " + outputBufferLimit;
    }
    if (maxClients != null && maxClients < 1) return "--maxclients must be >= 1, got " + maxClients;
    if (timeout != null && timeout < 0) return "--timeout must be >= 0 (0: never), got " + timeout;
    return null;
  }

  /** A byte count as Redis writes it in its configuration: 1024, 64kb, 64mb, 1gb (powers of 1024). */
  static final class ByteSize implements ITypeConverter<Long> {
    private static final Pattern BYTE_SIZE = Pattern.compile("(-?[0-9]+)(kb|mb|gb)?");

    @Override
    public Long convert(String value) {
      Matcher m = BYTE_SIZE.matcher(value.toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new TypeConversionException(
            "'" + value + "' is not a byte count (a number with an optional kb, mb or gb)");
      }
      int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
        case "kb" -> 10;
        case "mb" -> 20;
        default -> 30;
      };
      try {
        long n = Long.parseLong(m.group(1));
        if (Math.abs(n) > (Long.MAX_VALUE >> shift)) throw new NumberFormatException();
        return n << shift;
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is too large");
      }
    }
  }

  private Map<Integer, InetSocketAddress> parsePeers() {
    Map<Integer, InetSocketAddress> out = new LinkedHashMap<>();
    for (String p : peers) {
      int eq = p.indexOf('=');
      int colon = p.lastIndexOf(':');
      try {
        if (eq <= 0 || colon < eq) throw new NumberFormatException();
        int peerId = Integer.parseInt(p.substring(0, eq));
        int peerPort = Integer.parseInt(p.substring(colon + 1));
        if (peerId < 0 || peerId == id || peerPort < 1 || peerPort > 65535) {
          throw new NumberFormatException();
        }
        out.put(peerId, InetSocketAddress.createUnresolved(p.substring(eq + 1, colon), peerPort));
      } catch (NumberFormatException e) {
        throw bad("--peer must be ID=HOST:PORT with a"
            + " non-negative id other than this server's and a port in 1..65535, got '" + p + "'");
      }
    }
    return out;
  }
}
