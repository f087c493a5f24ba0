package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a server's client password comes from: an option, a file, or the environment. */
class RequirePassTest {
  @TempDir Path dir;

  @Test
  void theOptionThenTheFileThenTheEnvironment() throws Exception {
    Map<String, String> env = Map.of("KVS_REQUIREPASS", "from env");
    assertThat(RequirePass.resolve("typed", null, env)).isEqualTo("typed");
    Path f = Files.writeString(dir.resolve("pass"), "from file\n");
    assertThat(RequirePass.resolve(null, f, env)).isEqualTo("from file");
    assertThat(RequirePass.resolve(null, null, env)).isEqualTo("from env");
    assertThat(RequirePass.resolve(null, null, Map.of())).isNull();
    assertThat(RequirePass.resolve(null, null, Map.of("KVS_REQUIREPASS", ""))).isNull();
  }

  @Test
  void theFilesFirstLineWithoutItsLineEnd() throws Exception {
    Path crlf = Files.writeString(dir.resolve("crlf"), "p w\r\nsecond line\n");
    assertThat(RequirePass.resolve(null, crlf, Map.of())).isEqualTo("p w");
    Path bare = Files.writeString(dir.resolve("bare"), "  spaces kept  ");
    assertThat(RequirePass.resolve(null, bare, Map.of())).isEqualTo("  spaces kept  ");
  }

  @Test
  void badSourcesAreOneLineErrors() throws Exception {
    assertThatThrownBy(() -> RequirePass.resolve("a", dir.resolve("x"), Map.of()))
        .hasMessage("give --requirepass or --requirepass-file, not both");
    assertThatThrownBy(() -> RequirePass.resolve("", null, Map.of()))
        .hasMessage("--requirepass must not be empty");
    assertThatThrownBy(() -> RequirePass.resolve(null, dir.resolve("missing"), Map.of()))
        .hasMessageEndingWith("missing: no such file or directory");
    assertThatThrownBy(() -> RequirePass.resolve(null, dir, Map.of()))
        .message().endsWithIgnoringCase(": is a directory");
    Path empty = Files.writeString(dir.resolve("empty"), "\nsecond\n");
    assertThatThrownBy(() -> RequirePass.resolve(null, empty, Map.of()))
        .hasMessageContaining("holds no password");
    Path huge = Files.write(dir.resolve("huge"), new byte[100_000]);
    assertThatThrownBy(() -> RequirePass.resolve(null, huge, Map.of()))
        .hasMessageContaining("longer than");
  }
}
