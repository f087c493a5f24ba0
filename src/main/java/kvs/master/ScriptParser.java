package kvs.master;

import java.util.Arrays;
import java.util.Locale;

/**
 * Parses one line of a master script (SPEC section 3) into a {@link Command}.
 *
 * <p>The grammar: tokens separated by white space (space, tab, and also CR, form feed and vertical
 * tab, which can then never end up inside a key or a value); blank lines and lines whose first
 * token starts with {@code #} are ignored; the first token names the command, case-sensitively, and
 * the rest are its arguments, exactly as many as the command takes. Ids are decimal non-negative
 * integers that fit in an {@code int}. Keys and values are kept as raw bytes.
 *
 * <p>Only syntax is checked here. Whether an id names a server or a client, and whether that
 * server runs, depends on the commands before; the executor checks that.
 */
final class ScriptParser {
  private static final Command.Kind[] KINDS = Command.Kind.values();

  private ScriptParser() {}

  /** Parses a whole line (without its line feed); null for a blank or comment line. */
  static Command parse(byte[] line) throws ScriptError {
    return parse(line, line.length);
  }

  /** Parses the first {@code length} bytes of {@code line}; null for a blank or comment line. */
  static Command parse(byte[] line, int length) throws ScriptError {
    int[] bounds = tokenize(line, length);
    int tokens = bounds.length / 2;
    if (tokens == 0 || line[bounds[0]] == '#') {
      return null;
    }
    Command.Kind kind = kindOf(line, bounds[0], bounds[1]);
    if (tokens - 1 != kind.arity) {
      throw new ScriptError(kind.word + " takes " + plural(kind.arity, "argument") + " ("
          + kind.usage() + "), got " + (tokens - 1));
    }
    switch (kind) {
      case JOIN_SERVER:
        return new Command.JoinServer(id(line, bounds, 1, "server id"));
      case KILL_SERVER:
        return new Command.KillServer(id(line, bounds, 1, "server id"));
      case PRINT_STORE:
        return new Command.PrintStore(id(line, bounds, 1, "server id"));
      case STABILIZE:
        return new Command.Stabilize();
      case JOIN_CLIENT: {
        int client = id(line, bounds, 1, "client id");
        int server = id(line, bounds, 2, "server id");
        if (client == server) {
          throw new ScriptError("joinClient " + client + " " + server
              + ": one id cannot be both a client and a server");
        }
        return new Command.JoinClient(client, server);
      }
      case BREAK_CONNECTION:
      case CREATE_CONNECTION: {
        int a = id(line, bounds, 1, "id");
        int b = id(line, bounds, 2, "id");
        if (a == b) {
          throw new ScriptError(kind.word + " " + a + " " + b + ": a connection needs two different ids");
        }
        return kind == Command.Kind.BREAK_CONNECTION
            ? new Command.BreakConnection(a, b)
            : new Command.CreateConnection(a, b);
      }
      case PUT:
        return new Command.Put(id(line, bounds, 1, "client id"), token(line, bounds, 2),
            token(line, bounds, 3));
      case GET:
        return new Command.Get(id(line, bounds, 1, "client id"), token(line, bounds, 2));
      case DELETE:
        return new Command.Delete(id(line, bounds, 1, "client id"), token(line, bounds, 2));
      default:
        throw new AssertionError(kind);
    }
  }

  /** Start and end offsets of every token, flattened: {@code [s0, e0, s1, e1, ...]}. */
  static int[] tokenize(byte[] line, int length) {
    int[] bounds = new int[8];
    int n = 0;
    int i = 0;
    while (true) {
      while (i < length && Bytes.isBlank(line[i])) {
        i++;
      }
      if (i == length) {
        return Arrays.copyOf(bounds, n);
      }
      int start = i;
      while (i < length && !Bytes.isBlank(line[i])) {
        i++;
      }
      if (n == bounds.length) {
        bounds = Arrays.copyOf(bounds, n * 2);
      }
      bounds[n++] = start;
      bounds[n++] = i;
    }
  }

  private static Command.Kind kindOf(byte[] line, int from, int to) throws ScriptError {
    for (Command.Kind k : KINDS) {
      if (equalsAscii(line, from, to, k.word)) {
        return k;
      }
    }
    String word = Bytes.show(line, from, to);
    Command.Kind near = nearest(word);
    throw new ScriptError("unknown command \"" + word + "\""
        + (near == null ? " (commands: " + allWords() + ")" : " (did you mean " + near.word + "?)"));
  }

  private static boolean equalsAscii(byte[] line, int from, int to, String word) {
    if (to - from != word.length()) {
      return false;
    }
    for (int i = 0; i < word.length(); i++) {
      if (line[from + i] != word.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The command a typo most likely meant: same letters ignoring case, or at most 2 edits away. */
  private static Command.Kind nearest(String word) {
    Command.Kind best = null;
    int bestDistance = 3;
    String lower = word.toLowerCase(Locale.ROOT);
    for (Command.Kind k : KINDS) {
      int d = distance(lower, k.word.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance; words here are short, so the quadratic table is fine. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String allWords() {
    StringBuilder sb = new StringBuilder();
    for (Command.Kind k : KINDS) {
      sb.append(sb.length() == 0 ? "" : ", ").append(k.word);
    }
    return sb.toString();
  }

  private static byte[] token(byte[] line, int[] bounds, int index) {
    return Arrays.copyOfRange(line, bounds[2 * index], bounds[2 * index + 1]);
  }

  /** A decimal id in {@code [0, Integer.MAX_VALUE]}; anything else is an error naming the token. */
  private static int id(byte[] line, int[] bounds, int index, String what) throws ScriptError {
    int from = bounds[2 * index];
    int to = bounds[2 * index + 1];
    String shown = Bytes.show(line, from, to);
    boolean negative = line[from] == '-' && to - from > 1;
    for (int i = negative ? from + 1 : from; i < to; i++) {
      if (line[i] < '0' || line[i] > '9') {
        throw new ScriptError(what + " \"" + shown + "\" is not an integer (ids are 0, 1, 2, ...)");
      }
    }
    if (negative) {
      throw new ScriptError(what + " \"" + shown + "\" is negative (ids go from 0 to "
          + Integer.MAX_VALUE + ")");
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      value = value * 10 + (line[i] - '0');
      if (value > Integer.MAX_VALUE) {
        throw new ScriptError(what + " \"" + shown + "\" is out of range (ids go from 0 to "
            + Integer.MAX_VALUE + ")");
      }
    }
    return (int) value;
  }

  private static String plural(int n, String noun) {
    return n == 0 ? "no " + noun + "s" : n + " " + noun + (n == 1 ? "" : "s");
  }
}
