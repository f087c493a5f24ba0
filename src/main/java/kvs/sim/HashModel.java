package kvs.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Hashes;
import kvs.core.Replica;
import kvs.core.VersionVector;

/**
 * The simulation's oracle for a hash key. Each field's register entry is whatever the
 * replication layer's last-writer-wins left there (rules 1 and 4 judge that); what the model
 * decides is which fields a server must show, and their values. It records every write of the
 * key's head with what it means, decided from the state the writing server was in, not from
 * what the code wrote: an HSET or HINCRBY that made the key a hash, or a DEL of a key that was a
 * hash, hides the field writes its server's vector covered and every increment its server held;
 * a SET makes the key a string; a DEL of anything else deletes it. It records every HINCRBY as an
 * event (the dot of the entry it wrote, its field and amount) and every HSET or HDEL with its
 * base (the value; none for HDEL) and the increments of the field its server held. A server
 * holds an increment when it holds the entry it wrote, or a later entry of the same origin under
 * the same key. A server must show, under the winning head: for a hash, per field, the winning
 * register's base if the head did not hide it, plus every increment the server holds that
 * neither that register's writer nor the head's writer held (no lost increment; a base that is
 * not a number shows as it is), and no key when no field shows; for a string, the string; else
 * nothing.
 */
final class HashModel extends HeadedKeyModel {
  /** An HINCRBY: the entry it wrote (its key and dot), the field and the amount. */
  record Inc(byte[] key, long origin, long seq, int field, long amount) {}

  /** An HSET or HDEL of a field: its base (null for HDEL) and the increments its server held. */
  record RegisterWrite(String base, Set<Inc> held) {}

  private final String[] fields;
  private final List<Inc> incs = new ArrayList<>();
  private final Map<List<Long>, RegisterWrite> registers = new HashMap<>();
  private final Map<List<Long>, Set<Inc>> headHeld = new HashMap<>();

  HashModel(byte[] key, String[] fields) {
    super(key);
    this.fields = fields;
  }

  byte[] fieldName(int f) {
    return fields[f].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  byte[] fieldKey(int f) {
    return Elements.key(key, Entry.KIND_HASH, fieldName(f));
  }

  /** The increments {@code r} holds: of field {@code f}, or of every field when f is -1. */
  Set<Inc> held(Replica r, int f) {
    Set<Inc> out = new HashSet<>();
    for (Inc i : incs) {
      if (f >= 0 && i.field() != f) continue;
      Entry e = r.peek(i.key());
      if (e != null && e.origin() == i.origin() && e.seq() >= i.seq()) out.add(i);
    }
    return out;
  }

  /** A head write, with the increments its server held before it. */
  void headWritten(Entry e, HeadKind kind, VersionVector hides, Set<Inc> held) {
    headWritten(e, kind, hides);
    headHeld.put(List.of(e.origin(), e.seq()), held);
  }

  /** An HSET or HDEL of field {@code f} wrote {@code e}; its server held {@code held} of f. */
  void registerWritten(Entry e, String base, Set<Inc> held) {
    registers.put(List.of(e.origin(), e.seq()), new RegisterWrite(base, held));
  }

  /** An HINCRBY of field {@code f} by {@code amount} wrote {@code e}. */
  void incremented(Entry e, int f, long amount) {
    incs.add(new Inc(e.key(), e.origin(), e.seq(), f, amount));
  }

  @Override
  String typedExpected(Replica r, HeadWrite w) {
    Set<Inc> headSaw = headHeld.getOrDefault(List.of(w.entry().origin(), w.entry().seq()),
        Set.of());
    Map<String, String> shown = new TreeMap<>();
    for (int f = 0; f < fields.length; f++) {
      Entry e = r.peek(fieldKey(f));
      RegisterWrite reg = e == null ? null : registers.get(List.of(e.origin(), e.seq()));
      String base = reg != null && reg.base() != null && e.value() != null
          && !w.hides().covers(e.origin(), e.seq()) ? reg.base() : null;
      long sum = 0;
      boolean counted = false;
      for (Inc i : held(r, f)) {
        if (headSaw.contains(i) || reg != null && reg.held().contains(i)) continue;
        sum += i.amount();
        counted = true;
      }
      String value = base;
      if (counted && (base == null || isNumber(base))) {
        value = Long.toString((base == null ? 0 : Long.parseLong(base)) + sum);
      }
      if (value != null) shown.put(fields[f], value);
    }
    return shown.isEmpty() ? null : shown.toString();
  }

  static boolean isNumber(String s) {
    try {
      Long.parseLong(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Override
  String typedShown(Replica r, kvs.core.SessionToken session) {
    Map<String, String> shown = new TreeMap<>();
    for (Replica.HashField f : r.hashFields(session, key)) {
      shown.put(CounterModel.latin1(f.name()), CounterModel.latin1(f.value()));
    }
    return shown.toString();
  }

  /** What field {@code f} shows on {@code r} now (HGET), or null. */
  String fieldShown(Replica r, int f) {
    byte[] v = r.hashField(new kvs.core.SessionToken(), key, fieldName(f));
    return v == null ? null : CounterModel.latin1(v);
  }

  @Override
  Violation.Rule rule() {
    return Violation.Rule.HASH;
  }

  @Override
  String elementsMake() {
    return "field registers and increments make ";
  }

  /** The key of {@code origin}'s increments of field {@code f}. */
  byte[] incrementKey(int f, long origin) {
    return Elements.key(key, Hashes.INCREMENTS, Hashes.incrementSubKey(fieldName(f), origin));
  }
}
