package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/** The client-limit options of {@code kvs server} and {@code kvs cluster}: units and bad values. */
class ClientLimitOptionsTest {
  @TempDir Path dir;

  @Test
  void byteCountsTakeRedisUnits() {
    ServerCommand.ByteSize size = new ServerCommand.ByteSize();
    assertThat(size.convert("0")).isZero();
    assertThat(size.convert("1048576")).isEqualTo(1L << 20);
    assertThat(size.convert("64kb")).isEqualTo(64L << 10);
    assertThat(size.convert("64MB")).isEqualTo(64L << 20);
    assertThat(size.convert("2gb")).isEqualTo(2L << 30);
    for (String bad : new String[] {"64m", "mb", "", "1.5mb", "99999999999gb"}) {
      assertThatThrownBy(() -> size.convert(bad)).as(bad).isInstanceOf(TypeConversionException.class);
    }
  }

  /** Runs {@code kvs ARGS} as Main does; returns the exit status, with stderr in {@code err}. */
  private static int run(StringWriter err, String... args) {
    CommandLine cl = Main.commandLine(args);
    cl.getSubcommands().get(args[0]).setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void badValuesAreRefusedBeforeAnythingStarts() {
    String data = dir.resolve("data").toString();
    String[][] cases = {
        {"--client-output-buffer-limit", "-1", "--client-output-buffer-limit must be >= 0"},
        {"--client-output-buffer-limit", "lots", "is not a byte count"},
        {"--maxclients", "0", "--maxclients must be >= 1"},
        {"--timeout", "-5", "--timeout must be >= 0"}};
    for (String[] c : cases) {
      StringWriter err = new StringWriter();
      assertThat(run(err, "server", "--id", "0", "--data-dir", data, c[0], c[1])).as(c[0]).isEqualTo(2);
      assertThat(err.toString()).contains(c[2]);
      err = new StringWriter();
      assertThat(run(err, "cluster", "--servers", "1", "--port", "7000", c[0], c[1])).as(c[0])
          .isEqualTo(2);
      assertThat(err.toString()).contains(c[2]);
    }
    assertThat(dir.resolve("data")).doesNotExist();
  }
}
