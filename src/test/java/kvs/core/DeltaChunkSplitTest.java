package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link DeltaChunk#split}: how a push of one big write batch goes to a peer. */
class DeltaChunkSplitTest {

  private static List<Entry> entries(int n, int valueBytes) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] key = ("k" + i).getBytes(StandardCharsets.US_ASCII);
      out.add(i % 7 == 3 ? Entry.tombstone(key, 100 + i, 5, i + 1)
          : Entry.write(key, new byte[valueBytes], 100 + i, 5, i + 1));
    }
    return out;
  }

  @Test
  void piecesKeepTheOrderStayWithinTheSizeAndOnlyTheLastCloses() {
    List<Entry> all = entries(1_000, 100);
    VersionVector closing = new VersionVector();
    closing.raise(5, 1_000);
    int max = 4_096;
    List<DeltaChunk> pieces = new DeltaChunk(all, closing).split(max);
    assertThat(pieces).hasSizeGreaterThan(20);
    List<Entry> joined = new ArrayList<>();
    for (int i = 0; i < pieces.size(); i++) {
      DeltaChunk p = pieces.get(i);
      assertThat(p.entries()).isNotEmpty();
      int bytes = p.entries().stream().mapToInt(EntryCodec::wireSize).sum();
      assertThat(bytes).isLessThanOrEqualTo(max);
      assertThat(p.isLast()).isEqualTo(i == pieces.size() - 1);
      joined.addAll(DeltaChunk.decode(p.encode()).entries());
    }
    assertThat(joined).isEqualTo(all);
    assertThat(pieces.get(pieces.size() - 1).completes()).isEqualTo(closing);
  }

  @Test
  void anEntryLargerThanTheSizeTravelsAloneAndAnEmptyChunkStaysOne() {
    List<Entry> big = entries(3, 10_000);
    List<DeltaChunk> pieces = new DeltaChunk(big, null).split(1_000);
    assertThat(pieces).hasSize(3);
    for (DeltaChunk p : pieces) {
      assertThat(p.entries()).hasSize(1);
      assertThat(p.isLast()).isFalse();
    }
    VersionVector closing = new VersionVector();
    closing.raise(5, 3);
    List<DeltaChunk> one = new DeltaChunk(List.of(), closing).split(1_000);
    assertThat(one).hasSize(1);
    assertThat(one.get(0).entries()).isEmpty();
    assertThat(one.get(0).completes()).isEqualTo(closing);
    assertThat(new DeltaChunk(big, null).split(1 << 20)).hasSize(1);
    assertThatThrownBy(() -> new DeltaChunk(big, null).split(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPushSentInPiecesIsAppliedAsTheWholePushWouldBe() {
    ReplicaHarness.Node a = new ReplicaHarness.Node(1);
    ReplicaHarness.Node whole = new ReplicaHarness.Node(2);
    ReplicaHarness.Node pieces = new ReplicaHarness.Node(3);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      keys.add(ReplicaHarness.b("k" + i % 400)); // some keys twice in one batch
      values.add(i % 9 == 0 ? null : ReplicaHarness.b("v" + i));
    }
    List<Entry> written = a.replica.write(new SessionToken(), keys, values, 1_000);
    DeltaChunk push = new LinkState(a.replica, whole.replica.vv())
        .forward(written, origin -> false);
    new LinkState(whole.replica, a.replica.vv()).receive(DeltaChunk.decode(push.encode()));
    LinkState in = new LinkState(pieces.replica, a.replica.vv());
    for (DeltaChunk p : push.split(256)) in.receive(DeltaChunk.decode(p.encode()));
    assertThat(pieces.replica.vv()).isEqualTo(a.replica.vv()).isEqualTo(whole.replica.vv());
    assertThat(pieces.replica.digest()).isEqualTo(a.replica.digest())
        .isEqualTo(whole.replica.digest());
  }
}
