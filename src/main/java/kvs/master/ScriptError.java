package kvs.master;

/**
 * A script line that cannot be carried out. The message says what is wrong, in words a script
 * author understands; the master prefixes it with the line number and goes on with the next line.
 */
final class ScriptError extends Exception {
  ScriptError(String message) {
    super(message, null, false, false);
  }

  ScriptError(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
