package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Randomized scripts through the real processes ({@link RandomScripts}), with a history checker
 * on ./master's output: read your writes and monotonic reads for every get (ERR_DEP is always
 * allowed), identical stores within every connected group after each stabilize, and at the end,
 * with every server back and every link restored, exactly the last acknowledged write of every
 * key everywhere. A few seeds run in the normal suite; {@code -Drandom.seeds=N -Drandom.first=S}
 * runs more (long mode). A failure names its seed; the script is printed with it.
 */
class RandomScriptsIT {

  @TestFactory
  Stream<DynamicTest> randomScripts() {
    long first = Long.getLong("random.first", 1);
    long count = Long.getLong("random.seeds", 3);
    return LongStream.range(first, first + count).mapToObj(seed ->
        DynamicTest.dynamicTest("seed " + seed, () -> {
          RandomScripts gen = new RandomScripts(seed, 4, 3, 120);
          MasterRun run = MasterRun.run(gen.script.getBytes(StandardCharsets.ISO_8859_1));
          List<String> problems = check(gen, run);
          assertThat(problems).as("seed %d: replay with -Dit.test=RandomScriptsIT -Drandom.first=%d"
              + " -Drandom.seeds=1\n--- script\n%s\n%s", seed, seed, gen.script, run).isEmpty();
          if (seed == first) checkerBites(gen, run);
        }));
  }

  /** The checker must catch a lost write and a stale read planted in a run that passed. */
  private static void checkerBites(RandomScripts gen, MasterRun run) {
    List<String> out = new ArrayList<>(run.stdoutLines());
    List<String> dropped = new ArrayList<>(out);
    for (int i = dropped.size() - 1; i >= 0; i--) {
      if (!dropped.get(i).startsWith(RandomScripts.MARK)) {
        dropped.remove(i); // the last key of the last final store
        break;
      }
    }
    assertThat(check(gen, run.withStdout(dropped))).as("a lost write is caught").isNotEmpty();
    // An older write of a key in a final store: an acknowledged write lost to a stale replica.
    for (int i = out.size() - 1; i >= 0; i--) { // from the end: a line of a final store
      String line = out.get(i);
      int n = line.lastIndexOf('n');
      if (!line.startsWith("c") || n < 0 || !line.substring(n + 1).matches("[2-9]")) continue;
      List<String> stale = new ArrayList<>(out);
      stale.set(i, line.substring(0, n + 1) + "1");
      assertThat(check(gen, run.withStdout(stale))).as("a stale store is caught").isNotEmpty();
      return;
    }
    throw new AssertionError("no key with two writes in the final store to plant a stale value");
  }

  static List<String> check(RandomScripts gen, MasterRun run) {
    List<String> problems = new ArrayList<>();
    if (run.exitCode != 0) problems.add("exit status " + run.exitCode + " (every line is valid)");
    if (run.stderr.contains("line ")) problems.add("a line failed: " + run.stderr);
    List<String> out = run.stdoutLines();
    int o = 0;
    Map<String, Integer> seen = new HashMap<>(); // client + " " + key -> index seen or written
    Map<String, Integer> acknowledged = new HashMap<>(); // key -> writes so far
    Map<Integer, List<String>> groupStores = new HashMap<>();
    for (RandomScripts.Event ev : gen.timeline) {
      if (ev instanceof RandomScripts.Write w) {
        acknowledged.put(w.key(), w.index());
        seen.put(w.client() + " " + w.key(), w.index());
      } else if (ev instanceof RandomScripts.Get g) {
        if (o >= out.size()) {
          problems.add("line " + g.line() + ": output ended early");
          return problems;
        }
        String answer = out.get(o++);
        String prefix = g.key() + ":";
        if (!answer.startsWith(prefix)) {
          problems.add("line " + g.line() + ": expected an answer for " + g.key() + ", got " + answer);
          return problems;
        }
        if (g.client() < 0) continue; // a mark
        String v = answer.substring(prefix.length());
        String sk = g.client() + " " + g.key();
        int before = seen.getOrDefault(sk, 0);
        List<String> history = gen.writes.getOrDefault(g.key(), List.of());
        int count = acknowledged.getOrDefault(g.key(), 0);
        if (v.equals("ERR_DEP")) continue;
        if (v.equals("ERR_KEY")) {
          boolean deleteAtOrAfter = false;
          for (int i = Math.max(before, 1); i <= count; i++) deleteAtOrAfter |= history.get(i - 1) == null;
          if (before > 0 && !deleteAtOrAfter) {
            problems.add("line " + g.line() + ": client " + g.client() + " read " + g.key()
                + " as absent after seeing write " + before + " (" + history.get(before - 1) + ")");
          }
          continue;
        }
        int index = history.indexOf(v) + 1;
        if (index == 0 || index > count) {
          problems.add("line " + g.line() + ": " + g.key() + " = " + v + " was never written (yet)");
        } else if (index < before) {
          problems.add("line " + g.line() + ": client " + g.client() + " read write " + index
              + " of " + g.key() + " after seeing write " + before + " (session guarantee)");
        } else {
          seen.put(sk, index);
        }
      } else if (ev instanceof RandomScripts.Print p) {
        List<String> store = new ArrayList<>();
        while (o < out.size() && !out.get(o).startsWith(RandomScripts.MARK + ":")) store.add(out.get(o++));
        List<String> first = groupStores.putIfAbsent(p.group(), store);
        if (first != null && !first.equals(store)) {
          problems.add("line " + p.line() + ": server " + p.server() + " differs from its group after"
              + " stabilize: " + store + " vs " + first);
        }
        if (p.finalPrint()) {
          List<String> expected = new ArrayList<>();
          new TreeMap<>(gen.finalValues).forEach((k, v) -> {
            if (v != null) expected.add(k + ":" + v);
          });
          if (!store.equals(expected)) {
            problems.add("line " + p.line() + ": final store of server " + p.server() + " is "
                + store + ", expected the last acknowledged writes " + expected);
          }
        }
      }
    }
    if (o != out.size()) problems.add("unexpected extra output: " + out.subList(o, out.size()));
    return problems;
  }
}
