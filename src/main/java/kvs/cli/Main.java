package kvs.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import kvs.process.IoMessages;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point of the jar: {@code ./master} and {@code ./kvs} both land here. */
@Command(
    name = "kvs",
    mixinStandardHelpOptions = true,
    version = "kvs 0.1.0",
    description = "A replicated key-value store with session guarantees, speaking RESP.")
public final class Main implements Runnable {

  @Override
  public void run() {
    commandLine().usage(System.err);
  }

  /**
   * The subcommands, by name. Only the one named on the command line is registered: picocli
   * builds a model of every registered command by reflection, and its classes are too old for
   * the class-data-sharing archive, so each one left out shortens the start of every process.
   */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

  private static Map<String, Supplier<Object>> subcommands() {
    Map<String, Supplier<Object>> m = new LinkedHashMap<>();
    m.put("master", MasterCommand::new);
    m.put("server", ServerCommand::new);
    m.put("cluster", ClusterCommand::new);
    m.put("cli", CliCommand::new);
    m.put("client", ClientAgentCommand::new);
    m.put("agent", AgentCommand::new);
    m.put("cleanup", CleanupCommand::new);
    m.put("sim", SimCommand::new);
    m.put("cds-training", CdsTrainingCommand::new);
    m.put("bench", BenchCommand::new);
    m.put("backup", BackupCommand::new);
    m.put("restore", RestoreCommand::new);
    m.put("status", StatusCommand::new);
    return m;
  }

  /** The command line of {@code kvs}, with only {@code args[0]}'s subcommand when it names one. */
  static CommandLine commandLine(String... args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    Supplier<Object> only = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
    if (only != null) {
      cl.addSubcommand(args[0], only.get());
    } else {
      SUBCOMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
    // A file or socket a command could not use is the user's problem to fix, not a crash: one
    // line naming it, instead of a stack trace. Anything else is a bug and keeps its trace.
    cl.setExecutionExceptionHandler((e, command, parsed) -> {
      IOException io = e instanceof UncheckedIOException u ? u.getCause()
          : e instanceof IOException i ? i : null;
      if (io == null) throw e;
      command.getErr().println("kvs " + command.getCommandName() + ": " + IoMessages.describe(io));
      return 1;
    });
    CommandLine cli = cl.getSubcommands().get("cli");
    // `kvs cli -p 7000 SET k -v`: after the command name every word is the command's.
    if (cli != null) cli.setStopAtPositional(true);
    return cl;
  }

  public static void main(String[] args) {
    // Netty's buffer allocators register Java Flight Recorder events on their first allocation,
    // which sets up JFR and costs a starting server about 70 ms before its first message; off
    // unless asked for (-Dio.netty.jfr.enabled=true).
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    // Netty's leak detector records a stack trace for one buffer in 128 by default: about 1% of
    // a server's CPU under load (issue 10, perf profile). The tests, which run servers in their
    // own JVM, keep it; -Dio.netty.leakDetection.level=simple (or paranoid) turns it back on.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      System.setProperty("io.netty.leakDetection.level", "disabled");
    }
    Integer agentId = masterAgentId(args);
    if (agentId != null) System.exit(ClientAgentCommand.run(agentId));
    if (args.length == 1 && args[0].equals("master")) System.exit(MasterCommand.runDefaults());
    if (args.length > 0 && args[0].equals("server")) {
      ServerCommand.preload();
      ServerCommand server = ServerCommand.masterForm(args);
      if (server != null) System.exit(server.runMasterForm());
    }
    System.exit(commandLine(args).execute(args));
  }

  /**
   * The id of {@code kvs client --id N} in exactly the form the master starts its client agents
   * with, or null for any other command line. That form, and {@code kvs master} with no option
   * (what {@code ./master < script} runs), run without picocli: building its model (annotations
   * read through generated proxy classes, its converters registered by reflection) made an
   * agent's start take about 170 ms instead of 90, with 130 ms more CPU, once per joinClient
   * (docs/performance.md). Anything else, a user's typo included, goes through picocli.
   */
  static Integer masterAgentId(String[] args) {
    if (args.length != 3 || !args[0].equals("client") || !args[1].equals("--id")) return null;
    String id = args[2];
    if (id.isEmpty() || id.length() > 9) return null;
    for (int i = 0; i < id.length(); i++) {
      if (id.charAt(i) < '0' || id.charAt(i) > '9') return null;
    }
    return Integer.parseInt(id);
  }
}
