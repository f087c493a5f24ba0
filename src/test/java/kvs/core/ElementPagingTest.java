package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * The pages HSCAN and SSCAN read (Replica.hashFields and setMembers with a budget): taken one
 * after another they list every element once, in order, and each examines a bounded number of
 * entries, however large the hash or set, fields with increments from several origins and
 * deleted fields included.
 */
class ElementPagingTest {
  static final byte[] KEY = b("h");
  static final int ORIGINS = 3;

  /** Three replicas' writes, exchanged into the first. */
  private static Replica hashOfThreeOrigins() {
    List<Node> nodes = List.of(new Node(1), new Node(2), new Node(3));
    Replica r = nodes.get(0).replica;
    long wall = 1_000;
    for (int batch = 0; batch < 4; batch++) {
      List<byte[]> fields = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        fields.add(b(String.format("f%05d", batch * 500 + i)));
        values.add(b("v"));
      }
      r.hset(new SessionToken(), KEY, fields, values, wall++);
    }
    List<byte[]> gone = new ArrayList<>();
    for (int i = 0; i < 2000; i += 3) gone.add(b(String.format("f%05d", i)));
    r.hdel(new SessionToken(), KEY, gone, wall++);
    for (Node n : nodes) {
      ReplicaHarness.sync(r, n.replica);
      for (int i = 0; i < 2000; i += 5) { // fields with increments from every origin
        n.replica.hincrement(new SessionToken(), KEY, b(String.format("f%05d", i)),
            java.math.BigDecimal.ONE, wall++);
      }
      for (int i = 0; i < 200; i++) { // and fields with nothing but increments
        n.replica.hincrement(new SessionToken(), KEY, b(String.format("g%05d", i)),
            java.math.BigDecimal.ONE, wall++);
      }
    }
    for (Node n : nodes) ReplicaHarness.sync(n.replica, r);
    return r;
  }

  @Test
  void hashPagesListEveryFieldOnceAndEachExaminesABoundedNumberOfEntries() {
    Replica r = hashOfThreeOrigins();
    List<String> all = new ArrayList<>();
    for (Replica.HashField f : r.hashFields(new SessionToken(), KEY)) {
      all.add(s(f.name()) + "=" + s(f.value()));
    }
    // deleted fields with increments made after the HDEL show them; a text base stays as it is
    assertThat(all).hasSize(2000 - 667 + 134 + 200);
    assertThat(all).contains("f00000=3", "f00005=v", "f00001=v", "g00199=3");
    for (int budget : new int[] {1, 10, 97}) {
      List<String> paged = new ArrayList<>();
      byte[] from = null;
      int pages = 0;
      do {
        Replica.HashPage p = r.hashFields(new SessionToken(), KEY, from, budget);
        // registers up to the budget, increments up to the budget plus the rest of one field
        assertThat(p.examined()).isLessThanOrEqualTo(2 * budget + ORIGINS - 1);
        if (from != null && p.next() != null) {
          assertThat(java.util.Arrays.compareUnsigned(p.next(), from)).isPositive();
        }
        for (Replica.HashField f : p.fields()) paged.add(s(f.name()) + "=" + s(f.value()));
        from = p.next();
        pages++;
      } while (from != null);
      assertThat(paged).as("budget %d", budget).isEqualTo(all);
      int entries = 2000 + 400 * ORIGINS + 200 * ORIGINS;
      assertThat(pages).isGreaterThanOrEqualTo(entries / (2 * budget + ORIGINS));
    }
  }

  @Test
  void setPagesListEveryMemberOnceAndEachExaminesABoundedNumberOfRegisters() {
    List<Node> nodes = List.of(new Node(1), new Node(2), new Node(3));
    Replica r = nodes.get(0).replica;
    long wall = 1_000;
    List<byte[]> members = new ArrayList<>();
    for (int i = 0; i < 3000; i++) members.add(b(String.format("m%05d", i)));
    r.sadd(new SessionToken(), KEY, members, wall++);
    for (Node n : nodes.subList(1, 3)) { // some members added by every origin
      ReplicaHarness.sync(r, n.replica);
      n.replica.sadd(new SessionToken(), KEY, members.subList(0, 900), wall++);
      ReplicaHarness.sync(n.replica, r);
    }
    r.srem(new SessionToken(), KEY, members.subList(1000, 1500), wall++);
    List<String> all = new ArrayList<>();
    for (byte[] m : r.setMembers(new SessionToken(), KEY)) all.add(s(m));
    assertThat(all).hasSize(2500);
    for (int budget : new int[] {1, 10, 97}) {
      List<String> paged = new ArrayList<>();
      byte[] from = null;
      do {
        Replica.MemberPage<byte[]> p = r.setMembers(new SessionToken(), KEY, from, budget);
        assertThat(p.examined()).isLessThanOrEqualTo(budget + ORIGINS - 1);
        for (byte[] m : p.members()) paged.add(s(m));
        from = p.next();
      } while (from != null);
      assertThat(paged).as("budget %d", budget).isEqualTo(all);
    }
  }
}
