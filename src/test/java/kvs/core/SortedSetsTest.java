package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * The score rule of docs/design.md ("Data types: sorted sets"), one named case each, on two
 * replicas that write apart and then exchange everything.
 */
class SortedSetsTest {
  static final byte[] KEY = b("z");
  final Node a = new Node(1);
  final Node c = new Node(2);
  long wall = 10_000;

  void zadd(Node n, String m, double score) {
    n.replica.zadd(new SessionToken(), KEY, List.of(new Replica.ZUpdate(b(m), score, null)),
        wall += 10);
  }

  void zincrby(Node n, String m, long by) {
    n.replica.zadd(new SessionToken(), KEY,
        List.of(new Replica.ZUpdate(b(m), null, BigDecimal.valueOf(by))), wall += 10);
  }

  void zrem(Node n, String m) {
    n.replica.zrem(new SessionToken(), KEY, List.of(b(m)), wall += 10);
  }

  void del(Node n) {
    Replica.Deletion d = n.replica.deletion(KEY);
    n.replica.write(new SessionToken(), List.of(KEY),
        java.util.Collections.singletonList(d.value()), new byte[] {d.kind()}, null, wall += 10);
  }

  void exchange() {
    ReplicaHarness.exchangeUntilQuiet(List.of(a.replica, c.replica));
  }

  Double score(Node n, String m) {
    return n.replica.zscore(new SessionToken(), KEY, b(m));
  }

  void bothRead(String m, Double want) {
    assertThat(score(a, m)).isEqualTo(want);
    assertThat(score(c, m)).isEqualTo(want);
  }

  @Test
  void concurrentIncrementsBothCount() {
    zadd(a, "m", 10);
    exchange();
    zincrby(a, "m", 5);
    zincrby(c, "m", 7);
    exchange();
    bothRead("m", 22.0);
  }

  @Test
  void aZaddCancelsTheIncrementsItSawAndKeepsConcurrentOnes() {
    zadd(a, "m", 10);
    zincrby(a, "m", 5);
    exchange();
    zadd(c, "m", 100); // saw the +5: it is cancelled
    zincrby(a, "m", 1); // concurrent with the ZADD: it counts
    exchange();
    bothRead("m", 101.0);
  }

  @Test
  void theLaterOfTwoConcurrentZaddsWins() {
    zadd(a, "m", 1);
    wall += 1_000;
    zadd(c, "m", 2);
    exchange();
    bothRead("m", 2.0);
  }

  @Test
  void anAddWinsOverAConcurrentRemoveAndARemoveCancelsWhatItSaw() {
    zadd(a, "m", 10);
    zincrby(a, "m", 5);
    exchange();
    zrem(c, "m"); // saw the add and the +5
    zincrby(a, "m", 1); // not seen by the ZREM: the member stays
    exchange();
    // the assignment a carried (10) and the +1 the ZREM had not seen; the +5 it saw stays
    // cancelled
    bothRead("m", 11.0);
    zrem(a, "m");
    exchange();
    bothRead("m", null);
    zincrby(c, "m", 3); // a new life from 0: the increments the removes saw stay cancelled
    exchange();
    bothRead("m", 3.0);
  }

  @Test
  void aDelHidesWhatItSawAndAConcurrentAddKeepsItsOwnIncrements() {
    zadd(a, "m", 10);
    zadd(a, "n", 1);
    exchange();
    zincrby(c, "m", 4);
    exchange();
    bothRead("m", 14.0);
    del(a);
    zincrby(c, "m", 1); // concurrent with the DEL: m survives (add wins) ...
    exchange();
    // ... with the assignment c carried (10) and c's increments since, the +4 the DEL had seen
    // included (the known limit: a head hides registers by dot and records no totals)
    bothRead("m", 15.0);
    bothRead("n", null);
  }
}
