package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * BUG (SimCommand checked its options with IllegalArgumentException, which Main passes on as a
 * bug): {@code kvs sim --runs 0}, {@code --threads 0}, {@code --trace} without {@code --runs 1}
 * and {@code --failures-shown -1} (after running every seed) ended in a stack trace and status 1.
 * A bad option must get a usage error, status 2, before anything runs (SPEC section 7).
 */
class SimCommandTest {
  /** Runs {@code kvs ARGS} as Main does; returns the exit status, with stderr in {@code err}. */
  private static int run(StringWriter err, String... args) {
    CommandLine cl = Main.commandLine(args);
    cl.getSubcommands().get(args[0]).setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void badOptionsAreUsageErrorsBeforeAnyRun() {
    String[][] cases = {
        {"--runs 0", "--runs must be >= 1, got 0"},
        {"--runs -5", "--runs must be >= 1, got -5"},
        {"--runs 1 --threads 0", "--threads must be >= 1, got 0"},
        {"--runs 1 --threads -3", "--threads must be >= 1, got -3"},
        {"--runs 2 --trace", "--trace needs --runs 1, got 2"},
        {"--runs 1 --failures-shown -1", "--failures-shown must be >= 0, got -1"}};
    for (String[] c : cases) {
      StringWriter err = new StringWriter();
      String[] args = ("sim " + c[0]).split(" ");
      assertThat(run(err, args)).as(c[0]).isEqualTo(2);
      assertThat(err.toString()).as(c[0]).contains(c[1]).doesNotContain("\tat ");
    }
  }
}
