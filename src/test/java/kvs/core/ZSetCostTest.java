package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * The work sorted-set writes do, counted (not timed): a ZADD of N members is O(N), not
 * O(N^2) (it used to write once per member inside a batch, every read of the batch going
 * through all the writes staged so far, and the commit observing every write once per write).
 */
class ZSetCostTest {
  static final byte[] KEY = b("z");

  @Test
  void zaddOfManyMembersDoesLinearWork() {
    Node n = new Node(1);
    int members = 3_000;
    List<Replica.ZUpdate> updates = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      updates.add(new Replica.ZUpdate(b(String.format("m%05d", i)), (double) i, null));
    }
    long before = n.replica.batchWork;
    Replica.ZChange done = n.replica.zadd(new SessionToken(), KEY, updates, 10_000);
    assertThat(n.replica.batchWork - before).isLessThanOrEqualTo(2L * members);
    assertThat(done.written()).hasSize(members + 1); // the head and one register each
    assertThat(done.wasPresent()).hasSize(members).containsOnly(false);
    assertThat(n.replica.zsetMembers(new SessionToken(), KEY)).hasSize(members);
    assertThat(n.replica.zscore(new SessionToken(), KEY, b("m02999"))).isEqualTo(2999.0);
  }

  @Test
  void aMemberNamedTwiceIsUpdatedTwiceInOrder() {
    Node n = new Node(1);
    Replica.ZChange done = n.replica.zadd(new SessionToken(), KEY, List.of(
        new Replica.ZUpdate(b("a"), 1.0, null), new Replica.ZUpdate(b("b"), 5.0, null),
        new Replica.ZUpdate(b("a"), 2.0, null)), 10_000);
    assertThat(done.wasPresent()).containsExactly(false, false, true);
    assertThat(done.scores()).containsExactly(1.0, 5.0, 2.0);
    assertThat(n.replica.zscore(new SessionToken(), KEY, b("a"))).isEqualTo(2.0);
    done = n.replica.zadd(new SessionToken(), KEY, List.of(
        new Replica.ZUpdate(b("a"), null, java.math.BigDecimal.valueOf(3))), 10_010);
    assertThat(done.wasPresent()).containsExactly(true);
    assertThat(done.scores()).containsExactly(5.0);
    assertThat(n.replica.zscore(new SessionToken(), KEY, b("a"))).isEqualTo(5.0);
  }

  @Test
  void aSessionWritingManyTimesInABatchObservesEachWriteOnce() {
    Node n = new Node(1);
    SessionToken session = new SessionToken();
    int writes = 1_000;
    long before = n.replica.batchWork;
    n.replica.beginBatch();
    for (int i = 0; i < writes; i++) {
      n.replica.write(session, List.of(b("k" + i)), List.of(b("v")), 10_000);
    }
    assertThat(n.replica.commitBatch()).hasSize(writes);
    assertThat(n.replica.batchWork - before).isEqualTo(writes);
  }

  /** A read inside a batch walks the staged writes from where it starts, not all of them. */
  @Test
  void readsInsideABatchDoNotCopyEveryStagedWrite() {
    Node n = new Node(1);
    SessionToken session = new SessionToken();
    int writes = 2_000;
    n.replica.beginBatch();
    long before = n.replica.batchWork;
    for (int i = 0; i < writes; i++) {
      byte[] k = b(String.format("k%05d", writes - i)); // each before every earlier one
      n.replica.write(session, List.of(k), List.of(b("v")), 10_000);
      List<Entry> seen = new ArrayList<>();
      n.replica.forEachFrom(k, e -> {
        seen.add(e);
        return false;
      });
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).key()).isEqualTo(k);
    }
    long reads = n.replica.batchWork - before;
    n.replica.commitBatch();
    assertThat(reads).isLessThanOrEqualTo(2L * writes);
  }
}
