package kvs.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The replica state machine: one server's copy of the data and what it knows of every origin.
 *
 * <p>Every server numbers its own writes 1, 2, 3, ... A write is identified by its dot
 * {@code (origin, seq)} and ordered by its version {@code (hybrid clock, origin)}; the highest
 * version of a key wins on every replica, so replicas that have seen the same writes hold the same
 * data. The version vector says, per origin, up to which sequence this replica holds every write
 * or one that supersedes it; replication sends a peer exactly what its vector lacks.
 *
 * <p>This class is pure: no threads, no sockets, no clock. Time comes in as arguments and every
 * change goes to the {@link Store} as one atomic {@link Mutation}. It is not thread-safe; one
 * thread owns a replica, the way one thread owns a Redis keyspace.
 */
public final class Replica {
  /**
   * A session clock further ahead of the wall clock than this is refused for writes: a token
   * from a broken or hostile client could otherwise push every later write of its keys toward
   * the end of the clock's range.
   */
  public static final long CLOCK_AHEAD_MAX_MS = 24L * 3_600_000;

  private final Store store;
  private final int serverId;
  private final int incarnation;
  private final long origin;
  private final Hlc hlc;
  /**
   * The durable state this replica recovered when it opened as a fresh incarnation after an
   * unclean stop (the last state of its predecessor that survived), else null: see
   * {@link #predecessor}.
   */
  private ReplicaMeta predecessor;
  /**
   * Never changed in place once committed: a change works on a copy and installs it after the
   * store said yes, so memory is never ahead of the disk (and a committed metadata record may
   * share this object).
   */
  private VersionVector vv;
  private long digest;
  /** Entries holding a value, and those of them with an expiry: see {@link ReplicaMeta}. */
  private long values;
  private long expiringValues;
  private long beyondVectorGeneration;
  /**
   * The highest wall clock this replica has been told since it opened ({@link #now}): expiry is
   * decided against it, so a wall clock stepped back never makes an expired key readable again
   * while the server runs.
   */
  private long wallSeen;
  /**
   * The shadow log records the store holds (keepLogSound), by key: the keys whose shadows may go
   * once their current entry is covered (dropCoveredShadows). Loaded at open; changed only after
   * a commit, like the vector.
   */
  private final Map<ByteBuffer, List<long[]>> shadowsByKey = new HashMap<>();
  /** Keys that reads found expired, for the next sweep to remove first (lazy removal). */
  private final java.util.ArrayDeque<byte[]> expiredSeen = new java.util.ArrayDeque<>();
  private static final int EXPIRED_SEEN_MAX = 1024;
  /**
   * True once a whole pass of the sweep found no value with an expiry and none has been stored
   * since: until one is, the sweep has nothing to look for and skips its scan (a store without
   * expiring keys costs no background reads, as Redis keeps its expiring keys apart).
   */
  private boolean noExpiringValues;
  /** The sweep's pass under way started at the first key (so its end covers the store)... */
  private boolean sweepPassFromStart;
  /** ...and saw a value with an expiry, or one was stored while it ran. */
  private boolean sweepPassSawExpiring;
  /**
   * The largest batch (in replication bytes) whose writes are marked as one atomic batch
   * ({@link Entry#batchFollowing}): a marked batch travels in one message, so it must stay well
   * below a peer's frame limit (32 MiB). A larger write batch (an MSET of more, a FLUSHALL of a
   * big store) reaches peers in pieces; a transaction that large is refused (docs/design.md).
   */
  public static final long ATOMIC_BATCH_BYTES_MAX = 16L * 1024 * 1024;
  /**
   * Work done on open batches, for tests: staged writes a read inside a batch went through,
   * plus writes a session observed at a commit (one per write per session).
   */
  long batchWork;

  /** The batch being staged between {@link #beginBatch} and its commit, or null. */
  private Batch staged;

  private Replica(Store store, ReplicaMeta meta) {
    this.store = store;
    this.serverId = meta.serverId();
    this.incarnation = meta.incarnation();
    this.origin = meta.origin();
    this.hlc = new Hlc(meta.clock());
    this.vv = meta.vv().copy();
    this.digest = meta.digest();
    this.values = meta.values();
    this.expiringValues = meta.expiringValues();
    this.beyondVectorGeneration = holdsEntriesBeyondVector() ? 1 : 0;
    store.forEachShadow((o, s, key) ->
        shadowsByKey.computeIfAbsent(ByteBuffer.wrap(key), k -> new ArrayList<>())
            .add(new long[] {o, s}));
  }

  /** How many shadow log records this replica holds (see keepLogSound). */
  public int shadowCount() {
    int n = 0;
    for (List<long[]> dots : shadowsByKey.values()) n += dots.size();
    return n;
  }

  /**
   * True when the log has a record past the vector: entries of a delta that has not completed
   * (or never will). One seek per origin.
   */
  public boolean holdsEntriesBeyondVector() {
    try (Store.View view = store.snapshot()) {
      for (long o = view.nextLogOrigin(-1); o >= 0; o = view.nextLogOrigin(o)) {
        long covered = vv.get(o);
        if (view.scanLog(o, covered, Long.MAX_VALUE, (seq, key) -> false) > covered) return true;
      }
    }
    return false;
  }

  /**
   * Opens the replica kept in {@code store} after a clean stop (see the four-argument form).
   * Tests and tools that close their stores use it.
   */
  public static Replica open(Store store, int serverId, int freshIncarnation) {
    return open(store, serverId, freshIncarnation, true);
  }

  /**
   * Opens the replica kept in {@code store}. An empty store becomes server {@code serverId} with
   * the given incarnation, which the caller draws at random so that a server whose data was wiped
   * never reuses the dots of its earlier life.
   *
   * <p>When the last stop was not clean ({@code cleanStop} false: SIGKILL, power loss, a storage
   * failure), the store may have lost the tail of its log: commits that peers or clients may
   * already have seen. Numbering on from what survived would give a lost write's dot to a new
   * write, and every replica that holds the old one would take the new one as already held (the
   * Riak kv679 defect). So the replica takes the fresh incarnation, a new origin that has
   * numbered nothing yet; the vector it recovered still describes exactly what its disk holds,
   * and what it lost comes back from its peers as writes of the old origin.
   *
   * @throws IllegalStateException when the store belongs to another server
   */
  public static Replica open(Store store, int serverId, int freshIncarnation, boolean cleanStop) {
    ReplicaMeta meta = store.loadMeta();
    if (meta == null) {
      meta = new ReplicaMeta(serverId, freshIncarnation, new VersionVector(), 0, 0, 0, 0);
    } else if (meta.serverId() != serverId) {
      throw new IllegalStateException("the data directory belongs to server " + meta.serverId()
          + ", not to server " + serverId);
    } else {
      boolean counted = !meta.countsKnown();
      if (counted) meta = withCounts(store, meta);
      if (!cleanStop) {
        if (freshIncarnation == meta.incarnation()) {
          throw new IllegalArgumentException("the fresh incarnation is the current one");
        }
        // One tick above the durable clock: the new incarnation's durable state then shows a
        // higher clock than any the old one left, which orders the two in adverts (Stability).
        ReplicaMeta recovered = meta;
        meta = new ReplicaMeta(serverId, freshIncarnation, meta.vv(), meta.clock() + 1,
            meta.digest(), meta.values(), meta.expiringValues());
        Mutation m = new Mutation();
        m.meta = meta;
        store.commit(m);
        Replica r = new Replica(store, meta);
        r.predecessor = recovered;
        return r;
      } else if (!counted) {
        return new Replica(store, meta);
      }
    }
    Mutation m = new Mutation();
    m.meta = meta;
    store.commit(m);
    return new Replica(store, meta);
  }

  /**
   * After an unclean stop, the state this replica recovered: the last durable state of the
   * incarnation it succeeds (origin, vector, clock), else null. It is an advert that incarnation
   * could have made, true for good: it held its own writes up to its vector's entry, and it
   * stamped every later write above that clock, since its hybrid clock never went back. Once the
   * new incarnation's first state is durable (it contains this one), the server enters it in its
   * {@link Stability}, so an incarnation that died before any advert of its own was heard does
   * not hold collection back for ever (docs/design.md, Tombstone collection).
   */
  public ReplicaMeta predecessor() {
    return predecessor;
  }

  /**
   * The metadata of a store written before the value counts existed (format 2 or older), with
   * its values counted: one walk of the store, once, at the first open by this build.
   */
  private static ReplicaMeta withCounts(Store store, ReplicaMeta meta) {
    long[] counts = {0, 0};
    store.forEachLive(e -> {
      counts[0]++;
      if (e.hasExpiry()) counts[1]++;
    });
    return new ReplicaMeta(meta.serverId(), meta.incarnation(), meta.vv(), meta.clock(),
        meta.digest(), counts[0], counts[1]);
  }

  public int serverId() {
    return serverId;
  }

  /**
   * How many keys hold a value, expired or not (DBSIZE, as Redis counts keys that have expired
   * but were not removed yet): kept with every commit, so no walk of the store.
   */
  public long valueCount() {
    return values;
  }

  /**
   * How many keys read as present (DBSIZE, INFO's keyspace): {@link #valueCount()} while the
   * store holds no element of a counter or hash (one seek to where they would sort), else a walk
   * of the user keys, each counter or hash head resolved as reads show it (a deleted counter or an
   * emptied hash is no key): O(N) once typed keys exist, since a head's presence depends on its
   * elements and is not counted.
   */
  public long keyCount() {
    boolean[] typed = {false};
    forEachFrom(new byte[] {Elements.MARK}, e -> {
      typed[0] = true;
      return false;
    });
    if (!typed[0]) return values;
    long[] n = {0};
    forEachLive(e -> n[0]++);
    return n[0];
  }

  /** How many of {@link #valueCount()} carry an expiry (INFO's {@code expires=}). */
  public long expiringValueCount() {
    return expiringValues;
  }

  public long origin() {
    return origin;
  }

  public VersionVector vv() {
    return vv.copy();
  }

  /**
   * True when this replica may serve a session that depends on {@code other}: it holds
   * everything {@code other} describes (a dot of a sealed origin up to its session frontier:
   * VersionVector#coversSession).
   */
  public boolean covers(VersionVector other) {
    return vv.coversSession(other);
  }

  /**
   * Seals each of {@code origins} in this replica's vector (VersionVector#seal), in one commit of
   * the metadata: the entries go and the origins read as holding everything of them, durably.
   * The caller vouches that this replica holds every write of each that will ever exist
   * ({@link Stability#sealable}). This replica's own origin is never sealed; an origin sealed
   * already, or beyond {@link VersionVector#SEALED_MAX}, is left as it is. Returns how many
   * were sealed. The digest is unchanged: it sums the entries, which keep their dots.
   */
  public int seal(java.util.Collection<Long> origins) {
    requireNoBatch();
    Change c = new Change();
    int sealed = 0;
    for (long o : origins) {
      if (o == origin) throw new IllegalArgumentException("a replica never seals its own origin");
      if (c.vv.seal(o)) sealed++;
    }
    if (sealed == 0) return 0;
    // The seal covers entries of the origin held beyond the old entry (after a hole of writes
    // lost with a wiped incarnation): their keys' shadows go in the same commit, as a closing
    // vector's would.
    List<byte[]> touched = new ArrayList<>();
    for (ByteBuffer k : shadowsByKey.keySet()) touched.add(bytes(k));
    dropCoveredShadows(c, touched);
    commit(c);
    return sealed;
  }

  /** Order-independent fingerprint of all entries; equal stores have equal digests. */
  public long digest() {
    return digest;
  }

  public long clock() {
    return hlc.current();
  }

  /**
   * Raises the hybrid clock to at least {@code clock}, a peer's: every later write of this server
   * is stamped above it, so above every tombstone that peer may have collected (its collection
   * bound is below its own clock). A server learns it in the link handshake, before it applies
   * anything from the peer. Nothing is committed: the promise collection rests on is about
   * clocks advertised from durable metadata, which a restart never goes below.
   */
  public void observeClock(long clock) {
    if (clock < 0) throw new IllegalArgumentException("negative clock " + clock);
    hlc.observe(clock);
  }

  /**
   * Makes this incarnation's next durable state outrank every earlier incarnation of its server
   * that {@code stability} knows: a member's current incarnation is the one with the highest
   * advertised clock ({@link Stability#advert}). A restart that kept its data opens one tick
   * above its durable clock, so above every advert of the incarnations before; a wiped server
   * starts from its wall clock and its peers' handshake clocks, possibly below the last advert of
   * the incarnation it lost, which would then stay current everywhere (its frozen vector taken
   * for what the server holds, and no operator able to retire it) until the wall clock passed
   * it (simulator seed 4353). So when an earlier incarnation's advert is at or above this
   * replica's clock, the clock goes one tick above it and is committed, which only raises the
   * stamps of later writes. Returns true when it committed.
   */
  public boolean outrankEarlierIncarnations(Stability stability) {
    requireNoBatch();
    long highest = stability.highestClockOfOtherIncarnations(serverId, origin);
    if (highest < hlc.current() || highest == Long.MAX_VALUE) return false;
    Change c = new Change();
    c.hlc.observe(highest + 1);
    commit(c);
    return true;
  }

  // ---- time and expiry ---------------------------------------------------------------------

  /**
   * This server's time for expiry, given its wall clock now: the highest of {@code wallMillis},
   * every wall clock it was given before (since it opened), and the physical part of its hybrid
   * clock (which is above the clock of every write it has issued or seen). So it never goes
   * back while the server runs, and a server whose wall clock lags still counts time from what
   * the cluster has shown it: an entry expires on a replica no later than the cluster's hybrid
   * clock says (docs/design.md, Expiry).
   */
  public long now(long wallMillis) {
    if (wallMillis > wallSeen) wallSeen = wallMillis;
    return now();
  }

  /** As {@link #now(long)}, from the time this replica was last given. */
  public long now() {
    return Math.max(wallSeen, Hlc.physicalMillis(hlc.current()));
  }

  /**
   * The entry stored under {@code key} if it has a value that has not expired by {@link #now()},
   * as reads show it ({@link #shown}).
   */
  public Entry liveEntry(byte[] key) {
    Entry e = current(key);
    return e != null && e.liveAt(now()) ? shown(e, null) : null;
  }

  /**
   * A live stored entry as reads show it: a string as it is; a counter with its value as text
   * in place of its head, or null when it reads as absent (a reset nothing came after). The
   * elements read are taken into {@code session} when it is not null.
   */
  private Entry shown(Entry head, SessionToken session) {
    if (head.kind() == Entry.KIND_HASH) {
      return hasField(head, session) ? head : null; // no field: no hash
    }
    if (head.kind() == Entry.KIND_SET) {
      return members(head, Entry.KIND_SET, SET_MEMBER, session, 1).isEmpty() ? null : head; // no member: no set
    }
    if (head.kind() == Entry.KIND_ZSET) {
      return zmembers(head, session, 1).isEmpty() ? null : head; // no member: no sorted set
    }
    if (head.kind() != Entry.KIND_COUNTER) return head;
    java.math.BigDecimal v = Counters.value(Counters.Head.decode(head.value()),
        contributions(head.key(), session));
    return v == null ? null : head.withValue(Counters.format(v));
  }

  /** A field of a hash as reads show it: its name and value. */
  public record HashField(byte[] name, byte[] value) {}

  /**
   * A page of a hash's fields: the fields shown, in field order, from where the page began up
   * to {@code next} (exclusive; null: to the end), and how many stored entries it examined.
   */
  public record HashPage(List<HashField> fields, byte[] next, int examined) {}

  /**
   * The live head of {@code key} when it is of {@code kind} (a hash, set or sorted set), or null
   * when the key is not a live one of that kind.
   */
  private Entry liveHead(byte[] key, byte kind) {
    Entry head = current(key);
    return head == null || !head.liveAt(now()) || head.kind() != kind ? null : head;
  }

  /**
   * The fields of the hash whose live head is {@code head}, from field {@code from} (inclusive;
   * null for the first), reading at most about {@code budget} registers and {@code budget}
   * increments: the two element families are walked side by side (both sort in field order,
   * {@link Hashes#incrementSubKey}), a field's increments are read whole, and the page ends
   * before the first field either walk did not reach. Every entry of a field it shows or passes
   * is taken into {@code session} (when not null), hidden ones too.
   */
  private HashPage fieldPage(Entry head, byte[] from, int budget, SessionToken session) {
    Hashes.Head h = Hashes.decodeHead(head.value());
    byte[] regPrefix = Elements.prefix(head.key(), Entry.KIND_HASH);
    byte[] incPrefix = Elements.prefix(head.key(), Hashes.INCREMENTS);
    List<Entry> regs = new ArrayList<>();
    byte[][] regNext = {null};
    forEachFrom(from == null ? regPrefix : Elements.join(regPrefix, from), e -> {
      if (!Elements.startsWith(e.key(), regPrefix)) return false;
      if (regs.size() >= budget) {
        regNext[0] = Elements.subKey(regPrefix, e.key());
        return false;
      }
      regs.add(e);
      return true;
    });
    List<Entry> incs = new ArrayList<>();
    List<byte[]> incFields = new ArrayList<>();
    byte[][] incNext = {null};
    forEachFrom(from == null ? incPrefix : Elements.join(incPrefix, Hashes.fieldPrefix(from)), e -> {
      if (!Elements.startsWith(e.key(), incPrefix)) return false;
      byte[] f = Hashes.fieldOfIncrement(Elements.subKey(incPrefix, e.key()));
      if (incs.size() >= budget
          && !java.util.Arrays.equals(f, incFields.get(incFields.size() - 1))) {
        incNext[0] = f;
        return false;
      }
      incs.add(e);
      incFields.add(f);
      return true;
    });
    byte[] next = regNext[0];
    if (incNext[0] != null && (next == null
        || java.util.Arrays.compareUnsigned(incNext[0], next) < 0)) {
      next = incNext[0];
    }
    java.util.TreeMap<byte[], Entry> registers = new java.util.TreeMap<>(
        java.util.Arrays::compareUnsigned);
    java.util.TreeMap<byte[], List<Entry>> increments = new java.util.TreeMap<>(
        java.util.Arrays::compareUnsigned);
    for (Entry e : regs) registers.put(Elements.subKey(regPrefix, e.key()), e);
    for (int i = 0; i < incs.size(); i++) {
      increments.computeIfAbsent(incFields.get(i), f -> new ArrayList<>()).add(incs.get(i));
    }
    java.util.TreeSet<byte[]> names = new java.util.TreeSet<>(java.util.Arrays::compareUnsigned);
    names.addAll(registers.keySet());
    names.addAll(increments.keySet());
    List<HashField> out = new ArrayList<>();
    for (byte[] f : next == null ? names : names.headSet(next, false)) {
      Entry reg = registers.get(f);
      List<Entry> inc = increments.getOrDefault(f, List.of());
      if (session != null) {
        if (reg != null) observe(session, reg);
        for (Entry e : inc) observe(session, e);
      }
      byte[] v = Hashes.value(f, reg, inc, h);
      if (v != null) out.add(new HashField(f, v));
    }
    return new HashPage(out, next, regs.size() + incs.size());
  }

  /**
   * Whether the hash whose live head is {@code head} shows a field: pages until one is found,
   * the first page of one entry of each family (a hash read asks this, and its first field is
   * usually there), each next one twice as large, up to 64. The entries read are taken into
   * {@code session} (when not null).
   */
  private boolean hasField(Entry head, SessionToken session) {
    byte[] from = null;
    int budget = 1;
    do {
      HashPage p = fieldPage(head, from, budget, session);
      if (!p.fields().isEmpty()) return true;
      from = p.next();
      budget = Math.min(64, 2 * budget);
    } while (from != null);
    return false;
  }

  /**
   * The fields of hash {@code key} as reads show them, in field order, every entry read taken
   * into {@code session}; empty when the key is not a live hash. The caller has read the key in
   * the session (so its dependencies are covered).
   */
  public List<HashField> hashFields(SessionToken session, byte[] key) {
    Entry head = liveHead(key, Entry.KIND_HASH);
    return head == null ? List.of()
        : fieldPage(head, null, Integer.MAX_VALUE, session).fields();
  }

  /**
   * One page of the fields of hash {@code key} from field {@code from} (null: the first),
   * examining about {@code budget} entries of each element family (HSCAN); an empty last page
   * when the key is not a live hash.
   */
  public HashPage hashFields(SessionToken session, byte[] key, byte[] from, int budget) {
    if (budget < 1) throw new IllegalArgumentException("budget " + budget);
    Entry head = liveHead(key, Entry.KIND_HASH);
    return head == null ? new HashPage(List.of(), null, 0)
        : fieldPage(head, from, budget, session);
  }

  /**
   * The value field {@code field} of hash {@code key} shows, or null; every entry read taken
   * into {@code session}. The caller has read the key in the session. O(origins that
   * incremented the field).
   */
  public byte[] hashField(SessionToken session, byte[] key, byte[] field) {
    Entry head = liveHead(key, Entry.KIND_HASH);
    if (head == null) return null;
    Entry reg = current(Elements.key(key, Entry.KIND_HASH, field));
    if (reg != null) observe(session, reg);
    List<Entry> incs = fieldIncrements(key, field, session);
    return Hashes.value(field, reg, incs, Hashes.decodeHead(head.value()));
  }

  /** The increment elements of {@code field} of hash {@code key}, tombstones aside. */
  private List<Entry> fieldIncrements(byte[] key, byte[] field, SessionToken session) {
    byte[] prefix = Elements.key(key, Hashes.INCREMENTS, Hashes.fieldPrefix(field));
    List<Entry> out = new ArrayList<>();
    forEachFrom(prefix, e -> {
      if (!Elements.startsWith(e.key(), prefix)) return false;
      if (session != null) observe(session, e);
      if (!e.isTombstone()) out.add(e);
      return true;
    });
    return out;
  }

  /**
   * What a new head of hash {@code key} cancels: every field increment held now, per field.
   * O(increment elements of the key).
   */
  private java.util.SortedMap<ByteBuffer, java.util.SortedMap<Long, Counters.Cancel>>
      incrementsHeld(byte[] key) {
    byte[] prefix = Elements.prefix(key, Hashes.INCREMENTS);
    java.util.SortedMap<ByteBuffer, List<Entry>> byField = new java.util.TreeMap<>();
    forEachFrom(prefix, e -> {
      if (!Elements.startsWith(e.key(), prefix)) return false;
      if (!e.isTombstone()) {
        byte[] f = Hashes.fieldOfIncrement(Elements.subKey(prefix, e.key()));
        byField.computeIfAbsent(ByteBuffer.wrap(f), x -> new ArrayList<>()).add(e);
      }
      return true;
    });
    java.util.SortedMap<ByteBuffer, java.util.SortedMap<Long, Counters.Cancel>> out =
        new java.util.TreeMap<>();
    for (var f : byField.entrySet()) {
      java.util.SortedMap<Long, Counters.Cancel> c = Hashes.cancelAll(f.getValue());
      if (!c.isEmpty()) out.put(f.getKey(), c);
    }
    return out;
  }

  /** A new head for hash {@code key}: hides what this replica covers, cancels what it holds. */
  private byte[] newHashHead(byte[] key) {
    return Hashes.head(covered(), incrementsHeld(key));
  }

  /**
   * Sets fields of hash {@code key} for a session (HSET), one register write each, in one
   * atomic write; each register cancels the increments of its field this replica holds (an
   * increment concurrent with it still counts: {@link Hashes}). A key that is not a live hash
   * with a field (absent, deleted, expired, or emptied by HDEL: the caller has refused a key of
   * another type) first gets a new head, hiding every field write this replica covers and
   * cancelling every increment it holds. A field named twice takes its last value.
   */
  public List<Entry> hset(SessionToken session, byte[] key, List<byte[]> fields,
      List<byte[]> values, long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(key, Entry.KIND_HASH);
    boolean exists = head != null && hasField(head, null);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> vals = new ArrayList<>();
    List<Byte> kinds = new ArrayList<>();
    if (!exists) {
      keys.add(key);
      vals.add(newHashHead(key));
      kinds.add(Entry.KIND_HASH);
    }
    for (int i = 0; i < fields.size(); i++) {
      Hashes.Register r = new Hashes.Register(values.get(i),
          Hashes.cancelAll(fieldIncrements(key, fields.get(i), null)));
      keys.add(Elements.key(key, Entry.KIND_HASH, fields.get(i)));
      vals.add(r.encode());
      kinds.add(r.kind());
    }
    return write(session, keys, vals, bytes(kinds), null, wallMillis);
  }

  /**
   * Deletes fields of hash {@code key} for a session (HDEL), in one atomic write: each field's
   * register loses its base and cancels the increments of the field this replica holds (a
   * tombstone when it holds none), so an increment concurrent with the HDEL still counts and
   * the field then shows it. The caller names fields that are present.
   */
  public List<Entry> hdel(SessionToken session, byte[] key, List<byte[]> fields,
      long wallMillis) {
    now(wallMillis);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> vals = new ArrayList<>();
    List<Byte> kinds = new ArrayList<>();
    for (byte[] f : fields) {
      Hashes.Register r = new Hashes.Register(null,
          Hashes.cancelAll(fieldIncrements(key, f, null)));
      keys.add(Elements.key(key, Entry.KIND_HASH, f));
      vals.add(r.encode());
      kinds.add(r.kind());
    }
    return write(session, keys, vals, bytes(kinds), null, wallMillis);
  }

  /**
   * Adds {@code delta} to field {@code field} of hash {@code key} for a session (HINCRBY,
   * HINCRBYFLOAT; the caller has checked the field's value is a number and the sum fits): this
   * origin's increment element of the field rises by {@code delta}, one write; a key that is not
   * a live hash with a field first gets a new head, as for {@link #hset}.
   */
  public List<Entry> hincrement(SessionToken session, byte[] key, byte[] field,
      java.math.BigDecimal delta, long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(key, Entry.KIND_HASH);
    boolean exists = head != null && hasField(head, null);
    byte[] ownKey = Elements.key(key, Hashes.INCREMENTS, Hashes.incrementSubKey(field, origin));
    Entry own = current(ownKey);
    java.math.BigDecimal ownTotal = own == null ? null : Counters.totalOf(own);
    if (ownTotal == null) ownTotal = java.math.BigDecimal.ZERO;
    byte[] ownValue = Counters.encodeTotal(ownTotal.add(delta));
    if (exists) return write(session, List.of(ownKey), List.of(ownValue), null, null, wallMillis);
    return write(session, List.of(key, ownKey), List.of(newHashHead(key), ownValue),
        new byte[] {Entry.KIND_HASH, Entry.KIND_STRING}, null, wallMillis);
  }

  private static byte[] bytes(List<Byte> list) {
    byte[] out = new byte[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = list.get(i);
    return out;
  }

  /**
   * Writes the live hash {@code src} as hash {@code dst} (COPY; RENAME with
   * {@code deleteSource}, which deletes {@code src} as DEL does), in one atomic write: a new head
   * for {@code dst} with {@code src}'s expiry, hiding every field of {@code dst} held now, and
   * one element per visible field of {@code src}. O(fields).
   */
  public List<Entry> copyHash(SessionToken session, byte[] src, byte[] dst, boolean deleteSource,
      long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(src, Entry.KIND_HASH);
    if (head == null) {
      throw new IllegalArgumentException("not a live hash");
    }
    List<HashField> fields = fieldPage(head, null, Integer.MAX_VALUE, session).fields();
    CopyWrites w = new CopyWrites(src, dst, deleteSource, Entry.KIND_HASH, head.expiry());
    for (HashField f : fields) {
      w.add(Elements.key(dst, Entry.KIND_HASH, f.name()), f.value(), Entry.KIND_STRING, 0);
    }
    return w.write(session, wallMillis);
  }

  /**
   * The writes of a COPY or RENAME of a hash or set, in one atomic write: with
   * {@code deleteSource}, {@code src} deleted as DEL does; then a new head for {@code dst}
   * hiding every element of it held now; then the elements the caller adds.
   */
  private final class CopyWrites {
    private final List<byte[]> keys = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();
    private final List<Byte> kinds = new ArrayList<>();
    private final List<Long> expiries = new ArrayList<>();

    CopyWrites(byte[] src, byte[] dst, boolean deleteSource, byte kind, long expiry) {
      if (deleteSource) {
        Deletion d = deletion(src);
        add(src, d.value(), d.kind(), 0);
      }
      add(dst, kind == Entry.KIND_HASH ? newHashHead(dst) : Hashes.head(covered()), kind,
          expiry);
    }

    void add(byte[] key, byte[] value, byte kind, long expiry) {
      keys.add(key);
      values.add(value);
      kinds.add(kind);
      expiries.add(expiry);
    }

    List<Entry> write(SessionToken session, long wallMillis) {
      byte[] k = new byte[kinds.size()];
      long[] x = new long[kinds.size()];
      for (int i = 0; i < k.length; i++) {
        k[i] = kinds.get(i);
        x[i] = expiries.get(i);
      }
      return Replica.this.write(session, keys, values, k, x, wallMillis);
    }
  }

  /**
   * What a set or sorted-set read makes of one member from its registers (all of them, adjacent
   * in key order) under a head that hides {@code hidden}: the member as shown, or null when it is
   * not present.
   */
  private interface MemberView<T> {
    T shown(byte[] member, List<Entry> registers, VersionVector hidden);
  }

  private static final MemberView<byte[]> SET_MEMBER =
      (m, registers, hidden) -> Sets.present(registers, hidden) ? m : null;

  private static final MemberView<ZMember> ZSET_MEMBER = (m, registers, hidden) -> {
    SortedSets.State st = SortedSets.state(registers, hidden);
    return st.present() ? new ZMember(m, st.score()) : null;
  };

  /**
   * The present members of the set or sorted set ({@code kind}) whose live head is
   * {@code head}, in register-key order, at most {@code max}; every register read is taken into
   * {@code session} (when not null). One walk of the registers, page by page
   * ({@link #memberPage}).
   */
  private <T> List<T> members(Entry head, byte kind, MemberView<T> view, SessionToken session,
      int max) {
    List<T> out = new ArrayList<>();
    byte[] from = null;
    // pages from one register (a read may ask for one member), each next one twice as large,
    // up to 64
    int budget = max == Integer.MAX_VALUE ? max : 1;
    do {
      MemberPage<T> p = memberPage(head, kind, view, from, budget, session);
      for (T m : p.members()) {
        if (out.size() < max) out.add(m);
      }
      from = p.next();
      budget = max == Integer.MAX_VALUE ? max : Math.min(64, 2 * budget);
    } while (from != null && out.size() < max);
    return out;
  }

  /**
   * A page of a set's or sorted set's members: those present, as shown, in register-key order,
   * from where the page began up to the member whose register sub-keys begin with {@code next}
   * ({@link Sets#memberPrefix}; null: to the end), and how many registers it examined.
   */
  public record MemberPage<T>(List<T> members, byte[] next, int examined) {}

  /**
   * The members of the set or sorted set ({@code kind}) whose live head is {@code head} from
   * the member whose registers begin with sub-key {@code from} (null: the first), examining
   * about {@code budget} registers: a member's registers are adjacent (their sub-keys share a
   * prefix) and read whole, so the page ends at a member boundary. Every register read is taken
   * into {@code session} (when not null).
   */
  private <T> MemberPage<T> memberPage(Entry head, byte kind, MemberView<T> view, byte[] from,
      int budget, SessionToken session) {
    VersionVector hidden = Hashes.hidden(head.value());
    byte[] prefix = Elements.prefix(head.key(), kind);
    List<T> out = new ArrayList<>();
    List<Entry> group = new ArrayList<>();
    byte[][] member = {null};
    byte[][] next = {null};
    int[] examined = {0};
    forEachFrom(from == null ? prefix : Elements.join(prefix, from), e -> {
      if (!Elements.startsWith(e.key(), prefix)) return false;
      byte[] m = Sets.memberOf(Elements.subKey(prefix, e.key()));
      if (member[0] != null && !java.util.Arrays.equals(m, member[0])) {
        T shown = view.shown(member[0], group, hidden);
        if (shown != null) out.add(shown);
        group.clear();
        if (examined[0] >= budget) {
          next[0] = Sets.memberPrefix(m);
          member[0] = null;
          return false;
        }
      }
      if (session != null) observe(session, e);
      examined[0]++;
      member[0] = m;
      group.add(e);
      return true;
    });
    if (member[0] != null) {
      T shown = view.shown(member[0], group, hidden);
      if (shown != null) out.add(shown);
    }
    return new MemberPage<>(out, next[0], examined[0]);
  }

  /**
   * One page of the members of set {@code key} from the member whose registers begin with
   * sub-key {@code from} (null: the first), examining about {@code budget} registers (SSCAN); an
   * empty last page when the key is not a live set.
   */
  public MemberPage<byte[]> setMembers(SessionToken session, byte[] key, byte[] from,
      int budget) {
    if (budget < 1) throw new IllegalArgumentException("budget " + budget);
    Entry head = liveHead(key, Entry.KIND_SET);
    return head == null ? new MemberPage<>(List.of(), null, 0)
        : memberPage(head, Entry.KIND_SET, SET_MEMBER, from, budget, session);
  }

  /**
   * Every register of {@code member} of the set or sorted set ({@code kind}) {@code key}, in
   * origin order, each taken into {@code session} (when not null).
   */
  private List<Entry> registers(byte[] key, byte kind, byte[] member, SessionToken session) {
    byte[] prefix = Elements.key(key, kind, Sets.memberPrefix(member));
    List<Entry> out = new ArrayList<>();
    forEachFrom(prefix, e -> {
      // The length field in the prefix makes every key under it a register of this member.
      if (!Elements.startsWith(e.key(), prefix)) return false;
      if (session != null) observe(session, e);
      out.add(e);
      return true;
    });
    return out;
  }

  /**
   * The present members of set {@code key}, each register read taken into {@code session};
   * empty when the key is not a live set. The caller has read the key in the session.
   * O(registers of the set).
   */
  public List<byte[]> setMembers(SessionToken session, byte[] key) {
    Entry head = liveHead(key, Entry.KIND_SET);
    return head == null ? List.of()
        : members(head, Entry.KIND_SET, SET_MEMBER, session, Integer.MAX_VALUE);
  }

  /** Whether {@code member} is in set {@code key}. O(origins that wrote the member). */
  public boolean setContains(SessionToken session, byte[] key, byte[] member) {
    Entry head = liveHead(key, Entry.KIND_SET);
    return head != null
        && Sets.present(registers(key, Entry.KIND_SET, member, session),
            Hashes.hidden(head.value()));
  }

  /**
   * Adds members to set {@code key} for a session (SADD), in one atomic write: this origin's
   * register of each distinct member says "added" with a new dot, so the add survives any
   * remove that has not seen it, even of a member already present. A key that is not a live set
   * with a member (absent, deleted, expired, emptied: the caller has refused another type) first
   * gets a new head, hiding every register this replica holds.
   *
   * @return the members that were not present, and the entries written
   */
  public SetChange sadd(SessionToken session, byte[] key, List<byte[]> members, long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(key, Entry.KIND_SET);
    boolean exists = head != null && !members(head, Entry.KIND_SET, SET_MEMBER, null, 1).isEmpty();
    VersionVector hidden = exists ? Hashes.hidden(head.value()) : null;
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> vals = new ArrayList<>();
    if (!exists) {
      keys.add(key);
      vals.add(Hashes.head(covered()));
    }
    List<byte[]> changed = new ArrayList<>();
    for (byte[] m : distinct(members)) {
      List<Entry> regs = registers(key, Entry.KIND_SET, m, null);
      if (!exists || !Sets.present(regs, hidden)) changed.add(m);
      byte[] own = Elements.key(key, Entry.KIND_SET, Sets.subKey(m, origin));
      keys.add(own);
      vals.add(Sets.addition(current(own)).encode());
    }
    byte[] kinds = new byte[keys.size()];
    if (!exists) kinds[0] = Entry.KIND_SET;
    return new SetChange(changed, write(session, keys, vals, kinds, null, wallMillis));
  }

  /**
   * Removes members from set {@code key} for a session (SREM, SPOP), in one atomic write: for
   * each distinct present member, this origin's register records every add of it this replica
   * holds as removed (and only those: an add it has not seen survives). Removing the last
   * member leaves a set without members, which reads as no key, as in Redis.
   *
   * @return the members that were present (nothing is written for the others)
   */
  public SetChange srem(SessionToken session, byte[] key, List<byte[]> members, long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(key, Entry.KIND_SET);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> vals = new ArrayList<>();
    List<byte[]> changed = new ArrayList<>();
    if (head != null) {
      VersionVector hidden = Hashes.hidden(head.value());
      for (byte[] m : distinct(members)) {
        List<Entry> regs = registers(key, Entry.KIND_SET, m, session);
        if (!Sets.present(regs, hidden)) continue;
        changed.add(m);
        keys.add(Elements.key(key, Entry.KIND_SET, Sets.subKey(m, origin)));
        vals.add(Sets.removal(regs, origin).encode());
      }
    }
    if (keys.isEmpty()) return new SetChange(changed, List.of());
    return new SetChange(changed, write(session, keys, vals, null, null, wallMillis));
  }

  /** What SADD or SREM changed: the members added or removed, and the entries written. */
  public record SetChange(List<byte[]> members, List<Entry> written) {}

  private static List<byte[]> distinct(List<byte[]> members) {
    java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
    List<byte[]> out = new ArrayList<>();
    for (byte[] m : members) {
      if (seen.add(java.nio.ByteBuffer.wrap(m))) out.add(m);
    }
    return out;
  }

  /**
   * Writes the live set {@code src} as set {@code dst} (COPY; RENAME with {@code deleteSource},
   * which deletes {@code src} as DEL does), in one atomic write: a new head for {@code dst} with
   * {@code src}'s expiry, hiding every register of {@code dst} held now, and this origin's
   * register "added" for each member of {@code src}. O(registers).
   */
  public List<Entry> copySet(SessionToken session, byte[] src, byte[] dst, boolean deleteSource,
      long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(src, Entry.KIND_SET);
    if (head == null) throw new IllegalArgumentException("not a live set");
    List<byte[]> members = members(head, Entry.KIND_SET, SET_MEMBER, session, Integer.MAX_VALUE);
    CopyWrites w = new CopyWrites(src, dst, deleteSource, Entry.KIND_SET, head.expiry());
    for (byte[] m : members) {
      byte[] own = Elements.key(dst, Entry.KIND_SET, Sets.subKey(m, origin));
      w.add(own, Sets.addition(current(own)).encode(), Entry.KIND_STRING, 0);
    }
    return w.write(session, wallMillis);
  }

  // ---- sorted sets (see SortedSets) ---------------------------------------------------------

  /** A present member of a sorted set and its score. */
  public record ZMember(byte[] member, double score) {}

  /**
   * The present members of the sorted set whose live head is {@code head}, in register-key
   * order, at most {@code max}; every register read is taken into {@code session} (when not
   * null). One walk of the registers, as for sets.
   */
  private List<ZMember> zmembers(Entry head, SessionToken session, int max) {
    return members(head, Entry.KIND_ZSET, ZSET_MEMBER, session, max);
  }


  /**
   * The present members of sorted set {@code key} with their scores, in register-key order
   * (the caller sorts), each register read taken into {@code session}; empty when the key is
   * not a live sorted set. The caller has read the key in the session. O(registers).
   */
  public List<ZMember> zsetMembers(SessionToken session, byte[] key) {
    Entry head = liveHead(key, Entry.KIND_ZSET);
    return head == null ? List.of() : zmembers(head, session, Integer.MAX_VALUE);
  }

  /**
   * One page of the members of sorted set {@code key}, with their scores, from the member whose
   * registers begin with sub-key {@code from} (null: the first), examining about {@code budget}
   * registers (ZSCAN); an empty last page when the key is not a live sorted set.
   */
  public MemberPage<ZMember> zsetMembers(SessionToken session, byte[] key, byte[] from,
      int budget) {
    if (budget < 1) throw new IllegalArgumentException("budget " + budget);
    Entry head = liveHead(key, Entry.KIND_ZSET);
    return head == null ? new MemberPage<>(List.of(), null, 0)
        : memberPage(head, Entry.KIND_ZSET, ZSET_MEMBER, from, budget, session);
  }

  /**
   * The score of {@code member} of sorted set {@code key}, or null when it is not there.
   * O(registers of the member).
   */
  public Double zscore(SessionToken session, byte[] key, byte[] member) {
    Entry head = liveHead(key, Entry.KIND_ZSET);
    if (head == null) return null;
    SortedSets.State st = SortedSets.state(registers(key, Entry.KIND_ZSET, member, session),
        Hashes.hidden(head.value()));
    return st.present() ? st.score() : null;
  }

  /**
   * One member's update of a ZADD or ZINCRBY: a {@code score} to assign (ZADD), or a
   * {@code delta} to add (ZINCRBY, ZADD INCR).
   */
  public record ZUpdate(byte[] member, Double score, java.math.BigDecimal delta) {
    public ZUpdate {
      if ((score == null) == (delta == null)) throw new IllegalArgumentException("score xor delta");
    }
  }

  /**
   * What a ZADD, ZINCRBY or ZREM did: per member named (in order, repeats included), whether it
   * was present before and its score after (null when absent after), and the entries written.
   */
  public record ZChange(List<Boolean> wasPresent, List<Double> scores, List<Entry> written) {}

  /**
   * Adds members to sorted set {@code key} or changes their scores, for a session (ZADD,
   * ZINCRBY), in one atomic write: this origin's register of each member says "added" with a
   * new dot (so the add survives any remove that has not seen it) and carries the score rule's
   * assignment and total ({@link SortedSets#addition}). A key that is not a live sorted set with
   * a member (absent, deleted, expired, emptied: the caller has refused another type) first gets
   * a new head, hiding every register this replica holds. A member named twice is updated twice,
   * in order, as Redis does. The caller has checked every flag (NX, XX, GT, LT) and that no
   * resulting score is NaN, and passes only the updates to make.
   */
  public ZChange zadd(SessionToken session, byte[] key, List<ZUpdate> updates, long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(key, Entry.KIND_ZSET);
    // The set shows a member when the first one named is present (no walk then); else the walk
    // over the removed members stored before the first present one tells.
    boolean exists = head != null && (SortedSets.state(
        registers(key, Entry.KIND_ZSET, updates.get(0).member(), null),
        Hashes.hidden(head.value())).present() || !zmembers(head, null, 1).isEmpty());
    List<Boolean> was = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>(updates.size() + 1);
    List<byte[]> vals = new ArrayList<>(updates.size() + 1);
    List<Byte> kinds = new ArrayList<>(updates.size() + 1);
    VersionVector hidden;
    if (exists) {
      hidden = Hashes.hidden(head.value());
    } else {
      byte[] headValue = Hashes.head(covered());
      hidden = Hashes.hidden(headValue);
      keys.add(key);
      vals.add(headValue);
      kinds.add(Entry.KIND_ZSET);
    }
    // Every member's register is computed here and all are written at once (one write, not
    // one per member: O(members), not O(members x staged writes)). Per member, its registers
    // as this replica holds them, read once; a member named again sees this command's earlier
    // register in place of this origin's, as a provisional entry whose version is above
    // everything held (as the write's will be).
    // Under a head this command makes, a member is present only once this command added it:
    // a register held but not covered by the vector (a delta still arriving) shows under the
    // new head, yet the client saw no such member, so its ZINCRBY starts the member afresh as
    // Redis's of an absent key does.
    long firstSeq = covered().get(origin) + 1; // the sequence of keys.get(0) once written
    java.util.Map<java.nio.ByteBuffer, List<Entry>> regsOf = new java.util.HashMap<>();
    java.util.Set<java.nio.ByteBuffer> touched = new java.util.HashSet<>();
    for (ZUpdate u : updates) {
      java.nio.ByteBuffer name = java.nio.ByteBuffer.wrap(u.member());
      byte[] regKey = Elements.key(key, Entry.KIND_ZSET, Sets.subKey(u.member(), origin));
      List<Entry> regs = regsOf.get(name);
      if (regs == null) {
        regs = new ArrayList<>(registers(key, Entry.KIND_ZSET, u.member(), session));
        regsOf.put(name, regs);
      }
      boolean present = (exists || touched.contains(name))
          && SortedSets.state(regs, hidden).present();
      touched.add(name);
      was.add(present);
      SortedSets.Register r = SortedSets.addition(regs, present, hidden, origin, u.score(),
          u.delta());
      if (u.delta() != null) {
        // An increment that takes the score past a double's range makes it infinite for good,
        // as in Redis (a later finite increment leaves it so): it becomes an assignment of
        // that infinity, cancelling the increments held.
        List<Entry> trial = new ArrayList<>(regs);
        trial.removeIf(e -> e.origin() == origin);
        trial.add(new Entry(regKey, r.encode(SortedSets.makesAssignment(present, null)),
            PROVISIONAL, origin, firstSeq + keys.size(), 0));
        double next = SortedSets.state(trial, hidden).score();
        if (Double.isInfinite(next)) {
          r = SortedSets.addition(regs, present, hidden, origin, next, null);
          u = new ZUpdate(u.member(), next, null);
        }
      }
      // An assignment copied from this command's earlier register is that register's own.
      boolean own = SortedSets.makesAssignment(present, u.score())
          || r.assign().clock() == PROVISIONAL && r.assign().origin() == origin;
      byte[] value = r.encode(own);
      keys.add(regKey);
      vals.add(value);
      kinds.add(Entry.KIND_STRING);
      regs.removeIf(e -> e.origin() == origin);
      // The sequence the write will give it (marks of it record it); a clock above all held.
      long seq = firstSeq + keys.size() - 1;
      regs.add(new Entry(regKey, value, PROVISIONAL, origin, seq, 0));
      double score = SortedSets.state(regs, hidden).score();
      if (Double.isNaN(score)) throw new SortedSets.NotANumber();
      scores.add(score);
    }
    List<Entry> written = write(session, keys, vals, bytes(kinds), null, wallMillis);
    if (written.get(written.size() - 1).seq() != firstSeq + keys.size() - 1) {
      throw new AssertionError("zadd: registers written at other sequences than computed");
    }
    return new ZChange(was, scores, written);
  }

  /** The clock of a register {@link #zadd} has computed but not written yet. */
  private static final long PROVISIONAL = Long.MAX_VALUE;

  /**
   * Removes members from sorted set {@code key} for a session (ZREM, ZPOPMIN, ZPOPMAX), in one
   * atomic write: for each distinct present member, this origin's register records a mark of
   * every register of it this replica holds (only those adds and increments are removed).
   *
   * @return per distinct member named, whether it was present (nothing is written for others)
   */
  public ZChange zrem(SessionToken session, byte[] key, List<byte[]> members, long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(key, Entry.KIND_ZSET);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> vals = new ArrayList<>();
    List<Boolean> was = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    VersionVector hidden = head == null ? null : Hashes.hidden(head.value());
    for (byte[] m : distinct(members)) {
      List<Entry> regs = head == null ? List.of() : registers(key, Entry.KIND_ZSET, m, session);
      boolean present = head != null && SortedSets.state(regs, hidden).present();
      was.add(present);
      scores.add(null);
      if (!present) continue;
      keys.add(Elements.key(key, Entry.KIND_ZSET, Sets.subKey(m, origin)));
      vals.add(SortedSets.removal(regs, origin).encode(false));
    }
    if (keys.isEmpty()) return new ZChange(was, scores, List.of());
    return new ZChange(was, scores, write(session, keys, vals, null, null, wallMillis));
  }

  /**
   * Writes the live sorted set {@code src} as sorted set {@code dst} (COPY; RENAME with
   * {@code deleteSource}), in one atomic write: a new head for {@code dst} with {@code src}'s
   * expiry, hiding every register of {@code dst} held now, and per member of {@code src} this
   * origin's register assigning the member's score. O(registers).
   */
  public List<Entry> copyZset(SessionToken session, byte[] src, byte[] dst, boolean deleteSource,
      long wallMillis) {
    now(wallMillis);
    Entry head = liveHead(src, Entry.KIND_ZSET);
    if (head == null) throw new IllegalArgumentException("not a live sorted set");
    List<ZMember> members = zmembers(head, session, Integer.MAX_VALUE);
    CopyWrites w = new CopyWrites(src, dst, deleteSource, Entry.KIND_ZSET, head.expiry());
    for (ZMember m : members) {
      // The new head hides every register of dst held now, so each member starts afresh.
      List<Entry> regs = registers(dst, Entry.KIND_ZSET, m.member(), null);
      w.add(Elements.key(dst, Entry.KIND_ZSET, Sets.subKey(m.member(), origin)),
          SortedSets.addition(regs, false, new VersionVector(), origin, m.score(), null)
              .encode(true),
          Entry.KIND_STRING, 0);
    }
    return w.write(session, wallMillis);
  }

  /**
   * A fingerprint of every element entry of {@code key} (a counter's contributions, a hash's
   * fields, a set's member registers, deleted ones included), 0 when it has none: it changes
   * with every INCR, HSET or SADD of the key, which leave the key's own entry as it is (WATCH
   * compares it). O(elements).
   */
  public long elementsStamp(byte[] key) {
    long[] sum = {0};
    for (byte kind : new byte[] {Entry.KIND_COUNTER, Entry.KIND_HASH, Hashes.INCREMENTS,
        Entry.KIND_SET, Entry.KIND_ZSET}) {
      byte[] prefix = Elements.prefix(key, kind);
      forEachFrom(prefix, e -> {
        if (!Elements.startsWith(e.key(), prefix)) return false;
        sum[0] += e.fingerprint();
        return true;
      });
    }
    return sum[0];
  }

  /** The contribution elements of the counter {@code key}, each taken into {@code session}. */
  private List<Entry> contributions(byte[] key, SessionToken session) {
    byte[] prefix = Elements.prefix(key, Entry.KIND_COUNTER);
    List<Entry> out = new ArrayList<>();
    forEachFrom(prefix, e -> {
      if (!Elements.startsWith(e.key(), prefix)) return false;
      if (!e.isTombstone()) {
        out.add(e);
        if (session != null) observe(session, e);
      }
      return true;
    });
    return out;
  }

  // ---- client operations -------------------------------------------------------------------

  /** The outcome of a read. */
  public enum ReadStatus { FOUND, NOT_FOUND, MISSING_DEPENDENCY }

  public record ReadResult(ReadStatus status, Entry entry) {}

  /**
   * Reads {@code key} for a session. Refuses ({@code MISSING_DEPENDENCY}) when this replica
   * lacks a write the session has already seen, since any answer might then be older than what
   * the session has read or written. Otherwise the session takes in what it read.
   */
  public ReadResult read(SessionToken session, byte[] key, long wallMillis) {
    now(wallMillis);
    return read(session, key);
  }

  /**
   * As {@link #read(SessionToken, byte[], long)} at the time last given ({@link #now()}). A value
   * that has expired reads as NOT_FOUND, with its entry, like a tombstone: the session takes in
   * its version, so no older write of the key can be served to it afterwards.
   */
  public ReadResult read(SessionToken session, byte[] key) {
    VersionVector have = staged != null ? staged.change.vv : vv;
    if (!have.coversSession(session.deps())) return new ReadResult(ReadStatus.MISSING_DEPENDENCY, null);
    Entry e = current(key);
    if (e == null) return new ReadResult(ReadStatus.NOT_FOUND, null);
    // A write staged in the open batch is observed when the batch commits, not before: the
    // session must not depend on a write that may yet be abandoned.
    observe(session, e);
    if (e.liveAt(now())) {
      Entry shown = shown(e, session);
      return shown != null ? new ReadResult(ReadStatus.FOUND, shown)
          : new ReadResult(ReadStatus.NOT_FOUND, e);
    }
    if (!e.isTombstone() && expiredSeen.size() < EXPIRED_SEEN_MAX) expiredSeen.add(key);
    return new ReadResult(ReadStatus.NOT_FOUND, e);
  }

  /**
   * As {@link #read(SessionToken, byte[])} for a command on a collection of kind {@code kind}
   * (a hash, set or sorted set) to which an empty one and an absent key answer the same: a live
   * head of that kind is FOUND as it is, without the walk that tells whether it shows an element
   * (a walk over every removed element stored before the first present one). Any other entry
   * reads as {@link #read} reads it (a head of another collection kind that shows nothing is
   * NOT_FOUND, not another type).
   */
  public ReadResult readCollection(SessionToken session, byte[] key, byte kind) {
    VersionVector have = staged != null ? staged.change.vv : vv;
    if (!have.coversSession(session.deps())) return new ReadResult(ReadStatus.MISSING_DEPENDENCY, null);
    Entry e = current(key);
    if (e != null && e.kind() == kind && e.liveAt(now()) && (kind == Entry.KIND_HASH
        || kind == Entry.KIND_SET || kind == Entry.KIND_ZSET)) {
      observe(session, e);
      return new ReadResult(ReadStatus.FOUND, e);
    }
    return read(session, key);
  }

  /**
   * Entries {@link #forEachFrom} has handed to its visitors since this replica was opened: the
   * work reads do, for tests.
   */
  public long entriesExamined() {
    return examined;
  }

  private long examined;

  /**
   * Removes expired values: every key a read found expired since the last sweep, then the
   * entries from {@code from} on, at most {@code maxExamined} of them, each expired value
   * replaced by its remnant (same key, version, dot and expiry, no value; see
   * {@link Entry#isRemnant}) in one commit. A remnant changes neither the digest (an expiring
   * entry's fingerprint does not hash its value), nor the vector, nor the log, so replicas that
   * have swept different keys still hold equal state, and it reads as absent everywhere. The
   * hybrid clock observes each removed expiry, so the time for expiry of this replica, and of
   * every replica the remnant reaches, is past it for good (a restart included).
   *
   * @return the key to continue from, or null when the scan reached the end of the store
   */
  public byte[] sweepExpired(byte[] from, int maxExamined, long wallMillis) {
    requireNoBatch();
    long now = now(wallMillis);
    if (noExpiringValues && expiredSeen.isEmpty()) return null;
    if (from == null) {
      sweepPassFromStart = true;
      sweepPassSawExpiring = false;
    }
    Change c = new Change();
    for (byte[] key; (key = expiredSeen.poll()) != null; ) {
      Entry e = c.current(key);
      if (e != null && !e.isTombstone() && e.expiredAt(now)) removeExpired(c, e);
    }
    byte[][] next = {null};
    int[] examined = {0};
    List<Entry> expired = new ArrayList<>();
    store.forEachFrom(from, e -> {
      if (examined[0] == maxExamined) {
        next[0] = e.key();
        return false;
      }
      examined[0]++;
      if (!e.isTombstone() && e.hasExpiry()) sweepPassSawExpiring = true;
      if (!e.isTombstone() && e.expiredAt(now)) expired.add(e);
      return true;
    });
    if (next[0] == null && sweepPassFromStart) {
      // A whole pass ended: with no expiring value seen, the scan rests until one is stored.
      noExpiringValues = !sweepPassSawExpiring;
      sweepPassFromStart = false;
    }
    for (Entry e : expired) {
      Entry current = c.current(e.key());
      if (current.equals(e)) removeExpired(c, e);
    }
    if (!c.m.isEmpty()) commit(c);
    return next[0];
  }

  /**
   * Removes for good the tombstones and expiry remnants that no replica can need any more: those
   * whose dot {@code stable} covers (every member holds that write or a newer one of its key)
   * and whose clock is at or below {@code clockBound} (every write not yet everywhere is stamped
   * above it, so it would supersede the entry anyway), and for a remnant, whose expiry is at or
   * below the bound's physical part: every member's clock, so its time for expiry
   * ({@link #now}), is past it, each reads the value as absent and its sweep removes it too (a
   * remnant collected earlier would leave a member whose clock lags holding the expired value,
   * with a digest that differs until its clock passes the expiry). Both come from
   * {@link Stability}. Scans
   * from {@code from} (null: the first key), at most {@code maxExamined} entries, and removes
   * what qualifies in one commit: the entry, its log record and any shadow of its key. The
   * digest is the sum of what is stored, so it drops the collected fingerprints: replicas that
   * collected the same entries hold equal digests again (docs/design.md, Tombstone collection).
   * Log records of superseded batch writes ({@link Mutation#batchRecords}) stay.
   *
   * @param collectedOut when not null, receives each entry removed
   * @return the key to continue from, or null when the scan reached the end of the store
   */
  public byte[] collectStable(VersionVector stable, long clockBound, byte[] from,
      int maxExamined, List<Entry> collectedOut) {
    return collectStable(stable, clockBound,
        clockBound < 0 ? -1 : Hlc.physicalMillis(clockBound), from, maxExamined, collectedOut);
  }

  /**
   * As {@link #collectStable(VersionVector, long, byte[], int, List)}, with the time every
   * member's time for expiry has reached given apart ({@code expiredEverywhereMillis}: a remnant
   * is collected only when its expiry is at or before it). Tests and broken variants use it.
   */
  public byte[] collectStable(VersionVector stable, long clockBound,
      long expiredEverywhereMillis, byte[] from, int maxExamined, List<Entry> collectedOut) {
    return collectStable(stable, clockBound, expiredEverywhereMillis, stable, clockBound, from,
        maxExamined, collectedOut);
  }

  /**
   * As {@link #collectStable(VersionVector, long, long, byte[], int, List)}, with the stable
   * vector and clock bound that decide the garbage of the typed keys' elements given apart
   * ({@code elementsStable}, {@code elementsClockBound}): the tombstones of hash fields, and the
   * set and sorted-set registers {@link Sets#garbage} and {@link SortedSets#garbage} find. Broken
   * variants use it; every caller in production passes the same vector and bound twice.
   *
   * <p>A (sorted) set member's registers are decided together (one may only go with another),
   * so a slice whose budget ends inside a member's registers reads on to the member's last one:
   * at most the origins that wrote the member beyond the budget.
   */
  public byte[] collectStable(VersionVector stable, long clockBound,
      long expiredEverywhereMillis, VersionVector elementsStable, long elementsClockBound,
      byte[] from, int maxExamined, List<Entry> collectedOut) {
    requireNoBatch();
    if (maxExamined <= 0) throw new IllegalArgumentException("maxExamined must be positive");
    byte[][] next = {null};
    int[] examined = {0};
    boolean[] left = {false};
    List<Entry> stableDead = new ArrayList<>();
    // The registers of the (sorted) set member being read, and the prefix they share (null:
    // none); the prefix's kind byte keeps a set's members apart from a sorted set's.
    byte[][] member = {null};
    List<Entry> registers = new ArrayList<>();
    // The replica's own vector covers it too: a stable vector is a minimum that includes it,
    // but a caller's stale one must not make this replica drop what it has not settled.
    Sets.Stable elementsCovered = (o, q) -> elementsStable.covers(o, q) && vv.covers(o, q);
    store.forEachFrom(from, e -> {
      byte[] registerOf = memberPrefixOfRegister(e.key());
      boolean sameMember = member[0] != null && registerOf != null
          && Arrays.equals(member[0], registerOf);
      if (examined[0] >= maxExamined && !sameMember) {
        next[0] = e.key();
        return false;
      }
      examined[0]++;
      if (!sameMember && member[0] != null) {
        left[0] = collectMember(member[0], registers, elementsCovered, stableDead, left[0]);
        registers.clear();
        member[0] = null;
      }
      if (registerOf != null) {
        member[0] = registerOf;
        registers.add(e);
        return true;
      }
      if (stableTombstone(e, Elements.isElementKey(e.key()) ? elementsStable : stable,
          Elements.isElementKey(e.key()) ? elementsClockBound : clockBound,
          expiredEverywhereMillis)) {
        stableDead.add(e);
      } else if (mayBecomeGarbage(e)) {
        left[0] = true;
      }
      return true;
    });
    if (member[0] != null) {
      left[0] = collectMember(member[0], registers, elementsCovered, stableDead, left[0]);
    }
    lastCollectLeftGarbage = left[0];
    if (stableDead.isEmpty()) return next[0];
    Change c = new Change();
    for (Entry e : stableDead) {
      c.digest -= e.fingerprint();
      c.count(e, -1);
      c.m.collected.add(e);
      ByteBuffer k = ByteBuffer.wrap(e.key());
      List<long[]> dots = shadowsByKey.get(k);
      if (dots != null) {
        c.m.shadowRemovals.addAll(dots);
        c.shadowsDropped.put(k, dots);
      }
    }
    commit(c);
    if (collectedOut != null) collectedOut.addAll(stableDead);
    return next[0];
  }

  private static final Sets.Stable EVERYTHING_STABLE = (o, q) -> true;
  /** Entries committed since this replica opened that {@link #mayBecomeGarbage}. */
  private long garbageWrites;
  /** Whether the last {@link #collectStable} examined an entry that may go once stable. */
  private boolean lastCollectLeftGarbage;

  /**
   * How many entries that may become garbage ({@link #collectStable}: tombstones and remnants
   * of string keys, hash field tombstones, set and sorted-set registers) this replica committed
   * since it opened. With {@link #lastCollectLeftGarbage} it tells a collector that a whole
   * pass found nothing that waits only for the stable vector, and that nothing was written since
   * that may: the collector can rest however the stable vector moves (docs/design.md).
   */
  public long garbageWrites() {
    return garbageWrites;
  }

  /**
   * Whether the last {@link #collectStable} examined an entry that it left but that may go once
   * the stable vector and clock bound cover it, with no other write.
   */
  public boolean lastCollectLeftGarbage() {
    return lastCollectLeftGarbage;
  }

  /**
   * Whether {@code e} is of a sort {@link #collectStable} may collect (a tombstone or remnant of
   * a string key or hash field, or a set or sorted-set register), whatever the stable vector.
   * Cheap: it runs on every entry a commit writes.
   */
  private static boolean mayBecomeGarbage(Entry e) {
    boolean stringTombstone = e.isTombstone() && e.kind() == Entry.KIND_STRING;
    if (!Elements.isElementKey(e.key())) return stringTombstone;
    int kind = kindIndex(e.key());
    if (kind < 0) return false;
    return e.key()[kind] == Entry.KIND_HASH ? stringTombstone : isMemberRegister(e.key(), kind);
  }

  /**
   * Where the kind byte of element key {@code key} is ({@code 5 + n}, after the mark and the
   * user key of length n), or -1 for a user key or a malformed element key. No allocation: it
   * runs on every entry a commit writes.
   */
  private static int kindIndex(byte[] key) {
    if (!Elements.isElementKey(key) || key.length < 6) return -1;
    int n = ((key[1] & 0xff) << 24) | ((key[2] & 0xff) << 16) | ((key[3] & 0xff) << 8)
        | (key[4] & 0xff);
    return n >= 0 && 5 + n < key.length ? 5 + n : -1;
  }

  /** Whether element key {@code key}, its kind byte at {@code kind}, is a (sorted) set register. */
  private static boolean isMemberRegister(byte[] key, int kind) {
    return (key[kind] == Entry.KIND_SET || key[kind] == Entry.KIND_ZSET)
        && key.length - (kind + 1) >= 12;
  }

  /**
   * Whether {@code e} is a tombstone or remnant that may go (collectStable): a string tombstone
   * or remnant under a user key, or the tombstone of a hash field (what HDEL writes when the
   * field has no increments to cancel). Reads reach a key's elements only through a live head,
   * so elements under a collected tombstone stay as hidden as they were under it (and a write of
   * the key treats no head as it treats a dead one). A field's tombstone is a last-writer-wins
   * register as a string key is, read as absent and cancelling nothing, so the same rule holds:
   * every write of the field not yet everywhere is stamped above the bound and wins anyway.
   * Other heads and elements go by their types' rules ({@link Sets#garbage}) or stay.
   */
  private boolean stableTombstone(Entry e, VersionVector stable, long clockBound,
      long expiredEverywhereMillis) {
    if (!e.isTombstone() || e.clock() > clockBound || !stable.covers(e.origin(), e.seq())
        || !vv.covers(e.origin(), e.seq())
        || e.hasExpiry() && e.expiry() > expiredEverywhereMillis
        || e.kind() != Entry.KIND_STRING) {
      return false;
    }
    return !Elements.isElementKey(e.key()) || isHashFieldKey(e.key());
  }

  /** Whether {@code key} is a hash field's register (not an increment element). */
  private static boolean isHashFieldKey(byte[] key) {
    int kind = kindIndex(key);
    return kind >= 0 && key[kind] == Entry.KIND_HASH;
  }

  /**
   * Adds to {@code out} the registers of one member that may go now; returns whether garbage is
   * left: {@code leftAlready}, or some register that would go were everything stable stays.
   */
  private static boolean collectMember(byte[] memberPrefix, List<Entry> registers,
      Sets.Stable covered, List<Entry> out, boolean leftAlready) {
    List<Entry> garbage = memberGarbage(memberPrefix, registers, covered);
    out.addAll(garbage);
    return leftAlready || garbage.size() < registers.size()
        && memberGarbage(memberPrefix, registers, EVERYTHING_STABLE).size() > garbage.size();
  }

  /** The registers of one member that may go, by the rule of its kind (in its prefix). */
  private static List<Entry> memberGarbage(byte[] memberPrefix, List<Entry> registers,
      Sets.Stable covered) {
    int n = ByteBuffer.wrap(memberPrefix, 1, 4).getInt();
    return memberPrefix[5 + n] == Entry.KIND_ZSET ? SortedSets.garbage(registers, covered)
        : Sets.garbage(registers, covered);
  }

  /**
   * For a set or sorted-set register's key, the prefix the registers of its member share (all
   * but the origin); null for any other key.
   */
  private static byte[] memberPrefixOfRegister(byte[] key) {
    int kind = kindIndex(key);
    return kind >= 0 && isMemberRegister(key, kind) ? Arrays.copyOf(key, key.length - 8) : null;
  }

  /** Where {@link #collectLogRecords}'s full pass goes on: the origin, the last sequence examined. */
  private long logCollectOrigin = -1;
  private long logCollectAfter;
  /**
   * The dots of log records that may be collected once stable: every record written that is not
   * its key's current entry's own record nor a shadow (superseded writes of atomic batches and
   * the displaced marks a delta brought: {@link Mutation#batchRecords}), by origin. Complete only
   * once a full pass over the log has ended since this replica opened (records from before are
   * found by that pass); until then {@link #collectLogRecords} scans the log.
   */
  private final java.util.TreeMap<Long, java.util.TreeSet<Long>> logCandidates =
      new java.util.TreeMap<>();
  private int logCandidateCount;
  private boolean logCandidatesComplete;
  /**
   * Bounds {@link #logCandidates} (about 64 bytes each): past it the set is dropped and the log
   * scanned again, which finds the same records. Only writes of batches superseded while their
   * stable vector lags (a partition) accumulate here.
   */
  static final int LOG_CANDIDATES_MAX = 200_000;

  /**
   * Whether {@link #collectLogRecords} may still find something without a new write: its full
   * pass has not ended, or some candidate waits for the stable vector.
   */
  public boolean logRecordsPending() {
    return !logCandidatesComplete || logCandidateCount > 0;
  }

  private void addLogCandidate(long origin, long seq) {
    if (logCandidates.computeIfAbsent(origin, o -> new java.util.TreeSet<>()).add(seq)
        && ++logCandidateCount > LOG_CANDIDATES_MAX) {
      logCandidates.clear();
      logCandidateCount = 0;
      logCandidatesComplete = false;
      logCollectOrigin = -1; // a new full pass, from the start
    }
  }

  /**
   * Removes log records that no delta can need any more: a record whose dot {@code stable}
   * covers and that is not its key's current entry's own record (a superseded write of an atomic
   * batch, or a displaced mark a delta brought). Such a record exists only to make a delta
   * carry, to a peer that lacks the write, what stands in for it; every member holds that write
   * or a newer one of its key once the stable vector covers it, and a delta to a member sends
   * nothing its vector covers. Shadows are left to {@link #dropCoveredShadows}. Examines at most
   * {@code maxExamined} records, removes what qualifies in one commit, returns how many it
   * removed. The records of the key's current entries stay (a delta finds the entries through
   * them), as do records beyond the stable vector.
   *
   * <p>Only the records that can qualify are examined: those this replica wrote as such since it
   * opened ({@link #logCandidates}). Until one full pass over the log has ended, the log itself
   * is scanned, origin by origin from where the previous call stopped, to find those written
   * before: a record beyond the stable vector that qualifies otherwise joins the candidates.
   * Scanning every record again and again instead cost a peer under a steady load of writes
   * about 40% of its CPU (docs/performance.md), for the few records that qualify.
   */
  public int collectLogRecords(VersionVector stable, int maxExamined) {
    requireNoBatch();
    if (maxExamined <= 0) throw new IllegalArgumentException("maxExamined must be positive");
    List<long[]> removals = new ArrayList<>();
    try (Store.View view = store.snapshot()) {
      if (logCandidatesComplete) {
        collectLogCandidates(view, stable, maxExamined, removals);
      } else {
        scanLogForCandidates(view, stable, maxExamined, removals);
      }
    }
    if (removals.isEmpty()) return 0;
    Change c = new Change();
    c.m.logRemovals.addAll(removals);
    commit(c);
    return removals.size();
  }

  /** Whether the record of {@code (o, seq)} under {@code key} may go once stable. */
  private boolean qualifies(Store.View view, long o, long seq, byte[] key) {
    Entry e = view.get(key);
    boolean own = e != null && e.origin() == o && e.seq() == seq;
    return !own && !isShadow(key, o, seq);
  }

  private void collectLogCandidates(Store.View view, VersionVector stable, int maxExamined,
      List<long[]> removals) {
    int examined = 0;
    for (var byOrigin = logCandidates.entrySet().iterator();
        byOrigin.hasNext() && examined < maxExamined; ) {
      var entry = byOrigin.next();
      long o = entry.getKey();
      long upto = Math.min(stable.get(o), vv.get(o));
      for (var seqs = entry.getValue().headSet(upto, true).iterator();
          seqs.hasNext() && examined < maxExamined; ) {
        long seq = seqs.next();
        examined++;
        seqs.remove();
        logCandidateCount--;
        view.scanLog(o, seq - 1, seq, (s, key) -> {
          if (qualifies(view, o, s, key)) removals.add(new long[] {o, s});
          return false;
        });
      }
      if (entry.getValue().isEmpty()) byOrigin.remove();
    }
  }

  private void scanLogForCandidates(Store.View view, VersionVector stable, int maxExamined,
      List<long[]> removals) {
    int examined = 0;
    while (examined < maxExamined) {
      if (logCollectOrigin < 0) {
        logCollectOrigin = view.nextLogOrigin(-1);
        logCollectAfter = 0;
        if (logCollectOrigin < 0) { // no log at all
          logCandidatesComplete = true;
          return;
        }
      }
      long o = logCollectOrigin;
      long stableUpto = Math.min(stable.get(o), vv.get(o));
      long upto = vv.get(o);
      int[] n = {examined};
      boolean[] stopped = {false};
      long last = logCollectAfter >= upto ? logCollectAfter
          : view.scanLog(o, logCollectAfter, upto, (seq, key) -> {
            n[0]++;
            if (qualifies(view, o, seq, key)) {
              if (seq <= stableUpto) {
                removals.add(new long[] {o, seq});
              } else {
                addLogCandidate(o, seq);
              }
            }
            stopped[0] = n[0] >= maxExamined;
            return !stopped[0];
          });
      examined = n[0];
      if (logCollectOrigin != o) return; // the candidates overflowed: the pass starts over
      if (!stopped[0] || last >= upto) {
        long next = view.nextLogOrigin(o); // this origin done
        logCollectOrigin = next;
        logCollectAfter = 0;
        if (next < 0) { // the pass is done: from now on the candidates are every such record
          logCandidatesComplete = true;
          return;
        }
      } else {
        logCollectAfter = last;
      }
    }
  }

  private boolean isShadow(byte[] key, long origin, long seq) {
    List<long[]> dots = shadowsByKey.get(ByteBuffer.wrap(key));
    if (dots == null) return false;
    for (long[] d : dots) if (d[0] == origin && d[1] == seq) return true;
    return false;
  }

  private static void removeExpired(Change c, Entry e) {
    c.replace(e, e.remnant()); // same dot: its log record stays as it is
    if (e.expiry() < 1L << 47) c.hlc.observe(e.expiry() << Hlc.LOGICAL_BITS);
  }

  /**
   * Writes {@code values[i]} under {@code keys[i]} (a null value deletes) as one atomic batch,
   * each a new write of this origin stamped above everything this replica and the session have
   * seen. Returns the new entries, one per key given and in that order (a key given twice is
   * written twice: the later write supersedes the earlier, which is never stored but keeps its
   * dot in the sequence); when this returns, they are committed to the store. Inside an open
   * batch ({@link #beginBatch}) nothing is committed yet: it returns the entries staged for
   * these keys, and {@link #commitBatch} the whole batch's.
   */
  public List<Entry> write(SessionToken session, List<byte[]> keys, List<byte[]> values,
      long wallMillis) {
    return write(session, keys, values, null, wallMillis);
  }

  /**
   * As {@link #write(SessionToken, List, List, long)}, each value expiring at
   * {@code expiries[i]} (absolute Unix ms as {@link #now}, 0 for never; null for none at all).
   * A delete (null value) carries no expiry.
   */
  public List<Entry> write(SessionToken session, List<byte[]> keys, List<byte[]> values,
      long[] expiries, long wallMillis) {
    return write(session, keys, values, null, expiries, wallMillis);
  }

  /**
   * As {@link #write(SessionToken, List, List, long[], long)}, each value of kind
   * {@code kinds[i]} ({@link Entry#KIND_STRING} when {@code kinds} is null; a delete has none).
   */
  public List<Entry> write(SessionToken session, List<byte[]> keys, List<byte[]> values,
      byte[] kinds, long[] expiries, long wallMillis) {
    if (keys.size() != values.size()) throw new IllegalArgumentException("keys and values differ");
    if (kinds != null && kinds.length != keys.size()) {
      throw new IllegalArgumentException("keys and kinds differ");
    }
    if (expiries != null && expiries.length != keys.size()) {
      throw new IllegalArgumentException("keys and expiries differ");
    }
    now(wallMillis);
    if (Hlc.physicalMillis(session.clock()) > wallMillis + CLOCK_AHEAD_MAX_MS) {
      throw new ClockAheadException("the session's clock is more than "
          + CLOCK_AHEAD_MAX_MS / 3_600_000 + " h ahead of this server's clock");
    }
    boolean alone = staged == null;
    if (alone) beginBatch();
    try {
      return stage(session, keys, values, kinds, expiries, wallMillis, alone);
    } catch (RuntimeException | Error e) {
      if (alone) staged = null;
      throw e;
    }
  }

  private List<Entry> stage(SessionToken session, List<byte[]> keys, List<byte[]> values,
      byte[] kinds, long[] expiries, long wallMillis, boolean alone) {
    Batch b = staged;
    Change c = b.change;
    List<Entry> written = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      byte[] key = keys.get(i);
      Entry current = c.current(key);
      long floor = Math.max(session.clock(), current == null ? 0 : current.clock());
      long clock = c.hlc.tick(wallMillis, floor);
      // Every write takes a new dot, a key this batch already wrote included: a head written
      // in between (a DEL of a hash or set) hides what its writer held by dot, so a rewrite
      // must not keep the dot the head saw. The earlier write is never stored (the change
      // replaces it) but stays in the batch, and in its pushes, so the batch's dots are
      // consecutive, each naming a write (pushes and coverage count on that: see
      // DeltaChunk.split, applyDelta, wholeBatches).
      long seq = c.vv.get(origin) + 1;
      byte[] value = values.get(i);
      long expiry = expiries == null || value == null ? 0 : expiries[i];
      byte kind = kinds == null || value == null ? Entry.KIND_STRING : kinds[i];
      Entry e = value == null ? Entry.tombstone(key, clock, origin, seq)
          : new Entry(key, value, clock, origin, seq, expiry, kind);
      if (current != null && current.inBatch()) {
        // A batch's write keeps its log record: see keepLogSound. It may go once stable.
        c.keptLogRecords.add(new long[] {current.origin(), current.seq()});
      } else if (current != null && !c.writes(key)) {
        c.m.logRemovals.add(new long[] {current.origin(), current.seq()});
      }
      c.vv.raise(origin, seq);
      b.written.add(e);
      c.replace(current, e);
      written.add(e);
      b.bytes += EntryCodec.wireSize(e);
    }
    b.sessions.add(session);
    return alone ? commitBatch() : written;
  }

  // ---- atomic batches (transactions) -------------------------------------------------------

  /**
   * Opens a batch: the writes of every {@link #write} until {@link #commitBatch} are staged in
   * one change, committed together as one atomic store commit, and marked as one batch
   * ({@link Entry#batchFollowing}) so that no peer ever holds part of them (MULTI/EXEC). While a
   * batch is open, reads ({@link #read}, {@link #liveEntry}, {@link #peek}, the iterations) see
   * its writes; replication and the expiry sweep must wait for it to close (one thread owns
   * the replica, and EXEC runs to its end in one go).
   */
  public void beginBatch() {
    if (staged != null) throw new IllegalStateException("a batch is already open");
    staged = new Batch(new Change(), vv.get(origin) + 1);
  }

  /** True while a batch is open. */
  public boolean batchOpen() {
    return staged != null;
  }

  /** The replication size of the writes staged in the open batch (0 when none is open). */
  public long stagedBytes() {
    return staged == null ? 0 : staged.bytes;
  }

  /**
   * Commits the open batch as one change and closes it. Returns its writes in order (each with
   * its batch mark, superseded ones included, as pushes must carry them); the sessions that
   * wrote them observe them now. A batch larger than {@link #ATOMIC_BATCH_BYTES_MAX} is
   * committed unmarked: its writes may reach peers in pieces.
   */
  public List<Entry> commitBatch() {
    Batch b = staged;
    if (b == null) throw new IllegalStateException("no batch is open");
    staged = null;
    List<Entry> written = b.written;
    if (written.isEmpty()) return List.of();
    long last = b.change.vv.get(origin);
    if (written.size() > 1 && b.bytes <= ATOMIC_BATCH_BYTES_MAX) {
      for (int i = 0; i < written.size(); i++) {
        Entry w = written.get(i);
        written.set(i, w.inBatch((int) (w.seq() - b.firstSeq), (int) (last - w.seq())));
      }
      List<Entry> puts = b.change.m.puts;
      for (int i = 0; i < puts.size(); i++) {
        Entry p = puts.get(i);
        // The marked form of a write of this batch (the fingerprint ignores the mark).
        if (p.origin() == origin && p.seq() >= b.firstSeq) {
          puts.set(i, written.get((int) (p.seq() - b.firstSeq)));
        }
      }
      if (written.size() != last - b.firstSeq + 1) throw new AssertionError("batch has holes");
    }
    List<byte[]> keys = new ArrayList<>(written.size());
    for (Entry e : written) keys.add(e.key());
    dropCoveredShadows(b.change, keys);
    commit(b.change);
    for (SessionToken session : b.sessions) {
      batchWork += written.size();
      for (Entry e : written) session.observe(e);
    }
    return written;
  }

  /** Forgets the open batch and everything it staged, as if it had never been opened. */
  public void abandonBatch() {
    staged = null;
  }

  private void requireNoBatch() {
    if (staged != null) throw new IllegalStateException("a batch is open");
  }

  /** The batch being staged: its change, first sequence, writes and sessions. */
  private static final class Batch {
    final Change change;
    final long firstSeq;
    final List<Entry> written = new ArrayList<>();
    // An identity set: a session writing many times in a batch observes its writes once.
    final java.util.Set<SessionToken> sessions =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    long bytes;

    Batch(Change change, long firstSeq) {
      this.change = change;
      this.firstSeq = firstSeq;
    }
  }

  /** The outcome of an increment: the counter's new value and the entries written. */
  public record Increment(java.math.BigDecimal value, List<Entry> written) {}

  /**
   * Adds {@code delta} to the counter {@code key} for a session (INCRBY, INCRBYFLOAT; see
   * {@link Counters}): this origin's contribution element rises by {@code delta}. A key that is
   * not a counter yet (absent, deleted, expired, a hash, set or sorted set that reads as absent,
   * or a string holding a number, which the caller has checked) first becomes one: a counter
   * head whose base is the string's number (0 when absent) and which cancels every contribution
   * stored for the key, in the same atomic write.
   * The caller has read the key in the session (so the session's dependencies are covered).
   *
   * @throws IllegalArgumentException when the key holds a string that is not a number
   */
  public Increment increment(SessionToken session, byte[] key, java.math.BigDecimal delta,
      long wallMillis) {
    now(wallMillis);
    Entry head = current(key);
    // A hash, set or sorted-set head here shows nothing (the caller refused a live one): what a
    // delete, the last removal, FLUSHALL or RENAME left, which reads as absent.
    boolean live = head != null && head.liveAt(now())
        && (head.kind() == Entry.KIND_STRING || head.kind() == Entry.KIND_COUNTER);
    // One scan of the key's elements serves the new head's cancel map and the new value.
    List<Entry> contributions = contributions(key, session);
    byte[] ownKey = Elements.counterKey(key, origin);
    int ownIndex = -1;
    for (int i = 0; i < contributions.size(); i++) {
      if (java.util.Arrays.equals(contributions.get(i).key(), ownKey)) ownIndex = i;
    }
    java.math.BigDecimal ownTotal = ownIndex < 0 ? null : Counters.totalOf(contributions.get(ownIndex));
    if (ownTotal == null) ownTotal = java.math.BigDecimal.ZERO;
    byte[] ownValue = Counters.encodeTotal(ownTotal.add(delta));
    List<Entry> written;
    Counters.Head counter;
    if (live && head.kind() == Entry.KIND_COUNTER) {
      counter = Counters.Head.decode(head.value());
      written = write(session, List.of(ownKey), List.of(ownValue), wallMillis);
    } else {
      java.math.BigDecimal base = java.math.BigDecimal.ZERO;
      long expiry = 0;
      if (live) {
        base = Counters.parse(head.value());
        if (base == null) throw new IllegalArgumentException("the key holds a string, not a number");
        expiry = head.expiry(); // as in Redis, INCR keeps the key's time to live
      }
      counter = new Counters.Head(false, base, Counters.cancelAll(contributions));
      written = write(session, List.of(key, ownKey), List.of(counter.encode(), ownValue),
          new byte[] {Entry.KIND_COUNTER, Entry.KIND_STRING}, new long[] {expiry, 0}, wallMillis);
    }
    Entry ownNow = written.get(written.size() - 1);
    if (ownIndex < 0) {
      contributions.add(ownNow);
    } else {
      contributions.set(ownIndex, ownNow);
    }
    return new Increment(Counters.value(counter, contributions), written);
  }

  /** What a delete writes under a key: a value (null: a tombstone) of a kind. */
  public record Deletion(byte[] value, byte kind) {
    static final Deletion TOMBSTONE = new Deletion(null, Entry.KIND_STRING);
  }

  /**
   * What deleting {@code key} writes (DEL, UNLINK, FLUSHALL): a tombstone for a key that is not
   * a live counter or hash; for a counter, a reset head that cancels every contribution stored
   * now, so that an increment concurrent with the delete still counts (see {@link Counters}); for
   * a hash, a head hiding every field held now, so that a field set concurrently survives (see
   * {@link Hashes}).
   */
  public Deletion deletion(byte[] key) {
    Entry head = current(key);
    if (head == null || !head.liveAt(now())) return Deletion.TOMBSTONE;
    if (head.kind() == Entry.KIND_COUNTER) {
      return new Deletion(new Counters.Head(true, java.math.BigDecimal.ZERO,
          Counters.cancelAll(contributions(key, null))).encode(), Entry.KIND_COUNTER);
    }
    if (head.kind() == Entry.KIND_HASH) return new Deletion(newHashHead(key), head.kind());
    if (head.kind() == Entry.KIND_SET || head.kind() == Entry.KIND_ZSET) {
      return new Deletion(Hashes.head(covered()), head.kind());
    }
    return Deletion.TOMBSTONE;
  }

  public Entry put(SessionToken session, byte[] key, byte[] value, long wallMillis) {
    return write(session, List.of(key), java.util.Collections.singletonList(value), wallMillis)
        .get(0);
  }

  // ---- replication -------------------------------------------------------------------------

  /** True when {@code peerHas} lacks something this replica could send. */
  public boolean hasNewerThan(VersionVector peerHas) {
    return !peerHas.covers(vv);
  }

  /**
   * Counts the changes that stored an entry this replica's vector does not cover (from a delta
   * not complete yet). Such entries travel in every delta (see DeltaStream) but do not raise the
   * vector, so a link compares this counter to know it has something new to send.
   */
  public long beyondVectorGeneration() {
    return beyondVectorGeneration;
  }

  /**
   * Cuts a delta for a peer known to hold {@code peerHas}: every current entry whose dot the
   * peer lacks, read from one snapshot, closed by this replica's vector at that snapshot.
   */
  public DeltaStream openDelta(VersionVector peerHas) {
    requireNoBatch();
    return new DeltaStream(store.snapshot(), vv.copy(), peerHas.copy());
  }

  /**
   * Applies one chunk of a peer's delta, or a push of a peer's own new writes. Entries are merged
   * by last-writer-wins. The vector rises in two ways only: by one for an entry whose sequence
   * directly follows what this replica covers of its origin (it now holds that write or a newer
   * one of the same key), and to the closing vector of a complete delta. A half-received delta
   * raises nothing beyond its contiguous prefix. Returns true when the replica changed.
   */
  public boolean applyDelta(DeltaChunk chunk) {
    return applyDelta(chunk, null);
  }

  /**
   * As {@link #applyDelta(DeltaChunk)}, and appends to {@code newlyCovered} (when not null), in
   * order, each entry that extended the vector by one: those a server may pass on as a push.
   */
  public boolean applyDelta(DeltaChunk chunk, List<Entry> newlyCovered) {
    requireNoBatch();
    Change c = new Change();
    boolean raised = false;
    List<Entry> covered = new ArrayList<>();
    List<Entry> displaced = new ArrayList<>(); // replaced here, or not applied as older
    List<Entry> entries = chunk.entries();
    Entry[] stored = readCurrent(entries);
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      c.hlc.observe(e.clock());
      // A remnant says its expiry has passed on the server that removed it (sweepExpired).
      if (e.isRemnant() && e.expiry() < 1L << 47) c.hlc.observe(e.expiry() << Hlc.LOGICAL_BITS);
      long have = c.vv.get(e.origin());
      if (e.seq() <= have) continue; // have it, or what superseded it
      Entry current = c.current(e.key(), stored[i]);
      if (!e.sameDot(current)) {
        if (e.supersedes(current)) {
          if (current != null) displaced.add(current);
          c.replace(current, e);
        } else {
          displaced.add(e);
        }
      }
      if (e.seq() == have + 1) {
        c.vv.raise(e.origin(), e.seq());
        raised = true;
        covered.add(e);
      }
    }
    if (chunk.isLast()) raised |= c.vv.mergeFrom(chunk.completes());
    keepLogSound(c, displaced);
    // What the sender holds only superseded: a record for each, as if displaced here (it is:
    // the chunk carried what stands in for it, or the sender knew this replica held that).
    c.m.batchRecords.addAll(chunk.displaced());
    if (!shadowsByKey.isEmpty()) {
      // A closing vector may cover any key's current entry; otherwise only those touched here.
      List<byte[]> touched = new ArrayList<>();
      if (chunk.isLast()) {
        for (ByteBuffer k : shadowsByKey.keySet()) touched.add(bytes(k));
      } else {
        for (Entry e : chunk.entries()) touched.add(e.key());
      }
      dropCoveredShadows(c, touched);
    }
    boolean beyondVector = false;
    for (Entry p : c.m.puts) {
      if (!c.vv.covers(p.origin(), p.seq())) {
        beyondVector = true;
        break;
      }
    }
    if (c.m.isEmpty() && !raised) {
      hlc.observe(c.hlc.current()); // nothing to store: the clocks seen need no disk
      return false;
    }
    commit(c);
    if (beyondVector) beyondVectorGeneration++;
    if (newlyCovered != null) newlyCovered.addAll(wholeBatches(covered));
    return true;
  }

  /**
   * The stored entries of the keys of {@code entries} that a chunk may apply (those whose dot
   * this replica does not cover yet), read together (Store.getAll); null elsewhere. A key the
   * chunk carries twice is read twice, and its second write is decided against the first
   * (Change.current finds it among the change's own writes).
   */
  private Entry[] readCurrent(List<Entry> entries) {
    List<byte[]> keys = new ArrayList<>(entries.size());
    List<Integer> at = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.seq() > vv.get(e.origin())) {
        keys.add(e.key());
        at.add(i);
      }
    }
    Entry[] byEntry = new Entry[entries.size()];
    if (keys.isEmpty()) return byEntry;
    Entry[] read = store.getAll(keys);
    for (int j = 0; j < read.length; j++) byEntry[at.get(j)] = read[j];
    return byEntry;
  }

  /**
   * {@code covered} without the writes of any atomic batch that it does not hold whole: those
   * are passed on by a delta, which carries the rest (or what stands in for it), not by a push.
   */
  private static List<Entry> wholeBatches(List<Entry> covered) {
    Map<List<Long>, Integer> members = null;
    for (Entry e : covered) {
      if (!e.inBatch()) continue;
      if (members == null) members = new HashMap<>();
      members.merge(List.of(e.origin(), e.batchFirst()), 1, Integer::sum);
    }
    if (members == null) return covered;
    List<Entry> out = new ArrayList<>(covered.size());
    for (Entry e : covered) {
      if (!e.inBatch() || members.get(List.of(e.origin(), e.batchFirst()))
          == e.batchPreceding() + e.batchFollowing() + 1) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Decides, once the vector of this change is final, the log records of writes that were
   * displaced by a newer entry of the same key. A delta cut later must carry, for every dot the
   * vector covers, that write or a newer one of its key. When the key's current entry is covered
   * itself, the log finds it under its own dot, so the displaced record can go. When it is not
   * (it came in a delta not yet complete), the displaced dot keeps a record pointing at the key,
   * a shadow, and a delta sends the key's current entry in its place (see DeltaStream). A write
   * of an atomic batch always keeps its record so.
   */
  private void keepLogSound(Change c, List<Entry> displaced) {
    for (Entry d : displaced) {
      Entry now = c.current(d.key());
      if (d.inBatch()) {
        // A write of an atomic batch keeps its record, pointing at the key, for good: a delta
        // that carries the rest of the batch finds through it what stands in for this write,
        // and carries that too (DeltaStream.closeBatches), so no peer shows part of the batch.
        // It is not a shadow: it stays when the key's current entry is covered.
        c.m.batchRecords.add(d);
      } else if (c.vv.covers(now.origin(), now.seq())) {
        c.m.logRemovals.add(new long[] {d.origin(), d.seq()});
      } else {
        c.m.shadows.add(d);
      }
    }
  }

  /**
   * Drops the shadows of {@code keys} whose current entry this change leaves covered by its
   * vector. A shadow stands in for a displaced write while the key's current entry lies beyond
   * the vector; once the vector covers the current entry, a delta to any peer that lacks the
   * displaced write reaches the current entry through its own log record (docs/design.md,
   * Replication), so the shadow has nothing left to do.
   */
  private void dropCoveredShadows(Change c, List<byte[]> keys) {
    if (shadowsByKey.isEmpty()) return;
    for (byte[] key : keys) {
      ByteBuffer k = ByteBuffer.wrap(key);
      List<long[]> dots = shadowsByKey.get(k);
      if (dots == null || c.shadowsDropped.containsKey(k)) continue;
      Entry current = c.current(key);
      if (current != null && c.vv.covers(current.origin(), current.seq())) {
        c.m.shadowRemovals.addAll(dots);
        c.shadowsDropped.put(k, dots);
      }
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  // ---- inspection --------------------------------------------------------------------------

  /** Every entry with a value that has not expired by {@link #now()}, in key order. */
  public void forEachLive(Consumer<Entry> visitor) {
    long now = now();
    Consumer<Entry> shownLive = e -> {
      if (e.expiredAt(now) || Elements.isElementKey(e.key())) return;
      Entry shown = shown(e, null);
      if (shown != null) visitor.accept(shown);
    };
    if (staged == null) {
      store.forEachLive(shownLive);
      return;
    }
    forEachFrom(null, e -> {
      if (e.liveAt(now)) shownLive.accept(e);
      return true;
    });
  }

  /**
   * As reads show it ({@link #liveEntry}), the user key's entry {@code stored} (as a store scan
   * found it, tombstones included), or null when it reads as absent at {@link #now()}; null for
   * an element's entry too.
   */
  public Entry shownAt(Entry stored) {
    if (Elements.isElementKey(stored.key()) || !stored.liveAt(now())) return null;
    return shown(stored, null);
  }

  /** Every entry with a value, expired or not, in key order: what the store holds. */
  public void forEachStored(Consumer<Entry> visitor) {
    if (staged == null) {
      store.forEachLive(visitor);
      return;
    }
    forEachFrom(null, e -> {
      if (!e.isTombstone()) visitor.accept(e);
      return true;
    });
  }

  /**
   * Every entry, tombstones and expired values included, from {@code from} (inclusive; null for
   * the first key) in ascending unsigned byte order of keys, while the visitor returns true; an
   * open batch's writes included.
   */
  public void forEachFrom(byte[] from, java.util.function.Predicate<Entry> seen) {
    java.util.function.Predicate<Entry> visitor = e -> {
      examined++;
      return seen.test(e);
    };
    if (staged == null || staged.change.m.puts.isEmpty()) {
      store.forEachFrom(from, visitor);
      return;
    }
    // The batch's writes, in key order, merged into the store's iteration, walked lazily from
    // {@code from} in an index kept up to date as the batch writes (not a copy and sort of every
    // staged write per read, which made a transaction of many commands quadratic). A visitor
    // must not write a new key (the index would change under the walk).
    java.util.NavigableMap<byte[], Entry> ordered = staged.change.ordered();
    java.util.Iterator<Entry> mine = (from == null ? ordered : ordered.tailMap(from, true))
        .values().iterator();
    Entry[] pending = {mine.hasNext() ? mine.next() : null};
    boolean[] stopped = {false};
    store.forEachFrom(from, e -> {
      while (pending[0] != null) {
        int c = java.util.Arrays.compareUnsigned(pending[0].key(), e.key());
        if (c > 0) break;
        Entry p = pending[0];
        batchWork++;
        pending[0] = mine.hasNext() ? mine.next() : null;
        if (!visitor.test(p)) return !(stopped[0] = true);
        if (c == 0) return true; // the batch's write stands in for the stored entry
      }
      if (!visitor.test(e)) return !(stopped[0] = true);
      return true;
    });
    while (!stopped[0] && pending[0] != null) {
      Entry p = pending[0];
      batchWork++;
      pending[0] = mine.hasNext() ? mine.next() : null;
      if (!visitor.test(p)) return;
    }
  }

  /** The entry stored under {@code key}, tombstones included, without any session check. */
  public Entry peek(byte[] key) {
    return current(key);
  }

  /**
   * Takes {@code e}, just read, into {@code session}, unless it is a write staged in the open
   * batch: that one is observed when the batch commits, not before (see {@link #read}).
   */
  private void observe(SessionToken session, Entry e) {
    if (staged == null || !staged.change.writes(e.key())) session.observe(e);
  }

  /** What this replica covers now, an open batch's writes included. */
  private VersionVector covered() {
    return staged != null ? staged.change.vv : vv;
  }

  /** The key's entry, an open batch's write included. */
  private Entry current(byte[] key) {
    return staged != null ? staged.change.current(key) : store.get(key);
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * Commits a change, then (only once the store said yes) makes its vector, clock and digest
   * the replica's. A failed commit throws and leaves the replica as it was, so nothing in
   * memory ever claims what the disk does not hold; the server stops on it anyway.
   */
  private void commit(Change c) {
    c.m.meta = new ReplicaMeta(serverId, incarnation, c.vv, c.hlc.current(), c.digest, c.values,
        c.expiringValues);
    store.commit(c.m);
    for (Entry e : c.m.batchRecords) addLogCandidate(e.origin(), e.seq());
    for (long[] dot : c.keptLogRecords) addLogCandidate(dot[0], dot[1]);
    for (Entry e : c.m.puts) {
      if (mayBecomeGarbage(e)) garbageWrites++;
      if (!e.isTombstone() && e.hasExpiry()) {
        noExpiringValues = false; // the sweep has something to look for again
        sweepPassSawExpiring = true; // perhaps behind the pass's position
      }
    }
    vv = c.vv;
    hlc.observe(c.hlc.current());
    digest = c.digest;
    values = c.values;
    expiringValues = c.expiringValues;
    for (ByteBuffer k : c.shadowsDropped.keySet()) shadowsByKey.remove(k);
    for (Entry s : c.m.shadows) {
      List<long[]> dots = shadowsByKey.computeIfAbsent(ByteBuffer.wrap(s.key()),
          k -> new ArrayList<>());
      if (dots.stream().noneMatch(d -> d[0] == s.origin() && d[1] == s.seq())) {
        dots.add(new long[] {s.origin(), s.seq()});
      }
    }
  }

  /**
   * One change being built: the mutation, and the vector, clock and digest it will leave behind,
   * all on copies until {@link #commit(Change)}. Entries it writes are found by key in constant
   * time, so a batch of n keys costs O(n), not O(n^2).
   */
  private final class Change {
    final Mutation m = new Mutation();
    final VersionVector vv = Replica.this.vv.copy();
    final Hlc hlc = new Hlc(Replica.this.hlc.current());
    long digest = Replica.this.digest;
    long values = Replica.this.values;
    long expiringValues = Replica.this.expiringValues;
    /**
     * Log records this change leaves in place while its key's entry changes (superseded writes of
     * batches): candidates for {@link #collectLogRecords}, as {@code m.batchRecords} are.
     */
    final List<long[]> keptLogRecords = new ArrayList<>();
    /** Keys whose shadows this change drops, all of them. */
    final Map<ByteBuffer, List<long[]>> shadowsDropped = new HashMap<>();
    /**
     * {@code m.puts} by key, kept up to date by {@link #replace} once a read inside a batch has
     * asked for it (null before: most changes are never read in key order).
     */
    java.util.TreeMap<byte[], Entry> ordered;

    java.util.TreeMap<byte[], Entry> ordered() {
      if (ordered == null) {
        ordered = new java.util.TreeMap<>(java.util.Arrays::compareUnsigned);
        for (Entry p : m.puts) ordered.put(p.key(), p);
      }
      return ordered;
    }

    /** Index into {@code m.puts} of the entry this change writes for a key. */
    private final Map<ByteBuffer, Integer> putIndex = new HashMap<>();

    /** Whether this change writes {@code key}. */
    boolean writes(byte[] key) {
      return putIndex.containsKey(ByteBuffer.wrap(key));
    }

    private void count(Entry e, int sign) {
      if (e.isTombstone()) return; // a tombstone or a remnant: no value
      values += sign;
      if (e.hasExpiry()) expiringValues += sign;
    }

    /** The key's entry as this change leaves it: written here, else as stored. */
    Entry current(byte[] key) {
      Integer i = putIndex.get(ByteBuffer.wrap(key));
      return i != null ? m.puts.get(i) : store.get(key);
    }

    /** As {@link #current(byte[])}, given what the store held of the key before this change. */
    Entry current(byte[] key, Entry stored) {
      Integer i = putIndex.get(ByteBuffer.wrap(key));
      return i != null ? m.puts.get(i) : stored;
    }

    /** Makes {@code next} the current entry of its key; log records are the caller's business. */
    void replace(Entry current, Entry next) {
      if (ordered != null) ordered.put(next.key(), next);
      if (current != null) {
        digest -= current.fingerprint();
        count(current, -1);
      }
      digest += next.fingerprint();
      count(next, 1);
      Integer i = putIndex.get(ByteBuffer.wrap(next.key()));
      if (i != null) {
        m.puts.set(i, next); // current was written by this change: it is never stored
      } else {
        putIndex.put(ByteBuffer.wrap(next.key()), m.puts.size());
        m.puts.add(next);
      }
    }
  }

  /** A delta being streamed to one peer, chunk by chunk, from a snapshot. */
  public static final class DeltaStream implements AutoCloseable {
    private final Store.View view;
    private final VersionVector target;
    private final VersionVector peerHas;
    private long origin = -1; // the origin being scanned; -1 before the first
    private long afterSeq;
    private boolean finished;

    DeltaStream(Store.View view, VersionVector target, VersionVector peerHas) {
      this.view = view;
      this.target = target;
      this.peerHas = peerHas;
      advanceOrigin();
    }

    /** The vector the peer will hold once the whole delta is applied. */
    public VersionVector target() {
      return target;
    }

    private void advanceOrigin() {
      origin = view.nextLogOrigin(origin);
      if (origin >= 0) afterSeq = peerHas.get(origin);
    }

    /**
     * The next chunk of about {@code maxBytes} bytes or fewer; the last one carries the target
     * vector. Returns null after the last chunk.
     *
     * <p>For every origin in the log, the scan runs from what the peer holds to the end, not
     * only to the target: entries beyond this replica's vector (from a delta that never
     * completed, whose sender may be gone for good) travel too, without being claimed, so every
     * replica ends up with every entry anyone holds.
     */
    public DeltaChunk next(int maxBytes) {
      if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be positive");
      if (finished) return null;
      List<Entry> entries = new ArrayList<>();
      List<Entry> displaced = new ArrayList<>();
      List<long[]> scannedRanges = new ArrayList<>(); // {origin, after, upto} scanned whole
      int[] bytes = {0};
      while (origin >= 0 && bytes[0] < maxBytes) {
        long scanned = origin;
        long from = afterSeq;
        // The last sequence of an atomic batch this chunk holds part of: the scan goes on to it
        // before the chunk is cut.
        long[] batchEnd = {0};
        afterSeq = view.scanLog(scanned, afterSeq, Long.MAX_VALUE, (seq, key) -> {
          // Usually the record's own write is the key's current entry. Otherwise the record is
          // a shadow (see keepLogSound) and the current entry, newer, stands in for it.
          Entry e = view.get(key);
          boolean own = e != null && e.origin() == scanned && e.seq() == seq;
          if (own || (e != null && !peerHas.covers(e.origin(), e.seq()))) {
            entries.add(e);
            bytes[0] += EntryCodec.wireSize(e);
          }
          if (own) {
            batchEnd[0] = Math.max(batchEnd[0], e.batchEnd());
          } else if (e != null) {
            Entry mark = DeltaChunk.displacedMark(key, scanned, seq);
            displaced.add(mark);
            bytes[0] += EntryCodec.wireSize(mark);
          }
          return bytes[0] < maxBytes || seq < batchEnd[0];
        });
        scannedRanges.add(new long[] {scanned, from, afterSeq});
        if (bytes[0] < maxBytes) advanceOrigin(); // the scan ran to the end of this origin
      }
      closeBatches(entries, displaced, scannedRanges);
      if (origin < 0) {
        finished = true;
        close();
        return new DeltaChunk(entries, displaced, target, false);
      }
      return new DeltaChunk(entries, displaced, null, false);
    }

    /**
     * Completes every atomic batch that entries of this chunk belong to: for each write of the
     * batch whose record the scan did not reach (another origin's batch, reached through an
     * entry that stands in for a superseded write; or a batch begun before the scan), the key's
     * current entry if the peer lacks it, and so on for the batches those belong to. The peer
     * applies the chunk in one commit, so it shows each batch whole or not at all. A superseded
     * write of a batch keeps its log record for this (keepLogSound), and the chunk names it as
     * displaced, so that the receiver keeps one too and can do the same for its own peers.
     */
    private void closeBatches(List<Entry> entries, List<Entry> displaced,
        List<long[]> scannedRanges) {
      java.util.Set<ByteBuffer> keys = new java.util.HashSet<>();
      for (Entry e : entries) keys.add(ByteBuffer.wrap(e.key()));
      java.util.Set<List<Long>> done = new java.util.HashSet<>();
      for (int i = 0; i < entries.size(); i++) { // entries grows as batches pull in more
        Entry e = entries.get(i);
        if (!e.inBatch() || !done.add(List.of(e.origin(), e.batchFirst()))) continue;
        if (scannedWhole(scannedRanges, e.origin(), e.batchFirst(), e.batchEnd())) continue;
        long batchOrigin = e.origin();
        view.scanLog(batchOrigin, e.batchFirst() - 1, e.batchEnd(), (seq, key) -> {
          Entry current = view.get(key);
          if (current == null) return true;
          if (!peerHas.covers(current.origin(), current.seq()) && keys.add(ByteBuffer.wrap(key))) {
            entries.add(current);
          }
          if (current.origin() != batchOrigin || current.seq() != seq) {
            displaced.add(DeltaChunk.displacedMark(key, batchOrigin, seq));
          }
          return true;
        });
      }
    }

    private static boolean scannedWhole(List<long[]> ranges, long origin, long first, long last) {
      for (long[] r : ranges) {
        if (r[0] == origin && r[1] < first && last <= r[2]) return true;
      }
      return false;
    }

    @Override
    public void close() {
      view.close();
    }
  }
}
