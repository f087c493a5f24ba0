package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every script in src/test/resources/scripts through {@code ./master} and checks the
 * answers written inline in it (see {@link ScriptCase}).
 */
class ScriptsIT {
  static final Path SCRIPTS = MasterRun.REPO.resolve("src/test/resources/scripts");

  @TestFactory
  Stream<DynamicTest> scripts() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(SCRIPTS)) {
      files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    assertThat(files).as("scripts in " + SCRIPTS).isNotEmpty();
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      ScriptCase c = new ScriptCase(f.getFileName().toString(), Files.readAllBytes(f));
      MasterRun run = MasterRun.run(c.script);
      assertThat(c.check(run)).as("%s\n%s", f, run).isEmpty();
    }));
  }
}
