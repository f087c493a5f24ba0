package kvs.process;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  private static List<String> lines(byte[] input, int max) throws IOException {
    LineReader r = new LineReader(new ByteArrayInputStream(input), max);
    List<String> out = new ArrayList<>();
    int expectedNumber = 1;
    while (r.next()) {
      assertThat(r.lineNumber()).isEqualTo(expectedNumber++);
      out.add(r.tooLong() ? "<too long: " + r.bytesSeen() + ">"
          : new String(r.line(), 0, r.length(), ISO_8859_1));
    }
    assertThat(r.next()).isFalse();
    return out;
  }

  @Test
  void splitsAtLineFeedsAndKeepsEverythingElse() throws IOException {
    assertThat(lines("a\nb c\r\n\n# x\nlast".getBytes(ISO_8859_1), 100))
        .containsExactly("a", "b c\r", "", "# x", "last");
  }

  @Test
  void aFinalLineFeedEndsTheLastLine() throws IOException {
    assertThat(lines("a\n".getBytes(ISO_8859_1), 100)).containsExactly("a");
    assertThat(lines("".getBytes(ISO_8859_1), 100)).isEmpty();
    assertThat(lines("\n".getBytes(ISO_8859_1), 100)).containsExactly("");
  }

  @Test
  void onlyALineFollowedByALineFeedCountsAsTerminated() throws IOException {
    byte[] input = "OK\nVALUE trunc".getBytes(ISO_8859_1);
    LineReader r = new LineReader(new ByteArrayInputStream(input), 100);
    assertThat(r.next()).isTrue();
    assertThat(r.terminated()).isTrue();
    assertThat(r.next()).isTrue();
    assertThat(new String(r.copy(), ISO_8859_1)).isEqualTo("VALUE trunc");
    assertThat(r.terminated()).isFalse();
    assertThat(r.next()).isFalse();
  }

  @Test
  void tooLongLinesAreReportedAndSkippedToTheirEnd() throws IOException {
    assertThat(lines("12345\n123456\n1234567\nok\n1234567".getBytes(ISO_8859_1), 6))
        .containsExactly("12345", "123456", "<too long: 7>", "ok", "<too long: 7>");
  }

  @Test
  void linesLongerThanTheReadChunkComeThroughWhole() throws IOException {
    byte[] big = new byte[(1 << 20) + 3];
    Arrays.fill(big, (byte) 'x');
    byte[] input = new byte[big.length * 2 + 2];
    System.arraycopy(big, 0, input, 0, big.length);
    input[big.length] = '\n';
    System.arraycopy(big, 0, input, big.length + 1, big.length);
    input[input.length - 1] = '\n';
    // A stream that hands out a few bytes at a time, as a pipe may.
    InputStream trickle = new ByteArrayInputStream(input) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1000));
      }
    };
    LineReader r = new LineReader(trickle, 2 << 20);
    for (int i = 0; i < 2; i++) {
      assertThat(r.next()).isTrue();
      assertThat(r.tooLong()).isFalse();
      assertThat(Arrays.copyOf(r.line(), r.length())).isEqualTo(big);
    }
    assertThat(r.next()).isFalse();
  }
}
