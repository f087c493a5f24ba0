package kvs.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvs.master.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code kvs cluster}: a local cluster of fully connected servers in the foreground. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = {
      "Runs N fully connected servers on 127.0.0.1, client ports P, P+1, ..., P+N-1 (server ids"
          + " 0..N-1), in the foreground. Prints a line containing 'ready' once every server"
          + " serves; Ctrl-C or SIGTERM stops them all.",
      "",
      "Talk to them with redis-cli -p P, ./kvs cli -p P, or any Redis client. The cluster secret"
          + " for admin commands is KVS_CLUSTER_SECRET when set, else random. The servers get"
          + " it and the client password through the environment, never their command line."
    })
public final class ClusterCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--servers", required = true, paramLabel = "N", description = "How many servers.")
  int servers;

  @Option(names = "--port", required = true, paramLabel = "P",
      description = "Client port of server 0; server i listens on P+i.")
  int port;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Keep server data in DIR/server-<id> (kept afterwards; starting again on the"
          + " same DIR recovers it). Default: a temporary directory, removed at exit.")
  Path dataDir;

  @Option(names = "--requirepass", paramLabel = "PASSWORD",
      description = "Clients must AUTH with this password (as Redis's requirepass). Every user"
          + " of the machine sees it in ps on this command (never on the servers'): prefer"
          + " --requirepass-file or the environment variable KVS_REQUIREPASS.")
  String requirePass;

  @Option(names = "--requirepass-file", paramLabel = "FILE",
      description = "Clients must AUTH with the password on the first line of FILE.")
  Path requirePassFile;

  @Option(names = "--fsync",
      description = "Acknowledge writes only once fsynced (survives power loss).")
  boolean fsync;

  @Option(names = "--client-output-buffer-limit", paramLabel = "BYTES",
      converter = ServerCommand.ByteSize.class,
      description = "Disconnect a client when more than BYTES of replies wait for it (kvs server"
          + " --help; default 64mb, 0: no limit).")
  Long clientOutputBufferLimit;

  @Option(names = "--maxclients", paramLabel = "N",
      description = "Refuse client connections beyond N on each server (default 10000).")
  Integer maxClients;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Disconnect a client idle for SECONDS (default 0: never).")
  Integer timeout;

  @picocli.CommandLine.ArgGroup(exclusive = false)
  ServerCommand.TlsOptions tls;

  @Option(names = "--metrics-port", paramLabel = "BASE",
      description = "Serve each server's Prometheus metrics over HTTP: server i on port BASE+i,"
          + " path /metrics (docs/deployment.md). Off when not given.")
  Integer metricsPort;

  @Option(names = "--exit-on-stdin-eof",
      description = "Also stop when standard input ends (for scripts and tests that hold a pipe).")
  boolean exitOnStdinEof;

  @Override
  public Integer call() throws Exception {
    String pass;
    try {
      pass = RequirePass.resolve(requirePass, requirePassFile, System.getenv());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    String limitsProblem = ServerCommand.clientLimitsProblem(clientOutputBufferLimit, maxClients,
        timeout);
    if (limitsProblem != null) throw new ParameterException(spec.commandLine(), limitsProblem);
    List<String> clientLimits = new ArrayList<>();
    if (clientOutputBufferLimit != null) {
      clientLimits.addAll(List.of("--client-output-buffer-limit", clientOutputBufferLimit.toString()));
    }
    if (maxClients != null) clientLimits.addAll(List.of("--maxclients", maxClients.toString()));
    if (timeout != null) clientLimits.addAll(List.of("--timeout", timeout.toString()));
    if (tls != null) {
      try {
        tls.load(); // the servers would refuse the files too; say so once, before starting any
        // The cluster's own admin connections present the servers' certificate.
        kvs.master.AdminTls.use(kvs.net.Tls.socketFactory(tls.ca, tls.cert, tls.key));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      clientLimits.addAll(tls.serverArgs());
    }
    if (metricsPort != null) {
      if (metricsPort < 1 || metricsPort + servers - 1 > 65535) {
        throw new ParameterException(spec.commandLine(), "--metrics-port needs ports "
            + metricsPort + ".." + (metricsPort + servers - 1) + " within 1..65535");
      }
      clientLimits.addAll(List.of("--metrics-port-base", metricsPort.toString()));
    }
    LocalCluster.Options options = new LocalCluster.Options(servers, port, dataDir, pass,
        fsync, exitOnStdinEof, MasterCommand.childClasspath(), clientLimits);
    String problem = LocalCluster.check(options);
    if (problem != null) throw new ParameterException(spec.commandLine(), problem);
    return LocalCluster.run(options, System.in, System.out, System.err);
  }
}
