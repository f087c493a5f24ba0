package kvs.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import kvs.process.SpareAssignment;
import picocli.CommandLine;

/**
 * {@code kvs spare server|client}: a child JVM that a master starts before it needs it, so that
 * a {@code joinServer} or {@code joinClient} does not wait for a JVM to start (docs/design.md,
 * Starting processes). It loads what its kind of process needs, builds that subcommand's command
 * line model, and then waits for one line on standard input ({@link SpareAssignment}: the log its
 * standard error is to go to, the subcommand and its arguments). From then on it is that
 * process, with the same standard input (a client agent's requests, a server's exit-on-EOF pipe)
 * and standard output (the READY line, the replies). It exits quietly, status 0, when standard
 * input ends before the line: its master is gone or no longer needs it.
 *
 * <p>Not a picocli subcommand: picocli builds a model of a command by reflection, which is part
 * of what a spare does ahead of time, for the one command it becomes.
 */
final class Spare {
  static final List<String> KINDS = List.of("server", "client");

  private Spare() {}

  /** Runs a spare of {@code kind} to its end; returns the exit status. */
  static int run(String kind) {
    if (!KINDS.contains(kind)) {
      System.err.println("kvs spare: the kind must be one of " + KINDS + ", got '" + kind + "'");
      return 2;
    }
    if (kind.equals("server")) {
      ServerCommand.preload();
    } else {
      ClientAgentCommand.preload();
    }
    CommandLine command = Main.commandLine(kind);
    SpareAssignment assignment;
    try {
      assignment = SpareAssignment.read(new FileInputStream(FileDescriptor.in));
    } catch (IOException e) {
      System.err.println("kvs spare: cannot read the assignment: " + e.getMessage());
      return 2;
    }
    if (assignment == null) return 0;
    if (!assignment.args().get(0).equals(kind)) {
      System.err.println("kvs spare: a " + kind + " spare cannot become '"
          + assignment.args().get(0) + "'");
      return 2;
    }
    if (!assignment.log().isEmpty()) {
      try {
        // Logback's console appender writes through System.err as it is at each event.
        System.setErr(new PrintStream(new FileOutputStream(assignment.log(), true), true,
            StandardCharsets.UTF_8));
      } catch (IOException e) {
        System.err.println("kvs spare: cannot open the log " + assignment.log() + ": "
            + e.getMessage());
        return 2;
      }
      command.setErr(new PrintWriter(System.err, true));
    }
    return command.execute(assignment.args().toArray(new String[0]));
  }
}
