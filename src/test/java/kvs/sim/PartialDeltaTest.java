package kvs.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.LinkState;
import kvs.core.Replica;
import kvs.core.SessionToken;
import kvs.storage.MemoryStore;
import org.junit.jupiter.api.Test;

/**
 * The defects the simulator found (docs/simulation.md, "What the simulator found"; fixed in
 * b019266 and a5dd1d5), each cut down to a few replicas and a few calls into the core, so that
 * a regression fails here in a second, with a story, before it fails a simulation seed.
 *
 * <p>A replica applies the entries of a delta as they arrive, so after a partial delta it can
 * hold an entry its vector does not cover (here {@code k = B:2}, with B's vector entry still 0).
 * Before the fixes: if that entry superseded an entry the vector does cover ({@code k = A:1}),
 * the log record of {@code A:1} was gone, and the next delta this replica cut for a third
 * replica sent neither write: not {@code A:1}, whose log record was gone, and not {@code B:2},
 * which lay beyond the delta's closing vector. The third replica still raised its vector over
 * {@code A:1}, and then served stale reads to sessions that depend on {@code A:1}; and if B's
 * origin never completed a delta (B wiped), the replicas never converged, their vectors being
 * equal. The same happened when the older write arrived after the newer one, and, when no
 * covered write was superseded at all, an entry beyond the vector was simply never forwarded.
 */
class PartialDeltaTest {
  private static final byte[] K = "k".getBytes(StandardCharsets.UTF_8);
  private static final byte[] J = "j".getBytes(StandardCharsets.UTF_8);
  private static final int ONE_ENTRY_PER_CHUNK = 1;

  private final Replica a = Replica.open(new MemoryStore(), 0, 11);
  private final Replica b = Replica.open(new MemoryStore(), 1, 22);
  private final Replica c = Replica.open(new MemoryStore(), 2, 33);
  private final SessionToken alice = new SessionToken();

  /** A holds B's newer write of k beyond its vector, and has lost the log record of A:1. */
  private void partialDeltaFromBToA() {
    a.put(alice, K, bytes("alice"), 1_000);
    SessionToken bob = new SessionToken();
    b.put(bob, K, bytes("bob-1"), 5_000);
    b.put(bob, K, bytes("bob-2"), 5_000); // supersedes B:1, so B's log skips from 0 to 2
    b.put(bob, J, bytes("bob-3"), 5_000);
    LinkState bToA = new LinkState(b, a.vv());
    LinkState aFromB = new LinkState(a, b.vv());
    DeltaChunk first = bToA.nextChunk(ONE_ENTRY_PER_CHUNK);
    assertFalse(first.isLast(), "the delta has more than one chunk");
    aFromB.receive(wire(first)); // ...and then the connection drops
    assertEquals("bob-2", text(a.peek(K).value()));
    assertEquals(0, a.vv().get(b.origin()), "A does not cover B:2 yet");
  }

  @Test
  void aDeltaMustNotRaiseAVectorOverAWriteItDoesNotCarry() {
    partialDeltaFromBToA();
    sync(a, c);
    assertTrue(c.covers(alice.deps()), "C's vector now covers alice's write A:1");
    Replica.ReadResult r = c.read(alice.copy(), K);
    assertTrue(r.entry() != null && compare(r.entry(), a.peek(K)) >= 0,
        "C covers alice's write of k, so it must hold it or something newer, but reads "
            + r.status() + " " + r.entry() + " (read your writes is broken)");
  }

  @Test
  void coveringAWriteSupersededByAnEntryBeyondTheVectorMustNotHideIt() {
    // SimulationTest seed 93086 against b019266. A holds B's k = B:2 beyond its vector, from a
    // partial delta; then alice's older k = A:1 arrives in a complete delta from C. A keeps
    // B:2 (newer) and covers A:1, but has no log record through which a delta would send
    // either write for A:1: not A:1's own (never stored), and B:2 lies beyond the closing vector.
    SessionToken bob = new SessionToken();
    b.put(bob, K, bytes("bob-1"), 5_000);
    b.put(bob, K, bytes("bob-2"), 5_000);
    b.put(bob, J, bytes("bob-3"), 5_000);
    new LinkState(a, b.vv()).receive(wire(new LinkState(b, a.vv()).nextChunk(
        ONE_ENTRY_PER_CHUNK)));
    c.put(alice, K, bytes("alice"), 1_000);
    sync(c, a);
    assertTrue(a.covers(alice.deps()), "A covers alice's write");
    assertEquals("bob-2", text(a.peek(K).value()));
    Replica d = Replica.open(new MemoryStore(), 3, 44);
    sync(a, d);
    assertTrue(d.covers(alice.deps()), "D's vector now covers alice's write C:1");
    Replica.ReadResult r = d.read(alice.copy(), K);
    assertTrue(r.entry() != null && compare(r.entry(), c.peek(K)) >= 0,
        "D covers alice's write of k, so it must hold it or something newer, but reads "
            + r.status() + " " + r.entry() + " (read your writes is broken)");
  }

  @Test
  void replicasWithEqualVectorsMustHoldEqualData() {
    partialDeltaFromBToA();
    // B's disk is wiped before it ever completes a delta: no replica will cover B:2 again.
    for (int round = 0; round < 3; round++) {
      sync(a, c);
      sync(c, a);
    }
    assertEquals(a.vv(), c.vv());
    assertEquals(a.digest(), c.digest(), "A holds " + live(a) + " and C holds " + live(c)
        + " with equal vectors " + a.vv() + ", so nothing will ever be sent between them");
  }

  @Test
  void anEntryBeyondTheVectorMustReachEveryReplicaWhenItsOriginIsGone() {
    // As above, but A held nothing of k before, so no write A's vector covers was superseded.
    SessionToken bob = new SessionToken();
    b.put(bob, K, bytes("bob-1"), 5_000);
    b.put(bob, K, bytes("bob-2"), 5_000);
    b.put(bob, J, bytes("bob-3"), 5_000);
    new LinkState(a, b.vv()).receive(wire(new LinkState(b, a.vv()).nextChunk(
        ONE_ENTRY_PER_CHUNK)));
    assertEquals("bob-2", text(a.peek(K).value()));
    // B's disk is wiped before it completes the delta; A is the only holder of bob-2.
    for (int round = 0; round < 3; round++) {
      sync(a, c);
      sync(c, a);
    }
    assertEquals(a.digest(), c.digest(), "A holds " + live(a) + " and C holds " + live(c)
        + " with equal vectors " + a.vv() + " and " + c.vv()
        + ", so nothing will ever be sent between them");
  }

  /** One complete delta over a new connection, as after a handshake. */
  private static void sync(Replica from, Replica to) {
    LinkState out = new LinkState(from, to.vv());
    LinkState in = new LinkState(to, from.vv());
    for (int i = 0; i < 1_000; i++) {
      DeltaChunk chunk = out.nextChunk(ONE_ENTRY_PER_CHUNK);
      if (chunk == null) return;
      in.receive(wire(chunk));
    }
    throw new AssertionError("delta never ends");
  }

  private static DeltaChunk wire(DeltaChunk chunk) {
    return DeltaChunk.decode(chunk.encode());
  }

  private static int compare(Entry x, Entry y) {
    return Entry.compareVersions(x.clock(), x.origin(), y.clock(), y.origin());
  }

  private static List<Entry> live(Replica r) {
    List<Entry> out = new ArrayList<>();
    r.forEachLive(out::add);
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
