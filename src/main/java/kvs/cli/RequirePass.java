package kvs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import kvs.process.ChildJvm;
import kvs.process.IoMessages;

/**
 * Where the client password of {@code kvs server} and {@code kvs cluster} comes from. A command
 * line is readable by every user of the machine ({@code ps}, {@code /proc/<pid>/cmdline}), so
 * besides {@code --requirepass} (kept, for compatibility with Redis) the password can come from a
 * file ({@code --requirepass-file}) or the environment ({@code KVS_REQUIREPASS}), which only the
 * process's owner can read. {@code kvs cluster} hands it to its servers through the environment.
 */
final class RequirePass {
  /** Longer than any password; keeps {@code --requirepass-file /dev/zero} from filling memory. */
  private static final int FILE_BYTES_MAX = 64 * 1024;

  private RequirePass() {}

  /**
   * The password: {@code option} if given, else the first line of {@code file}, else
   * {@code KVS_REQUIREPASS} from {@code env} when set and not empty; null for none.
   *
   * @throws IllegalArgumentException naming what is wrong, for a one-line error
   */
  static String resolve(String option, Path file, Map<String, String> env) {
    if (option != null && file != null) {
      throw new IllegalArgumentException("give --requirepass or --requirepass-file, not both");
    }
    if (option != null) {
      if (option.isEmpty()) throw new IllegalArgumentException("--requirepass must not be empty");
      return option;
    }
    if (file != null) return fromFile(file);
    String fromEnv = env.get(ChildJvm.REQUIREPASS_ENV);
    return fromEnv == null || fromEnv.isEmpty() ? null : fromEnv;
  }

  private static String fromFile(Path file) {
    byte[] b;
    try (InputStream in = Files.newInputStream(file)) {
      b = in.readNBytes(FILE_BYTES_MAX + 1);
    } catch (IOException e) {
      throw new IllegalArgumentException("--requirepass-file " + file + ": "
          + IoMessages.reason(e));
    }
    if (b.length > FILE_BYTES_MAX) {
      throw new IllegalArgumentException("--requirepass-file " + file + " is longer than "
          + FILE_BYTES_MAX + " bytes");
    }
    // The first line: `echo secret > file` ends it with a newline that is no part of it.
    String s = new String(b, StandardCharsets.UTF_8);
    int eol = s.indexOf('\n');
    if (eol >= 0) s = s.substring(0, eol);
    if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
    if (s.isEmpty()) {
      throw new IllegalArgumentException("--requirepass-file " + file + " holds no password"
          + " on its first line");
    }
    return s;
  }
}
