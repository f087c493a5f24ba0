package kvs.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines at {@code \n}, byte-exact: no charset decoding, so that keys and
 * values made of any bytes come through unchanged. It reads the stream in 64 KiB chunks and scans
 * them for line ends in a loop: reading byte by byte through {@code InputStream.read()} (a
 * synchronized call per byte) cost a client agent about 0.3 ms per 9 KB line. Used for the
 * master's script, a client agent's requests and {@code kvs cli}'s input. A line longer than {@code maxLineBytes} is read
 * to its end and reported as too long instead of being held in memory.
 *
 * <p>Not thread-safe. The returned line buffer is reused by the next call.
 */
public final class LineReader {
  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] chunk = new byte[64 * 1024];
  private int chunkPos;
  private int chunkEnd;
  private byte[] line = new byte[256];
  private int lineLength;
  private long lineBytesSeen;
  private int lineNumber;
  private boolean eof;
  private boolean terminated;

  public LineReader(InputStream in, int maxLineBytes) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * Reads the next line. Returns false at the end of input. Afterwards {@link #lineNumber()},
   * {@link #line()}, {@link #length()} and {@link #tooLong()} describe the line read.
   */
  public boolean next() throws IOException {
    if (eof) {
      return false;
    }
    lineLength = 0;
    lineBytesSeen = 0;
    terminated = false;
    while (true) {
      if (chunkPos == chunkEnd) {
        int n = in.read(chunk);
        if (n < 0) {
          eof = true;
          if (lineBytesSeen == 0) {
            return false;
          }
          lineNumber++;
          return true;
        }
        chunkPos = 0;
        chunkEnd = n;
      }
      int start = chunkPos;
      int nl = -1;
      for (int i = start; i < chunkEnd; i++) {
        if (chunk[i] == '\n') {
          nl = i;
          break;
        }
      }
      int end = nl < 0 ? chunkEnd : nl;
      append(start, end);
      chunkPos = nl < 0 ? chunkEnd : nl + 1;
      if (nl >= 0) {
        lineNumber++;
        terminated = true;
        return true;
      }
    }
  }

  private void append(int from, int to) {
    int n = to - from;
    lineBytesSeen += n;
    if (lineBytesSeen > maxLineBytes) {
      return;
    }
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.max(lineLength + n, Math.min(maxLineBytes, line.length * 2)));
    }
    System.arraycopy(chunk, from, line, lineLength, n);
    lineLength += n;
  }

  /** 1-based number of the line last read, counting blank and comment lines. */
  public int lineNumber() {
    return lineNumber;
  }

  /** The bytes of the line last read, valid up to {@link #length()}; reused by the next call. */
  public byte[] line() {
    return line;
  }

  public int length() {
    return lineLength;
  }

  /** False when the line last read is the end of the input without a line feed after it. */
  public boolean terminated() {
    return terminated;
  }

  /** A copy of the line last read. */
  public byte[] copy() {
    return Arrays.copyOf(line, lineLength);
  }

  /** How many bytes the line last read had, counted even when it was too long. */
  public long bytesSeen() {
    return lineBytesSeen;
  }

  /** True when the line last read exceeded the limit; its bytes were dropped. */
  public boolean tooLong() {
    return lineBytesSeen > maxLineBytes;
  }
}
