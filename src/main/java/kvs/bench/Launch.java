package kvs.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kvs.master.ChildJvm;

/**
 * How the bench starts the project's own programs: {@code java <flags> -cp <jar> kvs.cli.Main
 * <subcommand>}, with the flags {@code ./kvs} uses ({@code KVS_JAVA_OPTS}, or its default, plus
 * the class-data-sharing archive when it is fresh). The bench does not go through the
 * {@code ./kvs} script itself, because the script rebuilds the jar when sources changed, and a
 * rebuild in the middle of a measurement would measure someone else's half-edited tree.
 */
final class Launch {
  /** The default of {@code KVS_JAVA_OPTS} in ./kvs; keep the two equal. */
  static final String DEFAULT_JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
      + " -XX:CICompilerCount=1 -XX:CompileThresholdScaling=0.05 -Xshare:auto -Xlog:disable"
      + " -Xlog:all=warning:stderr";

  final String java;
  final String classpath;
  final List<String> flags;

  private Launch(String java, String classpath, List<String> flags) {
    this.java = java;
    this.classpath = classpath;
    this.flags = flags;
  }

  /** The launch of programs from {@code classpath} (normally target/kvs.jar). */
  static Launch of(String classpath) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String opts = System.getenv("KVS_JAVA_OPTS");
    List<String> flags = new ArrayList<>(Arrays.asList(
        (opts == null || opts.isBlank() ? DEFAULT_JAVA_OPTS : opts).trim().split("\\s+")));
    flags.addAll(ChildJvm.sharedArchiveFlags(classpath));
    return new Launch(java, classpath, List.copyOf(flags));
  }

  List<String> command(String subcommand, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(flags);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add("kvs.cli.Main");
    cmd.add(subcommand);
    cmd.addAll(args);
    return cmd;
  }
}
