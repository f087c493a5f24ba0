package kvs.sim;

import java.util.List;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.LinkState;
import kvs.core.Replica;
import kvs.core.SessionToken;
import kvs.core.VersionVector;

/**
 * Behaviours of the simulated servers and clients other than the real one: deliberately
 * broken variants that the checker must catch (CheckerBitesTest), and a diagnostic one that
 * sidesteps the partial-delta defect the simulator found (PartialDeltaTest), to show that the
 * defect is the only cause of the seeds that fail.
 *
 * <p>Each broken variant changes exactly one thing on top of {@link #BASE}, so that when a seed
 * fails under a variant but passes under its base, the variant is what the checker caught.
 */
final class Variants {
  private Variants() {}

  /**
   * Holds back every chunk of a delta until its closing chunk arrives, then applies them all at
   * once, so a replica never holds entries its vector does not cover. This sidesteps (in the
   * simulation, where nothing can crash between those applications) the defect that
   * PartialDeltaTest pins down.
   */
  static final Behavior WHOLE_DELTAS = new Behavior() {
    @Override
    public String name() {
      return "whole-deltas";
    }

    @Override
    public boolean receiveChunk(LinkState link, List<DeltaChunk> held, DeltaChunk chunk,
        boolean push) {
      // A push is never sent in the middle of a delta (LinkState.forward refuses while one streams), and
      // its entries extend the vector one by one, so it is safe to apply at once.
      if (push && held.isEmpty()) return link.receive(chunk);
      held.add(chunk);
      if (!chunk.isLast()) return false;
      boolean changed = false;
      for (DeltaChunk c : held) changed |= link.receive(c);
      held.clear();
      return changed;
    }
  };

  /** What the broken variants are built on: the real server's and client's behaviour. */
  static final Behavior BASE = Behavior.CORRECT;

  /** (1) Serves reads even when the server lacks writes the session has seen. */
  static final Behavior NO_SESSION_CHECK = new Broken("no-session-check") {
    @Override
    public Replica.ReadResult serveRead(Replica replica, SessionToken session, byte[] key) {
      if (replica.covers(session.deps())) return BASE.serveRead(replica, session, key);
      Entry e = replica.peek(key);
      if (e == null) return new Replica.ReadResult(Replica.ReadStatus.NOT_FOUND, null);
      session.observe(e);
      return new Replica.ReadResult(
          e.isTombstone() ? Replica.ReadStatus.NOT_FOUND : Replica.ReadStatus.FOUND, e);
    }
  };

  /** (2) A wiped server comes back under its old incarnation, counting from 1 again. */
  static final Behavior SAME_INCARNATION_AFTER_WIPE = new Broken("same-incarnation-after-wipe") {
    @Override
    public int incarnationAfterWipe(int previous, int fresh) {
      return previous;
    }
  };

  /**
   * (3) The sender attaches the closing vector to the first chunk of a multi-chunk delta, so the
   * receiver raises its vector before the rest has arrived (the network rewrites the chunks).
   */
  static final Behavior EARLY_VECTOR = new Broken("early-vector") {
    @Override
    public void cutChunks(LinkState link, int maxBytes, int budget, List<DeltaChunk> out) {
      DeltaChunk first = link.nextChunk(maxBytes);
      if (first == null) return;
      if (first.isLast()) {
        out.add(first);
        return;
      }
      List<DeltaChunk> rest = new java.util.ArrayList<>();
      DeltaChunk c;
      do {
        c = link.nextChunk(maxBytes);
        rest.add(c);
      } while (!c.isLast());
      out.add(new DeltaChunk(first.entries(), c.completes()));
      out.addAll(rest);
    }
  };

  /**
   * (4) The server stamps a write without the client's session (so without its clock), and the
   * client records only the dot of the reply, not its clock.
   */
  static final Behavior WRITE_WITHOUT_CLIENT_CLOCK = new Broken("write-without-client-clock") {
    @Override
    public List<Entry> serveWrite(Replica replica, SessionToken session, List<byte[]> keys,
        List<byte[]> values, long wallMillis) {
      return BASE.serveWrite(replica, new SessionToken(), keys, values, wallMillis);
    }

    @Override
    public void recordWriteReply(SessionToken clientToken, Entry written) {
      clientToken.observe(written.origin(), written.seq(), 0);
    }
  };

  /**
   * (5) After a crash the server numbers on from what its disk holds, as before the running
   * marker: after a power cut tore its log, it reuses dots that peers and clients already hold.
   */
  static final Behavior SAME_INCARNATION_AFTER_CRASH = new Broken("same-incarnation-after-crash") {
    @Override
    public boolean restartsAsAfterCleanStop() {
      return true;
    }
  };

  /**
   * (6) A log scan that fails part way ends as if the log ended there (a RocksDB iterator whose
   * status nobody checks): the delta closes with a vector that claims what it never carried.
   */
  static final Behavior FAILED_SCAN_ENDS_SILENTLY = new Broken("failed-scan-ends-silently") {
    @Override
    public boolean failedScanEndsSilently() {
      return true;
    }
  };

  /**
   * (7) The receiver ignores a delta's closing vector: it holds the data but its vector never
   * says so, so the cluster cannot be seen to converge.
   */
  static final Behavior IGNORES_CLOSING_VECTOR = new Broken("ignores-closing-vector") {
    @Override
    public boolean receiveChunk(LinkState link, List<DeltaChunk> held, DeltaChunk chunk,
        boolean push) {
      if (!chunk.isLast() || push) return BASE.receiveChunk(link, held, chunk, push);
      return BASE.receiveChunk(link, held, new DeltaChunk(chunk.entries(), new VersionVector()),
          push);
    }
  };

  /**
   * (8) The server drops tombstones that arrive from peers (a delete applied only where it was
   * issued): on every other replica the deleted value survives.
   */
  static final Behavior DROPS_REMOTE_DELETES = new Broken("drops-remote-deletes") {
    @Override
    public boolean receiveChunk(LinkState link, List<DeltaChunk> held, DeltaChunk chunk,
        boolean push) {
      List<Entry> kept = new java.util.ArrayList<>();
      for (Entry e : chunk.entries()) {
        if (!e.isTombstone()) kept.add(e);
      }
      return BASE.receiveChunk(link, held, new DeltaChunk(kept, chunk.completes()), push);
    }
  };

  /**
   * (9) The server replies before its log is written (no LogBarrier): a SIGKILL then loses
   * acknowledged writes that no other replica received.
   */
  static final Behavior REPLY_BEFORE_LOG_WRITE = new Broken("reply-before-log-write") {
    @Override
    public boolean writesLogBeforeReplies() {
      return false;
    }
  };

  static final List<Behavior> BROKEN = List.of(NO_SESSION_CHECK, SAME_INCARNATION_AFTER_WIPE,
      EARLY_VECTOR, WRITE_WITHOUT_CLIENT_CLOCK, SAME_INCARNATION_AFTER_CRASH,
      FAILED_SCAN_ENDS_SILENTLY, IGNORES_CLOSING_VECTOR, DROPS_REMOTE_DELETES, REPLY_BEFORE_LOG_WRITE);

  /** The behaviour named {@code name} (as in {@code -Dsim.variant=NAME}). */
  static Behavior byName(String name) {
    if (name.equals(Behavior.CORRECT.name())) return Behavior.CORRECT;
    if (name.equals(WHOLE_DELTAS.name())) return WHOLE_DELTAS;
    for (Behavior b : BROKEN) {
      if (b.name().equals(name)) return b;
    }
    throw new IllegalArgumentException("no simulation variant named '" + name + "'; known: "
        + Behavior.CORRECT.name() + ", " + WHOLE_DELTAS.name() + ", " + BROKEN);
  }

  /** A broken variant: {@link #BASE} with one method overridden. */
  private abstract static class Broken extends Behavior {
    private final String name;

    Broken(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Replica.ReadResult serveRead(Replica replica, SessionToken session, byte[] key) {
      return BASE.serveRead(replica, session, key);
    }

    @Override
    public List<Entry> serveWrite(Replica replica, SessionToken session, List<byte[]> keys,
        List<byte[]> values, long wallMillis) {
      return BASE.serveWrite(replica, session, keys, values, wallMillis);
    }

    @Override
    public void recordWriteReply(SessionToken clientToken, Entry written) {
      BASE.recordWriteReply(clientToken, written);
    }

    @Override
    public int incarnationAfterWipe(int previous, int fresh) {
      return BASE.incarnationAfterWipe(previous, fresh);
    }

    @Override
    public void cutChunks(LinkState link, int maxBytes, int budget, List<DeltaChunk> out) {
      BASE.cutChunks(link, maxBytes, budget, out);
    }

    @Override
    public boolean receiveChunk(LinkState link, List<DeltaChunk> held, DeltaChunk chunk,
        boolean push) {
      return BASE.receiveChunk(link, held, chunk, push);
    }

    @Override
    public boolean restartsAsAfterCleanStop() {
      return BASE.restartsAsAfterCleanStop();
    }

    @Override
    public boolean failedScanEndsSilently() {
      return BASE.failedScanEndsSilently();
    }

    @Override
    public boolean writesLogBeforeReplies() {
      return BASE.writesLogBeforeReplies();
    }
  }
}
