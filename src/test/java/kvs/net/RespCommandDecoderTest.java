package kvs.net;

import static kvs.net.CommandPipelines.bytes;
import static kvs.net.CommandPipelines.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvs.net.CommandPipelines.Kind;
import org.junit.jupiter.api.Test;

/**
 * The client connection's decoder: commands come out whole wherever the reads cut them, limits
 * and malformed frames get the texts and the close they got from Netty's decoder with
 * FrameLimiter and the aggregators, and on every input here both give the same.
 */
class RespCommandDecoderTest {
  /** Before AUTH: at most 3 elements and 20 bytes of bulk strings (as FrameLimiterTest). */
  static final Limits SMALL = new Limits(16, 32, 64, 4, 128, 100, 3, 20, 0, 1, 0);

  private static List<String> decoded(String input, int... cuts) {
    return run(Kind.COMMAND_DECODER, SMALL, false, bytes(input), cuts);
  }

  /** Both pipelines fed the input whole, then cut at every byte, then cut at every pair of bytes. */
  private static List<String> sameAtEveryCut(Limits limits, boolean requireAuth, String input) {
    byte[] in = bytes(input);
    List<String> whole = run(Kind.NETTY, limits, requireAuth, in);
    assertThat(run(Kind.COMMAND_DECODER, limits, requireAuth, in)).as("whole %s",
        CommandPipelines.escape(input)).isEqualTo(whole);
    for (int cut = 1; cut < in.length; cut++) {
      assertThat(run(Kind.COMMAND_DECODER, limits, requireAuth, in, cut))
          .as("%s cut at %d", CommandPipelines.escape(input), cut)
          .isEqualTo(run(Kind.NETTY, limits, requireAuth, in, cut));
    }
    if (in.length <= 60) {
      for (int a = 1; a < in.length; a++) {
        for (int b = a + 1; b < in.length; b++) {
          assertThat(run(Kind.COMMAND_DECODER, limits, requireAuth, in, a, b))
              .as("%s cut at %d and %d", CommandPipelines.escape(input), a, b)
              .isEqualTo(run(Kind.NETTY, limits, requireAuth, in, a, b));
        }
      }
    }
    return whole;
  }

  @Test
  void aCommandSplitAtEveryByteComesOutWhole() {
    String frame = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n";
    for (int cut = 1; cut < frame.length(); cut++) {
      assertThat(decoded(frame, cut)).as("cut at %d", cut)
          .containsExactly("command 'SET' 'key' 'va\\r\\nl'", "open");
    }
  }

  @Test
  void pipelinedCommandsInlineLinesAndEmptyLinesAtEveryCut() {
    String input = "*1\r\n$4\r\nPING\r\n\r\nSET k \"a b\"\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
        + "*0\r\n*-1\r\n  \r\nHELLO 3\r\n";
    assertThat(sameAtEveryCut(SMALL, false, input)).containsExactly(
        "command 'PING'", "command 'SET' 'k' 'a b'", "command 'GET' ''", "command 'HELLO' '3'",
        "open");
  }

  @Test
  void framesThatAreNoCommandGetAnErrorAndTheConnectionStaysOpen() {
    String input = "+OK\r\n-ERR x\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$3\r\nGET\r\n$-1\r\n"
        + "*2\r\n:1\r\n$1\r\nk\r\n*2\r\n+a\r\nfoo bar\r\n*1\r\n$1\r\nx\r\n";
    String notACommand = "reply ERR Protocol error: expected an array of bulk strings";
    assertThat(sameAtEveryCut(SMALL, false, input)).containsExactly(notACommand, notACommand,
        notACommand, notACommand, notACommand, notACommand, notACommand, notACommand,
        "command 'x'", "open");
  }

  @Test
  void limitsAreCheckedAtTheHeaderWithTheirTexts() {
    assertThat(sameAtEveryCut(SMALL, false, "*5\r\n$1\r\nx\r\n")).containsExactly(
        "wrote -ERR Protocol error: invalid multibulk length 5 (limit 4)\\r\\n", "closed");
    assertThat(sameAtEveryCut(SMALL, false, "*2\r\n$3\r\nGET\r\n$65\r\n")).containsExactly(
        "wrote -ERR Protocol error: invalid bulk length 65 (limit 64)\\r\\n", "closed");
    assertThat(sameAtEveryCut(SMALL, false, "*1\r\n*1\r\n*1\r\n")).containsExactly(
        "wrote -ERR Protocol error: nested arrays are not accepted\\r\\n", "closed");
    assertThat(sameAtEveryCut(SMALL, false, "*2\r\n$1\r\nA\r\n*-1\r\n")).containsExactly(
        "wrote -ERR Protocol error: nested arrays are not accepted\\r\\n", "closed");
    String big = "x".repeat(40);
    assertThat(sameAtEveryCut(SMALL, false, "*3\r\n$40\r\n" + big + "\r\n$40\r\n" + big
        + "\r\n$40\r\n")).containsExactly(
        "wrote -ERR Protocol error: the command's arguments exceed 100 bytes together\\r\\n",
        "closed");
    // A top-level bulk string is held to the bulk limit, not to the command's.
    assertThat(sameAtEveryCut(SMALL, false, "$64\r\n" + "y".repeat(64) + "\r\n*1\r\n$1\r\nz\r\n"))
        .containsExactly("reply ERR Protocol error: expected an array of bulk strings",
            "command 'z'", "open");
  }

  @Test
  void beforeAuthenticationOnlyASmallCommandIsTakenAndAuthLiftsTheLimitForTheNext() {
    assertThat(sameAtEveryCut(SMALL, true, "*4\r\n")).containsExactly(
        "wrote -ERR Protocol error: unauthenticated multibulk length\\r\\n", "closed");
    assertThat(sameAtEveryCut(SMALL, true, "*2\r\n$4\r\nAUTH\r\n$17\r\n")).containsExactly(
        "wrote -ERR Protocol error: unauthenticated bulk length\\r\\n", "closed");
    assertThat(sameAtEveryCut(SMALL, true, "$21\r\n")).containsExactly(
        "wrote -ERR Protocol error: unauthenticated bulk length\\r\\n", "closed");
    // AUTH, then in the same read a command beyond the unauthenticated limits.
    String v = "v".repeat(30);
    assertThat(sameAtEveryCut(SMALL, true, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*4\r\n$3\r\nSET\r\n"
        + "$1\r\nk\r\n$30\r\n" + v + "\r\n$1\r\nx\r\n")).containsExactly(
        "command 'AUTH' 'pw'", "command 'SET' 'k' '" + v + "' 'x'", "open");
  }

  @Test
  void malformedFramesGetNettysTextsAndTheConnectionCloses() {
    String[][] cases = {
        {"*x\r\n", "error ERR Protocol error: bad byte in number: 120"},
        {"*\r\n", "error ERR Protocol error: no number to parse: "},
        {"$-\r\n", "error ERR Protocol error: no number to parse: -"},
        {"*-2\r\n", "error ERR Protocol error: length: -2 (expected: >= -1)"},
        {"$600000000\r\n", "error ERR Protocol error: length: 600000000 (expected: <= 536870912)"},
        {"*12345678901234567890\r\n", "error ERR Protocol error: too many characters to be a valid"
            + " RESP Integer: 12345678901234567890"},
        {"$99999999999999999999\r\n", "error ERR Protocol error: too many characters to be a valid"
            + " RESP Integer: 99999999999999999999"},
        {"$9999999999999999999\r\n", "error ERR Protocol error: length: -8446744073709551617"
            + " (expected: >= -1)"},
        {"*1\r\n$3\r\nabcd\r\n", "error ERR Protocol error: delimiter: [100,13] (expected: \\r\\n)"},
        {"*1\n", "error ERR Protocol error: delimiter: [49,10] (expected: \\r\\n)"},
        {"PING\n", "error ERR Protocol error: delimiter: [71,10] (expected: \\r\\n)"},
        {"\nPING\r\n", "error ERR Protocol error: java.lang.IllegalArgumentException: minimumReadableBytes : -1"
            + " (expected: >= 0)"},
        {"*\nxx", "error ERR Protocol error: java.lang.IllegalArgumentException: minimumReadableBytes : -1"
            + " (expected: >= 0)"},
        {"*1\r\n:x1\r\n", "error ERR Protocol error: bad byte in number: 120"},
        {"*1\r\n$0\r\nab", "error ERR Protocol error: delimiter: [97,98] (expected: \\r\\n)"},
    };
    for (String[] c : cases) {
      assertThat(sameAtEveryCut(SMALL, false, "*1\r\n$1\r\nA\r\n" + c[0]))
          .as(CommandPipelines.escape(c[0])).containsExactly("command 'A'", c[1], "closed");
    }
  }

  @Test
  void inlineLinesKeepTheirQuotingAndTheirLimit() {
    assertThat(sameAtEveryCut(SMALL, false, "SET k \"a\\x41\\n\" 'it\\'s'\r\nGET \"unbalanced\r\n"
        + "PING\r\n")).containsExactly("command 'SET' 'k' 'aA\\n' 'it's'",
        "reply ERR Protocol error: unbalanced quotes in request, then close", "open");
    // Bytes that are not UTF-8 reach the command as Netty passed them: replacement characters.
    assertThat(sameAtEveryCut(SMALL, false, "ECHO \u00ff\r\n")).containsExactly(
        "command 'ECHO' '\\xef\\xbf\\xbd'", "open");
    String line = "x".repeat(129);
    assertThat(sameAtEveryCut(SMALL, false, line)).containsExactly(
        "error ERR Protocol error: length: 129 (expected: <= 128)", "closed");
    assertThat(sameAtEveryCut(SMALL, false, "*1\r\n+" + line)).containsExactly(
        "error ERR Protocol error: length: 129 (expected: <= 128)", "closed");
  }

  @Test
  void aLengthLineIsCutAsSoonAsItCannotBeANumber() {
    assertThat(sameAtEveryCut(SMALL, false, "*1\r\n$" + "1".repeat(30))).containsExactly(
        "error ERR Protocol error: too many characters to be a valid RESP Integer: 30", "closed");
    assertThat(decoded("*" + "1".repeat(21))).containsExactly(
        "error ERR Protocol error: too many characters to be a valid RESP Integer: 21", "closed");
    assertThat(decoded("*-" + "1".repeat(20))).containsExactly("open");
    assertThat(decoded("*-" + "1".repeat(21))).containsExactly(
        "error ERR Protocol error: too many characters to be a valid RESP Integer: 22", "closed");
  }

  @Test
  void aLargeBulkStringArrivingInPiecesComesOutWhole() {
    Limits limits = Limits.DEFAULT;
    int size = RespCommandDecoder.WAIT_WHOLE_MAX * 5 + 17;
    StringBuilder value = new StringBuilder(size);
    for (int i = 0; i < size; i++) value.append((char) ('a' + i % 26));
    String frame = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + size + "\r\n" + value + "\r\n";
    byte[] in = bytes(frame);
    for (int piece : new int[] {1000, 4096, 65536, 100_000}) {
      int[] cuts = new int[in.length / piece];
      for (int i = 0; i < cuts.length; i++) cuts[i] = (i + 1) * piece;
      assertThat(run(Kind.COMMAND_DECODER, limits, false, in, cuts)).as("pieces of %d", piece)
          .containsExactly("command 'SET' 'k' '" + value + "'", "open");
    }
    // Cut within the line end after the value, and with the line end wrong.
    int end = in.length - 2;
    assertThat(run(Kind.COMMAND_DECODER, limits, false, in, 70_000, end, end + 1))
        .containsExactly("command 'SET' 'k' '" + value + "'", "open");
    byte[] wrongEnd = in.clone();
    wrongEnd[end] = 'x';
    assertThat(run(Kind.COMMAND_DECODER, limits, false, wrongEnd, 70_000, end))
        .isEqualTo(run(Kind.NETTY, limits, false, wrongEnd, 70_000, end))
        .containsExactly("error ERR Protocol error: delimiter: [120,10] (expected: \\r\\n)",
            "closed");
  }

  @Test
  void aPeersLargeFramesInSocketSizedReadsComeOutWhole() {
    // As a peer's link brings deltas: several frames of a few MiB of binary data back to back,
    // read 64 KiB at a time wherever that cuts them.
    java.util.Random random = new java.util.Random(10);
    java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
    List<byte[]> values = new java.util.ArrayList<>();
    for (int size : new int[] {3 << 20, 65_537, 5, 1 << 20, 65_536, 4 << 20}) {
      byte[] value = new byte[size];
      random.nextBytes(value);
      values.add(value);
      wire.writeBytes(bytes("*2\r\n$5\r\nDELTA\r\n$" + size + "\r\n"));
      wire.writeBytes(value);
      wire.writeBytes(bytes("\r\n"));
    }
    byte[] in = wire.toByteArray();
    int[] cuts = new int[in.length / 65_536];
    for (int i = 0; i < cuts.length; i++) cuts[i] = (i + 1) * 65_536 - 3 * i % 7;
    List<String> events = run(Kind.COMMAND_DECODER, Limits.DEFAULT, false, in, cuts);
    assertThat(events).hasSize(values.size() + 1).endsWith("open");
    for (int i = 0; i < values.size(); i++) {
      assertThat(events.get(i)).as("frame %d", i).isEqualTo("command 'DELTA' '"
          + CommandPipelines.escape(Resp.ascii(values.get(i))) + "'");
    }
  }
}
