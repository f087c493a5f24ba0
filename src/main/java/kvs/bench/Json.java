package kvs.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The little JSON the bench needs: writing its results (maps, lists, strings, numbers, booleans)
 * and reading the master's {@code --stats} line. Objects read as {@link LinkedHashMap}, arrays as
 * {@link ArrayList}, numbers as {@link Double}. Hand-written so that the bench adds no library to
 * the jar.
 */
public final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, int indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(sb, s);
    } else if (v instanceof Boolean b) {
      sb.append(b);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        sb.append("null");
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        sb.append((long) d);
      } else if (Math.abs(d) >= 1e-6 && Math.abs(d) < 1e15) {
        // seven significant digits, never an exponent
        sb.append(java.math.BigDecimal.valueOf(d).round(new java.math.MathContext(7))
            .stripTrailingZeros().toPlainString());
      } else {
        sb.append(String.format(Locale.ROOT, "%.6e", d));
      }
    } else if (v instanceof Number n) {
      sb.append(n.longValue());
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "" : ",");
        newline(sb, indent + 1);
        quote(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), indent + 1);
        first = false;
      }
      if (!first) newline(sb, indent);
      sb.append('}');
    } else if (v instanceof List<?> l) {
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        sb.append(i == 0 ? "" : ",");
        newline(sb, indent + 1);
        write(sb, l.get(i), indent + 1);
      }
      if (!l.isEmpty()) newline(sb, indent);
      sb.append(']');
    } else {
      quote(sb, v.toString());
    }
  }

  private static void newline(StringBuilder sb, int indent) {
    sb.append('\n');
    sb.append("  ".repeat(indent));
  }

  /** {@code s} as a JSON string literal. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder();
    quote(sb, s);
    return sb.toString();
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /** Parses one JSON value; throws IllegalArgumentException with the offset on bad input. */
  static Object parse(String text) {
    Parser p = new Parser(text);
    p.skipSpace();
    Object v = p.value();
    p.skipSpace();
    if (p.pos != text.length()) throw p.error("trailing characters");
    return v;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    Object value() {
      if (pos >= s.length()) throw error("unexpected end");
      char c = s.charAt(pos);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          return number();
      }
    }

    private Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      pos++;
      skipSpace();
      if (peek() == '}') {
        pos++;
        return m;
      }
      while (true) {
        skipSpace();
        if (peek() != '"') throw error("expected a key");
        String k = string();
        skipSpace();
        expect(':');
        skipSpace();
        m.put(k, value());
        skipSpace();
        char c = next();
        if (c == '}') return m;
        if (c != ',') throw error("expected , or }");
      }
    }

    private List<Object> array() {
      List<Object> l = new ArrayList<>();
      pos++;
      skipSpace();
      if (peek() == ']') {
        pos++;
        return l;
      }
      while (true) {
        skipSpace();
        l.add(value());
        skipSpace();
        char c = next();
        if (c == ']') return l;
        if (c != ',') throw error("expected , or ]");
      }
    }

    private String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') return sb.toString();
        if (c == '\\') {
          char e = next();
          switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'u' -> {
              if (pos + 4 > s.length()) throw error("bad \\u escape");
              sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
              pos += 4;
            }
            default -> sb.append(e);
          }
        } else {
          sb.append(c);
        }
      }
    }

    private Double number() {
      int start = pos;
      while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) pos++;
      if (start == pos) throw error("unexpected character");
      try {
        return Double.valueOf(s.substring(start, pos));
      } catch (NumberFormatException e) {
        throw error("bad number");
      }
    }

    private Object literal(String word, Object v) {
      if (!s.startsWith(word, pos)) throw error("bad literal");
      pos += word.length();
      return v;
    }

    void skipSpace() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
    }

    private char peek() {
      if (pos >= s.length()) throw error("unexpected end");
      return s.charAt(pos);
    }

    private char next() {
      char c = peek();
      pos++;
      return c;
    }

    private void expect(char c) {
      if (next() != c) throw error("expected " + c);
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("JSON: " + what + " at offset " + pos);
    }
  }
}
