package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Version vectors form a join semilattice: merge is the least upper bound of the "covers" partial
 * order. Checked against a naive map-based reference, plus the binary form and its decoder's
 * refusal of anything malformed.
 */
class VersionVectorProperties {
  static final long[] ORIGINS = {
      Origins.of(0, 0), Origins.of(1, 1), Origins.of(1, -1), Origins.of(2, 0x7fffffff),
      Origins.of(Integer.MAX_VALUE, -1)};

  static Arbitrary<Long> someOrigin() {
    return Arbitraries.integers().between(0, ORIGINS.length - 1).map(i -> ORIGINS[i]);
  }

  /** Vectors over a few shared origins, so that comparisons and merges overlap. */
  @Provide
  static Arbitrary<VersionVector> vectors() {
    Arbitrary<Long> seq = Arbitraries.oneOf(
        Arbitraries.longs().between(0, 4), Arbitraries.longs().between(0, Long.MAX_VALUE));
    Arbitrary<long[]> pair = Combinators.combine(Arbitraries.integers().between(0, ORIGINS.length - 1), seq)
        .as((i, s) -> new long[] {ORIGINS[i], s});
    return pair.list().ofMaxSize(8).map(pairs -> {
      VersionVector v = new VersionVector();
      for (long[] p : pairs) v.raise(p[0], p[1]);
      return v;
    });
  }

  static VersionVector merge(VersionVector a, VersionVector b) {
    VersionVector m = a.copy();
    m.mergeFrom(b);
    return m;
  }

  /** Naive reference: every origin mentioned by either vector, absent counts as 0. */
  static boolean referenceCovers(VersionVector a, VersionVector b) {
    Set<Long> origins = new HashSet<>(a.asMap().keySet());
    origins.addAll(b.asMap().keySet());
    for (long o : origins) {
      if (a.asMap().getOrDefault(o, 0L) < b.asMap().getOrDefault(o, 0L)) return false;
    }
    return true;
  }

  static Map<Long, Long> referenceMerge(VersionVector a, VersionVector b) {
    Map<Long, Long> m = new HashMap<>(a.asMap());
    b.asMap().forEach((o, s) -> m.merge(o, s, Math::max));
    return m;
  }

  @Property(tries = 1000)
  void mergeIsCommutativeAssociativeIdempotent(@ForAll("vectors") VersionVector a,
      @ForAll("vectors") VersionVector b, @ForAll("vectors") VersionVector c) {
    assertThat(merge(a, b)).isEqualTo(merge(b, a));
    assertThat(merge(merge(a, b), c)).isEqualTo(merge(a, merge(b, c)));
    assertThat(merge(a, a)).isEqualTo(a);
    assertThat(merge(merge(a, b), b)).isEqualTo(merge(a, b));
    assertThat(merge(a, b).asMap()).isEqualTo(referenceMerge(a, b));
  }

  @Property(tries = 1000)
  void mergeFromReportsWhetherAnythingRose(
      @ForAll("vectors") VersionVector a, @ForAll("vectors") VersionVector b) {
    VersionVector m = a.copy();
    boolean changed = m.mergeFrom(b);
    assertThat(changed).isEqualTo(!m.equals(a));
    assertThat(changed).isEqualTo(!a.covers(b));
  }

  @Property(tries = 1000)
  void coversAgreesWithTheReference(
      @ForAll("vectors") VersionVector a, @ForAll("vectors") VersionVector b) {
    assertThat(a.covers(b)).isEqualTo(referenceCovers(a, b));
    for (long o : ORIGINS) {
      for (long s = 0; s <= 5; s++) assertThat(a.covers(o, s)).isEqualTo(a.get(o) >= s);
    }
  }

  @Property(tries = 1000)
  void coversIsAPartialOrder(@ForAll("vectors") VersionVector a,
      @ForAll("vectors") VersionVector b, @ForAll("vectors") VersionVector c) {
    assertThat(a.covers(a)).isTrue();
    assertThat(a.covers(new VersionVector())).isTrue();
    if (a.covers(b) && b.covers(a)) assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    if (a.covers(b) && b.covers(c)) assertThat(a.covers(c)).isTrue();
  }

  @Property(tries = 1000)
  void mergeIsTheLeastUpperBound(@ForAll("vectors") VersionVector a,
      @ForAll("vectors") VersionVector b, @ForAll("vectors") VersionVector c) {
    VersionVector m = merge(a, b);
    assertThat(m.covers(a)).isTrue();
    assertThat(m.covers(b)).isTrue();
    // any upper bound of a and b covers their merge
    VersionVector upper = merge(m, c);
    assertThat(upper.covers(m)).isTrue();
    if (c.covers(a) && c.covers(b)) assertThat(c.covers(m)).isTrue();
    // covering is exactly "merging changes nothing"
    assertThat(a.covers(b)).isEqualTo(merge(a, b).equals(a));
  }

  @Property
  void raiseNeverLowersAndCopiesAreIndependent(@ForAll("vectors") VersionVector a,
      @ForAll @IntRange(min = 0, max = 4) int originIndex, @ForAll @IntRange(min = 0, max = 9) int seq) {
    long o = ORIGINS[originIndex];
    long was = a.get(o);
    VersionVector before = a.copy();
    a.raise(o, seq);
    assertThat(a.get(o)).isEqualTo(Math.max(was, seq));
    assertThat(a.covers(before)).isTrue();
    assertThat(before.get(o)).as("the copy did not move").isEqualTo(was);
    assertThat(a.asMap().values()).allMatch(v -> v > 0);
  }

  @Property(tries = 1000)
  void encodeDecodeRoundTrip(@ForAll("vectors") VersionVector v) {
    byte[] bytes = v.encode();
    assertThat(bytes).hasSize(v.encodedSize());
    assertThat(VersionVector.decode(bytes)).isEqualTo(v);
    // inside a larger buffer, decodeFrom consumes exactly its own bytes
    ByteBuffer b = ByteBuffer.allocate(bytes.length + 3).put(bytes).put(new byte[] {9, 9, 9});
    b.flip();
    assertThat(VersionVector.decodeFrom(b)).isEqualTo(v);
    assertThat(b.remaining()).isEqualTo(3);
  }

  @Property(tries = 300)
  void everyTruncationIsRejected(@ForAll("vectors") VersionVector v) {
    byte[] bytes = v.encode();
    for (int len = 0; len < bytes.length; len++) {
      byte[] prefix = Arrays.copyOf(bytes, len);
      assertThatThrownBy(() -> VersionVector.decode(prefix))
          .as("prefix of %d of %d bytes", len, bytes.length)
          .isInstanceOf(CorruptDataException.class);
    }
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    assertThatThrownBy(() -> VersionVector.decode(longer)).isInstanceOf(CorruptDataException.class);
  }

  /** Random bytes: either a vector that re-encodes to an equal vector, or CorruptDataException. */
  @Property(tries = 2000)
  void garbageIsRejectedWithCorruptDataOnly(@ForAll("garbage") byte[] bytes) {
    VersionVector v;
    try {
      v = VersionVector.decode(bytes);
    } catch (CorruptDataException expected) {
      return;
    }
    assertThat(v.asMap().keySet()).allMatch(o -> o >= 0);
    assertThat(v.asMap().values()).allMatch(s -> s > 0);
    assertThat(VersionVector.decode(v.encode())).isEqualTo(v);
  }

  /**
   * Byte arrays biased towards the shapes a decoder trips on: huge or negative counts, valid
   * headers with short bodies, mutated valid encodings.
   */
  @Provide
  static Arbitrary<byte[]> garbage() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(120);
    Arbitrary<byte[]> hugeCount = Combinators.combine(
        Arbitraries.of(Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 1 << 28, 1, 2, 3),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(70))
        .as((n, rest) -> ByteBuffer.allocate(4 + rest.length).putInt(n).put(rest).array());
    Arbitrary<byte[]> mutated = Combinators.combine(vectors(), Arbitraries.integers().between(0, 1000),
        Arbitraries.bytes())
        .as((v, pos, val) -> {
          byte[] b = v.encode();
          b[pos % b.length] = val;
          return b;
        });
    return Arbitraries.oneOf(random, hugeCount, mutated);
  }

  @Example
  void decodeRejectsNegativeEntriesAndHugeCounts() {
    byte[] negativeSeq = ByteBuffer.allocate(20).putInt(1).putLong(5).putLong(-1).array();
    byte[] negativeOrigin = ByteBuffer.allocate(20).putInt(1).putLong(-5).putLong(1).array();
    byte[] huge = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
    for (byte[] b : List.of(negativeSeq, negativeOrigin, huge, new byte[0], new byte[3])) {
      assertThat(catchThrowable(() -> VersionVector.decode(b)))
          .isInstanceOf(CorruptDataException.class);
    }
    // an explicit zero is the same as absent
    byte[] zero = ByteBuffer.allocate(20).putInt(1).putLong(5).putLong(0).array();
    assertThat(VersionVector.decode(zero)).isEqualTo(new VersionVector());
  }

  @Example
  void emptyVectorEncodesToFourZeroBytes() {
    assertThat(new VersionVector().encode()).containsExactly(0, 0, 0, 0);
    VersionVector v = new VersionVector();
    v.raise(Origins.of(3, 1), 7);
    v.raise(Origins.of(3, 1), 2);
    assertThat(v.get(Origins.of(3, 1))).isEqualTo(7);
    assertThat(v.get(Origins.of(4, 1))).isZero();
    assertThat(v.toString()).isEqualTo("{3.1=7}");
  }
}
