package kvs.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kvs.process.ChildJvm;

/**
 * How the bench starts the project's own programs: {@code java <flags> -cp <jar> kvs.cli.Main
 * <subcommand>}, with the flags {@code ./kvs} uses ({@code KVS_JAVA_OPTS}, or its default, plus
 * the class-data-sharing archive when it is fresh). The bench does not go through the
 * {@code ./kvs} script itself, because the script rebuilds the jar when sources changed, and a
 * rebuild in the middle of a measurement would measure someone else's half-edited tree.
 */
final class Launch {
  final String java;
  final String classpath;
  final List<String> flags;

  private Launch(String java, String classpath, List<String> flags) {
    this.java = java;
    this.classpath = classpath;
    this.flags = flags;
  }

  /**
   * The launch of programs from {@code classpath} (normally target/kvs.jar): the flags of
   * {@code KVS_JAVA_OPTS}, or else the children's flags ({@link ChildJvm#FLAGS}, which are also
   * the default of {@code KVS_JAVA_OPTS} in ./kvs).
   */
  static Launch of(String classpath) {
    return withDefaultFlags(classpath, ChildJvm.FLAGS);
  }

  /**
   * As {@link #of}, for servers that stand for long-running ones ({@code kvs cluster}, a server
   * started by hand): {@link ChildJvm#SERVER_FLAGS}, the full compiler, unless
   * {@code KVS_JAVA_OPTS} gives the flags of every process.
   */
  static Launch longRunning(String classpath) {
    return withDefaultFlags(classpath, ChildJvm.SERVER_FLAGS);
  }

  /** {@code KVS_JAVA_OPTS} when set, else {@code defaults}; then the CDS archive's flags. */
  private static Launch withDefaultFlags(String classpath, List<String> defaults) {
    String opts = System.getenv("KVS_JAVA_OPTS");
    List<String> flags = new ArrayList<>(opts == null || opts.isBlank() ? defaults
        : Arrays.asList(opts.trim().split("\\s+")));
    flags.addAll(ChildJvm.sharedArchiveFlags(classpath));
    return new Launch(ChildJvm.java(), classpath, List.copyOf(flags));
  }

  /** This launch with {@code more} flags after its own (a later flag wins over an earlier one). */
  Launch withFlags(List<String> more) {
    List<String> all = new ArrayList<>(flags);
    all.addAll(more);
    return new Launch(java, classpath, List.copyOf(all));
  }

  List<String> command(String subcommand, List<String> args) {
    return ChildJvm.commandWithFlags(flags, classpath, subcommand, args);
  }
}
