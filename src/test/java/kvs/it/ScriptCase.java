package kvs.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A master script with its expected answers written inline as comments, so the script runs
 * unchanged through {@code ./master} and keeps its line numbers (the idea of etcd-io/raft's
 * testdata files):
 *
 * <pre>
 *   get 6 k1
 *   #> k1:v1 | k1:ERR_DEP        one output line; any of the alternatives
 *   #> k2:v2 | (nothing)         a line that may also be absent (replication not yet done)
 *   printStore 0
 *   #> k1:v1                     one line each, in order
 *   #> k2:v2
 *   killServer 9
 *   #! not running               this line must fail with a message containing the text
 *   #exit 1                      expected exit status (default 0)
 * </pre>
 *
 * Every command without {@code #!} must succeed (no {@code line N:} message on stderr), and the
 * whole standard output must be exactly the expected lines.
 */
final class ScriptCase {
  record Step(int lineNumber, String command, List<List<String>> outputs, List<String> errors) {}

  /** One expected output line: its alternatives, and whether it may be missing. */
  private record Expected(Step step, List<String> alternatives, boolean optional) {}

  static final String NOTHING = "(nothing)";

  final String name;
  final byte[] script;
  final List<Step> steps = new ArrayList<>();
  int exitCode;

  private static final Pattern LINE_ERROR = Pattern.compile("line (\\d+):");

  ScriptCase(String name, byte[] script) {
    this.name = name;
    this.script = script;
    String[] lines = new String(script, StandardCharsets.ISO_8859_1).split("\n", -1);
    Step current = null;
    for (int i = 0; i < lines.length; i++) {
      String t = lines[i].strip();
      if (t.startsWith("#>")) {
        requireStep(current, i);
        List<String> alternatives = new ArrayList<>();
        for (String a : t.substring(2).strip().split(" \\| ")) alternatives.add(a.strip());
        current.outputs.add(alternatives);
      } else if (t.startsWith("#!")) {
        requireStep(current, i);
        current.errors.add(t.substring(2).strip());
      } else if (t.startsWith("#exit")) {
        exitCode = Integer.parseInt(t.substring(5).strip());
      } else if (!t.isEmpty() && !t.startsWith("#")) {
        current = new Step(i + 1, t, new ArrayList<>(), new ArrayList<>());
        steps.add(current);
      }
    }
  }

  /** Matches expected lines against output with backtracking over optional lines. */
  private static boolean matches(List<Expected> exp, int e, List<String> out, int o, int[] furthest) {
    if (e > furthest[0] || (e == furthest[0] && o > furthest[1])) {
      furthest[0] = e;
      furthest[1] = o;
    }
    if (e == exp.size()) return o == out.size();
    Expected x = exp.get(e);
    if (o < out.size() && x.alternatives.contains(out.get(o)) && matches(exp, e + 1, out, o + 1, furthest)) {
      return true;
    }
    return x.optional && matches(exp, e + 1, out, o, furthest);
  }

  private void requireStep(Step s, int i) {
    if (s == null) throw new IllegalArgumentException(name + ":" + (i + 1) + ": expectation before any command");
  }

  /** Checks a run against the expectations; returns the problems found, empty when it passed. */
  List<String> check(MasterRun run) {
    List<String> problems = new ArrayList<>();
    List<String> out = run.stdoutLines();
    List<Expected> expected = new ArrayList<>();
    for (Step s : steps) {
      for (List<String> alternatives : s.outputs) {
        List<String> lines = new ArrayList<>(alternatives);
        boolean optional = lines.remove(NOTHING);
        expected.add(new Expected(s, lines, optional));
      }
    }
    int[] furthest = {0, 0};
    if (!matches(expected, 0, out, 0, furthest)) {
      int e = furthest[0];
      int o = furthest[1];
      if (e < expected.size()) {
        Expected x = expected.get(e);
        problems.add("line " + x.step.lineNumber + " `" + x.step.command + "`: expected "
            + x.alternatives + (x.optional ? " or nothing" : "") + " but got "
            + (o < out.size() ? "`" + out.get(o) + "`" : "the end of standard output"));
      } else {
        problems.add("unexpected extra output: " + out.subList(o, out.size()));
      }
    }
    List<Integer> failedLines = new ArrayList<>();
    Matcher m = LINE_ERROR.matcher(run.stderr);
    while (m.find()) failedLines.add(Integer.parseInt(m.group(1)));
    for (Step s : steps) {
      boolean failed = failedLines.contains(s.lineNumber);
      if (s.errors.isEmpty() && failed) {
        problems.add("line " + s.lineNumber + " `" + s.command + "` failed unexpectedly");
      }
      if (!s.errors.isEmpty()) {
        if (!failed) problems.add("line " + s.lineNumber + " `" + s.command + "` should have failed");
        for (String e : s.errors) {
          if (!run.stderr.contains(e)) {
            problems.add("line " + s.lineNumber + ": stderr lacks `" + e + "`");
          }
        }
      }
    }
    if (run.exitCode != exitCode) problems.add("exit status " + run.exitCode + ", expected " + exitCode);
    return problems;
  }
}
