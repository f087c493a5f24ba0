package kvs.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import kvs.agent.Agent;
import kvs.process.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kvs agent}: the watchdog of one host, taking start and kill orders from a master. */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = {"Runs the host agent: starts and kills servers and client agents for a master"
        + " (./master --hosts FILE) and reports their addresses. Prints 'READY <port>' once it"
        + " listens.",
        "The cluster secret is read from the environment variable KVS_CLUSTER_SECRET; masters"
        + " must present it, and the servers started here get it.",
        "Protocol: docs/internal-protocol.md, section \"Host agent\"."})
public final class AgentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
      description = "Address to listen on for masters; port 0 picks a free one.")
  String listen;

  @Option(names = "--server-host", paramLabel = "HOST",
      description = "Address the servers started here listen on and report (default: the host"
          + " of --listen).")
  String serverHost;

  @Option(names = "--data-dir", required = true, paramLabel = "DIR",
      description = "Directory for the servers' data and the children's logs.")
  Path dataDir;

  @Option(names = "--exit-on-stdin-eof",
      description = "Exit (killing every child) when standard input closes.")
  boolean exitOnStdinEof;

  @Override
  public Integer call() throws Exception {
    InetSocketAddress at;
    try {
      at = HostPort.parse(listen);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--listen: " + e.getMessage());
    }
    String secret = System.getenv("KVS_CLUSTER_SECRET");
    if (secret == null || secret.isEmpty()) {
      throw new ParameterException(spec.commandLine(),
          "the agent needs the cluster secret in the environment variable KVS_CLUSTER_SECRET");
    }
    String host = serverHost != null ? serverHost : at.getHostString();
    if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "servers need an address others can"
          + " reach: give --server-host when --listen is a wildcard address");
    }
    Agent agent;
    try {
      agent = Agent.bind(new Agent.Options(new InetSocketAddress(at.getHostString(),
          at.getPort()), host, dataDir, secret, MasterCommand.childClasspath()));
    } catch (IOException e) {
      System.err.println("kvs agent: " + e.getMessage());
      return 2;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-shutdown"));
    System.out.println("READY " + agent.port());
    System.out.flush();
    if (exitOnStdinEof) {
      StdinWatch.onClose(() -> System.exit(0)); // the shutdown hook kills every child
    }
    agent.serve();
    return 0;
  }
}
