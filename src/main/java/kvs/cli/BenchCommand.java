package kvs.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import kvs.bench.Bench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kvs bench}: the benchmarks of SPEC section 8 (see docs/performance.md). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {
      "Runs the benchmarks of SPEC section 8 and prints a table; writes the figures as JSON.",
      "Scenarios: ceiling (redis-benchmark -c 1 ping against a local redis-server, halved for the"
          + " master's two hops), hops (single-connection PING/SET/GET round trips against kvs"
          + " servers), tree (4,000 puts, 5 servers in a tree), churn (25,000 commands"
          + " of 8-10 KB values, joins, partitions, a kill), heal (stabilize after healing 200 MB"
          + " of divergent writes), resp (redis-benchmark SET/GET, 50 connections over 5 servers,"
          + " against one local redis-server), join (joinServer median), mesh (bytes sent per"
          + " replicated write in a full mesh), cpu (CPU per SET on the origin, per applied write"
          + " on each peer and per GET, 100 B and 8 KB values, user/system, as ratios to a local"
          + " redis-server under the same redis-benchmark load; cluster CPU per SET of one"
          + " connection).",
      "Throughputs are also given as ratios to the ceiling measured in the same run."
    })
public final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--quick",
      description = "A smoke run: 3 servers and small sizes; finishes in well under a minute.")
  boolean quick;

  @Option(names = "--scenarios", split = ",", paramLabel = "NAME",
      description = "Scenarios to run, comma-separated (default: all): ${COMPLETION-CANDIDATES}.",
      completionCandidates = ScenarioNames.class)
  List<String> scenarios = Bench.SCENARIOS;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write the JSON here (default: bench/results/<time>.json beside the jar's"
          + " target directory, or under the current directory).")
  Path out;

  @Option(names = "--seed", description = "Seed of the generated scripts (default: ${DEFAULT-VALUE}).")
  long seed = 20_240_501L;

  @Option(names = "--servers", paramLabel = "N",
      description = "Servers per scenario (default: 5, or 3 with --quick).")
  int servers;

  @Option(names = "--soak-ops", paramLabel = "N",
      description = "SET/DEL operations of the soak scenario (default: 1,000,000, or 6,000 with"
          + " --quick).")
  int soakOps;

  @Option(names = "--soak-heap-mb", paramLabel = "MB",
      description = "Fixed Java heap of the soak's servers (-Xms = -Xmx, touched at start), so"
          + " that their resident memory shows what grows besides a lazily grown heap; 0 leaves"
          + " the JVM's default (default: ${DEFAULT-VALUE}).")
  int soakHeapMb = 512;

  @Option(names = "--keep-work",
      description = "Keep the generated scripts, logs and data (the path is printed).")
  boolean keepWork;

  @Option(names = "--jfr", paramLabel = "DIR",
      description = "Record every JVM of the master scenarios with Java Flight Recorder into"
          + " DIR/<scenario>/ (through JAVA_TOOL_OPTIONS).")
  Path jfrDir;

  @Override
  public Integer call() throws Exception {
    Set<String> chosen = new LinkedHashSet<>();
    for (String s : scenarios) {
      if (!Bench.SCENARIOS.contains(s)) {
        throw new ParameterException(spec.commandLine(), "unknown scenario '" + s
            + "'; known: " + String.join(",", Bench.SCENARIOS));
      }
      chosen.add(s);
    }
    if (soakOps < 0) {
      throw new ParameterException(spec.commandLine(), "--soak-ops must be positive, got "
          + soakOps);
    }
    if (soakHeapMb != 0 && (soakHeapMb < 64 || soakHeapMb > 65_536)) {
      throw new ParameterException(spec.commandLine(), "--soak-heap-mb must be 0 or in"
          + " 64..65536, got " + soakHeapMb);
    }
    if (servers != 0 && (servers < 3 || servers > 50)) {
      throw new ParameterException(spec.commandLine(), "--servers must be in 3..50, got " + servers);
    }
    String classpath = MasterCommand.childClasspath();
    Path file = out != null ? out : defaultOut(classpath);
    Bench.Options options = new Bench.Options(quick, chosen, file, seed, servers, keepWork,
        jfrDir, classpath, soakOps, soakHeapMb);
    return Bench.run(options, System.out, System.err);
  }

  private Path defaultOut(String classpath) {
    Path base = Path.of("").toAbsolutePath();
    Path jar = Path.of(classpath).toAbsolutePath();
    if (jar.getParent() != null && jar.getParent().getFileName() != null
        && jar.getParent().getFileName().toString().equals("target")
        && Files.isRegularFile(jar.getParent().resolveSibling("pom.xml"))) {
      base = jar.getParent().getParent();
    }
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return base.resolve("bench").resolve("results")
        .resolve(stamp + (quick ? "-quick" : "") + ".json");
  }

  /** The scenario names, for the help text. */
  static final class ScenarioNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Bench.SCENARIOS.iterator();
    }
  }
}
