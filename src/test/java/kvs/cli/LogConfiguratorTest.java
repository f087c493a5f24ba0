package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** KVS_LOG_LEVEL (docs/deployment.md): a level by name, and a typo said rather than ignored. */
class LogConfiguratorTest {
  private static String levelOf(String env, StringBuilder said) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Level l = LogConfigurator.level(env, new PrintStream(err, true, StandardCharsets.UTF_8));
    said.append(err.toString(StandardCharsets.UTF_8));
    return l.toString();
  }

  @Test
  void namesLevelsAndReportsATypo() {
    StringBuilder said = new StringBuilder();
    assertThat(levelOf(null, said)).isEqualTo("INFO");
    assertThat(levelOf("DEBUG", said)).isEqualTo("DEBUG");
    assertThat(levelOf("warn", said)).isEqualTo("WARN");
    assertThat(levelOf("ERROR", said)).isEqualTo("ERROR");
    assertThat(said).isEmpty();
    assertThat(levelOf("DEBGU", said)).isEqualTo("INFO");
    assertThat(said.toString()).contains("KVS_LOG_LEVEL=DEBGU is not a log level");
  }
}
