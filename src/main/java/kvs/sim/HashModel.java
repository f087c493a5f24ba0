package kvs.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.core.VersionVector;

/**
 * The simulation's oracle for a hash key. Each field's entry is whatever the replication layer's
 * last-writer-wins left there (rules 1 and 4 judge that); what the model decides is which fields
 * a server must show. It records every write of the key's head with what it means, decided from
 * the state the writing server was in, not from what the code wrote: an HSET that made the key a
 * hash, or a DEL of a key that was a hash, hides the field writes its server's vector covered; a
 * SET makes the key a string; a DEL of anything else deletes it. A server must show, under the
 * winning head: for a hash, exactly the fields whose entry has a value and whose write that head
 * did not hide (and no key when there is none); for a string, the string; else nothing.
 */
final class HashModel {
  enum HeadKind { HASH, STRING, DELETED }

  record HeadWrite(Entry entry, HeadKind kind, VersionVector hides) {}

  /** A field write (HSET or HDEL) a client made, for read-your-writes and no lost write. */
  record FieldWrite(Entry entry, int client) {}

  private final byte[] key;
  private final String[] fields;
  private final List<HeadWrite> heads = new ArrayList<>();
  private final List<FieldWrite> writes = new ArrayList<>();

  HashModel(byte[] key, String[] fields) {
    this.key = key;
    this.fields = fields;
  }

  byte[] fieldKey(int f) {
    return Elements.key(key, Entry.KIND_HASH,
        fields[f].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  void headWritten(Entry e, HeadKind kind, VersionVector hides) {
    heads.add(new HeadWrite(e, kind, hides));
  }

  FieldWrite fieldWritten(Entry e, int client) {
    FieldWrite w = new FieldWrite(e, client);
    writes.add(w);
    return w;
  }

  List<FieldWrite> fieldWrites() {
    return writes;
  }

  /** Whether {@code r} holds field write {@code w} or a later write of its field. */
  boolean holds(Replica r, FieldWrite w) {
    Entry e = r.peek(w.entry().key());
    return e != null && Checker.compare(e, w.entry()) >= 0;
  }

  /** What {@code r} must show: null for no key, "string:V", or the fields as a sorted map. */
  String expected(Replica r, long expiryNow) {
    Entry head = r.peek(key);
    if (head == null) return null;
    HeadWrite w = null;
    for (HeadWrite h : heads) {
      if (h.entry().sameDot(head)) w = h;
    }
    if (w == null) {
      throw new Violation(Violation.Rule.NEVER_ISSUED, "the head of " + name() + " on server "
          + r.serverId() + " is " + Checker.describe(head) + ", never written as a head");
    }
    if (w.kind() == HeadKind.DELETED || head.expiredAt(expiryNow)) return null;
    if (w.kind() == HeadKind.STRING) return "string:" + CounterModel.latin1(head.value());
    Map<String, String> shown = new TreeMap<>();
    for (int f = 0; f < fields.length; f++) {
      Entry e = r.peek(fieldKey(f));
      if (e != null && e.value() != null && !w.hides().covers(e.origin(), e.seq())) {
        shown.put(fields[f], CounterModel.latin1(e.value()));
      }
    }
    return shown.isEmpty() ? null : shown.toString();
  }

  /** What {@code r} shows, as {@link #expected} writes it, given its read of the key. */
  String shown(Replica r, Replica.ReadResult read, kvs.core.SessionToken session) {
    if (read.status() != Replica.ReadStatus.FOUND) return null;
    if (read.entry().kind() == Entry.KIND_STRING) {
      return "string:" + CounterModel.latin1(read.entry().value());
    }
    Map<String, String> shown = new TreeMap<>();
    byte[] prefix = Elements.prefix(key, Entry.KIND_HASH);
    for (Entry e : r.hashFields(session, key)) {
      shown.put(CounterModel.latin1(Elements.subKey(prefix, e.key())),
          CounterModel.latin1(e.value()));
    }
    return shown.toString();
  }

  void check(Replica r, String got, long expiryNow, String where) {
    String want = expected(r, expiryNow);
    if (want == null ? got != null : !want.equals(got)) {
      throw new Violation(Violation.Rule.HASH, where + ": " + name() + " shows "
          + (got == null ? "nothing" : got) + " on server " + r.serverId()
          + " but its head " + Checker.describe(r.peek(key)) + " and field entries make "
          + (want == null ? "nothing" : want));
    }
  }

  String name() {
    return CounterModel.latin1(key);
  }
}
