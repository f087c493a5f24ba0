package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Session tokens cross process boundaries as text and bytes: round trips and garbage. */
class SessionTokenProperties {

  @Provide
  static Arbitrary<SessionToken> tokens() {
    Arbitrary<long[]> observation = Combinators.combine(
        VersionVectorProperties.someOrigin(),
        Arbitraries.longs().between(1, 1L << 40),
        Arbitraries.oneOf(Arbitraries.longs().between(0, 1000),
            Arbitraries.longs().between(0, HlcProperties.CLOCK_MAX)))
        .as((o, s, c) -> new long[] {o, s, c});
    return observation.list().ofMaxSize(8).map(obs -> {
      SessionToken t = new SessionToken();
      for (long[] x : obs) t.observe(x[0], x[1], x[2]);
      return t;
    });
  }

  @Property(tries = 1000)
  void binaryAndTextRoundTrip(@ForAll("tokens") SessionToken t) {
    assertThat(SessionToken.decode(t.encode())).isEqualTo(t);
    String text = t.toText();
    assertThat(text).startsWith("kvs1-").matches("[A-Za-z0-9_-]+");
    SessionToken back = SessionToken.fromText(text);
    assertThat(back).isEqualTo(t).hasSameHashCodeAs(t);
    assertThat(back.clock()).isEqualTo(t.clock());
    assertThat(back.deps()).isEqualTo(t.deps());
  }

  @Property(tries = 500)
  void observeKeepsTheMaximumPerOriginAndOfTheClock(@ForAll("tokens") SessionToken a,
      @ForAll("tokens") SessionToken b) {
    SessionToken m = a.copy();
    m.mergeFrom(b);
    assertThat(m.clock()).isEqualTo(Math.max(a.clock(), b.clock()));
    assertThat(m.deps()).isEqualTo(VersionVectorProperties.merge(a.deps(), b.deps()));
    SessionToken m2 = b.copy();
    m2.mergeFrom(a);
    assertThat(m2).isEqualTo(m);
    // copies are independent
    SessionToken c = a.copy();
    c.observe(Origins.of(9, 9), 1L << 41, HlcProperties.CLOCK_MAX + 1);
    assertThat(a.deps().get(Origins.of(9, 9))).isZero();
    assertThat(a.clock()).isLessThanOrEqualTo(HlcProperties.CLOCK_MAX);
  }

  @Property(tries = 200)
  void everyTruncationIsRejected(@ForAll("tokens") SessionToken t) {
    byte[] bytes = t.encode();
    for (int len = 0; len < bytes.length; len++) {
      byte[] prefix = Arrays.copyOf(bytes, len);
      assertThatThrownBy(() -> SessionToken.decode(prefix))
          .as("prefix of %d bytes", len).isInstanceOf(CorruptDataException.class);
      String text = "kvs1-" + Base64.getUrlEncoder().withoutPadding().encodeToString(prefix);
      assertThatThrownBy(() -> SessionToken.fromText(text))
          .as("text of a prefix of %d bytes", len).isInstanceOf(CorruptDataException.class);
    }
    String text = t.toText();
    for (int len = 0; len < text.length(); len++) {
      String cut = text.substring(0, len);
      // a cut inside a base64 group can still decode to a shorter token; anything else must be
      // refused as corrupt, never with another exception
      try {
        SessionToken.fromText(cut);
      } catch (CorruptDataException expected) {
        // fine
      }
    }
  }

  @Property(tries = 500)
  void signedTextLayoutRoundTrips(@ForAll("tokens") SessionToken t, @ForAll byte seed) {
    byte[] tag = new byte[SessionToken.TAG_BYTES];
    java.util.Arrays.fill(tag, seed);
    String text = new SessionToken.Text(t.encode(), tag).toText();
    assertThat(text).startsWith("kvs2-").matches("[A-Za-z0-9_-]+");
    SessionToken.Text back = SessionToken.Text.parse(text);
    assertThat(back.body()).isEqualTo(t.encode());
    assertThat(back.tag()).isEqualTo(tag);
  }

  @Property(tries = 1000)
  void signedTextGarbageIsRejectedWithCorruptDataOnly(@ForAll("garbageText") String text) {
    String signed = text.replaceFirst("^kvs1-", "kvs2-");
    try {
      SessionToken.Text.parse(signed);
    } catch (CorruptDataException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 200)
  void resetForgetsEverything(@ForAll("tokens") SessionToken t) {
    SessionToken before = t.copy();
    t.reset();
    assertThat(t).isEqualTo(new SessionToken());
    assertThat(t.deps().size()).isZero();
    t.mergeFrom(before); // still usable afterwards
    assertThat(t).isEqualTo(before);
  }

  @Provide
  static Arbitrary<byte[]> garbage() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(100);
    Arbitrary<byte[]> formatted = Combinators.combine(
        Arbitraries.longs(), Arbitraries.of(Integer.MAX_VALUE, -1, 0, 1, 2, 1 << 30),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(60))
        .as((clock, n, rest) -> ByteBuffer.allocate(13 + rest.length)
            .put((byte) 1).putLong(clock).putInt(n).put(rest).array());
    Arbitrary<byte[]> mutated = Combinators.combine(tokens(), Arbitraries.integers().between(0, 500),
        Arbitraries.bytes())
        .as((t, pos, val) -> {
          byte[] b = t.encode();
          b[pos % b.length] = val;
          return b;
        });
    return Arbitraries.oneOf(random, formatted, mutated);
  }

  @Property(tries = 1500)
  void garbageBytesAreRejectedWithCorruptDataOnly(@ForAll("garbage") byte[] bytes) {
    SessionToken t;
    try {
      t = SessionToken.decode(bytes);
    } catch (CorruptDataException expected) {
      return;
    }
    assertThat(t.clock()).isNotNegative();
    assertThat(SessionToken.decode(t.encode())).isEqualTo(t);
    assertThat(SessionToken.fromText(t.toText())).isEqualTo(t);
  }

  @Property(tries = 1000)
  void garbageTextIsRejectedWithCorruptDataOnly(@ForAll("garbageText") String text) {
    try {
      SessionToken t = SessionToken.fromText(text);
      assertThat(SessionToken.fromText(t.toText())).isEqualTo(t);
    } catch (CorruptDataException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Provide
  Arbitrary<String> garbageText() {
    Arbitrary<String> any = Arbitraries.strings().ofMaxLength(60);
    Arbitrary<String> prefixed = Arbitraries.strings().ofMaxLength(60).map(s -> "kvs1-" + s);
    Arbitrary<String> base64ish = Arbitraries.strings()
        .withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/")
        .ofMaxLength(80).map(s -> "kvs1-" + s);
    Arbitrary<String> encodedGarbage = garbage()
        .map(b -> "kvs1-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    return Arbitraries.oneOf(any, prefixed, base64ish, encodedGarbage);
  }

  @Example
  void specificGarbageIsRefused() {
    for (String s : List.of("", "kvs1-", "kvs2-AQ", "KVS1-AQAAAAAAAAAAAAAAAA", "kvs1-!!!!",
        "kvs1-\u00e9t\u00e9", "kvs1-AQ AAAAAAAAAAAAAAAA")) {
      assertThatThrownBy(() -> SessionToken.fromText(s)).as(s)
          .isInstanceOf(CorruptDataException.class);
    }
    // wrong format byte, negative clock, trailing bytes
    byte[] good = new SessionToken().encode();
    byte[] wrongFormat = good.clone();
    wrongFormat[0] = 2;
    byte[] negativeClock = ByteBuffer.allocate(13).put((byte) 1).putLong(-1).putInt(0).array();
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    for (byte[] b : List.of(wrongFormat, negativeClock, trailing)) {
      assertThatThrownBy(() -> SessionToken.decode(b)).isInstanceOf(CorruptDataException.class);
    }
    assertThat(SessionToken.decode(good)).isEqualTo(new SessionToken());
    assertThat(good).hasSize(13);
  }
}
