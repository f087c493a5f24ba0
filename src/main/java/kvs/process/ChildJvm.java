package kvs.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How a supervisor (the master, a host agent, the bench) starts a child process of this jar and
 * reads its first line. One place, so that the JVM flags, the class-data-sharing archive and the
 * READY handshake stay the same for every parent.
 */
public final class ChildJvm {
  /**
   * JVM flags of every child: short-lived processes that must start fast, on a machine shared by
   * many of them. Only the C1 compiler, in one thread, compiling a method after a twentieth of
   * the usual calls: a master scenario lasts seconds, and code still interpreted is what costs
   * most then; a second compiler thread only competes with the process's own start on two cores
   * (docs/performance.md measures these choices). JVM warnings go to stderr: by default they go
   * to stdout, where they would be taken for a READY line or an agent's reply. The default of
   * {@code KVS_JAVA_OPTS} in {@code ./kvs} is the same list (a shell script cannot share it).
   */
  public static final List<String> FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1", "-XX:CompileThresholdScaling=0.05", "-Xshare:auto",
      "-Xlog:disable", "-Xlog:all=warning:stderr");

  /**
   * JVM flags of a long-running server ({@code kvs cluster}'s servers, {@code kvs server} started
   * by hand through {@code ./kvs}): the full tiered compiler (C1, then C2 for hot code), with the
   * JVM's own thresholds and compiler threads. A server that runs for minutes or months pays
   * C2's compilations once and then runs code that costs less per request: docs/performance.md
   * (issue 10) measures it against {@link #FLAGS}. A heap that starts small and follows what is
   * live: by default the JVM starts with 1/64 of the machine's memory (377 MB on 24 GB), which a
   * write load touches whole, and the serial collector keeps up to 70% of the heap free; here
   * it starts at 32 MB, grows at a full collection to keep 20% free and shrinks to keep at most
   * 40% free (resident memory with 1,000,000 keys of 100 B: 626 MB with the JVM's defaults,
   * 356 MB with these and the shared memtable budget, docs/performance.md, issue 10). The rest
   * as {@link #FLAGS}.
   */
  public static final List<String> SERVER_FLAGS = List.of("-XX:+UseSerialGC", "-Xms32m",
      "-XX:MinHeapFreeRatio=20", "-XX:MaxHeapFreeRatio=40", "-Xshare:auto", "-Xlog:disable",
      "-Xlog:all=warning:stderr");

  private static final int FIRST_LINE_BYTES_MAX = 4096;

  /**
   * The environment variables that carry a child server its secrets: never its command line,
   * which every user of the machine can read ({@code ps}); a process's environment only its
   * owner can.
   */
  public static final String CLUSTER_SECRET_ENV = "KVS_CLUSTER_SECRET";
  public static final String REQUIREPASS_ENV = "KVS_REQUIREPASS";

  private ChildJvm() {}

  /**
   * {@code -XX:SharedArchiveFile} for the class-data-sharing archive that {@code ./kvs} trains
   * next to the jar ({@code kvs.jsa} beside {@code kvs.jar}), when there is one at least as new as
   * the jar; it roughly halves a child's start. None otherwise: the JVM would ignore a stale one.
   */
  public static List<String> sharedArchiveFlags(String classpath) {
    if (!classpath.endsWith(".jar") || classpath.contains(java.io.File.pathSeparator)) {
      return List.of();
    }
    Path jar = Path.of(classpath);
    Path jsa = jar.resolveSibling(jar.getFileName().toString().replaceFirst("\\.jar$", ".jsa"));
    try {
      if (Files.isRegularFile(jsa)
          && Files.getLastModifiedTime(jsa).compareTo(Files.getLastModifiedTime(jar)) >= 0) {
        return List.of("-XX:SharedArchiveFile=" + jsa);
      }
    } catch (IOException e) {
      // No usable archive: start without it.
    }
    return List.of();
  }

  /**
   * {@code java FLAGS <archive> <extraFlags> -cp classpath kvs.cli.Main subcommand args}, with
   * this JVM's own {@code java}.
   */
  public static List<String> command(String classpath, List<String> extraFlags,
      String subcommand, List<String> args) {
    return command(FLAGS, classpath, extraFlags, subcommand, args);
  }

  /**
   * As {@link #command(String, List, String, List)} with {@code baseFlags} in place of
   * {@link #FLAGS} (e.g. {@link #SERVER_FLAGS}).
   */
  public static List<String> command(List<String> baseFlags, String classpath,
      List<String> extraFlags, String subcommand, List<String> args) {
    List<String> flags = new ArrayList<>(baseFlags);
    flags.addAll(sharedArchiveFlags(classpath));
    flags.addAll(extraFlags);
    return commandWithFlags(flags, classpath, subcommand, args);
  }

  /** {@code java jvmFlags -cp classpath kvs.cli.Main subcommand args}, with this JVM's own java. */
  public static List<String> commandWithFlags(List<String> jvmFlags, String classpath,
      String subcommand, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add("kvs.cli.Main");
    cmd.add(subcommand);
    cmd.addAll(args);
    return cmd;
  }

  /** The java launcher of this JVM. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Waits until {@code p} has exited, even when interrupted (the interrupt is kept). */
  public static void waitGone(Process p) {
    boolean interrupted = false;
    while (true) {
      try {
        p.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Reads the child's first stdout line on a daemon thread, then appends the rest of its stdout to
   * {@code log}. The future holds the line (stripped, at most 4 KiB kept), or null when stdout
   * ended first.
   */
  public static CompletableFuture<String> firstLineThenLog(Process p, Path log, String thread) {
    CompletableFuture<String> firstLine = new CompletableFuture<>();
    Thread drainer = new Thread(() -> {
      try (InputStream in = p.getInputStream()) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
          if (line.size() < FIRST_LINE_BYTES_MAX) line.write(c);
        }
        firstLine.complete(c < 0 ? null : line.toString(StandardCharsets.ISO_8859_1).strip());
        try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
          in.transferTo(out);
        }
      } catch (IOException e) {
        firstLine.complete(null);
      }
    }, thread);
    drainer.setDaemon(true);
    drainer.start();
    return firstLine;
  }
}
