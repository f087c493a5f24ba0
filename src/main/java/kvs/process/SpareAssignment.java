package kvs.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one line a supervisor sends a spare JVM ({@code kvs spare server|client}) to make it a
 * server or a client agent: the log file its standard error is to go to, then the subcommand and
 * its arguments, each field ended by a NUL byte, the line by a line feed.
 *
 * @param log where standard error goes from then on; empty: where it went before
 * @param args the subcommand ({@code server} or {@code client}) and its arguments
 */
public record SpareAssignment(String log, List<String> args) {
  /** Bounds the line: a data directory path and a few options. */
  public static final int LINE_BYTES_MAX = 64 * 1024;

  public SpareAssignment {
    args = List.copyOf(args);
  }

  /**
   * The line, or null when a field holds a NUL or a line feed (which the line cannot carry) or
   * the line would be longer than {@link #LINE_BYTES_MAX}: the supervisor then starts a process
   * of its own instead.
   */
  public byte[] encode() {
    StringBuilder s = new StringBuilder();
    List<String> fields = new ArrayList<>(args.size() + 1);
    fields.add(log);
    fields.addAll(args);
    for (String field : fields) {
      if (field.indexOf('\0') >= 0 || field.indexOf('\n') >= 0) return null;
      s.append(field).append('\0');
    }
    s.append('\n');
    byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
    return b.length > LINE_BYTES_MAX ? null : b;
  }

  /**
   * Reads the line a byte at a time from {@code in}, never through a buffer, so that nothing
   * after it (a client agent's first request) is taken from the process the spare becomes.
   * Returns null at the end of input before a whole line (the supervisor is gone or no longer
   * needs the spare); throws on a malformed or overlong line.
   */
  public static SpareAssignment read(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (b.size() == LINE_BYTES_MAX) {
        throw new IOException("the assignment is longer than " + LINE_BYTES_MAX + " bytes");
      }
      b.write(c);
    }
    if (c < 0) return null;
    byte[] line = b.toByteArray();
    if (line.length == 0 || line[line.length - 1] != 0) {
      throw new IOException("the assignment does not end with a NUL byte");
    }
    String[] fields = new String(line, 0, line.length - 1, StandardCharsets.UTF_8).split("\0", -1);
    if (fields.length < 2) throw new IOException("the assignment names no subcommand");
    return new SpareAssignment(fields[0], Arrays.asList(fields).subList(1, fields.length));
  }
}
