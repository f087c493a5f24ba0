package kvs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point of the jar: {@code ./master} and {@code ./kvs} both land here. */
@Command(
    name = "kvs",
    mixinStandardHelpOptions = true,
    version = "kvs 0.1.0",
    description = "A replicated key-value store with session guarantees, speaking RESP.",
    subcommands = {
      MasterCommand.class,
      ServerCommand.class,
      ClusterCommand.class,
      CliCommand.class,
      ClientAgentCommand.class,
      AgentCommand.class,
      CleanupCommand.class,
      SimCommand.class,
      CdsTrainingCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // `kvs cli -p 7000 SET k -v`: after the command name every word is the command's.
    cl.getSubcommands().get("cli").setStopAtPositional(true);
    int code = cl.execute(args);
    System.exit(code);
  }
}
