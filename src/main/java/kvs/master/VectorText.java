package kvs.master;

import java.util.Map;

/** Version vectors as servers print them in KVS.STATE and INFO, read back by tools. */
public final class VectorText {
  private VectorText() {}

  /**
   * The version vector of a KVS.STATE reply or an INFO field, as printed ({@code {origin=seq,
   * ...}}): origin to sequence, in origin order; null when it has none or does not parse.
   */
  public static Map<String, Long> parse(String state) {
    if (state == null) return null;
    int open = state.indexOf('{');
    int close = state.lastIndexOf('}');
    if (open < 0 || close < open) return null;
    Map<String, Long> vv = new java.util.TreeMap<>();
    String body = state.substring(open + 1, close).trim();
    if (body.isEmpty()) return vv;
    for (String part : body.split(",")) {
      int eq = part.indexOf('=');
      if (eq < 0) return null;
      try {
        vv.put(part.substring(0, eq).trim(), Long.parseLong(part.substring(eq + 1).trim()));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return vv;
  }
}
