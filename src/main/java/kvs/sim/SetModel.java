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
import kvs.core.VersionVector;

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
final class SetModel {
  enum HeadKind { SET, STRING, DELETED }

  record HeadWrite(Entry entry, HeadKind kind, VersionVector hides) {}

  record Add(int member, long origin, long seq) {}

  record Remove(int member, long origin, long seq, Set<Add> observed) {}

  /** A member write (SADD or SREM) a client made, for read-your-writes and no lost write. */
  record MemberWrite(Entry entry, int client) {}

  private final byte[] key;
  private final String[] members;
  private final List<HeadWrite> heads = new ArrayList<>();
  private final List<Add> adds = new ArrayList<>();
  private final List<Remove> removes = new ArrayList<>();
  private final List<MemberWrite> writes = new ArrayList<>();

  SetModel(byte[] key, String[] members) {
    this.key = key;
    this.members = members;
  }

  byte[] member(int m) {
    return members[m].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  void headWritten(Entry e, HeadKind kind, VersionVector hides) {
    heads.add(new HeadWrite(e, kind, hides));
  }

  private boolean held(Replica r, int member, long origin, long seq) {
    Entry e = r.peek(Elements.key(key, Entry.KIND_SET, Sets.subKey(member(member), origin)));
    return e != null && e.seq() >= seq;
  }

  /** The adds of {@code member} that {@code r} holds now (before a remove it is about to run). */
  Set<Add> observed(Replica r, int member) {
    Set<Add> out = new HashSet<>();
    for (Add a : adds) {
      if (a.member() == member && held(r, member, a.origin(), a.seq())) out.add(a);
    }
    return out;
  }

  MemberWrite added(Entry e, int member, int client) {
    adds.add(new Add(member, e.origin(), e.seq()));
    return write(e, client);
  }

  MemberWrite removed(Entry e, int member, Set<Add> observed, int client) {
    removes.add(new Remove(member, e.origin(), e.seq(), observed));
    return write(e, client);
  }

  private MemberWrite write(Entry e, int client) {
    MemberWrite w = new MemberWrite(e, client);
    writes.add(w);
    return w;
  }

  List<MemberWrite> memberWrites() {
    return writes;
  }

  /** Whether {@code r} holds member write {@code w} or a later write of its register. */
  boolean holds(Replica r, MemberWrite w) {
    Entry e = r.peek(w.entry().key());
    return e != null && Checker.compare(e, w.entry()) >= 0;
  }

  /** What {@code r} must show: null for no key, "string:V", or the members, sorted. */
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
    Set<String> shown = new TreeSet<>();
    for (Add a : adds) {
      if (!held(r, a.member(), a.origin(), a.seq()) || w.hides().covers(a.origin(), a.seq())) {
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

  /** What {@code r} shows, as {@link #expected} writes it, given its read of the key. */
  String shown(Replica r, Replica.ReadResult read, kvs.core.SessionToken session) {
    if (read.status() != Replica.ReadStatus.FOUND) return null;
    if (read.entry().kind() == Entry.KIND_STRING) {
      return "string:" + CounterModel.latin1(read.entry().value());
    }
    Set<String> shown = new TreeSet<>();
    for (byte[] m : r.setMembers(session, key)) shown.add(CounterModel.latin1(m));
    return shown.toString();
  }

  void check(Replica r, String got, long expiryNow, String where) {
    String want = expected(r, expiryNow);
    if (want == null ? got != null : !want.equals(got)) {
      throw new Violation(Violation.Rule.SET, where + ": " + name() + " shows "
          + (got == null ? "nothing" : got) + " on server " + r.serverId()
          + " but its head " + Checker.describe(r.peek(key)) + " and its adds and removes make "
          + (want == null ? "nothing" : want));
    }
  }

  String name() {
    return CounterModel.latin1(key);
  }
}
