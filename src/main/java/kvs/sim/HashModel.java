package kvs.sim;

import java.util.Map;
import java.util.TreeMap;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Replica;

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
final class HashModel extends HeadedKeyModel {
  private final String[] fields;

  HashModel(byte[] key, String[] fields) {
    super(key);
    this.fields = fields;
  }

  byte[] fieldKey(int f) {
    return Elements.key(key, Entry.KIND_HASH,
        fields[f].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  @Override
  String typedExpected(Replica r, HeadWrite w) {
    Map<String, String> shown = new TreeMap<>();
    for (int f = 0; f < fields.length; f++) {
      Entry e = r.peek(fieldKey(f));
      if (e != null && e.value() != null && !w.hides().covers(e.origin(), e.seq())) {
        shown.put(fields[f], CounterModel.latin1(e.value()));
      }
    }
    return shown.isEmpty() ? null : shown.toString();
  }

  @Override
  String typedShown(Replica r, kvs.core.SessionToken session) {
    Map<String, String> shown = new TreeMap<>();
    for (Replica.HashField f : r.hashFields(session, key)) {
      shown.put(CounterModel.latin1(f.name()), CounterModel.latin1(f.value()));
    }
    return shown.toString();
  }

  @Override
  Violation.Rule rule() {
    return Violation.Rule.HASH;
  }

  @Override
  String elementsMake() {
    return "field entries make ";
  }
}
