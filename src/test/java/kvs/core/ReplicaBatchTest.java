package kvs.core;

import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * Atomic batches (MULTI/EXEC, and commands that write several keys): staged in one change,
 * committed once with consecutive marked dots, and never shown in part by replication.
 */
class ReplicaBatchTest {
  private static final long T = 1_700_000_000_000L;

  private static List<Entry> write(Replica r, SessionToken session, String key, String value) {
    return r.write(session, List.of(b(key)), Collections.singletonList(value == null ? null
        : b(value)), T);
  }

  @Test
  void aBatchCommitsOnceWithConsecutiveMarkedDotsAndARewriteTakesANewDot() {
    Node a = new Node(1);
    SessionToken session = new SessionToken();
    a.replica.beginBatch();
    write(a.replica, session, "x", "1");
    write(a.replica, session, "y", "2");
    write(a.replica, session, "x", "3");
    assertThat(a.store.get(b("x"))).as("nothing is stored before the commit").isNull();
    List<Entry> batch = a.replica.commitBatch();

    assertThat(batch).extracting(Entry::seq).containsExactly(1L, 2L, 3L);
    assertThat(batch).extracting(e -> s(e.value())).containsExactly("1", "2", "3");
    assertThat(batch).extracting(Entry::batchPreceding).containsExactly(0, 1, 2);
    assertThat(batch).extracting(Entry::batchFollowing).containsExactly(2, 1, 0);
    assertThat(a.store.get(b("x"))).as("the rewrite, under its own dot").isEqualTo(batch.get(2));
    assertThat(a.store.get(b("y"))).isEqualTo(batch.get(1));
    assertThat(a.replica.vv().get(a.origin())).isEqualTo(3);
    assertThat(session.deps().get(a.origin())).as("the session observes the batch").isEqualTo(3);
  }

  /**
   * A head written inside a batch (a DEL of a hash) hides the elements its writer held by dot:
   * the element written again after it must not keep the dot the head saw, or the transaction
   * {@code HSET h f v; DEL h; HSET h f v} would leave the hash empty.
   */
  @Test
  void aKeyRewrittenInABatchAfterAHeadIsNotHiddenByIt() {
    Node a = new Node(1);
    SessionToken session = new SessionToken();
    a.replica.beginBatch();
    Entry first = write(a.replica, session, "f", "v").get(0);
    write(a.replica, session, "head", "saw f");
    Entry again = write(a.replica, session, "f", "v").get(0);
    a.replica.commitBatch();
    assertThat(again.seq()).isGreaterThan(first.seq());
    assertThat(a.replica.peek(b("f")).seq()).isEqualTo(again.seq());
  }

  @Test
  void aWriteOfOneKeyIsNotABatchAndAWriteOfSeveralIs() {
    Node a = new Node(1);
    SessionToken session = new SessionToken();
    Entry alone = write(a.replica, session, "k", "v").get(0);
    assertThat(alone.inBatch()).isFalse();
    List<Entry> mset = a.replica.write(session, List.of(b("p"), b("q"), b("p")),
        List.of(b("1"), b("2"), b("3")), T);
    assertThat(mset).hasSize(3);
    assertThat(mset).allMatch(Entry::inBatch);
    assertThat(mset.get(0).batchFirst()).isEqualTo(2);
    assertThat(mset.get(0).batchEnd()).isEqualTo(4);
    assertThat(s(a.replica.peek(b("p")).value())).isEqualTo("3");
  }

  @Test
  void readsInsideABatchSeeItsWritesAndAnAbandonedBatchLeavesNoTrace() {
    Node a = new Node(1);
    SessionToken session = new SessionToken();
    write(a.replica, session, "kept", "old");
    VersionVector vv = a.replica.vv();
    long digest = a.replica.digest();
    VersionVector deps = session.deps().copy();

    a.replica.beginBatch();
    write(a.replica, session, "kept", "new");
    write(a.replica, session, "fresh", "v");
    Replica.ReadResult r = a.replica.read(session, b("kept"));
    assertThat(r.status()).isEqualTo(ReadStatus.FOUND);
    assertThat(s(r.entry().value())).isEqualTo("new");
    List<String> keys = new ArrayList<>();
    a.replica.forEachLive(e -> keys.add(s(e.key())));
    assertThat(keys).containsExactly("fresh", "kept");
    assertThatThrownBy(() -> a.replica.openDelta(new VersionVector()))
        .isInstanceOf(IllegalStateException.class);
    a.replica.abandonBatch();

    assertThat(a.replica.vv()).isEqualTo(vv);
    assertThat(a.replica.digest()).isEqualTo(digest);
    assertThat(session.deps()).isEqualTo(deps);
    assertThat(s(a.replica.read(session, b("kept")).entry().value())).isEqualTo("old");
    assertThat(a.replica.peek(b("fresh"))).isNull();
    assertThat(write(a.replica, session, "next", "v").get(0).seq())
        .as("the abandoned batch's dots are free again").isEqualTo(2);
  }

  @Test
  void iterationsMergeTheBatchsWritesInKeyOrder() {
    Node a = new Node(1);
    SessionToken session = new SessionToken();
    a.replica.write(session, List.of(b("a"), b("c"), b("e")), List.of(b("1"), b("2"), b("3")), T);
    a.replica.beginBatch();
    write(a.replica, session, "b", "new");
    write(a.replica, session, "c", null);
    write(a.replica, session, "f", "last");
    List<String> all = new ArrayList<>();
    a.replica.forEachFrom(null, e -> all.add(s(e.key()) + (e.isTombstone() ? "-" : "")));
    assertThat(all).containsExactly("a", "b", "c-", "e", "f");
    List<String> fromC = new ArrayList<>();
    a.replica.forEachFrom(b("c"), e -> fromC.add(s(e.key())) && fromC.size() < 2);
    assertThat(fromC).containsExactly("c", "e");
    a.replica.abandonBatch();
  }

  /**
   * Chunks of one entry's size: each chunk that holds a write of a batch holds the batch's
   * other writes, or what has since superseded them, also when the superseding write came from
   * a relay that never saw the superseded one (it learnt the batch's keys from displaced marks).
   */
  @Test
  void deltasNeverShowPartOfABatchEvenWhenItsWritesWereSupersededAndRelayed() {
    Node origin = new Node(1);
    Node relay = new Node(2);
    SessionToken session = new SessionToken();
    origin.replica.write(session, List.of(b("x"), b("y"), b("z")),
        List.of(b("x1"), b("y1"), b("z1")), T);
    write(origin.replica, session, "x", "x2"); // supersedes the batch's x
    ReplicaHarness.sync(origin.replica, relay.replica, 1);
    // The relay now holds x2 and the batch's y and z; it never held x1.
    assertThat(s(relay.replica.peek(b("x")).value())).isEqualTo("x2");

    for (Replica sender : List.of(origin.replica, relay.replica)) {
      Node receiver = new Node(3);
      for (DeltaChunk chunk : drain(sender, new VersionVector(), 1)) {
        receiver.replica.applyDelta(DeltaChunk.decode(chunk.encode()));
        Entry y = receiver.replica.peek(b("y"));
        Entry z = receiver.replica.peek(b("z"));
        Entry x = receiver.replica.peek(b("x"));
        if (y != null || z != null) {
          assertThat(y).as("y with z").isNotNull();
          assertThat(z).as("z with y").isNotNull();
          assertThat(x).as("x, superseded, with y and z").isNotNull();
          assertThat(s(x.value())).isEqualTo("x2");
        }
      }
      assertThat(receiver.replica.vv()).isEqualTo(sender.vv());
      assertThat(receiver.replica.digest()).isEqualTo(sender.digest());
    }
  }

  @Test
  void aPushSplitByItsSizeKeepsEachBatchInOnePiece() {
    List<Entry> entries = new ArrayList<>();
    long seq = 1;
    for (int batch = 0; batch < 20; batch++) {
      int size = 1 + batch % 4;
      for (int i = 0; i < size; i++, seq++) {
        Entry e = Entry.write(b("k" + seq), new byte[50], seq, 7, seq);
        entries.add(size == 1 ? e : e.inBatch(i, size - 1 - i));
      }
    }
    List<DeltaChunk> pieces = DeltaChunk.push(entries).split(1);
    List<Entry> joined = new ArrayList<>();
    for (DeltaChunk p : pieces) {
      List<Entry> in = p.entries();
      assertThat(in.get(0).batchPreceding()).as("a piece starts a batch").isZero();
      assertThat(in.get(in.size() - 1).batchFollowing()).as("a piece ends a batch").isZero();
      joined.addAll(in);
    }
    assertThat(pieces).hasSize(20);
    assertThat(joined).isEqualTo(entries);
  }

  @Test
  void aReceiverPassesOnOnlyWholeBatches() {
    Node origin = new Node(1);
    Node receiver = new Node(2);
    SessionToken session = new SessionToken();
    List<Entry> batch = origin.replica.write(session, List.of(b("x"), b("y")),
        List.of(b("1"), b("2")), T);
    List<Entry> covered = new ArrayList<>();
    receiver.replica.applyDelta(DeltaChunk.push(batch.subList(0, 1)), covered);
    assertThat(covered).as("half a batch is not passed on").isEmpty();
    covered.clear();
    receiver.replica.applyDelta(DeltaChunk.push(batch), covered);
    assertThat(covered).as("the rest arrived: the batch is passed on whole, or not")
        .isEmpty();
    Node other = new Node(3);
    other.replica.applyDelta(DeltaChunk.push(batch), covered);
    assertThat(covered).containsExactlyElementsOf(batch);
  }

  @Test
  void batchMarksSurviveTheCodecAndBadMarksAreRefused() {
    Entry e = Entry.write(b("k"), b("v"), 5, 9, 10, 0).inBatch(2, 3);
    byte[] wire = new DeltaChunk(List.of(e), null).encode();
    assertThat(DeltaChunk.decode(wire).entries()).containsExactly(e);
    byte[] stored = EntryCodec.encodeStored(e);
    assertThat(EntryCodec.decodeStored(b("k"), stored)).isEqualTo(e);
    byte[] bad = Arrays.copyOf(stored, stored.length);
    bad[8 + 8 + 8 + 1 + 3] = 10; // batchPreceding 10 with seq 10: the batch would start at 0
    assertThatThrownBy(() -> EntryCodec.decodeStored(b("k"), bad))
        .isInstanceOf(CorruptDataException.class).hasMessageContaining("bad batch");
  }
}
