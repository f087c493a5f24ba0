package kvs.core;

import static kvs.core.ReplicaHarness.applyAll;
import static kvs.core.ReplicaHarness.b;
import static kvs.core.ReplicaHarness.drain;
import static kvs.core.ReplicaHarness.entries;
import static kvs.core.ReplicaHarness.live;
import static kvs.core.ReplicaHarness.s;
import static kvs.core.ReplicaHarness.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kvs.core.Replica.ReadResult;
import kvs.core.Replica.ReadStatus;
import kvs.core.ReplicaHarness.Node;
import kvs.storage.MemoryStore;
import org.junit.jupiter.api.Test;

/** The replica state machine over {@link MemoryStore}, scenario by scenario. */
class ReplicaTest {

  @Test
  void openingAnEmptyStoreCommitsItsIdentity() {
    MemoryStore store = new MemoryStore();
    Replica r = Replica.open(store, 4, 0xCAFE);
    assertThat(store.loadMeta()).isNotNull();
    assertThat(store.loadMeta().serverId()).isEqualTo(4);
    assertThat(store.loadMeta().incarnation()).isEqualTo(0xCAFE);
    assertThat(r.origin()).isEqualTo(Origins.of(4, 0xCAFE));
    assertThat(r.vv()).isEqualTo(new VersionVector());
    assertThat(r.digest()).isZero();
    assertThat(r.clock()).isZero();
  }

  @Test
  void readYourWritesOnOneReplica() {
    Node a = new Node(1);
    SessionToken session = new SessionToken();
    assertThat(a.replica.read(session, b("k")).status()).isEqualTo(ReadStatus.NOT_FOUND);

    Entry first = a.replica.put(session, b("k"), b("v1"), 1_000);
    assertThat(first.origin()).isEqualTo(a.origin());
    assertThat(first.seq()).isEqualTo(1);
    assertThat(first.clock()).isEqualTo(1_000L << 16);
    ReadResult r1 = a.replica.read(session, b("k"));
    assertThat(r1.status()).isEqualTo(ReadStatus.FOUND);
    assertThat(s(r1.entry().value())).isEqualTo("v1");

    Entry second = a.replica.put(session, b("k"), b("v2"), 900); // wall clock went back
    assertThat(second.seq()).isEqualTo(2);
    assertThat(second.supersedes(first)).isTrue();
    assertThat(s(a.replica.read(session, b("k")).entry().value())).isEqualTo("v2");

    Entry gone = a.replica.put(session, b("k"), null, 900);
    assertThat(gone.isTombstone()).isTrue();
    ReadResult r3 = a.replica.read(session, b("k"));
    assertThat(r3.status()).isEqualTo(ReadStatus.NOT_FOUND);
    assertThat(r3.entry()).isEqualTo(gone);
    assertThat(live(a.replica)).isEmpty();
    assertThat(a.replica.peek(b("k"))).isEqualTo(gone);

    assertThat(session.deps().get(a.origin())).isEqualTo(3);
    assertThat(session.clock()).isEqualTo(gone.clock());
    assertThat(a.replica.vv().get(a.origin())).isEqualTo(3);
    assertThat(a.store.logSize()).as("only the current write of a key stays in the log").isEqualTo(1);
  }

  @Test
  void aSessionMissingAWriteIsRefusedUntilTheReplicaCatchesUp() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken session = new SessionToken();
    a.replica.put(session, b("k"), b("v"), 1_000);
    SessionToken moved = SessionToken.fromText(session.toText());

    ReadResult refused = b.replica.read(moved, b("other-key"));
    assertThat(refused.status()).isEqualTo(ReadStatus.MISSING_DEPENDENCY);
    assertThat(refused.entry()).isNull();
    assertThat(moved).as("a refused read changes nothing in the session").isEqualTo(session);
    // a session that depends on nothing is served
    assertThat(b.replica.read(new SessionToken(), b("k")).status()).isEqualTo(ReadStatus.NOT_FOUND);

    sync(a.replica, b.replica);
    ReadResult served = b.replica.read(moved, b("k"));
    assertThat(served.status()).isEqualTo(ReadStatus.FOUND);
    assertThat(s(served.entry().value())).isEqualTo("v");
  }

  @Test
  void aSessionsLaterWriteAtAnotherReplicaBeatsItsEarlierWrite() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken session = new SessionToken();
    Entry first = a.replica.put(session, b("k"), b("first"), 5_000_000); // A's clock far ahead

    SessionToken moved = SessionToken.fromText(session.toText());
    Entry second = b.replica.put(moved, b("k"), b("second"), 7); // B's wall clock far behind
    assertThat(second.clock()).isGreaterThan(first.clock());
    assertThat(second.supersedes(first)).isTrue();
    // B accepted the write but lacks the session's first write: it must not serve a read yet
    assertThat(b.replica.read(moved, b("k")).status()).isEqualTo(ReadStatus.MISSING_DEPENDENCY);

    sync(a.replica, b.replica);
    sync(b.replica, a.replica);
    for (Node n : List.of(a, b)) {
      ReadResult r = n.replica.read(moved.copy(), b("k"));
      assertThat(r.status()).isEqualTo(ReadStatus.FOUND);
      assertThat(s(r.entry().value())).as("on server %d", n.id).isEqualTo("second");
    }
    assertThat(a.replica.digest()).isEqualTo(b.replica.digest());
    assertThat(a.replica.vv()).isEqualTo(b.replica.vv());
  }

  @Test
  void aDeltaMakesThePeerCoverTheSenderAndHoldTheSameData() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("x"), b("1"), 100);
    a.replica.put(s, b("y"), b("2"), 100);
    a.replica.put(s, b("x"), b("3"), 100); // overwrite
    a.replica.put(s, b("z"), b("4"), 100);
    a.replica.put(s, b("z"), null, 100); // delete
    a.replica.write(s, List.of(b("p"), b("q")), Arrays.asList(b("5"), b("6")), 100);

    assertThat(a.replica.hasNewerThan(b.replica.vv())).isTrue();
    List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 1 << 20);
    assertThat(chunks).hasSize(1);
    assertThat(chunks.get(0).isLast()).isTrue();
    assertThat(chunks.get(0).completes()).isEqualTo(a.replica.vv());
    // only current writes travel (x:1 and z:4 were superseded), in sequence order
    assertThat(entries(chunks)).extracting(Entry::seq).containsExactly(2L, 3L, 5L, 6L, 7L);
    assertThat(applyAll(b.replica, chunks)).isTrue();

    assertThat(b.replica.covers(a.replica.vv())).isTrue();
    assertThat(b.replica.vv()).isEqualTo(a.replica.vv());
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(live(b.replica)).isEqualTo(live(a.replica));
    assertThat(b.replica.peek(b("z"))).isEqualTo(a.replica.peek(b("z")));
    assertThat(b.replica.peek(b("z")).isTombstone()).isTrue();
    assertThat(a.replica.hasNewerThan(b.replica.vv())).isFalse();
    assertThat(b.store.logSize()).isEqualTo(a.store.logSize());
  }

  @Test
  void aSupersededWriteIsNotSentButThePeerEndsWithTheSupersedingValue() {
    Node a = new Node(1);
    Node b = new Node(2);
    Node c = new Node(3);
    Entry old = a.replica.put(new SessionToken(), b("k"), b("old"), 100); // a:1
    a.replica.put(new SessionToken(), b("x"), b("1"), 100); // a:2
    Entry newer = c.replica.put(new SessionToken(), b("k"), b("new"), 200); // c:1
    sync(c.replica, a.replica);
    assertThat(a.replica.peek(b("k"))).isEqualTo(newer);

    List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 1 << 20);
    assertThat(entries(chunks)).doesNotContain(old).contains(newer);
    applyAll(b.replica, chunks);
    assertThat(s(b.replica.peek(b("k")).value())).isEqualTo("new");
    assertThat(b.replica.vv().get(a.origin())).isEqualTo(2);
    assertThat(b.replica.vv().get(c.origin())).isEqualTo(1);
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());

    // the peer already has the superseding write: the delta carries neither, and nothing is lost
    Node d = new Node(4);
    sync(c.replica, d.replica);
    List<DeltaChunk> toD = drain(a.replica, d.replica.vv(), 1 << 20);
    assertThat(entries(toD)).extracting(Entry::key).extracting(ReplicaHarness::s).containsExactly("x");
    applyAll(d.replica, toD);
    assertThat(s(d.replica.peek(b("k")).value())).isEqualTo("new");
    assertThat(d.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(d.replica.vv()).isEqualTo(a.replica.vv());
  }

  /**
   * The sync trap of DESIGN.md: a delta skips superseded writes, so a receiver that has only part
   * of it must not claim the origin's sequence range; only the closing chunk completes it.
   */
  @Test
  void aDeltaWithoutItsClosingChunkDoesNotRaiseTheVector() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken alice = new SessionToken();
    for (int i = 0; i < 5; i++) a.replica.put(alice, b("k" + i), b("v" + i), 100 + i); // a:1-5
    a.replica.put(alice, b("k0"), b("v0 again"), 200); // a:6 supersedes a:1

    List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 1);
    assertThat(chunks).hasSize(6);
    assertThat(entries(chunks)).extracting(Entry::seq).containsExactly(2L, 3L, 4L, 5L, 6L);
    assertThat(chunks.subList(0, 5)).allMatch(c -> !c.isLast() && c.entries().size() == 1);
    DeltaChunk closing = chunks.get(5);
    assertThat(closing.isLast()).isTrue();
    assertThat(closing.entries()).isEmpty();

    applyAll(b.replica, chunks.subList(0, 5));
    assertThat(live(b.replica)).isEqualTo(live(a.replica));
    assertThat(b.replica.vv()).as("a:1 never arrived: no coverage without the closing chunk")
        .isEqualTo(new VersionVector());
    assertThat(b.replica.read(alice.copy(), b("k0")).status())
        .isEqualTo(ReadStatus.MISSING_DEPENDENCY);
    b.restart();
    assertThat(b.replica.vv()).isEqualTo(new VersionVector());
    assertThat(live(b.replica)).isEqualTo(live(a.replica));

    assertThat(b.replica.applyDelta(closing)).isTrue();
    assertThat(b.replica.vv()).isEqualTo(a.replica.vv());
    assertThat(b.replica.read(alice.copy(), b("k0")).status()).isEqualTo(ReadStatus.FOUND);
  }

  @Test
  void chunkedDeltasEqualOneBigDelta() {
    Node a = new Node(1);
    Node c = new Node(3);
    SessionToken s = new SessionToken();
    for (int i = 0; i < 12; i++) a.replica.put(s, b("k" + (i % 7)), b("value-" + i), 100);
    for (int i = 0; i < 6; i++) c.replica.put(new SessionToken(), b("k" + i), b("c" + i), 50 + i);
    sync(c.replica, a.replica);
    a.replica.put(s, b("k3"), null, 100);

    List<DeltaChunk> big = drain(a.replica, new VersionVector(), Integer.MAX_VALUE);
    assertThat(big).hasSize(1);
    Node reference = new Node(2);
    applyAll(reference.replica, big);
    for (int maxBytes : new int[] {1, 2, 20, 40, 41, 42, 64, 100, 1000}) {
      List<DeltaChunk> chunks = drain(a.replica, new VersionVector(), maxBytes);
      assertThat(entries(chunks)).as("maxBytes %d", maxBytes).isEqualTo(entries(big));
      assertThat(chunks.get(chunks.size() - 1).completes()).isEqualTo(big.get(0).completes());
      assertThat(chunks.subList(0, chunks.size() - 1)).noneMatch(DeltaChunk::isLast);
      for (DeltaChunk ch : chunks) {
        int size = ch.entries().stream().mapToInt(EntryCodec::wireSize).sum();
        int lastSize = ch.entries().isEmpty() ? 0
            : EntryCodec.wireSize(ch.entries().get(ch.entries().size() - 1));
        assertThat(size - lastSize).as("a chunk overshoots by at most its last entry")
            .isLessThan(Math.max(maxBytes, 1));
      }
      Node b = new Node(2);
      applyAll(b.replica, chunks);
      assertThat(b.replica.vv()).isEqualTo(reference.replica.vv());
      assertThat(b.replica.digest()).isEqualTo(reference.replica.digest());
      assertThat(live(b.replica)).isEqualTo(live(reference.replica));
    }
    assertThat(reference.replica.digest()).isEqualTo(a.replica.digest());
  }

  @Test
  void applyingTheSameDeltaTwiceChangesNothing() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken s = new SessionToken();
    for (int i = 0; i < 8; i++) a.replica.put(s, b("k" + (i % 5)), i == 6 ? null : b("v" + i), 100);
    b.replica.put(new SessionToken(), b("k1"), b("b's"), 1); // older than a's k1, will lose
    List<DeltaChunk> chunks = drain(a.replica, b.replica.vv(), 30);
    assertThat(applyAll(b.replica, chunks)).isTrue();

    VersionVector vv = b.replica.vv();
    long digest = b.replica.digest();
    long clock = b.replica.clock();
    List<Entry> live = live(b.replica);
    ReplicaMeta meta = b.store.loadMeta();
    int logSize = b.store.logSize();
    for (DeltaChunk c : chunks) assertThat(b.replica.applyDelta(c)).isFalse();
    assertThat(b.replica.vv()).isEqualTo(vv);
    assertThat(b.replica.digest()).isEqualTo(digest);
    assertThat(b.replica.clock()).isEqualTo(clock);
    assertThat(live(b.replica)).isEqualTo(live);
    assertThat(b.store.loadMeta()).isSameAs(meta);
    assertThat(b.store.logSize()).isEqualTo(logSize);

    // a duplicate that arrives after newer writes does not bring old values back
    Entry newer = b.replica.put(new SessionToken(), b("k0"), b("newer"), 10_000);
    for (DeltaChunk c : chunks) b.replica.applyDelta(c);
    assertThat(b.replica.peek(b("k0"))).isEqualTo(newer);
  }

  @Test
  void theSnapshotOfAnOpenDeltaIgnoresLaterWrites() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("k"), b("v1"), 100); // a:1
    a.replica.put(s, b("m"), b("m1"), 100); // a:2
    try (Replica.DeltaStream stream = a.replica.openDelta(b.replica.vv())) {
      VersionVector target = stream.target();
      a.replica.put(s, b("k"), b("v2"), 100); // a:3 replaces a:1
      a.replica.put(s, b("n"), b("n1"), 100); // a:4
      a.replica.put(s, b("m"), null, 100); // a:5 deletes m
      assertThat(target.get(a.origin())).isEqualTo(2);
      List<DeltaChunk> chunks = new ArrayList<>();
      for (DeltaChunk c = stream.next(1); c != null; c = stream.next(1)) chunks.add(c);
      assertThat(entries(chunks)).extracting(Entry::seq).containsExactly(1L, 2L);
      applyAll(b.replica, chunks);
    }
    assertThat(s(b.replica.peek(b("k")).value())).isEqualTo("v1");
    assertThat(s(b.replica.peek(b("m")).value())).isEqualTo("m1");
    assertThat(b.replica.peek(b("n"))).isNull();
    assertThat(b.replica.vv().get(a.origin())).isEqualTo(2);

    sync(a.replica, b.replica);
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(live(b.replica)).isEqualTo(live(a.replica));
  }

  @Test
  void reopeningFromTheDurableCopyKeepsVectorClockDigestAndSequence() {
    Node a = new Node(1);
    Node b = new Node(2);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("x"), b("1"), 5_000);
    a.replica.put(s, b("y"), b("2"), 5_000);
    b.replica.put(new SessionToken(), b("z"), b("3"), 9_000);
    sync(b.replica, a.replica);
    Entry last = a.replica.put(s, b("x"), null, 5_000); // a:3, stamped above b's 9000 ms
    long originBefore = a.origin();
    VersionVector vv = a.replica.vv();
    long clock = a.replica.clock();
    long digest = a.replica.digest();
    List<Entry> live = live(a.replica);
    assertThat(clock).isEqualTo(last.clock());

    a.restart();
    assertThat(a.origin()).as("the stored incarnation wins over the fresh one").isEqualTo(originBefore);
    assertThat(a.replica.vv()).isEqualTo(vv);
    assertThat(a.replica.clock()).isEqualTo(clock);
    assertThat(a.replica.digest()).isEqualTo(digest);
    assertThat(live(a.replica)).isEqualTo(live);
    assertThat(a.replica.peek(b("x"))).isEqualTo(last);

    Entry next = a.replica.put(new SessionToken(), b("w"), b("4"), 0); // wall clock reset to 0
    assertThat(next.seq()).isEqualTo(4);
    assertThat(next.origin()).isEqualTo(originBefore);
    assertThat(next.clock()).isGreaterThan(clock);

    // the reopened replica still serves the session and still syncs
    assertThat(a.replica.read(s, b("y")).status()).isEqualTo(ReadStatus.FOUND);
    Node c = new Node(3);
    sync(a.replica, c.replica);
    assertThat(c.replica.digest()).isEqualTo(a.replica.digest());
  }

  @Test
  void openingAStoreOfAnotherServerThrows() {
    MemoryStore store = new MemoryStore();
    Replica.open(store, 1, 5).put(new SessionToken(), b("k"), b("v"), 1);
    ReplicaMeta meta = store.loadMeta();
    assertThatThrownBy(() -> Replica.open(store, 2, 5))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("server 1").hasMessageContaining("server 2");
    assertThat(store.loadMeta()).isSameAs(meta);
    assertThat(Replica.open(store, 1, 6).origin()).isEqualTo(Origins.of(1, 5));
  }

  @Test
  void aBatchThatWritesOneKeyTwiceKeepsTheLastAndNumbersEveryWrite() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    List<Entry> written = a.replica.write(s, List.of(b("k"), b("k"), b("j")),
        Arrays.asList(b("v1"), b("v2"), null), 100);
    assertThat(written).extracting(Entry::seq).containsExactly(1L, 2L, 3L);
    assertThat(written.get(1).supersedes(written.get(0))).isTrue();
    assertThat(written).allMatch(Entry::inBatch);
    assertThat(a.replica.peek(b("k"))).isEqualTo(written.get(1));
    assertThat(a.replica.peek(b("j")).isTombstone()).isTrue();
    assertThat(a.store.logSize()).isEqualTo(2);
    assertThat(a.replica.digest())
        .isEqualTo(written.get(1).fingerprint() + written.get(2).fingerprint());
    Node b = new Node(2);
    sync(a.replica, b.replica);
    assertThat(b.replica.digest()).isEqualTo(a.replica.digest());
    assertThat(b.replica.vv()).isEqualTo(a.replica.vv());

    assertThatThrownBy(() -> a.replica.write(s, List.of(b("k")), List.of(), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * BUG (Replica.DeltaStream / Replica.applyDelta): a replica that applied part of a delta holds
   * entries beyond its vector. Such an entry replaces an older entry and drops that entry's dot
   * from the log. If the replica then streams to a third replica, the scan of each origin stops
   * at its vector: it sends neither the replaced entry (gone from the log) nor the replacing one
   * (beyond the vector), yet the closing chunk makes the third replica cover the replaced dot.
   * The third replica then serves a stale value to the session that wrote the replaced entry.
   */
  @Test
  void coverageForwardedWhileAPartialDeltaIsAppliedKeepsReadYourWrites() {
    Node a = new Node(1);
    Node b = new Node(2);
    Node c = new Node(3);
    c.replica.put(new SessionToken(), b("k"), b("old"), 500); // c:1, older than everything below
    SessionToken alice = new SessionToken();
    Entry alices = a.replica.put(alice, b("k"), b("alice"), 1_000); // a:1
    SessionToken bob = new SessionToken();
    b.replica.put(bob, b("k"), b("bob's draft"), 2_000); // b:1
    Entry bobs = b.replica.put(bob, b("k"), b("bob"), 2_000); // b:2, beats a:1; b:1 is superseded

    // B streams to A one entry per chunk (only b:2: b:1 was superseded); the link breaks before
    // the closing chunk
    Replica.DeltaStream toA = b.replica.openDelta(a.replica.vv());
    DeltaChunk first = toA.next(1);
    assertThat(first.isLast()).isFalse();
    assertThat(first.entries()).containsExactly(bobs);
    a.replica.applyDelta(first); // b:2 replaces a:1 on A
    toA.close();
    assertThat(a.replica.peek(b("k"))).isEqualTo(bobs);
    assertThat(a.replica.vv().get(b.origin())).as("A lacks b:1 (or what superseded it)").isZero();

    // A streams to C, completely: C now claims a:1 or something newer, for every key
    sync(a.replica, c.replica);
    assertThat(c.replica.covers(alice.deps())).isTrue();
    Entry onC = c.replica.peek(b("k"));
    assertThat(onC.sameDot(alices) || onC.supersedes(alices))
        .as("C covers a:1 so it must hold a:1 or a newer write, but holds %s", onC).isTrue();
    ReadResult r = c.replica.read(alice.copy(), b("k"));
    assertThat(s(r.entry().value())).as("Alice reads her own write or a newer one")
        .isIn("alice", "bob");
  }

  /**
   * A shadow (the log record of a covered write displaced by an entry beyond the vector) is
   * dropped in the commit that makes the vector cover the key's current entry: here the end of
   * the delta that was cut short, delivered again. Before, shadows stayed for ever. A restart in
   * between keeps the shadow, and its listing, exactly.
   */
  @Test
  void aShadowIsDroppedOnceTheKeysCurrentEntryIsCovered() {
    Node a = new Node(1);
    Node b = new Node(2);
    a.replica.put(new SessionToken(), b("k"), b("a's"), 1_000); // a:1, covered on A
    a.replica.put(new SessionToken(), b("other"), b("x"), 1_000); // a:2
    b.replica.put(new SessionToken(), b("j"), b("b's first"), 2_000); // b:1
    Entry bobs = b.replica.put(new SessionToken(), b("k"), b("b's"), 2_000); // b:2 beats a:1

    Replica.DeltaStream toA = b.replica.openDelta(a.replica.vv());
    DeltaChunk first = toA.next(1); // b:1 only
    DeltaChunk second = toA.next(1); // b:2 only
    toA.close();
    a.replica.applyDelta(second); // b:2 beyond A's vector (A lacks b:1) replaces a:1
    assertThat(a.replica.peek(b("k"))).isEqualTo(bobs);
    assertThat(a.replica.shadowCount()).as("a:1 keeps a shadow record").isEqualTo(1);
    assertThat(a.store.logSize()).isEqualTo(3); // a:1 (shadow), a:2, b:2

    a.restart();
    assertThat(a.replica.shadowCount()).as("the listing survives a restart").isEqualTo(1);

    a.replica.applyDelta(first); // b:1 arrives: the vector covers b:1
    assertThat(a.replica.vv().get(b.origin())).isEqualTo(1); // b:2 was stored before: not raised
    assertThat(a.replica.shadowCount()).as("b:2 still beyond the vector").isEqualTo(1);
    sync(b.replica, a.replica); // the complete delta closes with b's vector: b:2 covered
    assertThat(a.replica.vv().get(b.origin())).isEqualTo(2);
    assertThat(a.replica.shadowCount()).isZero();
    assertThat(a.store.logSize()).as("a:2, b:1 and b:2 only").isEqualTo(3);
    List<Entry> ab = new java.util.ArrayList<>();
    a.store.forEachShadow((o, s, k) -> ab.add(null));
    assertThat(ab).as("the store's listing of shadows is empty too").isEmpty();
    // and a third replica still gets everything A claims
    Node c = new Node(3);
    sync(a.replica, c.replica);
    assertThat(c.replica.peek(b("k"))).isEqualTo(bobs);
    assertThat(c.replica.vv()).isEqualTo(a.replica.vv());
    assertThat(c.replica.digest()).isEqualTo(a.replica.digest());
  }

  /**
   * BUG (Hlc.tick overflow, reachable from SessionToken.decode): a client can hand over a token
   * whose clock is Long.MAX_VALUE - 1 (decode accepts any non-negative clock). Its write is
   * stamped Long.MAX_VALUE; the next write of that key calls tick(.., Long.MAX_VALUE), which wraps
   * around to the wall clock, far below. Write replaces the local entry without comparing
   * versions, so the accepting replica keeps the new value while every replica that already had
   * the poisoned one rejects it as older: the replicas never converge.
   */
  @Test
  void aTokenAtTheClockCeilingCannotMakeReplicasDiverge() {
    Node a = new Node(1);
    Node b = new Node(2);
    byte[] crafted = java.nio.ByteBuffer.allocate(13).put((byte) 1).putLong(Long.MAX_VALUE - 1)
        .putInt(0).array();
    try {
      SessionToken poisoned = SessionToken.decode(crafted);
      a.replica.put(poisoned, b("k"), b("poison"), 1_000);
    } catch (RuntimeException refused) {
      return; // refusing such a token or such a write is a correct answer
    }
    sync(a.replica, b.replica);
    SessionToken victim = new SessionToken();
    a.replica.read(victim, b("k"));
    Entry mine;
    try {
      mine = a.replica.put(victim, b("k"), b("mine"), 1_000);
    } catch (RuntimeException refused) {
      return; // refusing to write is acceptable; silently losing the write is not
    }
    assertThat(s(a.replica.read(victim.copy(), b("k")).entry().value())).isEqualTo("mine");
    sync(a.replica, b.replica);
    sync(b.replica, a.replica);
    assertThat(s(b.replica.peek(b("k")).value()))
        .as("B after a full exchange (A holds %s, stamped %d)", s(mine.value()), mine.clock())
        .isEqualTo("mine");
    assertThat(b.replica.digest()).as("replicas converge").isEqualTo(a.replica.digest());
  }

  /** A store whose commits can be made to fail, as a full or broken disk does. */
  private static final class FailingStore implements Store {
    final MemoryStore inner = new MemoryStore();
    boolean failCommits;

    @Override
    public ReplicaMeta loadMeta() {
      return inner.loadMeta();
    }

    @Override
    public Entry get(byte[] key) {
      return inner.get(key);
    }

    @Override
    public void commit(Mutation m) {
      if (failCommits) throw new IllegalStateException("disk says no");
      inner.commit(m);
    }

    @Override
    public View snapshot() {
      return inner.snapshot();
    }

    @Override
    public void forEachLive(java.util.function.Consumer<Entry> visitor) {
      inner.forEachLive(visitor);
    }

    @Override
    public void forEachShadow(ShadowVisitor visitor) {
      inner.forEachShadow(visitor);
    }

    @Override
    public void close() {}
  }

  @Test
  void aFailedCommitLeavesVectorClockAndDigestAsTheDiskHasThem() {
    FailingStore store = new FailingStore();
    Replica r = Replica.open(store, 1, 5);
    r.put(new SessionToken(), b("k"), b("v1"), 100);
    Node peer = new Node(2);
    peer.replica.put(new SessionToken(), b("p"), b("x"), 200);
    VersionVector vv = r.vv();
    long digest = r.digest();
    long clock = r.clock();

    store.failCommits = true;
    SessionToken s = new SessionToken();
    assertThatThrownBy(() -> r.put(s, b("k"), b("v2"), 5_000)).hasMessageContaining("disk");
    List<DeltaChunk> delta = drain(peer.replica, r.vv(), 1 << 20);
    assertThatThrownBy(() -> applyAll(r, delta)).hasMessageContaining("disk");

    assertThat(r.vv()).isEqualTo(vv).isEqualTo(store.loadMeta().vv());
    assertThat(r.digest()).isEqualTo(digest).isEqualTo(store.loadMeta().digest());
    assertThat(r.clock()).isEqualTo(clock);
    assertThat(s.deps().size()).isZero(); // the session saw nothing of the failed write
    store.failCommits = false;
    Entry next = r.put(new SessionToken(), b("k"), b("v3"), 6_000);
    assertThat(next.seq()).isEqualTo(2); // the failed write's number was never used
  }

  @Test
  void afterAnUncleanStopTheReplicaNumbersItsWritesUnderAFreshIncarnation() {
    Node a = new Node(1);
    SessionToken s = new SessionToken();
    a.replica.put(s, b("x"), b("1"), 100);
    a.replica.put(s, b("y"), b("2"), 200);
    long before = a.origin();
    VersionVector vv = a.replica.vv();
    long digest = a.replica.digest();

    MemoryStore image = a.store.durableCopy();
    Replica reopened = Replica.open(image, 1, 4242, false);
    assertThat(reopened.origin()).isNotEqualTo(before).isEqualTo(Origins.of(1, 4242));
    assertThat(reopened.vv()).isEqualTo(vv); // exactly what the disk holds, nothing more
    assertThat(reopened.digest()).isEqualTo(digest);
    assertThat(image.loadMeta().incarnation()).isEqualTo(4242); // committed before serving
    Entry next = reopened.put(new SessionToken(), b("z"), b("3"), 300);
    assertThat(next.origin()).isEqualTo(Origins.of(1, 4242));
    assertThat(next.seq()).isEqualTo(1);
    // a clean stop keeps the incarnation
    assertThat(Replica.open(image.durableCopy(), 1, 777, true).origin())
        .isEqualTo(Origins.of(1, 4242));
  }
}
