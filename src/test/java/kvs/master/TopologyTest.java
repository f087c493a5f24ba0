package kvs.master;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TopologyTest {

  private static SortedSet<Integer> set(Integer... ids) {
    return new TreeSet<>(List.of(ids));
  }

  /** Cuts every link between {@code ids} except the ones listed as pairs in {@code keep}. */
  private static Topology onlyLinks(Set<Integer> ids, int[][] keep) {
    Topology t = new Topology();
    for (int a : ids) {
      for (int b : ids) {
        if (a < b) {
          t.cut(a, b);
        }
      }
    }
    for (int[] link : keep) {
      t.heal(link[0], link[1]);
    }
    return t;
  }

  @Test
  void withoutCutsAllServersAreOneGroup() {
    assertThat(new Topology().groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1, 2, 3, 4));
  }

  @Test
  void noServersNoGroups() {
    assertThat(new Topology().groups(set())).isEmpty();
  }

  @Test
  void aSingleServerIsItsOwnGroup() {
    assertThat(new Topology().groups(set(7))).containsExactly(set(7));
  }

  @Test
  void aChainIsOneGroupAcrossSeveralHops() {
    Topology t = onlyLinks(set(0, 1, 2, 3, 4), new int[][] {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
    assertThat(t.groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1, 2, 3, 4));
  }

  @Test
  void aChainInScrambledOrderIsOneGroup() {
    Topology t = onlyLinks(set(0, 1, 2, 3, 4), new int[][] {{4, 0}, {0, 3}, {3, 1}, {1, 2}});
    assertThat(t.groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1, 2, 3, 4));
  }

  @Test
  void cuttingAChainInTheMiddleSplitsIt() {
    Topology t = onlyLinks(set(0, 1, 2, 3, 4), new int[][] {{0, 1}, {1, 2}, {3, 4}});
    assertThat(t.groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1, 2), set(3, 4));
  }

  @Test
  void aTreeIsOneGroupAndLosingItsHubSplitsIt() {
    Set<Integer> all = set(0, 1, 2, 3, 4, 5, 6);
    // 0 is the root; 1 and 2 its children; 3, 4 under 1; 5, 6 under 2.
    Topology t = onlyLinks(all, new int[][] {{0, 1}, {0, 2}, {1, 3}, {1, 4}, {2, 5}, {2, 6}});
    assertThat(t.groups(all)).containsExactly(set(0, 1, 2, 3, 4, 5, 6));
    t.cut(0, 2);
    assertThat(t.groups(all)).containsExactly(set(0, 1, 3, 4), set(2, 5, 6));
  }

  @Test
  void aKilledServerInTheMiddleOfAChainSplitsIt() {
    Topology t = onlyLinks(set(0, 1, 2), new int[][] {{0, 1}, {1, 2}});
    assertThat(t.groups(set(0, 2))).containsExactly(set(0), set(2));
  }

  @Test
  void cutsAreUndirected() {
    Topology t = new Topology();
    t.cut(3, 1);
    assertThat(t.isCut(1, 3)).isTrue();
    assertThat(t.groups(set(1, 3))).containsExactly(set(1), set(3));
    t.heal(1, 3);
    assertThat(t.isCut(3, 1)).isFalse();
    assertThat(t.groups(set(1, 3))).containsExactly(set(1, 3));
  }

  @Test
  void aFullPartitionLeavesSingletons() {
    Topology t = onlyLinks(set(0, 1, 2, 3), new int[][] {});
    assertThat(t.groups(set(0, 1, 2, 3))).containsExactly(set(0), set(1), set(2), set(3));
  }

  @Test
  void twoPartitionsOfTwo() {
    Topology t = new Topology();
    for (int a : new int[] {0, 1}) {
      for (int b : new int[] {2, 3}) {
        t.cut(a, b);
      }
    }
    assertThat(t.groups(set(0, 1, 2, 3))).containsExactly(set(0, 1), set(2, 3));
  }

  @Test
  void theSeedScriptEightCutsLeaveOneGroup() {
    // command8.txt: breakConnection 0 1, 1 2, 2 3, 4 3; the rest stays linked.
    Topology t = new Topology();
    t.cut(0, 1);
    t.cut(1, 2);
    t.cut(2, 3);
    t.cut(4, 3);
    assertThat(t.groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1, 2, 3, 4));
  }

  @Test
  void theSeedScriptFourteenCutsLeaveAChain() {
    // command14.txt: only 0-1, 1-2, 2-3, 3-4 stay.
    Topology t = new Topology();
    int[][] cuts = {{0, 2}, {0, 3}, {0, 4}, {1, 3}, {1, 4}, {2, 4}};
    for (int[] c : cuts) {
      t.cut(c[0], c[1]);
    }
    assertThat(t.groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1, 2, 3, 4));
    t.cut(1, 2);
    assertThat(t.groups(set(0, 1, 2, 3, 4))).containsExactly(set(0, 1), set(2, 3, 4));
  }

  @Test
  void healAllRestoresEveryLinkOfOneServerOnly() {
    Topology t = onlyLinks(set(0, 1, 2, 3), new int[][] {});
    t.healAll(2);
    assertThat(t.isCut(2, 0)).isFalse();
    assertThat(t.isCut(1, 2)).isFalse();
    assertThat(t.isCut(2, 3)).isFalse();
    assertThat(t.isCut(0, 1)).isTrue();
    assertThat(t.isCut(0, 3)).isTrue();
    assertThat(t.isCut(1, 3)).isTrue();
    assertThat(t.groups(set(0, 1, 2, 3))).containsExactly(set(0, 1, 2, 3));
  }

  @Test
  void largeIdsDoNotCollide() {
    Topology t = new Topology();
    t.cut(Integer.MAX_VALUE, 0);
    assertThat(t.isCut(0, Integer.MAX_VALUE)).isTrue();
    assertThat(t.isCut(0, Integer.MAX_VALUE - 1)).isFalse();
    t.healAll(Integer.MAX_VALUE);
    assertThat(t.isCut(0, Integer.MAX_VALUE)).isFalse();
  }
}
