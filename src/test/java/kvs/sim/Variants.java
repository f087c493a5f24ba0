package kvs.sim;

import java.util.List;
import java.util.Set;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.LinkDriver;
import kvs.core.Replica;
import kvs.core.SessionToken;
import kvs.core.VersionVector;

/**
 * Behaviours of the simulated servers and clients other than the real one: deliberately
 * broken variants that the checker must catch (CheckerBitesTest). A link variant subclasses the
 * real {@link LinkDriver} and changes one rule, so that for every other rule the simulator runs
 * the server's own code.
 *
 * <p>Each broken variant changes exactly one thing on top of {@link #BASE}, so that when a seed
 * fails under a variant but passes under its base, the variant is what the checker caught.
 */
final class Variants {
  private Variants() {}

  /** What the broken variants are built on: the real server's and client's behaviour. */
  static final Behavior BASE = Behavior.CORRECT;

  /** (1) Serves reads even when the server lacks writes the session has seen. */
  static final Behavior NO_SESSION_CHECK = new Broken("no-session-check",
      "serves `Replica.peek` when the vector does not cover the session") {
    @Override
    public Replica.ReadResult serveRead(Replica replica, SessionToken session, byte[] key,
        long wallMillis) {
      if (replica.covers(session.deps())) return BASE.serveRead(replica, session, key, wallMillis);
      Entry e = replica.peek(key);
      if (e == null) return new Replica.ReadResult(Replica.ReadStatus.NOT_FOUND, null);
      session.observe(e);
      replica.now(wallMillis);
      Entry shown = replica.liveEntry(key); // a counter's value, a hash's head with a field
      return shown != null ? new Replica.ReadResult(Replica.ReadStatus.FOUND, shown)
          : new Replica.ReadResult(Replica.ReadStatus.NOT_FOUND, e);
    }
  };

  /** (2) A wiped server comes back under its old incarnation, counting from 1 again. */
  static final Behavior SAME_INCARNATION_AFTER_WIPE = new Broken("same-incarnation-after-wipe",
      "a wiped server restarts under its old incarnation, counting from 1 again") {
    @Override
    public int incarnationAfterWipe(int previous, int fresh) {
      return previous;
    }
  };

  /**
   * (3) The sender attaches the closing vector to the first chunk of a multi-chunk delta, so the
   * receiver raises its vector before the rest has arrived.
   */
  static final Behavior EARLY_VECTOR = new Broken("early-vector",
      "the sender attaches the closing vector to the first chunk of a multi-chunk delta") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        @Override
        protected void sendDeltas(long at) {
          DeltaChunk first = state.nextChunk(chunkBytes);
          if (first == null) return;
          if (first.isLast()) {
            wire.send(Kind.DELTA, first.encode());
            return;
          }
          List<DeltaChunk> rest = new java.util.ArrayList<>();
          DeltaChunk c;
          do {
            c = state.nextChunk(chunkBytes);
            rest.add(c);
          } while (!c.isLast());
          wire.send(Kind.DELTA, new DeltaChunk(first.entries(), c.completes()).encode());
          for (DeltaChunk r : rest) wire.send(Kind.DELTA, r.encode());
        }
      };
    }
  };

  /**
   * (4) The server stamps a write without the client's session (so without its clock), and the
   * client records only the dot of the reply, not its clock.
   */
  static final Behavior WRITE_WITHOUT_CLIENT_CLOCK = new Broken("write-without-client-clock",
      "the server stamps with a fresh session; the client records only the dot") {
    @Override
    public List<Entry> serveWrite(Replica replica, SessionToken session, List<byte[]> keys,
        List<byte[]> values, long[] expiries, long wallMillis) {
      return BASE.serveWrite(replica, new SessionToken(), keys, values, expiries, wallMillis);
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
  static final Behavior SAME_INCARNATION_AFTER_CRASH = new Broken("same-incarnation-after-crash",
      "a restart numbers on from what the disk holds (the behaviour before the running marker): after a power cut it reuses dots") {
    @Override
    public boolean restartsAsAfterCleanStop() {
      return true;
    }
  };

  /**
   * (6) A log scan that fails part way ends as if the log ended there (a RocksDB iterator whose
   * status nobody checks): the delta closes with a vector that claims what it never carried.
   */
  static final Behavior FAILED_SCAN_ENDS_SILENTLY = new Broken("failed-scan-ends-silently",
      "a log scan that fails ends as if the log ended (an unchecked RocksDB iterator)") {
    @Override
    public boolean failedScanEndsSilently() {
      return true;
    }
  };

  /**
   * (7) The receiver ignores a delta's closing vector: it holds the data but its vector never
   * says so, so the cluster cannot be seen to converge.
   */
  static final Behavior IGNORES_CLOSING_VECTOR = new Broken("ignores-closing-vector",
      "the receiver never merges a delta's closing vector") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        @Override
        protected List<Entry> receiveChunk(DeltaChunk chunk) {
          if (!chunk.isLast()) return super.receiveChunk(chunk);
          return super.receiveChunk(new DeltaChunk(chunk.entries(), new VersionVector()));
        }
      };
    }
  };

  /**
   * (8) The server drops tombstones that arrive from peers (a delete applied only where it was
   * issued): on every other replica the deleted value survives.
   */
  static final Behavior DROPS_REMOTE_DELETES = new Broken("drops-remote-deletes",
      "tombstones from peers are not applied") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        @Override
        protected List<Entry> receiveChunk(DeltaChunk chunk) {
          List<Entry> kept = new java.util.ArrayList<>();
          for (Entry e : chunk.entries()) {
            if (!e.isTombstone()) kept.add(e);
          }
          return super.receiveChunk(new DeltaChunk(kept, chunk.completes(), chunk.push()));
        }
      };
    }
  };

  /**
   * (9) The server replies before its log is written (no LogBarrier): a SIGKILL then loses
   * acknowledged writes that no other replica received.
   */
  static final Behavior REPLY_BEFORE_LOG_WRITE = new Broken("reply-before-log-write",
      "replies before the log is written (no `LogBarrier`): a SIGKILL loses acknowledged writes") {
    @Override
    public boolean writesLogBeforeReplies() {
      return false;
    }
  };

  /**
   * (10) The link postpones every delta, as if the peer were linked to every origin, so relays
   * never happen: writes that must cross a server in between (a chain, a tree, a mesh with a cut
   * link) reach the peer only while pushes carry them, and never after a partition.
   */
  static final Behavior POSTPONES_FOREVER = new Broken("postpones-forever",
      "a `LinkDriver` that takes every origin for relayed by the peer's own links, so it never relays") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        @Override
        protected boolean relayedByPeerLink(long origin) {
          return true;
        }
      };
    }
  };

  /**
   * (11) The link remembers every origin the peer ever said it was linked to and leaves that
   * origin's writes to the peer's link for good: once that link drops, nobody relays them.
   */
  static final Behavior SKIPS_ORIGIN_FOR_GOOD = new Broken("skips-origin-for-good",
      "a `LinkDriver` that keeps skipping an origin the peer was once linked to") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        private final Set<Long> ever = new java.util.TreeSet<>();

        @Override
        protected boolean relayedByPeerLink(long origin) {
          ever.addAll(peerLinkedOrigins);
          return ever.contains(origin);
        }
      };
    }
  };

  /**
   * (12) The server checks expiry only for its own writes: an entry that came from a peer is
   * served as long as it has a value, its expiry ignored (a read path that forgot the field).
   */
  static final Behavior IGNORES_REMOTE_EXPIRY = new Broken("ignores-remote-expiry",
      "reads ignore the expiry of entries written by another server") {
    @Override
    public Replica.ReadResult serveRead(Replica replica, SessionToken session, byte[] key,
        long wallMillis) {
      Replica.ReadResult r = BASE.serveRead(replica, session, key, wallMillis);
      Entry e = r.entry();
      // (a string's expiry: a counter or hash head that reads as absent has other reasons)
      if (r.status() == Replica.ReadStatus.NOT_FOUND && e != null && !e.isTombstone()
          && e.kind() == Entry.KIND_STRING && e.origin() != replica.origin()) {
        return new Replica.ReadResult(Replica.ReadStatus.FOUND, e);
      }
      return r;
    }
  };

  /**
   * (13) The wire drops the expiry field: a peer receives the write without its expiry (an
   * encoder of the old format), so the key never expires there.
   */
  static final Behavior DROPS_EXPIRY_ON_WIRE = new Broken("drops-expiry-on-wire",
      "replication carries writes without their expiry") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        @Override
        protected List<Entry> receiveChunk(DeltaChunk chunk) {
          List<Entry> kept = new java.util.ArrayList<>();
          for (Entry e : chunk.entries()) {
            kept.add(new Entry(e.key(), e.value(), e.clock(), e.origin(), e.seq(), 0,
                e.batchPreceding(), e.batchFollowing(), e.kind()));
          }
          return super.receiveChunk(new DeltaChunk(kept, chunk.completes(), chunk.push()));
        }
      };
    }
  };

  /**
   * (14) The link pushes a write batch one write per message (a split that ignores batches):
   * a peer applies part of a transaction, and its reads show it without the rest.
   */
  static final Behavior SPLITS_BATCHES = new Broken("splits-batches",
      "pushes cut write batches apart, one write per message") {
    @Override
    LinkDriver driver(LinkDriver.Setup setup) {
      return new LinkDriver(setup) {
        @Override
        public void forward(List<Entry> entries, long now) {
          for (Entry e : entries) super.forward(List.of(e), now);
        }
      };
    }
  };

  /**
   * (15) A counter that keeps the latest value: INCRBY reads the value and writes the sum back
   * as one last-writer-wins string, as a read-modify-write string command does
   * (StringEditCommands), so of two increments made at the same time on two servers one is lost.
   */
  static final Behavior COUNTER_KEEPS_LATEST = new Broken("counter-keeps-latest",
      "INCRBY writes the new value as a last-writer-wins string") {
    @Override
    public Replica.Increment serveIncrement(Replica replica, SessionToken session, byte[] key,
        long delta, long wallMillis) {
      Replica.ReadResult r = replica.read(session, key, wallMillis);
      java.math.BigDecimal current = r.status() == Replica.ReadStatus.FOUND
          ? kvs.core.Counters.parse(r.entry().value()) : java.math.BigDecimal.ZERO;
      java.math.BigDecimal next = current.add(java.math.BigDecimal.valueOf(delta));
      List<Entry> written = replica.write(session, List.of(key),
          List.of(kvs.core.Counters.format(next)), wallMillis);
      return new Replica.Increment(next, written);
    }
  };

  /**
   * (17) Collects every tombstone and remnant its own vector covers, as if it were the only
   * member: what other members still lack or may still overwrite with an older write is gone.
   */
  static final Behavior COLLECTS_UNSTABLE = new Broken("collects-unstable",
      "collects tombstones by its own vector alone, ignoring the other members and the clock bound") {
    @Override
    public byte[] collect(Replica replica, kvs.core.Stability stability, byte[] from,
        int maxExamined, List<Entry> collected) {
      return replica.collectStable(replica.vv(), Long.MAX_VALUE, from, maxExamined, collected);
    }
  };

  /**
   * (16) DEL of a hash writes a plain tombstone, as for a string: last-writer-wins against the
   * fields, so a field set on another server at the same time vanishes if the DEL is later.
   */
  static final Behavior HASH_DELETE_IS_A_TOMBSTONE = new Broken("hash-delete-is-a-tombstone",
      "DEL of a hash writes a tombstone instead of a head hiding the fields it saw") {
    @Override
    public List<Entry> serveDelete(Replica replica, SessionToken session, byte[] key,
        long wallMillis) {
      Entry head = replica.peek(key);
      if (head == null || head.kind() != Entry.KIND_HASH) {
        return BASE.serveDelete(replica, session, key, wallMillis);
      }
      return replica.write(session, List.of(key), java.util.Collections.singletonList(null),
          wallMillis);
    }
  };

  /**
   * HINCRBY of a hash field reads the field and writes the sum as the field's register, as
   * before field counters: two servers adding to one field at the same time keep the later sum,
   * and the other increment is lost.
   */
  static final Behavior HASH_FIELD_INCR_KEEPS_LATEST = new Broken("hash-field-incr-keeps-latest",
      "HINCRBY writes the field's sum as its last-writer-wins register instead of a running"
      + " total per origin") {
    @Override
    public List<Entry> serveHincrby(Replica replica, SessionToken session, byte[] key,
        byte[] field, long delta, long wallMillis) {
      Long current = hashFieldNumber(replica, session, key, field);
      if (current == null) return null;
      byte[] sum = Long.toString(current + delta).getBytes(
          java.nio.charset.StandardCharsets.ISO_8859_1);
      return replica.hset(session, key, List.of(field), List.of(sum), wallMillis);
    }
  };

  /**
   * (18) Collects tombstones by the stable vector but without the clock bound (remnants still
   * wait for every member's clock to pass their expiry): a write stamped below the tombstone,
   * issued by a member before it saw the tombstone, may still be on its way, for instance from
   * an incarnation that ended in a power cut.
   */
  static final Behavior IGNORES_CLOCK_BOUND = new Broken("ignores-clock-bound",
      "collects tombstones the stable vector covers, ignoring the clock bound") {
    @Override
    public byte[] collect(Replica replica, kvs.core.Stability stability, byte[] from,
        int maxExamined, List<Entry> collected) {
      long bound = stability.clockBound(); // still the rule for remnants' expiry
      return replica.collectStable(stability.stableVector(), Long.MAX_VALUE,
          bound < 0 ? -1 : bound >>> 16, from, maxExamined, collected);
    }
  };

  /**
   * (22) Collects tombstones by the rule, but the garbage of typed keys' elements (a removed set
   * or sorted-set member's registers, a hash field's tombstone) by its own vector alone, as if
   * it were the only member: a delta it sends to a member that lacks a collected removal carries
   * nothing for it and raises that member's vector past it, so the member shows the removed
   * member for good.
   */
  static final Behavior COLLECTS_ELEMENTS_UNSTABLE = new Broken("collects-elements-unstable",
      "collects element garbage (set and sorted-set registers, hash field tombstones) by its own"
      + " vector alone, ignoring the other members") {
    @Override
    public byte[] collect(Replica replica, kvs.core.Stability stability, byte[] from,
        int maxExamined, List<Entry> collected) {
      VersionVector stable = stability.stableVector();
      long bound = stability.clockBound();
      byte[] next = replica.collectStable(stable, bound, bound < 0 ? -1 : kvs.core.Hlc.physicalMillis(bound),
          replica.vv(), Long.MAX_VALUE, from, maxExamined, collected);
      replica.collectLogRecords(stable, maxExamined);
      return next;
    }
  };

  /**
   * (19) SREM removes the member for good: its register records every origin this server knows
   * as removed up to any sequence, so an SADD on another server that it had not seen is hidden
   * too (remove wins, where the set is observed-remove: add wins).
   */
  static final Behavior SET_REMOVE_WINS = new Broken("set-remove-wins",
      "SREM hides every add of the member, seen or not (remove wins over a concurrent add)") {
    @Override
    public List<Entry> serveSrem(Replica replica, SessionToken session, byte[] key,
        byte[] member, long wallMillis) {
      if (!replica.setContains(new SessionToken(), key, member)) return List.of();
      java.util.Map<Long, Long> all = new java.util.HashMap<>();
      for (Long o : replica.vv().asMap().keySet()) {
        if (o != replica.origin()) all.put(o, Long.MAX_VALUE);
      }
      byte[] own = kvs.core.Elements.key(key, Entry.KIND_SET,
          kvs.core.Sets.subKey(member, replica.origin()));
      return replica.write(session, List.of(own),
          List.of(new kvs.core.Sets.Register(false, all).encode()), wallMillis);
    }
  };

  /**
   * A ZINCRBY that writes the new score back as an assignment (a ZADD of the score it read plus
   * the increment, as a read-modify-write would), so of two concurrent ZINCRBY of one member on
   * two servers the later by version wins and the other increment is lost.
   */
  static final Behavior ZSET_SCORE_KEEPS_LATEST = new Broken("zset-score-keeps-latest",
      "ZINCRBY writes the score it read plus the increment as a ZADD (the latest overwrites a"
          + " concurrent increment)") {
    @Override
    public List<Entry> serveZadd(Replica replica, SessionToken session, byte[] key,
        byte[] member, Double score, Long delta, long wallMillis) {
      if (delta == null) return super.serveZadd(replica, session, key, member, score, null,
          wallMillis);
      Double cur = replica.zscore(new SessionToken(), key, member);
      return super.serveZadd(replica, session, key, member, (cur == null ? 0 : cur) + delta,
          null, wallMillis);
    }
  };

  /**
   * (22) The operator retires every dead incarnation as soon as every server runs again, without
   * waiting for the servers to agree (step 2 of docs/deployment.md's Retiring a server skipped):
   * a write of it still on its way, stamped below a tombstone that its frozen bound had held
   * back and that is collected since, brings the key back where it was collected.
   */
  static final Behavior RETIRES_WITHOUT_AGREEMENT = new Broken("retires-without-agreement",
      "the operator retires dead incarnations (`KVS.RETIRE`) without waiting for the servers to"
          + " agree") {
    @Override
    public boolean retiresOnlyOnceServersAgree() {
      return false;
    }
  };

  /**
   * (25) The operator retires a server for good ({@code KVS.RETIRE <id>}) as soon as it decided
   * to take it down, while it is still up, without waiting for the servers to agree (step 2 of
   * docs/deployment.md's Retiring a server skipped): the writes only it held are lost with it,
   * and those still on their way, no longer held back by its bound, may arrive below tombstones
   * collected meanwhile and bring deleted keys back.
   */
  static final Behavior RETIRES_SERVER_WITHOUT_AGREEMENT = new Broken(
      "retires-server-without-agreement",
      "the operator retires a server for good (`KVS.RETIRE <id>`) while it runs, without waiting"
          + " for the servers to agree") {
    @Override
    public boolean retiresServerOnlyOnceServersAgree() {
      return false;
    }
  };

  /**
   * (26) A server that knows a server was retired for good still takes its links (no
   * {@code Stability.linkRefusal} in the handshake): a retired server started again by mistake
   * links with the members, and the writes it takes after its retirement reach them.
   */
  static final Behavior ACCEPTS_RETIRED_SERVER_LINKS = new Broken("accepts-retired-server-links",
      "servers take the links of a server retired for good (`KVS.RETIRE <id>`), which runs again"
          + " by mistake") {
    @Override
    public boolean refusesRetiredServerLinks() {
      return false;
    }
  };

  /**
   * (24) Collects everything by the rule, and then the removed sorted-set members' registers
   * ({@code SortedSets.garbage}) once more by its own vector alone: a zset removal goes before
   * every member holds it, so a member that lacks it shows the removed member for good (and
   * the digests differ). The extra pass reads only sorted-set registers: each run of them is
   * one collection slice starting at its first register, its budget exactly the run's length.
   */
  static final Behavior COLLECTS_ZSET_ELEMENTS_UNSTABLE = new Broken(
      "collects-zset-elements-unstable",
      "collects removed sorted-set members' registers by its own vector alone, ignoring the other"
          + " members (everything else by the rule)") {
    @Override
    public byte[] collect(Replica replica, kvs.core.Stability stability, byte[] from,
        int maxExamined, List<Entry> collected) {
      byte[] next = super.collect(replica, stability, from, maxExamined, collected);
      List<byte[]> runStarts = new java.util.ArrayList<>();
      List<Integer> runLengths = new java.util.ArrayList<>();
      boolean[] inRun = {false};
      replica.forEachFrom(null, e -> {
        if (isZsetRegister(e.key())) {
          if (!inRun[0]) {
            runStarts.add(e.key());
            runLengths.add(0);
          }
          runLengths.set(runLengths.size() - 1, runLengths.get(runLengths.size() - 1) + 1);
        }
        inRun[0] = isZsetRegister(e.key());
        return true;
      });
      VersionVector own = replica.vv();
      for (int i = 0; i < runStarts.size(); i++) {
        replica.collectStable(stability.stableVector(), stability.clockBound(), -1, own,
            Long.MAX_VALUE, runStarts.get(i), runLengths.get(i), collected);
      }
      return next;
    }

    private boolean isZsetRegister(byte[] key) {
      if (!kvs.core.Elements.isElementKey(key) || key.length < 6) return false;
      int n = java.nio.ByteBuffer.wrap(key, 1, 4).getInt();
      return n >= 0 && 5 + n < key.length && key[5 + n] == Entry.KIND_ZSET;
    }
  };

  /**
   * (25) Seals a dead incarnation's vector entry as soon as a newer incarnation of its server is
   * heard of, without waiting for the operator's retirement or for every member to hold all of
   * it: a sealed server reads as holding every write of it, so a write of it that it still lacks
   * is never sent to it (its peers' deltas skip what its vector covers), and it misses it for good.
   */
  static final Behavior SEALS_UNRETIRED = new Broken("seals-unretired",
      "seals a dead incarnation's vector entry once a newer incarnation of its server is heard of,"
          + " without waiting for its retirement and for every member to hold all of it") {
    @Override
    public int seal(Replica replica, kvs.core.Stability stability) {
      java.util.Map<Integer, long[]> current = new java.util.HashMap<>(); // id: {origin, clock}
      stability.forEachKnown((id, origin, vv, clock) -> {
        long[] c = current.get(id);
        if (c == null || clock > c[1]) current.put(id, new long[] {origin, clock});
      });
      Set<Long> dead = new java.util.TreeSet<>();
      for (long o : replica.vv().asMap().keySet()) {
        long[] c = current.get(kvs.core.Origins.serverId(o));
        if (o != replica.origin() && c != null && c[0] != o) dead.add(o);
      }
      return replica.seal(dead);
    }
  };

  static final List<Behavior> BROKEN = List.of(NO_SESSION_CHECK, SAME_INCARNATION_AFTER_WIPE,
      EARLY_VECTOR, WRITE_WITHOUT_CLIENT_CLOCK, SAME_INCARNATION_AFTER_CRASH,
      FAILED_SCAN_ENDS_SILENTLY, IGNORES_CLOSING_VECTOR, DROPS_REMOTE_DELETES,
      REPLY_BEFORE_LOG_WRITE, POSTPONES_FOREVER, SKIPS_ORIGIN_FOR_GOOD, IGNORES_REMOTE_EXPIRY,
      DROPS_EXPIRY_ON_WIRE, SPLITS_BATCHES, COUNTER_KEEPS_LATEST, HASH_DELETE_IS_A_TOMBSTONE,
      COLLECTS_UNSTABLE, IGNORES_CLOCK_BOUND, SET_REMOVE_WINS, ZSET_SCORE_KEEPS_LATEST,
      HASH_FIELD_INCR_KEEPS_LATEST, RETIRES_WITHOUT_AGREEMENT, COLLECTS_ELEMENTS_UNSTABLE,
      COLLECTS_ZSET_ELEMENTS_UNSTABLE, RETIRES_SERVER_WITHOUT_AGREEMENT,
      ACCEPTS_RETIRED_SERVER_LINKS, SEALS_UNRETIRED);

  /** The behaviour named {@code name} (as in {@code -Dsim.variant=NAME}). */
  static Behavior byName(String name) {
    if (name.equals(Behavior.CORRECT.name())) return Behavior.CORRECT;
    for (Behavior b : BROKEN) {
      if (b.name().equals(name)) return b;
    }
    throw new IllegalArgumentException("no simulation variant named '" + name + "'; known: "
        + Behavior.CORRECT.name() + ", " + BROKEN);
  }

  /** A broken variant: {@link #BASE} with one thing changed. */
  abstract static class Broken extends Behavior {
    private final String name;
    /** What the variant breaks, for docs/simulation.md's table (CheckerBitesTest writes it). */
    final String breaks;

    Broken(String name, String breaks) {
      this.name = name;
      this.breaks = breaks;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Replica.ReadResult serveRead(Replica replica, SessionToken session, byte[] key,
        long wallMillis) {
      return BASE.serveRead(replica, session, key, wallMillis);
    }

    @Override
    public List<Entry> serveWrite(Replica replica, SessionToken session, List<byte[]> keys,
        List<byte[]> values, long[] expiries, long wallMillis) {
      return BASE.serveWrite(replica, session, keys, values, expiries, wallMillis);
    }

    @Override
    public void recordWriteReply(SessionToken clientToken, Entry written) {
      BASE.recordWriteReply(clientToken, written);
    }

    @Override
    public int incarnationAfterWipe(int previous, int fresh) {
      return BASE.incarnationAfterWipe(previous, fresh);
    }

    /** The driver of this variant's links: the real one unless the variant changes a rule. */
    LinkDriver driver(LinkDriver.Setup setup) {
      return BASE.newDriver(setup);
    }

    @Override
    public final LinkDriver newDriver(LinkDriver.Setup setup) {
      return driver(setup);
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
