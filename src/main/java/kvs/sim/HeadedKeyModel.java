package kvs.sim;

import java.util.ArrayList;
import java.util.List;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.core.VersionVector;

/**
 * What the simulation's oracles for a hash key ({@link HashModel}) and a set key
 * ({@link SetModel}) share: the record of every write of the key's head with what it means
 * (decided from the state the writing server was in, not from what the code wrote), the
 * clients' element writes, and the check that a server shows, under its winning head, what the
 * model says: for the type, {@link #typedExpected}; for a string, the string; else nothing.
 */
abstract class HeadedKeyModel {
  /** What a head write meant: the key became (or stayed) of the model's type, a string, or gone. */
  enum HeadKind { TYPED, STRING, DELETED }

  record HeadWrite(Entry entry, HeadKind kind, VersionVector hides) {}

  /** An element write (HSET, HDEL, SADD, SREM) a client made: read-your-writes, no lost write. */
  record ElementWrite(Entry entry, int client) {}

  final byte[] key;
  private final List<HeadWrite> heads = new ArrayList<>();
  private final List<ElementWrite> writes = new ArrayList<>();

  HeadedKeyModel(byte[] key) {
    this.key = key;
  }

  void headWritten(Entry e, HeadKind kind, VersionVector hides) {
    heads.add(new HeadWrite(e, kind, hides));
  }

  ElementWrite elementWritten(Entry e, int client) {
    ElementWrite w = new ElementWrite(e, client);
    writes.add(w);
    return w;
  }

  List<ElementWrite> elementWrites() {
    return writes;
  }

  /** Whether {@code r} holds element write {@code w} or a later write of its element. */
  boolean holds(Replica r, ElementWrite w) {
    Entry e = r.peek(w.entry().key());
    return e != null && Checker.compare(e, w.entry()) >= 0;
  }

  /** The write of the head {@code r} holds for the key; null when it holds none (or unknown). */
  HeadWrite headOf(Replica r) {
    Entry head = r.peek(key);
    if (head == null) return null;
    HeadWrite w = null;
    for (HeadWrite h : heads) {
      if (h.entry().sameDot(head)) w = h;
    }
    return w;
  }

  /** What {@code r} must show: null for no key, "string:V", or the type's sorted form. */
  String expected(Replica r, long expiryNow) {
    Entry head = r.peek(key);
    if (head == null) return null;
    HeadWrite w = headOf(r);
    if (w == null) {
      throw new Violation(Violation.Rule.NEVER_ISSUED, "the head of " + name() + " on server "
          + r.serverId() + " is " + Checker.describe(head) + ", never written as a head");
    }
    if (w.kind() == HeadKind.DELETED || head.expiredAt(expiryNow)) return null;
    if (w.kind() == HeadKind.STRING) return "string:" + CounterModel.latin1(head.value());
    return typedExpected(r, w);
  }

  /** What {@code r} must show of the type under the winning head {@code w}; null for nothing. */
  abstract String typedExpected(Replica r, HeadWrite w);

  /** What {@code r} shows, as {@link #expected} writes it, given its read of the key. */
  String shown(Replica r, Replica.ReadResult read, kvs.core.SessionToken session) {
    if (read.status() != Replica.ReadStatus.FOUND) return null;
    if (read.entry().kind() == Entry.KIND_STRING) {
      return "string:" + CounterModel.latin1(read.entry().value());
    }
    return typedShown(r, session);
  }

  /** What {@code r} shows of the type to {@code session}, in {@link #typedExpected}'s form. */
  abstract String typedShown(Replica r, kvs.core.SessionToken session);

  void check(Replica r, String got, long expiryNow, String where) {
    String want = expected(r, expiryNow);
    if (want == null ? got != null : !want.equals(got)) {
      throw new Violation(rule(), where + ": " + name() + " shows "
          + (got == null ? "nothing" : got) + " on server " + r.serverId()
          + " but its head " + Checker.describe(r.peek(key)) + " and " + elementsMake()
          + (want == null ? "nothing" : want));
    }
  }

  /** The rule a wrong view breaks. */
  abstract Violation.Rule rule();

  /** How a violation names what decides the view, e.g. "its field entries make ". */
  abstract String elementsMake();

  String name() {
    return CounterModel.latin1(key);
  }
}
