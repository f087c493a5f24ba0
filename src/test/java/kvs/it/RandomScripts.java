package kvs.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Generates valid master scripts from a seed: puts, gets and deletes, clients moving between
 * servers, server links cut and restored, servers killed and rejoined, and stabilize with
 * printStore; then heals everything and prints every store. Every line is valid for the state the
 * generator tracks, so every line must succeed.
 *
 * <p>Each key has one writer (the client named in it), so its writes have a total order, and
 * each value names its position in that order ({@code c<client>k<key>n<index>}); a delete is a
 * position too. After each printStore the script reads a key nobody writes ({@link #MARK}), so
 * the checker can tell where one store's lines end.
 */
final class RandomScripts {
  static final String MARK = "~mark~";

  final String script;
  /** Writes and probes (lines that print), in script order. */
  final List<Event> timeline = new ArrayList<>();
  /** Final expected value of every key written (null when its last write deleted it). */
  final Map<String, String> finalValues = new HashMap<>();
  /** The writes of each key in order (index 1 first); a null value is a delete. */
  final Map<String, List<String>> writes = new HashMap<>();

  sealed interface Event permits Write, Get, Print {}

  /** Client {@code client} wrote the {@code index}-th write of {@code key} (acknowledged). */
  record Write(int client, String key, int index) implements Event {}

  /** A get by {@code client} (-1 for a mark) of {@code key}: one output line. */
  record Get(int line, int client, String key) implements Event {}

  /**
   * printStore of {@code server} (its lines, then a mark line); every print of the same
   * {@code group} number must be identical; the final group must hold exactly finalValues.
   */
  record Print(int line, int server, int group, boolean finalPrint) implements Event {}

  RandomScripts(long seed, int servers, int clients, int steps) {
    SplittableRandom rnd = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder("# random script, seed " + seed + "\n");
    int[] line = {1};
    java.util.function.Consumer<String> emit = s -> {
      sb.append(s).append('\n');
      line[0]++;
    };
    Set<Integer> up = new TreeSet<>();
    Set<Long> cut = new HashSet<>();
    int[] clientServer = new int[clients];
    int clientBase = 100;
    for (int s = 0; s < servers; s++) {
      emit.accept("joinServer " + s);
      up.add(s);
    }
    for (int c = 0; c < clients; c++) {
      clientServer[c] = c % servers;
      emit.accept("joinClient " + (clientBase + c) + " " + clientServer[c]);
    }
    for (int step = 0; step < steps; step++) {
      int roll = rnd.nextInt(100);
      int c = rnd.nextInt(clients);
      if (!up.contains(clientServer[c])) {
        clientServer[c] = pick(rnd, up);
        emit.accept("joinClient " + (clientBase + c) + " " + clientServer[c]);
        continue;
      }
      if (roll < 40) {
        String key = "c" + c + "k" + rnd.nextInt(4);
        List<String> h = writes.computeIfAbsent(key, k -> new ArrayList<>());
        boolean delete = rnd.nextInt(8) == 0;
        String value = delete ? null : key + "n" + (h.size() + 1);
        h.add(value);
        finalValues.put(key, value);
        timeline.add(new Write(c, key, h.size()));
        emit.accept(delete ? "delete " + (clientBase + c) + " " + key
            : "put " + (clientBase + c) + " " + key + " " + value);
      } else if (roll < 70) {
        String key = "c" + rnd.nextInt(clients) + "k" + rnd.nextInt(4);
        timeline.add(new Get(line[0], c, key));
        emit.accept("get " + (clientBase + c) + " " + key);
      } else if (roll < 78) {
        clientServer[c] = pick(rnd, up);
        emit.accept("joinClient " + (clientBase + c) + " " + clientServer[c]);
      } else if (roll < 86 && up.size() >= 2) {
        int a = pick(rnd, up);
        int b = pick(rnd, up);
        if (a == b) continue;
        long pair = pair(a, b);
        if (cut.remove(pair)) {
          emit.accept("createConnection " + a + " " + b);
        } else {
          cut.add(pair);
          emit.accept("breakConnection " + a + " " + b);
        }
      } else if (roll < 90 && up.size() >= 2) {
        int s = pick(rnd, up);
        up.remove(s);
        emit.accept("killServer " + s);
      } else if (roll < 94 && up.size() < servers) {
        int s = rnd.nextInt(servers);
        if (up.contains(s)) continue;
        up.add(s);
        cut.removeIf(p -> (int) (p >> 32) == s || (int) (long) p == s); // a rejoin heals its links
        emit.accept("joinServer " + s);
      } else {
        emit.accept("stabilize");
        for (List<Integer> group : groups(up, cut)) {
          int g = groupCount++;
          for (int s : group) {
            timeline.add(new Print(line[0], s, g, false));
            emit.accept("printStore " + s);
            emitMark(emit, line, clientServer, up, clientBase);
          }
        }
      }
    }
    // Heal everything and demand that every acknowledged write is there.
    for (int s = 0; s < servers; s++) {
      if (!up.contains(s)) {
        up.add(s);
        emit.accept("joinServer " + s);
      }
    }

    for (long p : cut) emit.accept("createConnection " + (int) (p >> 32) + " " + (int) (long) p);
    cut.clear();
    emit.accept("stabilize");
    int g = groupCount++;
    for (int s : up) {
      timeline.add(new Print(line[0], s, g, true));
      emit.accept("printStore " + s);
      emitMark(emit, line, clientServer, up, clientBase);
    }
    this.script = sb.toString();
  }

  private int groupCount;

  private void emitMark(java.util.function.Consumer<String> emit, int[] line, int[] clientServer,
      Set<Integer> up, int clientBase) {
    for (int c = 0; c < clientServer.length; c++) {
      if (up.contains(clientServer[c])) {
        timeline.add(new Get(line[0], -1, MARK));
        emit.accept("get " + (clientBase + c) + " " + MARK);
        return;
      }
    }
    throw new IllegalStateException("no client on a live server to mark with");
  }

  private static int pick(SplittableRandom rnd, Set<Integer> from) {
    List<Integer> l = new ArrayList<>(from);
    return l.get(rnd.nextInt(l.size()));
  }

  static long pair(int a, int b) {
    return ((long) Math.min(a, b) << 32) | Math.max(a, b);
  }

  /** Connected groups of live servers over uncut links. */
  static List<List<Integer>> groups(Set<Integer> up, Set<Long> cut) {
    List<List<Integer>> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int start : up) {
      if (!seen.add(start)) continue;
      List<Integer> group = new ArrayList<>();
      java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>(List.of(start));
      while (!todo.isEmpty()) {
        int s = todo.poll();
        group.add(s);
        for (int t : up) {
          if (!seen.contains(t) && !cut.contains(pair(s, t))) {
            seen.add(t);
            todo.add(t);
          }
        }
      }
      out.add(group);
    }
    return out;
  }
}
