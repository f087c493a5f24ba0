package kvs.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import kvs.storage.MemoryStore;

/** Shared plumbing for replica tests: a replica with its in-memory store, and delta helpers. */
final class ReplicaHarness {
  private ReplicaHarness() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** A replica and the store it writes to, so that it can be "crashed" and reopened. */
  static final class Node {
    final int id;
    MemoryStore store;
    Replica replica;

    Node(int id) {
      this.id = id;
      this.store = new MemoryStore();
      this.replica = Replica.open(store, id, 1000 + id);
    }

    /** Crash: everything committed survives (MemoryStore commits are immediate and atomic). */
    void restart() {
      store = store.durableCopy();
      replica = Replica.open(store, id, 77_777); // the fresh incarnation must be ignored
    }

    long origin() {
      return replica.origin();
    }
  }

  /** Every chunk of a delta from {@code from} for a peer holding {@code peerHas}. */
  static List<DeltaChunk> drain(Replica from, VersionVector peerHas, int maxBytes) {
    List<DeltaChunk> chunks = new ArrayList<>();
    try (Replica.DeltaStream stream = from.openDelta(peerHas)) {
      for (DeltaChunk c = stream.next(maxBytes); c != null; c = stream.next(maxBytes)) {
        chunks.add(c);
        if (chunks.size() > 100_000) throw new AssertionError("delta stream never ends");
      }
    }
    return chunks;
  }

  /** Sends the chunks over "the wire" (encode, decode) and applies them in order. */
  static boolean applyAll(Replica to, List<DeltaChunk> chunks) {
    boolean changed = false;
    for (DeltaChunk c : chunks) changed |= to.applyDelta(DeltaChunk.decode(c.encode()));
    return changed;
  }

  /** One complete delta from {@code from} to {@code to}. Returns true when {@code to} changed. */
  static boolean sync(Replica from, Replica to, int maxBytes) {
    return applyAll(to, drain(from, to.vv(), maxBytes));
  }

  static boolean sync(Replica from, Replica to) {
    return sync(from, to, 1 << 20);
  }

  static List<Entry> entries(List<DeltaChunk> chunks) {
    List<Entry> all = new ArrayList<>();
    for (DeltaChunk c : chunks) all.addAll(c.entries());
    return all;
  }

  static List<Entry> live(Replica r) {
    List<Entry> out = new ArrayList<>();
    r.forEachLive(out::add);
    return out;
  }

  /** Every collection slice of {@code slice} entries over the whole store, as the server runs them. */
  static List<Entry> collectAll(Replica r, VersionVector stable, long bound, int slice) {
    List<Entry> out = new ArrayList<>();
    byte[] from = null;
    do {
      from = r.collectStable(stable, bound, from, slice, out);
    } while (from != null);
    return out;
  }

  /** How many entries the store holds, tombstones, registers and heads included. */
  static int storedCount(Replica r) {
    int[] n = {0};
    r.forEachFrom(null, e -> {
      n[0]++;
      return true;
    });
    return n[0];
  }

  /** Every node's current state heard as its durable advert. */
  static void hearAll(Stability st, Node... nodes) {
    for (Node n : nodes) st.advert(n.id, n.origin(), n.replica.vv(), n.replica.clock());
  }

  /** The sum of the fingerprints of everything stored: what the digest must equal. */
  static long storedFingerprintSum(Replica r) {
    long[] sum = {0};
    r.forEachFrom(null, e -> {
      sum[0] += e.fingerprint();
      return true;
    });
    return sum[0];
  }

  /** Syncs every ordered pair until nothing changes; fails if that takes more than a few rounds. */
  static void exchangeUntilQuiet(List<Replica> replicas) {
    for (int round = 0; round < 5; round++) {
      boolean changed = false;
      for (Replica from : replicas) {
        for (Replica to : replicas) {
          if (from != to) changed |= sync(from, to);
        }
      }
      if (!changed) return;
    }
    throw new AssertionError("replicas still changing after 5 full exchange rounds");
  }

  /** DEL of a typed key (a hash, set or sorted set), as the server writes it. */
  static void del(Replica r, byte[] key, long wall) {
    Replica.Deletion d = r.deletion(key);
    r.write(new SessionToken(), List.of(key), java.util.Collections.singletonList(d.value()),
        new byte[] {d.kind()}, null, wall);
  }

  /**
   * Replicas that collect, each mirrored by one that never does, driven alike: the random runs
   * that check that collection changes no read and that collecting replicas converge. The
   * draws of each step are its caller's, in the order the methods below take them.
   */
  static final class Mirrored {
    final Node[] col;
    final Node[] mirror;
    final Stability st;
    /** Where each collecting replica's slices go on, round the store as a server's do. */
    private final byte[][] collectFrom;

    Mirrored(int n) {
      col = new Node[n];
      mirror = new Node[n];
      List<Integer> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        col[i] = new Node(i);
        mirror[i] = new Node(i);
        ids.add(i);
      }
      st = new Stability(ids);
      collectFrom = new byte[n][];
    }

    /** Runs {@code op} on replica {@code i} of both sides. */
    void both(int i, Consumer<Replica> op) {
      op.accept(col[i].replica);
      op.accept(mirror[i].replica);
    }

    /** A partial delta to replica {@code i} from one drawn at random, on both sides. */
    void partialSync(int i, Random rnd) {
      int j = rnd.nextInt(col.length);
      if (j != i) {
        sync(col[i].replica, col[j].replica, 64 + rnd.nextInt(512));
        sync(mirror[i].replica, mirror[j].replica, 64 + rnd.nextInt(512));
      }
    }

    /** One collection slice of 1 to 6 entries on collecting replica {@code i}. */
    void collectSlice(int i, Random rnd, List<Entry> collectedOut) {
      hearAll(st, col);
      collectFrom[i] = col[i].replica.collectStable(st.stableVector(), st.clockBound(),
          collectFrom[i], 1 + rnd.nextInt(6), collectedOut);
    }

    /**
     * Two rounds of full deltas between every pair on both sides, then every collecting replica
     * collects all the stable vector allows; returns what they collected.
     */
    List<Entry> settle() {
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < col.length; i++) {
          for (int j = 0; j < col.length; j++) {
            if (i != j) {
              sync(col[i].replica, col[j].replica);
              sync(mirror[i].replica, mirror[j].replica);
            }
          }
        }
      }
      hearAll(st, col);
      List<Entry> collected = new ArrayList<>();
      for (Node c : col) {
        collected.addAll(collectAll(c.replica, st.stableVector(), st.clockBound(), 3));
      }
      return collected;
    }
  }
}
