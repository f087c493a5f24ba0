package kvs.master;

import java.nio.charset.StandardCharsets;

/** Small helpers for the raw byte strings that keys, values and script lines are made of. */
final class Bytes {
  private static final int SHOWN_MAX = 60;

  private Bytes() {}

  /** White space of the script language: space, tab, CR, form feed, vertical tab. */
  static boolean isBlank(byte b) {
    return b == ' ' || b == '\t' || b == '\r' || b == '\f' || b == 0x0B;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /**
   * Renders bytes for an error message: printable ASCII as is, anything else as {@code \xNN}, cut
   * to a readable length, so that a binary token cannot garble the terminal.
   */
  static String show(byte[] b) {
    return show(b, 0, b.length);
  }

  static String show(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      if (sb.length() >= SHOWN_MAX) {
        sb.append("...(").append(to - from).append(" bytes)");
        break;
      }
      int c = b[i] & 0xFF;
      if (c >= 0x20 && c < 0x7F) {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02X", c));
      }
    }
    return sb.toString();
  }
}
