package kvs.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import kvs.core.Elements;
import kvs.core.Entry;
import kvs.core.Replica;
import kvs.core.Sets;

/**
 * The simulation's oracle for a set key: the observed-remove specification, in events, with no
 * reference to how the code stores them. Every SADD of a member is an add event (its dot); every
 * SREM is a remove event with the adds its server held when it ran, decided from that server's
 * state (an add is held once the server's entry for that member and origin is at the add's
 * sequence or later); every write of the key's head records what it means, as for hashes (an
 * SADD that made the key a set, or a DEL of a set, hides the writes its server's vector
 * covered). A server must show, under the winning head, for a set exactly the members with an
 * add it holds that the head does not hide and no remove it holds observed (and no key when
 * there is none); for a string, the string; else nothing. Clocks play no part: an add concurrent
 * with a remove survives whatever their versions say.
 */
final class SetModel extends HeadedKeyModel {
  record Add(int member, long origin, long seq) {}

  record Remove(int member, long origin, long seq, Set<Add> observed) {}

  private final String[] members;
  private final List<Add> adds = new ArrayList<>();
  private final List<Remove> removes = new ArrayList<>();
  /**
   * By register key, the highest sequence of a register collected on some server: every replica
   * held that register or a newer word of its origin when it went (rule 9), so an add of that
   * origin at or below it must never show again where a newer word stands in for it.
   */
  private final java.util.Map<java.nio.ByteBuffer, Long> collected = new java.util.HashMap<>();

  SetModel(byte[] key, String[] members) {
    super(key);
    this.members = members;
  }

  byte[] member(int m) {
    return members[m].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private boolean held(Replica r, int member, long origin, long seq) {
    Entry e = r.peek(Elements.key(key, Entry.KIND_SET, Sets.subKey(member(member), origin)));
    return e != null && e.seq() >= seq;
  }

  /** A server collected {@code e} (any entry: those of other keys are ignored). */
  void collected(Entry e) {
    if (Elements.startsWith(e.key(), Elements.prefix(key, Entry.KIND_SET))) {
      collected.merge(java.nio.ByteBuffer.wrap(e.key()), e.seq(), Math::max);
    }
  }

  /** Whether a register of the add's origin at or above the add was collected somewhere. */
  private boolean collectedSomewhere(Add a) {
    Long seq = collected.get(java.nio.ByteBuffer.wrap(
        Elements.key(key, Entry.KIND_SET, Sets.subKey(member(a.member()), a.origin()))));
    return seq != null && seq >= a.seq();
  }

  /** Whether {@code r} holds the add's own register write, not a newer word of its origin. */
  private boolean heldExactly(Replica r, Add a) {
    Entry e = r.peek(Elements.key(key, Entry.KIND_SET, Sets.subKey(member(a.member()),
        a.origin())));
    return e != null && e.seq() == a.seq();
  }

  /** The adds of {@code member} that {@code r} holds now (before a remove it is about to run). */
  Set<Add> observed(Replica r, int member) {
    Set<Add> out = new HashSet<>();
    for (Add a : adds) {
      if (a.member() == member && held(r, member, a.origin(), a.seq())) out.add(a);
    }
    return out;
  }

  ElementWrite added(Entry e, int member, int client) {
    adds.add(new Add(member, e.origin(), e.seq()));
    return elementWritten(e, client);
  }

  ElementWrite removed(Entry e, int member, Set<Add> observed, int client) {
    removes.add(new Remove(member, e.origin(), e.seq(), observed));
    return elementWritten(e, client);
  }

  @Override
  String typedExpected(Replica r, HeadWrite w) {
    Set<String> shown = new TreeSet<>();
    for (Add a : adds) {
      if (!held(r, a.member(), a.origin(), a.seq()) || w.hides().covers(a.origin(), a.seq())
          || collectedSomewhere(a) && !heldExactly(r, a)) {
        // Rule 9: once a register of the add's origin at or above it was collected, the add is
        // gone wherever a newer word of its origin stands in for it (a replica holding the add
        // itself still needs a removal it holds to hide it).
        continue;
      }
      boolean removed = false;
      for (Remove rm : removes) {
        if (rm.observed().contains(a) && held(r, rm.member(), rm.origin(), rm.seq())) {
          removed = true;
          break;
        }
      }
      if (!removed) shown.add(members[a.member()]);
    }
    return shown.isEmpty() ? null : shown.toString();
  }

  @Override
  String typedShown(Replica r, kvs.core.SessionToken session) {
    Set<String> shown = new TreeSet<>();
    for (byte[] m : r.setMembers(session, key)) shown.add(CounterModel.latin1(m));
    return shown.toString();
  }

  @Override
  Violation.Rule rule() {
    return Violation.Rule.SET;
  }

  @Override
  String elementsMake() {
    return "its adds and removes make ";
  }
}
