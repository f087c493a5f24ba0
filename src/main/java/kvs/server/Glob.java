package kvs.server;

/**
 * Redis's glob-style patterns on bytes: {@code *}, {@code ?}, {@code [abc]}, {@code [^a-z]} and
 * backslash escapes. Matching is iterative with one backtrack point, so no pattern can make it
 * take more than O(pattern x text) steps.
 */
final class Glob {
  private Glob() {}

  static boolean matches(byte[] pattern, byte[] text) {
    int p = 0;
    int t = 0;
    int starP = -1;
    int starT = -1;
    while (t < text.length) {
      if (p < pattern.length && pattern[p] == '*') {
        starP = p++;
        starT = t;
        continue;
      }
      if (p < pattern.length) {
        int consumed = matchOne(pattern, p, text[t]);
        if (consumed > 0) {
          p += consumed;
          t++;
          continue;
        }
      }
      if (starP < 0) return false;
      p = starP + 1;
      t = ++starT;
    }
    while (p < pattern.length && pattern[p] == '*') p++;
    return p == pattern.length;
  }

  /** Pattern length consumed when the element at {@code p} matches {@code c}, else 0. */
  private static int matchOne(byte[] pattern, int p, byte c) {
    byte pc = pattern[p];
    if (pc == '?') return 1;
    if (pc == '\\' && p + 1 < pattern.length) return pattern[p + 1] == c ? 2 : 0;
    if (pc != '[') return pc == c ? 1 : 0;
    int i = p + 1;
    boolean negate = i < pattern.length && pattern[i] == '^';
    if (negate) i++;
    boolean hit = false;
    while (i < pattern.length && pattern[i] != ']') {
      if (pattern[i] == '\\' && i + 1 < pattern.length) {
        hit |= pattern[i + 1] == c;
        i += 2;
      } else if (i + 2 < pattern.length && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
        int lo = Math.min(pattern[i] & 0xff, pattern[i + 2] & 0xff);
        int hi = Math.max(pattern[i] & 0xff, pattern[i + 2] & 0xff);
        hit |= (c & 0xff) >= lo && (c & 0xff) <= hi;
        i += 3;
      } else {
        hit |= pattern[i] == c;
        i++;
      }
    }
    if (i >= pattern.length) return pc == c ? 1 : 0; // no closing ']': a literal '['
    return hit != negate ? i - p + 1 : 0;
  }
}
