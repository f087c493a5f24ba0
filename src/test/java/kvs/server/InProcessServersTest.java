package kvs.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What tests of in-process servers share: the servers of one test ({@link InProcessNodes}) in a
 * temporary directory, all closed after it, and the reading of RESP replies as text.
 */
abstract class InProcessServersTest {
  @TempDir Path dir;
  InProcessNodes nodes;

  @BeforeEach
  void startNodes() {
    nodes = new InProcessNodes(dir);
  }

  @AfterEach
  void closeNodes() {
    nodes.close();
  }

  /** A bulk reply as UTF-8 text; null for a null reply. */
  static String text(Object bulk) {
    return bulk == null ? null : new String((byte[]) bulk, StandardCharsets.UTF_8);
  }

  /** An array reply's items as text: bulk strings decoded, anything else as printed. */
  static List<String> texts(Object array) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) array) out.add(o instanceof byte[] b ? text(b) : String.valueOf(o));
    return out;
  }
}
