package kvs.sim;

import java.util.List;
import kvs.core.Entry;
import kvs.core.LinkDriver;
import kvs.core.Replica;
import kvs.core.VersionVector;
import kvs.core.SessionToken;

/**
 * How the simulated servers and clients drive the protocol core, at the seams where a
 * server or client could get the protocol wrong. This base class does exactly what the real
 * server ({@code kvs.server}) and client ({@code kvs.client.KvsClient}) do.
 *
 * <p>Test code subclasses it to make deliberately broken variants (no session check on reads,
 * counting from 1 again after a wipe, raising a vector before a delta is complete, stamping a
 * write without the client's clock) and asserts that the checker catches each one: a checker
 * that never fails proves nothing. Production code never subclasses it.
 */
public class Behavior {
  /** The behaviour of the real server and client. */
  public static final Behavior CORRECT = new Behavior();

  /** A short name for reports and replay commands. */
  public String name() {
    return "correct";
  }

  /**
   * Serves {@code GET key} for a connection whose session is {@code session}, on a server whose
   * wall clock reads {@code wallMillis} (the real server passes its clock to the replica before
   * each command: Commands.dispatch).
   */
  public Replica.ReadResult serveRead(Replica replica, SessionToken session, byte[] key,
      long wallMillis) {
    return replica.read(session, key, wallMillis);
  }

  /**
   * Serves a write ({@code SET}, {@code DEL}, {@code EXPIRE}, {@code PERSIST} or a batch; a null
   * value deletes; {@code expiries[i]} is the absolute expiry of value i, 0 for none).
   */
  public List<Entry> serveWrite(Replica replica, SessionToken session, List<byte[]> keys,
      List<byte[]> values, long[] expiries, long wallMillis) {
    return replica.write(session, keys, values, expiries, wallMillis);
  }

  /**
   * Serves {@code INCRBY key delta} (CounterCommands: a read in the session, which the caller
   * has made, then the increment).
   */
  public Replica.Increment serveIncrement(Replica replica, SessionToken session, byte[] key,
      long delta, long wallMillis) {
    return replica.increment(session, key, java.math.BigDecimal.valueOf(delta), wallMillis);
  }

  /** Serves {@code HSET key field value} (HashCommands, after its read in the session). */
  public List<Entry> serveHset(Replica replica, SessionToken session, byte[] key, byte[] field,
      byte[] value, long wallMillis) {
    return replica.hset(session, key, List.of(field), List.of(value), wallMillis);
  }

  /** Serves {@code HDEL key field} (HashCommands, after its read in the session). */
  public List<Entry> serveHdel(Replica replica, SessionToken session, byte[] key, byte[] field,
      long wallMillis) {
    return replica.hdel(session, key, List.of(field), wallMillis);
  }

  /**
   * Serves {@code HINCRBY key field delta} as HashCommands does, after its read in the session:
   * reads the field, refuses (null: "ERR hash value is not an integer", or an overflow) when it
   * holds no 64-bit integer or the sum would not be one, else adds to this server's running
   * total of the field.
   */
  public List<Entry> serveHincrby(Replica replica, SessionToken session, byte[] key,
      byte[] field, long delta, long wallMillis) {
    Long current = hashFieldNumber(replica, session, key, field);
    if (current == null) return null;
    try {
      Math.addExact(current, delta);
    } catch (ArithmeticException e) {
      return null;
    }
    return replica.hincrement(session, key, field, java.math.BigDecimal.valueOf(delta),
        wallMillis);
  }

  /** The field's value as a 64-bit integer (0 when absent), or null when it is not one. */
  static Long hashFieldNumber(Replica replica, SessionToken session, byte[] key, byte[] field) {
    byte[] old = replica.hashField(session, key, field);
    if (old == null) return 0L;
    try {
      return Long.parseLong(new String(old, java.nio.charset.StandardCharsets.ISO_8859_1));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Serves {@code SADD key member} (SetCommands, after its read in the session). */
  public List<Entry> serveSadd(Replica replica, SessionToken session, byte[] key, byte[] member,
      long wallMillis) {
    return replica.sadd(session, key, List.of(member), wallMillis).written();
  }

  /** Serves {@code SREM key member} (SetCommands, after its read in the session). */
  public List<Entry> serveSrem(Replica replica, SessionToken session, byte[] key, byte[] member,
      long wallMillis) {
    return replica.srem(session, key, List.of(member), wallMillis).written();
  }

  /**
   * Serves {@code ZADD key score member} (with a {@code score}) or {@code ZINCRBY key delta
   * member} (with a {@code delta}), as ZSetCommands does after its read in the session.
   */
  public List<Entry> serveZadd(Replica replica, SessionToken session, byte[] key, byte[] member,
      Double score, Long delta, long wallMillis) {
    return replica.zadd(session, key, List.of(new Replica.ZUpdate(member, score,
        delta == null ? null : java.math.BigDecimal.valueOf(delta))), wallMillis).written();
  }

  /** Serves {@code ZREM key member} (ZSetCommands, after its read in the session). */
  public List<Entry> serveZrem(Replica replica, SessionToken session, byte[] key, byte[] member,
      long wallMillis) {
    return replica.zrem(session, key, List.of(member), wallMillis).written();
  }

  /**
   * Serves a delete of several keys in one atomic write (FLUSHALL) as CommandSupport.delete does:
   * a counter's or hash's head for those, a tombstone for the others.
   */
  public List<Entry> serveDeletes(Replica replica, SessionToken session, List<byte[]> keys,
      long wallMillis) {
    List<byte[]> values = new java.util.ArrayList<>(keys.size());
    byte[] kinds = new byte[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      Replica.Deletion d = replica.deletion(keys.get(i));
      values.add(d.value());
      kinds[i] = d.kind();
    }
    return replica.write(session, keys, values, kinds, null, wallMillis);
  }

  /** Serves {@code DEL key} as CommandSupport.delete does: a counter's reset, or a tombstone. */
  public List<Entry> serveDelete(Replica replica, SessionToken session, byte[] key,
      long wallMillis) {
    Replica.Deletion deletion = replica.deletion(key);
    return replica.write(session, List.of(key),
        java.util.Collections.singletonList(deletion.value()), new byte[] {deletion.kind()}, null,
        wallMillis);
  }

  /** What the client records from a write's reply {@code [origin, seq, clock]}. */
  public void recordWriteReply(SessionToken clientToken, Entry written) {
    clientToken.observe(written.origin(), written.seq(), written.clock());
  }

  /**
   * The incarnation a server whose data directory was wiped comes back with; {@code fresh} is a
   * newly drawn one, never used by this server before.
   */
  public int incarnationAfterWipe(int previous, int fresh) {
    return fresh;
  }

  /**
   * Whether a restart after a crash may keep numbering from what the disk holds, as after a
   * clean stop. The real server never does (RocksDbStore's running marker tells it the stop was
   * unclean, and Replica.open then takes a fresh incarnation): a power cut may have torn the tail
   * off its log, with writes that peers already hold.
   */
  public boolean restartsAsAfterCleanStop() {
    return false;
  }

  /**
   * Whether every commit is in the log file before anything reveals it (a reply, a push, an
   * advert), so that SIGKILL loses nothing anyone saw. The real server's LogBarrier writes the
   * log before any socket flush.
   */
  public boolean writesLogBeforeReplies() {
    return true;
  }

  /**
   * Whether a log scan that fails part way ends as if the log ended there. The real store checks
   * the iterator's status and fails (RocksDbStore.checkStatus), which stops the server.
   */
  public boolean failedScanEndsSilently() {
    return false;
  }

  /**
   * The driver of one link whose handshake is done: the real server's {@link LinkDriver} (its
   * {@code PeerLink} builds the same). Broken variants return a subclass with one rule changed.
   */
  public LinkDriver newDriver(LinkDriver.Setup setup) {
    return new LinkDriver(setup);
  }

  /**
   * One slice of the server's collection of stable tombstones and expiry remnants, from
   * {@code from}: as the real server will run it, with the stable vector and clock bound of what
   * it heard from every member ({@link kvs.core.Stability}), then as many log records that no
   * delta can need any more ({@link Replica#collectLogRecords}). Returns where to go on.
   */
  public byte[] collect(Replica replica, kvs.core.Stability stability, byte[] from,
      int maxExamined, List<Entry> collected) {
    VersionVector stable = stability.stableVector();
    byte[] next = replica.collectStable(stable, stability.clockBound(), from, maxExamined,
        collected);
    replica.collectLogRecords(stable, maxExamined);
    return next;
  }

  /**
   * Seals the retired incarnations whose vector entries may go ({@link kvs.core.Stability#sealable},
   * {@link Replica#seal}), as the server's Collector does before each collection slice. Returns
   * how many were sealed.
   */
  public int seal(Replica replica, kvs.core.Stability stability) {
    return replica.seal(stability.sealable(replica.vv()));
  }

  /**
   * Whether the operator retires a dead incarnation only once the servers agree (step 2 of
   * docs/deployment.md's Retiring a server: every server holds what the incarnation took, and
   * none of its writes is still on its way), as the deployment guide tells one to.
   */
  public boolean retiresOnlyOnceServersAgree() {
    return true;
  }

  /**
   * Whether the operator retires a server for good ({@code KVS.RETIRE <id>}) only once the
   * servers agree and after stopping it (steps 2 and 3 of docs/deployment.md's Retiring a
   * server), as the deployment guide tells one to; otherwise as soon as it decided to, the
   * server still up with what it holds.
   */
  public boolean retiresServerOnlyOnceServersAgree() {
    return true;
  }

  /**
   * Whether a server refuses the links of a server it knows was retired for good, as the real
   * server's handshake does ({@link kvs.core.Stability#linkRefusal}).
   */
  public boolean refusesRetiredServerLinks() {
    return true;
  }

  @Override
  public String toString() {
    return name();
  }
}
