package kvs.master;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which server links the script has cut, and from that which live servers can reach each other.
 *
 * <p>Servers start fully connected; {@code breakConnection} cuts a link, {@code createConnection}
 * or a rejoin of either end restores it. Updates travel hop by hop over every uncut link, so the
 * servers that must end up with equal data after {@code stabilize} are the connected components
 * of the graph of live servers and uncut links: a chain 0-1-2 is one group even though 0 and 2 do
 * not talk directly.
 */
final class Topology {
  private final Set<Long> cuts = new HashSet<>();

  void cut(int a, int b) {
    cuts.add(pair(a, b));
  }

  void heal(int a, int b) {
    cuts.remove(pair(a, b));
  }

  /** Restores every link of {@code server}: what a rejoin does. */
  void healAll(int server) {
    cuts.removeIf(p -> (int) (p >>> 32) == server || (int) (long) p == server);
  }

  boolean isCut(int a, int b) {
    return cuts.contains(pair(a, b));
  }

  /**
   * The groups of {@code live} servers connected through uncut links, directly or through other
   * live servers; each group sorted, groups ordered by their smallest id.
   */
  List<SortedSet<Integer>> groups(Collection<Integer> live) {
    Integer[] ids = new TreeSet<>(live).toArray(new Integer[0]);
    int[] parent = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      parent[i] = i;
    }
    for (int i = 0; i < ids.length; i++) {
      for (int j = i + 1; j < ids.length; j++) {
        if (!isCut(ids[i], ids[j])) {
          parent[find(parent, i)] = find(parent, j);
        }
      }
    }
    Map<Integer, SortedSet<Integer>> byRoot = new TreeMap<>();
    for (int i = 0; i < ids.length; i++) {
      byRoot.computeIfAbsent(find(parent, i), r -> new TreeSet<>()).add(ids[i]);
    }
    List<SortedSet<Integer>> groups = new ArrayList<>(byRoot.values());
    groups.sort((x, y) -> Integer.compare(x.first(), y.first()));
    return groups;
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  private static long pair(int a, int b) {
    int lo = Math.min(a, b);
    int hi = Math.max(a, b);
    return ((long) lo << 32) | (hi & 0xFFFFFFFFL);
  }
}
