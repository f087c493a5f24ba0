package kvs.cli;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import kvs.process.IoMessages;
import kvs.master.Master;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "master",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a command script from standard input against server and client processes.",
      "",
      "Commands, one a line: joinServer ID, killServer ID, joinClient CID SID,",
      "breakConnection A B, createConnection A B, stabilize, printStore ID, put CID KEY VALUE,",
      "get CID KEY, delete CID KEY. Results go to standard output, one message per failed",
      "line to standard error; the exit status is 1 if any line failed."
    })
public final class MasterCommand implements Callable<Integer> {
  @Option(names = "--stats",
      description = "Print a JSON line of command counts and latencies last on standard error.")
  boolean stats;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Keep server data in DIR (kept afterwards; default: a temporary directory,"
          + " deleted at the end).")
  Path dataDir;

  @Option(names = "--fsync", description = "Start servers with --fsync (writes survive power loss).")
  boolean fsync;

  @Option(names = "--stabilize-timeout-ms", paramLabel = "MS",
      description = "How long stabilize waits for convergence before reporting an error"
          + " (default: ${DEFAULT-VALUE}).")
  long stabilizeTimeoutMs = Master.DEFAULT_STABILIZE_TIMEOUT_MS;

  @Option(names = "--hosts", paramLabel = "FILE",
      description = "Run servers and clients on other hosts: FILE maps ids to host agents"
          + " ('ID HOST:PORT' lines, '* HOST:PORT' for the rest; see docs/deployment.md). Needs"
          + " KVS_CLUSTER_SECRET. Without it everything runs on this machine.")
  Path hosts;

  @Parameters(arity = "0..1", paramLabel = "SCRIPT",
      description = "Read the script from this file instead of standard input.")
  Path script;

  /** {@code kvs master} with every option at its default (see {@link Main#masterAgentId}). */
  static int runDefaults() {
    try {
      return new MasterCommand().call();
    } catch (IOException e) {
      System.err.println("kvs master: " + IoMessages.describe(e));
      return 1;
    }
  }

  @Override
  public Integer call() throws IOException {
    if (stabilizeTimeoutMs <= 0) {
      System.err.println("kvs master: --stabilize-timeout-ms must be positive");
      return 2;
    }
    Master.Options options = new Master.Options(dataDir, stats, fsync, childClasspath(),
        stabilizeTimeoutMs, hosts);
    InputStream in;
    try {
      in = script == null ? System.in : openScript(script);
    } catch (IOException e) {
      // One line, as for every other bad option: the user mistyped a name, nothing crashed.
      System.err.println("kvs master: cannot read the script " + script + ": "
          + IoMessages.reason(e));
      return 2;
    }
    try (in) {
      return Master.run(in, new FileOutputStream(FileDescriptor.out), System.err, options);
    }
  }

  private static InputStream openScript(Path script) throws IOException {
    // Opening a directory succeeds on Linux; only its first read would fail.
    if (Files.isDirectory(script)) throw new IOException("is a directory");
    return Files.newInputStream(script);
  }

  /** The jar this class came from, or the whole class path when running from class directories. */
  static String childClasspath() {
    try {
      Path source = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(source)) {
        return source.toString();
      }
    } catch (URISyntaxException | RuntimeException e) {
      // Fall back to the class path below.
    }
    return System.getProperty("java.class.path");
  }
}
