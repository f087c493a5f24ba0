package kvs.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvs.core.Entry;
import kvs.core.Origins;
import kvs.core.Replica;
import kvs.core.Store;

/**
 * The simulation's oracle: a history of every write ever issued and of what each session has
 * written and read, checked as it happens and once more after the cluster has healed.
 *
 * <p>What it demands (docs/simulation.md states the same with its fault model):
 * <ul>
 *   <li>No dot is issued twice, and every entry seen anywhere (a read, a delta on the wire, a
 *       store) is exactly the write its dot was issued for.</li>
 *   <li>Read your writes and monotonic reads: unless refused ({@code ERR_DEP}), a session's read
 *       of a key returns a version at least as high as every version of that key the session
 *       has written or read before.</li>
 *   <li>A session's write is stamped above every clock the session has seen, so it beats
 *       everything the session wrote or read before, wherever it was accepted.</li>
 *   <li>Expiry: a value is served only before its expiry on the reading server's time for
 *       expiry (its wall clock, never going back while it runs, and never below its hybrid
 *       clock), and reads as absent from then on; an expired write never hides an older one.</li>
 *   <li>No acknowledged write is lost and no deleted key comes back: after healing, each key's
 *       value has a version at least that of every write of the key that was not destroyed.
 *       A write is destroyed only when a wiped disk, or one cut short by a power cut, was the
 *       last whose store held it or something that supersedes it ({@link #onLoss}).</li>
 * </ul>
 *
 * <p>Lookups use hash maps; nothing that decides the course of a run iterates one.
 */
final class Checker {
  private final byte[][] keys;
  /** By key: the highest tombstone or remnant some replica collected (see {@link #collected}). */
  private final Map<java.nio.ByteBuffer, Entry> collectedByKey = new HashMap<>();
  private final Map<Dot, Write> byDot = new HashMap<>();
  private final List<Write> writes = new ArrayList<>(); // in issue order
  private final Map<Long, Long> maxSeqByOrigin = new HashMap<>();
  private final Session[] sessions;
  private final java.util.Set<java.nio.ByteBuffer> typedKeys = new java.util.HashSet<>();
  /** Each write of an atomic batch (by dot) to its whole batch, in order. */
  private final Map<Dot, List<Entry>> batchOf = new HashMap<>();

  record Dot(long origin, long seq) {}

  static final class Write {
    final Entry entry;
    final int keyIndex;
    final int client;
    final int step;
    boolean acknowledged;
    boolean destroyed;

    Write(Entry entry, int keyIndex, int client, int step) {
      this.entry = entry;
      this.keyIndex = keyIndex;
      this.client = client;
      this.step = step;
    }
  }

  /** What one session has seen: per key the highest version, and the highest clock overall. */
  static final class Session {
    final Entry[] highestByKey;
    long highestClock;

    Session(int keys) {
      this.highestByKey = new Entry[keys];
    }
  }

  Checker(byte[][] keys, byte[][] counterKeys, int clients) {
    this.keys = keys;
    for (byte[] k : counterKeys) typedKeys.add(java.nio.ByteBuffer.wrap(k));
    this.sessions = new Session[clients];
    for (int i = 0; i < clients; i++) sessions[i] = new Session(keys.length);
  }

  int writesIssued() {
    return writes.size();
  }

  long maxSeqIssued(long origin) {
    return maxSeqByOrigin.getOrDefault(origin, 0L);
  }

  /** Records a write a server has just committed (acknowledged or not). */
  void issued(Entry e, int client, int step) {
    Dot dot = new Dot(e.origin(), e.seq());
    Write before = byDot.get(dot);
    if (before != null) {
      throw new Violation(Violation.Rule.DOT_REUSE, "dot " + show(dot) + " issued twice: first " + describe(before.entry)
          + " at step " + before.step + ", again " + describe(e)
          + (before.entry.equals(e) ? "" : " with different content"));
    }
    Write w = new Write(e, typedKey(e.key()) ? -1 : keyIndex(e.key()), client, step);
    byDot.put(dot, w);
    writes.add(w);
    maxSeqByOrigin.merge(e.origin(), e.seq(), Math::max);
  }

  /**
   * A replica removed {@code e}, a tombstone or expiry remnant, as stable
   * ({@code Replica.collectStable}). From then on a key absent on a replica stands for the
   * highest entry of the key collected anywhere, and for nothing above it.
   */
  void collected(Entry e) {
    collectedByKey.merge(java.nio.ByteBuffer.wrap(e.key()), e,
        (a, b) -> compare(b, a) > 0 ? b : a);
  }

  /** True when an entry of {@code key} at or above {@code e} was collected somewhere. */
  boolean collectedAtLeast(byte[] key, Entry e) {
    Entry c = collectedByKey.get(java.nio.ByteBuffer.wrap(key));
    return c != null && compare(c, e) >= 0;
  }

  /**
   * True for the storage keys of counters (their heads and elements), whose writes are
   * recorded here by dot (for dot reuse, never-issued claims and destruction by faults) and
   * judged by {@link CounterModel}, not by the per-key version rules of string keys.
   */
  private boolean typedKey(byte[] key) {
    return kvs.core.Elements.isElementKey(key) || typedKeys.contains(java.nio.ByteBuffer.wrap(key));
  }

  /** Whether the write {@code e} (a dot issued here) was destroyed by a fault ({@link #onLoss}). */
  boolean destroyed(Entry e) {
    Write w = byDot.get(dotOf(e));
    return w != null && w.destroyed;
  }

  /** Records an atomic batch just committed (a transaction, or a write of several keys). */
  void batchIssued(List<Entry> written) {
    if (written.size() < 2 || !written.get(0).inBatch()) return;
    List<Entry> batch = List.copyOf(written);
    for (Entry e : batch) batchOf.put(dotOf(e), batch);
  }

  /**
   * Rule 8, atomic batches: after a replica applied a chunk, every batch the chunk carried part
   * of is there whole or not at all. Once the replica holds one write of the batch itself, it
   * must hold, for every key of the batch, that batch's write or a newer one: a peer never shows
   * part of a transaction.
   */
  void checkBatches(Replica replica, List<Entry> chunk, String where) {
    java.util.Set<List<Entry>> checked =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Entry e : chunk) {
      List<Entry> batch = batchOf.get(dotOf(e));
      if (batch == null || !checked.add(batch)) continue;
      Entry shown = null;
      for (Entry w : batch) {
        if (w.sameDot(replica.peek(w.key()))) {
          shown = w;
          break;
        }
      }
      if (shown == null) continue;
      for (Entry w : batch) {
        Entry held = replica.peek(w.key());
        if (held == null && collectedAtLeast(w.key(), w)) {
          continue; // collected as stable
        }
        if (held == null || compare(held, w) < 0) {
          throw new Violation(Violation.Rule.BATCH, where + ": holds " + describe(shown)
              + " of an atomic batch of " + batch.size() + " writes but not " + describe(w)
              + " (it holds " + (held == null ? "nothing" : describe(held)) + ")");
        }
      }
    }
  }

  /** Every entry seen outside a write's reply must be exactly the write its dot was issued for. */
  void known(Entry e, String where) {
    Write w = byDot.get(new Dot(e.origin(), e.seq()));
    if (w == null) {
      throw new Violation(Violation.Rule.NEVER_ISSUED, where + ": entry with a dot that was never issued: " + describe(e));
    }
    Entry issued = w.entry;
    if (issued.equals(e) || e.isRemnant() && issued.hasExpiry() && issued.remnant().equals(e)) {
      return; // the write, or what a sweep leaves of it once expired
    }
    Entry withIssuedExpiry = new Entry(e.key(), e.value(), e.clock(), e.origin(), e.seq(),
        issued.expiry(), e.batchPreceding(), e.batchFollowing());
    if (e.expiry() != issued.expiry() && (issued.equals(withIssuedExpiry)
        || issued.hasExpiry() && e.isTombstone() && issued.remnant().equals(withIssuedExpiry))) {
      throw new Violation(Violation.Rule.EXPIRY, where + ": " + describe(e)
          + " is the write issued as " + describe(issued) + " with another expiry");
    }
    throw new Violation(Violation.Rule.DOT_REUSE, where + ": dot " + Origins.toString(e.origin()) + ":" + e.seq()
        + " carries " + describe(e) + " but was issued as " + describe(w.entry));
  }

  /**
   * Checks a read served to {@code client} against its session, then records what it saw.
   * {@code wallMillis} is the reading server's wall clock at the read and {@code expiryNow} its
   * time for expiry: the highest wall clock it was given since it (re)started, and at least the
   * physical part of its hybrid clock. A value with an expiry at or before {@code expiryNow}
   * (so at or before {@code wallMillis} too) must read as absent, and any other value as
   * present (rule 7 of docs/simulation.md).
   */
  void read(int client, int keyIndex, Replica.ReadResult r, String where, long wallMillis,
      long expiryNow) {
    if (r.status() == Replica.ReadStatus.MISSING_DEPENDENCY) return; // always allowed
    Entry got = r.entry();
    if (got != null) {
      known(got, where);
      if (keyIndex(got.key()) != keyIndex) {
        throw new Violation(Violation.Rule.REPLY, where + ": read of " + keyName(keyIndex) + " returned " + describe(got));
      }
      boolean found = r.status() == Replica.ReadStatus.FOUND;
      if (got.isTombstone() && found) {
        throw new Violation(Violation.Rule.REPLY, where + ": status " + r.status() + " for " + describe(got));
      }
      if (got.isRemnant() && !got.expiredAt(expiryNow)) {
        throw new Violation(Violation.Rule.EXPIRY, where + ": the expired value of "
            + describe(got) + " was removed on a server, but this one's time for expiry is "
            + expiryNow + ", before the expiry");
      }
      if (!got.isTombstone() && found && got.expiredAt(expiryNow)) {
        throw new Violation(Violation.Rule.EXPIRY, where + ": served " + describe(got)
            + " although it expired: the server's wall clock reads " + wallMillis
            + " and its time for expiry " + expiryNow);
      }
      if (!got.isTombstone() && !found && !got.expiredAt(expiryNow)) {
        throw new Violation(Violation.Rule.EXPIRY, where + ": " + describe(got)
            + " read as absent before its expiry (time for expiry " + expiryNow + ")");
      }
    } else if (r.status() != Replica.ReadStatus.NOT_FOUND) {
      throw new Violation(Violation.Rule.REPLY, where + ": status " + r.status() + " without an entry");
    }
    Session s = sessions[client];
    Entry floor = s.highestByKey[keyIndex];
    if (floor != null && (got == null ? !collectedAtLeast(keys[keyIndex], floor)
        : compare(got, floor) < 0)) {
      throw new Violation(Violation.Rule.SESSION, where + ": client " + client + " read " + keyName(keyIndex) + " = "
          + (got == null ? "nothing" : describe(got)) + ", older than " + describe(floor)
          + ", which the session had already " + (wroteItself(client, floor) ? "written" : "read")
          + " (" + (wroteItself(client, floor) ? "read your writes" : "monotonic reads") + ")");
    }
    if (got != null) see(s, keyIndex, got);
  }

  /** Checks a write acknowledged to {@code client}, then records it in the session. */
  void acknowledged(int client, Entry e, String where) {
    Write w = byDot.get(dotOf(e));
    Session s = sessions[client];
    if (e.clock() <= s.highestClock) {
      throw new Violation(Violation.Rule.SESSION, where + ": client " + client + "'s write " + describe(e)
          + " is stamped at or below clock " + s.highestClock
          + " that the session had already seen, so it may lose to what the session saw before");
    }
    w.acknowledged = true;
    if (w.keyIndex >= 0) {
      see(s, w.keyIndex, e);
    } else {
      s.highestClock = Math.max(s.highestClock, e.clock());
    }
  }

  private boolean wroteItself(int client, Entry e) {
    Write w = byDot.get(dotOf(e));
    return w != null && w.client == client && w.acknowledged;
  }

  private void see(Session s, int keyIndex, Entry e) {
    Entry floor = s.highestByKey[keyIndex];
    if (floor == null || compare(e, floor) > 0) s.highestByKey[keyIndex] = e;
    s.highestClock = Math.max(s.highestClock, e.clock());
  }

  /**
   * A disk lost data: wiped, or cut short by a power cut. Every write that no store now holds,
   * neither itself nor anything superseding it, is destroyed: the fault model allows losing it.
   * Stores of crashed servers count as they will come back.
   */
  void onLoss(Store[] stores) {
    for (Write w : writes) {
      if (w.destroyed) continue;
      boolean held = false;
      for (int i = 0; i < stores.length && !held; i++) {
        Entry x = stores[i].get(w.entry.key());
        held = x != null && compare(x, w.entry) >= 0;
      }
      held |= collectedAtLeast(w.entry.key(), w.entry); // collected, not lost
      w.destroyed = !held;
    }
  }

  /**
   * A write taken by a server after its retirement ({@code KVS.RETIRE <id>}): out of the cluster
   * for good, so lost like a destroyed one (the simulator checks that no member ever holds it).
   */
  void outOfCluster(Entry e) {
    Write w = byDot.get(new Dot(e.origin(), e.seq()));
    if (w != null) w.destroyed = true;
  }

  int destroyed(boolean acknowledgedOnly) {
    int n = 0;
    for (Write w : writes) {
      if (w.destroyed && (w.acknowledged || !acknowledgedOnly)) n++;
    }
    return n;
  }

  /** After healing: every write not destroyed is at or below the key's final version. */
  void checkFinal(Replica replica) {
    Entry[] finals = new Entry[keys.length];
    for (int k = 0; k < keys.length; k++) {
      finals[k] = replica.peek(keys[k]);
      if (finals[k] != null) known(finals[k], "final store of server " + replica.serverId());
    }
    for (Write w : writes) {
      if (w.destroyed || w.keyIndex < 0) continue;
      Entry f = finals[w.keyIndex];
      if (f == null && collectedAtLeast(w.entry.key(), w.entry)) continue; // collected as stable
      if (f == null || compare(f, w.entry) < 0) {
        String what = w.acknowledged ? "acknowledged" : "unacknowledged but committed";
        String lost = w.entry.isTombstone() && f != null && !f.isTombstone()
            ? "deleted key came back: " : what + " write lost: ";
        throw new Violation(Violation.Rule.LOST_WRITE, lost + describe(w.entry) + " (client " + w.client + ", step "
            + w.step + ") but " + keyName(w.keyIndex) + " ends as "
            + (f == null ? "never written" : describe(f)));
      }
    }
  }

  int keyIndex(byte[] key) {
    for (int i = 0; i < keys.length; i++) {
      if (Arrays.equals(keys[i], key)) return i;
    }
    throw new Violation(Violation.Rule.NEVER_ISSUED, "entry for a key no client wrote: " + Arrays.toString(key));
  }

  String keyName(int keyIndex) {
    return new String(keys[keyIndex], java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  static int compare(Entry a, Entry b) {
    return Entry.compareVersions(a.clock(), a.origin(), b.clock(), b.origin());
  }

  private static Dot dotOf(Entry e) {
    return new Dot(e.origin(), e.seq());
  }

  private static String show(Dot d) {
    return Origins.toString(d.origin()) + ":" + d.seq();
  }

  static String describe(Entry e) {
    String key = new String(e.key(), java.nio.charset.StandardCharsets.ISO_8859_1);
    String value = e.isRemnant() ? "<expired, removed>" : e.isTombstone() ? "<deleted>"
        : new String(e.value(), java.nio.charset.StandardCharsets.ISO_8859_1);
    if (value.length() > 24) value = value.substring(0, 24) + "...";
    return key + "=" + value + " @" + e.clock() + " dot " + Origins.toString(e.origin()) + ":"
        + e.seq() + (e.hasExpiry() ? " expires " + e.expiry() : "")
        + (e.inBatch() ? " batch " + e.batchFirst() + ".." + e.batchEnd() : "");
  }
}
