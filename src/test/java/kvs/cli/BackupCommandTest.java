package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code kvs backup}'s options, checked before it connects to anything. */
class BackupCommandTest {
  private static String[] run(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = Main.commandLine(args).execute(args);
    } finally {
      System.setErr(saved);
    }
    return new String[] {Integer.toString(status), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void aTimeoutBelowOneSecondIsBadUsage() {
    // It used to end in a stack trace (negative) or wait for ever (0), whatever the help says.
    for (String timeout : new String[] {"-1", "0"}) {
      String[] r = run("backup", "--server", "127.0.0.1:1", "--to", "/nonexistent/kvs-backup",
          "--timeout", timeout);
      assertThat(r[0]).as(timeout).isEqualTo("2");
      assertThat(r[1]).as(timeout).contains("--timeout must be at least 1");
      assertThat(r[1]).doesNotContain("Exception");
    }
  }
}
