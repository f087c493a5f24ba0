package kvs.sim;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import kvs.core.Counters;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Replica;

/**
 * The simulation's oracle for counters, which knows nothing of per-origin totals or of what a
 * counter's head cancels: it keeps every increment as an event, and for every write of a
 * counter's head (the INCR that made the key a counter, a DEL, a SET) the increments its server
 * held when it wrote it. A server must then read, for a counter key: for a string head, the
 * string; for a counter head, its base plus every increment the server holds that the head's
 * writer did not; for a DEL's reset, nothing when there is no such increment.
 *
 * <p>A server holds an increment when its stored contribution of the increment's origin is the
 * increment's own write or a later one (an origin's later contribution includes its earlier
 * increments). Lookups only; nothing here decides the course of a run.
 */
final class CounterModel {
  private final byte[][] keys;
  private final List<Inc> incs = new ArrayList<>();
  private final List<HeadWrite> heads = new ArrayList<>();

  /** One increment: of key {@code key}, by {@code delta}, written as {@code contribution}. */
  record Inc(int key, Entry contribution, long delta, int client) {}

  record HeadWrite(int key, Entry entry, Set<Inc> saw) {}

  CounterModel(byte[][] keys) {
    this.keys = keys;
  }

  /** The increments of key {@code k} that {@code r} holds. */
  Set<Inc> held(Replica r, int k) {
    Set<Inc> out = new HashSet<>();
    for (Inc i : incs) {
      if (i.key() == k && holds(r, i)) out.add(i);
    }
    return out;
  }

  /** Whether {@code r} holds increment {@code i}. */
  boolean holds(Replica r, Inc i) {
    Entry own = r.peek(Elements.counterKey(keys[i.key()], i.contribution().origin()));
    return own != null && own.origin() == i.contribution().origin()
        && own.seq() >= i.contribution().seq();
  }

  Inc incremented(int k, Entry contribution, long delta, int client) {
    Inc i = new Inc(k, contribution, delta, client);
    incs.add(i);
    return i;
  }

  /** Records a write of the head of key {@code k}, by a server that held {@code saw}. */
  void headWritten(int k, Entry head, Set<Inc> saw) {
    heads.add(new HeadWrite(k, head, saw));
  }

  List<Inc> increments() {
    return incs;
  }

  /** What {@code r} must read for key {@code k}: the value's text, or null for none. */
  String expected(Replica r, int k, long expiryNow) {
    Entry head = r.peek(keys[k]);
    if (head == null || head.isTombstone() || head.expiredAt(expiryNow)) return null;
    HeadWrite w = null;
    for (HeadWrite h : heads) {
      if (h.key() == k && h.entry().sameDot(head)) w = h;
    }
    if (w == null || !w.entry().equals(head)) {
      throw new Violation(Violation.Rule.NEVER_ISSUED, "the head of " + name(k) + " on server "
          + r.serverId() + " is " + Checker.describe(head) + ", never written as a head");
    }
    if (head.kind() == Entry.KIND_STRING) return latin1(head.value());
    Counters.Head h = Counters.Head.decode(head.value());
    BigDecimal v = h.base();
    boolean any = false;
    for (Inc i : held(r, k)) {
      if (!w.saw().contains(i)) {
        v = v.add(BigDecimal.valueOf(i.delta()));
        any = true;
      }
    }
    if (h.reset() && !any) return null;
    return latin1(Counters.format(v));
  }

  /** Checks what {@code r} served for key {@code k} ({@code got}, null for none). */
  void checkRead(Replica r, int k, String got, long expiryNow, String where) {
    String want = expected(r, k, expiryNow);
    if (want == null ? got != null : !want.equals(got)) {
      throw new Violation(Violation.Rule.COUNTER, where + ": " + name(k) + " read "
          + (got == null ? "nothing" : got) + " on server " + r.serverId() + " but the "
          + "increments it holds and its head " + Checker.describe(r.peek(keys[k]))
          + " make " + (want == null ? "nothing" : want));
    }
  }

  String name(int k) {
    return latin1(keys[k]);
  }

  static String latin1(byte[] b) {
    return b == null ? null : new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
