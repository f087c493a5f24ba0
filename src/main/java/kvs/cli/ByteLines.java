package kvs.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Lines of bytes from a stream, for line protocols whose keys and values are arbitrary bytes. */
final class ByteLines {
  private ByteLines() {}

  /** One line without its '\n', or null at end of input. */
  static byte[] read(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') return buf.toByteArray();
      buf.write(c);
    }
    return buf.size() > 0 ? buf.toByteArray() : null;
  }
}
