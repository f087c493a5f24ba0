package kvs.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpareAssignmentTest {

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void readsBackWhatWasEncodedAndLeavesTheRestOfTheStream() throws IOException {
    SpareAssignment a = new SpareAssignment("/tmp/logs dir/server-3.log",
        List.of("server", "--id", "3", "--data-dir", "/tmp/a b/ü", "--peer", "0=127.0.0.1:7000"));
    InputStream in = new ByteArrayInputStream(concat(a.encode(), "connect x 1\n".getBytes(UTF_8)));

    assertThat(SpareAssignment.read(in)).isEqualTo(a);
    // The agent the spare becomes reads its first request from the same stream.
    assertThat(new String(in.readAllBytes(), UTF_8)).isEqualTo("connect x 1\n");
  }

  @Test
  void anEmptyLogAndEmptyArgumentsSurvive() throws IOException {
    SpareAssignment a = new SpareAssignment("", List.of("client", "", "--id", "5"));
    assertThat(SpareAssignment.read(new ByteArrayInputStream(a.encode()))).isEqualTo(a);
  }

  @Test
  void aFieldTheLineCannotCarryIsNotEncoded() {
    assertThat(new SpareAssignment("", List.of("server", "a\nb")).encode()).isNull();
    assertThat(new SpareAssignment("log\0", List.of("server")).encode()).isNull();
    String big = "x".repeat(SpareAssignment.LINE_BYTES_MAX);
    assertThat(new SpareAssignment("", List.of("server", big)).encode()).isNull();
  }

  @Test
  void theEndOfInputBeforeAWholeLineMeansNoAssignment() throws IOException {
    assertThat(SpareAssignment.read(new ByteArrayInputStream(new byte[0]))).isNull();
    assertThat(SpareAssignment.read(new ByteArrayInputStream("log\0server\0".getBytes(UTF_8))))
        .isNull();
  }

  @Test
  void aMalformedLineIsRefused() {
    assertThatThrownBy(() -> SpareAssignment.read(new ByteArrayInputStream(
        "log\0server\n".getBytes(UTF_8)))).isInstanceOf(IOException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> SpareAssignment.read(new ByteArrayInputStream(
        "log\0\n".getBytes(UTF_8)))).isInstanceOf(IOException.class)
        .hasMessageContaining("no subcommand");
    byte[] endless = new byte[SpareAssignment.LINE_BYTES_MAX + 10];
    Arrays.fill(endless, (byte) 'x');
    assertThatThrownBy(() -> SpareAssignment.read(new ByteArrayInputStream(endless)))
        .isInstanceOf(IOException.class).hasMessageContaining("longer than");
  }
}
