package kvs.net;

import static kvs.net.CommandPipelines.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import kvs.net.CommandPipelines.Kind;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random commands, encoded and cut at random points, come out of the decoder as they went in; and
 * random streams of RESP pieces, well and badly formed, get the same answers from the decoder as
 * from Netty's decoder with FrameLimiter and the aggregators.
 */
class RespCommandDecoderProperties {
  private static final Limits SMALL = RespCommandDecoderTest.SMALL;

  @Property(tries = 200)
  void commandsCutAnywhereComeOutAsTheyWentIn(
      @ForAll("commands") List<List<byte[]>> commands, @ForAll("cutSeeds") List<Integer> seeds) {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    List<String> expected = new ArrayList<>();
    for (List<byte[]> command : commands) {
      wire.writeBytes(("*" + command.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
      StringBuilder sb = new StringBuilder("command");
      for (byte[] arg : command) {
        wire.writeBytes(("$" + arg.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        wire.writeBytes(arg);
        wire.writeBytes(new byte[] {'\r', '\n'});
        sb.append(" '").append(CommandPipelines.escape(Resp.ascii(arg))).append('\'');
      }
      expected.add(sb.toString());
    }
    expected.add("open");
    byte[] in = wire.toByteArray();
    assertThat(run(Kind.COMMAND_DECODER, Limits.DEFAULT, false, in, cuts(seeds, in.length)))
        .isEqualTo(expected);
  }

  @Property(tries = 1000)
  void randomPiecesGetTheAnswersNettysPipelineGave(@ForAll("pieces") List<String> pieces,
      @ForAll("cutSeeds") List<Integer> seeds, @ForAll boolean requireAuth) {
    byte[] in = String.join("", pieces).getBytes(StandardCharsets.ISO_8859_1);
    int[] cuts = cuts(seeds, in.length);
    assertThat(run(Kind.COMMAND_DECODER, SMALL, requireAuth, in, cuts))
        .as("%s cut at %s", CommandPipelines.escape(String.join("", pieces)),
            java.util.Arrays.toString(cuts))
        .isEqualTo(run(Kind.NETTY, SMALL, requireAuth, in, cuts));
  }

  private static int[] cuts(List<Integer> seeds, int length) {
    if (length < 2) return new int[0];
    TreeSet<Integer> cuts = new TreeSet<>();
    for (int seed : seeds) cuts.add(1 + Math.floorMod(seed, length - 1));
    return cuts.stream().mapToInt(Integer::intValue).toArray();
  }

  @Provide
  Arbitrary<List<Integer>> cutSeeds() {
    return Arbitraries.integers().list().ofMaxSize(8);
  }

  @Provide
  Arbitrary<List<List<byte[]>>> commands() {
    Arbitrary<byte[]> argument = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(20, Arbitraries.bytes().array(byte[].class).ofMaxSize(12)),
        net.jqwik.api.Tuple.of(1,
            Arbitraries.bytes().array(byte[].class).ofMinSize(60_000).ofMaxSize(200_000)));
    return argument.list().ofMinSize(1).ofMaxSize(5).list().ofMinSize(1).ofMaxSize(4);
  }

  /** Pieces of frames: whole and broken headers, lines, bulk contents, inline words. */
  @Provide
  Arbitrary<List<String>> pieces() {
    Arbitrary<String> number = Arbitraries.oneOf(
        Arbitraries.integers().between(-3, 6).map(String::valueOf),
        Arbitraries.of("", "-", "x", "65", "101", "12345678901234567890", "0001", "2x"));
    Arbitrary<String> eol = Arbitraries.of("\r\n", "\r\n", "\r\n", "\n", "\r", "", "\rx");
    Arbitrary<String> word = Arbitraries.strings().withChars("ab \"'\\\r\n\u00ff").ofMaxLength(6);
    Arbitrary<String> header = net.jqwik.api.Combinators.combine(
        Arbitraries.of("*", "$", ":", "+", "-"), number, eol).as((t, n, e) -> t + n + e);
    Arbitrary<String> bulk = word.map(w -> "$" + w.length() + "\r\n" + w + "\r\n");
    Arbitrary<String> command = bulk.list().ofMinSize(1).ofMaxSize(4)
        .map(b -> "*" + b.size() + "\r\n" + String.join("", b));
    Arbitrary<String> inline = net.jqwik.api.Combinators.combine(
        Arbitraries.of("AUTH ", "SET ", "", " "), word, eol).as((c, w, e) -> c + w + e);
    Arbitrary<String> auth = Arbitraries.just("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n");
    Arbitrary<String> longLine = Arbitraries.of("x".repeat(127), "y".repeat(129));
    // An array whose elements may be anything: the header counts them right, so that what
    // follows is read as its elements.
    Arbitrary<String> element = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, bulk),
        net.jqwik.api.Tuple.of(3, header), net.jqwik.api.Tuple.of(1, inline));
    Arbitrary<String> anyArray = element.list().ofMinSize(1).ofMaxSize(4)
        .map(e -> "*" + e.size() + "\r\n" + String.join("", e));
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, anyArray),
        net.jqwik.api.Tuple.of(4, header), net.jqwik.api.Tuple.of(4, bulk),
        net.jqwik.api.Tuple.of(4, command), net.jqwik.api.Tuple.of(2, inline),
        net.jqwik.api.Tuple.of(2, word), net.jqwik.api.Tuple.of(1, auth),
        net.jqwik.api.Tuple.of(1, longLine))
        .list().ofMaxSize(10);
  }
}
