package kvs.master;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScriptParserTest {

  private static Command parse(String line) throws ScriptError {
    return ScriptParser.parse(line.getBytes(ISO_8859_1));
  }

  private static String errorOf(String line) {
    try {
      Command c = parse(line);
      throw new AssertionError("expected an error for \"" + line + "\", got " + c);
    } catch (ScriptError e) {
      return e.getMessage();
    }
  }

  @Test
  void parsesEveryCommand() throws ScriptError {
    assertThat(parse("joinServer 3")).isEqualTo(new Command.JoinServer(3));
    assertThat(parse("killServer 0")).isEqualTo(new Command.KillServer(0));
    assertThat(parse("joinClient 5 0")).isEqualTo(new Command.JoinClient(5, 0));
    assertThat(parse("breakConnection 1 4")).isEqualTo(new Command.BreakConnection(1, 4));
    assertThat(parse("createConnection 4 1")).isEqualTo(new Command.CreateConnection(4, 1));
    assertThat(parse("stabilize")).isEqualTo(new Command.Stabilize());
    assertThat(parse("printStore 2")).isEqualTo(new Command.PrintStore(2));

    Command.Put put = (Command.Put) parse("put 5 k1 v1");
    assertThat(put.client()).isEqualTo(5);
    assertThat(put.key()).isEqualTo(bytes("k1"));
    assertThat(put.value()).isEqualTo(bytes("v1"));

    Command.Get get = (Command.Get) parse("get 6 k2");
    assertThat(get.client()).isEqualTo(6);
    assertThat(get.key()).isEqualTo(bytes("k2"));

    Command.Delete delete = (Command.Delete) parse("delete 7 k3");
    assertThat(delete.client()).isEqualTo(7);
    assertThat(delete.key()).isEqualTo(bytes("k3"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t", "  \t  ", "\r", "\f", "\u000B", " \t\r\f\u000B ",
      "#", "# test API joinServer", "   # indented comment", "\t#tab comment",
      "#joinServer 1", "#stablize", "  #  put 5 k v  "})
  void blankAndCommentLinesAreIgnored(String line) throws ScriptError {
    assertThat(parse(line)).isNull();
  }

  @Test
  void tokensAreSeparatedBySpacesAndTabsAndSurroundingWhiteSpaceIsIgnored() throws ScriptError {
    assertThat(parse("\tjoinClient\t5 \t 0\t")).isEqualTo(new Command.JoinClient(5, 0));
    assertThat(parse("   joinServer    3   ")).isEqualTo(new Command.JoinServer(3));
    assertThat(parse("\f\u000BjoinServer 3\u000B\f")).isEqualTo(new Command.JoinServer(3));
    Command.Put put = (Command.Put) parse("put\t5\tkey\tvalue");
    assertThat(put.key()).isEqualTo(bytes("key"));
    assertThat(put.value()).isEqualTo(bytes("value"));
  }

  @Test
  void crlfLineEndingsAreIgnored() throws ScriptError {
    assertThat(parse("joinServer 3\r")).isEqualTo(new Command.JoinServer(3));
    assertThat(parse("stabilize\r")).isEqualTo(new Command.Stabilize());
    Command.Put put = (Command.Put) parse("put 5 k v\r");
    assertThat(put.value()).isEqualTo(bytes("v"));
    Command.Get get = (Command.Get) parse("get 5 k\r");
    assertThat(get.key()).isEqualTo(bytes("k"));
  }

  @Test
  void hashInsideATokenIsAnOrdinaryCharacter() throws ScriptError {
    Command.Put put = (Command.Put) parse("put 5 #k #v");
    assertThat(put.key()).isEqualTo(bytes("#k"));
    assertThat(put.value()).isEqualTo(bytes("#v"));
  }

  @Test
  void everyPrintableAsciiCharacterIsKeptInAValue() throws ScriptError {
    StringBuilder all = new StringBuilder();
    for (char c = '!'; c <= '~'; c++) {
      all.append(c);
    }
    assertThat(all).hasSize(94);
    Command.Put put = (Command.Put) parse("put 5 " + all + " " + all);
    assertThat(put.key()).isEqualTo(bytes(all.toString()));
    assertThat(put.value()).isEqualTo(bytes(all.toString()));
    Command.Put symbols = (Command.Put) parse("put 5 k *&^%$#@!()[]/,.=-");
    assertThat(symbols.value()).isEqualTo(bytes("*&^%$#@!()[]/,.=-"));
  }

  @Test
  void nonAsciiAndControlBytesAreKeptByteExact() throws ScriptError {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    line.writeBytes(bytes("put 5 k "));
    byte[] value = new byte[256 - 6];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0B && b != '\n') {
        value[n++] = (byte) b;
      }
    }
    assertThat(n).isEqualTo(value.length);
    line.writeBytes(value);
    Command.Put put = (Command.Put) ScriptParser.parse(line.toByteArray());
    assertThat(put.value()).isEqualTo(value);
  }

  @Test
  void aOneMebibyteValueIsKept() throws ScriptError {
    byte[] value = new byte[1 << 20];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) ('a' + i % 26);
    }
    byte[] prefix = bytes("put 5 big ");
    byte[] line = Arrays.copyOf(prefix, prefix.length + value.length);
    System.arraycopy(value, 0, line, prefix.length, value.length);
    Command.Put put = (Command.Put) ScriptParser.parse(line);
    assertThat(put.value()).isEqualTo(value);
    assertThat(put.key()).isEqualTo(bytes("big"));
  }

  @Test
  void parsesOnlyTheGivenLength() throws ScriptError {
    byte[] buffer = bytes("joinServer 3 trailing garbage");
    assertThat(ScriptParser.parse(buffer, "joinServer 3".length())).isEqualTo(new Command.JoinServer(3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"foo", "foo 1", "hello world", "joinserver 1", "JOINSERVER 1", "join 1",
      "stablize", "stabilise", "Stabilize", "get5 k", "put,5 k v", "joinServer1"})
  void unknownCommandsAreErrors(String line) {
    assertThat(errorOf(line)).startsWith("unknown command \"" + line.split(" ")[0] + "\"");
  }

  @Test
  void aTypoGetsASuggestion() {
    assertThat(errorOf("stablize")).isEqualTo("unknown command \"stablize\" (did you mean stabilize?)");
    assertThat(errorOf("joinserver 1")).contains("did you mean joinServer?");
    assertThat(errorOf("prinStore 1")).contains("did you mean printStore?");
    assertThat(errorOf("frobnicate 1")).contains("commands: joinServer, killServer");
  }

  @Test
  void unknownBinaryCommandIsShownEscaped() {
    assertThat(errorOf("\u0001\u00FFx 1")).isEqualTo("unknown command \"\\x01\\xFFx\""
        + " (commands: joinServer, killServer, joinClient, breakConnection, createConnection,"
        + " stabilize, printStore, put, get, delete)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"joinServer", "joinServer 1 2", "killServer", "killServer 1 2",
      "joinClient", "joinClient 5", "joinClient 5 0 1", "breakConnection", "breakConnection 1",
      "breakConnection 1 2 3", "createConnection", "createConnection 1", "createConnection 1 2 3",
      "stabilize now", "stabilize 1", "printStore", "printStore 1 2", "put", "put 5", "put 5 k",
      "put 5 k v extra", "get", "get 5", "get 5 k extra", "delete", "delete 5", "delete 5 k v"})
  void wrongArityIsAnError(String line) {
    String word = line.split(" ")[0];
    int given = line.split(" ").length - 1;
    assertThat(errorOf(line)).startsWith(word + " takes ").endsWith("got " + given);
  }

  @Test
  void arityMessageShowsTheUsage() {
    assertThat(errorOf("put 5 k")).isEqualTo("put takes 3 arguments (put CID KEY VALUE), got 2");
    assertThat(errorOf("joinServer")).isEqualTo("joinServer takes 1 argument (joinServer ID), got 0");
    assertThat(errorOf("stabilize now")).isEqualTo("stabilize takes no arguments (stabilize), got 1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"joinServer abc", "joinServer 1.5", "joinServer +1", "joinServer 0x10",
      "joinServer 1e3", "joinServer -", "joinServer 1-", "joinServer --1", "killServer one",
      "printStore 2k", "joinClient a 0", "joinClient 5 b", "breakConnection x 1",
      "createConnection 1 y", "put c k v", "get five k", "delete 5.0 k", "joinServer \u00BD"})
  void nonIntegerIdsAreErrors(String line) {
    assertThat(errorOf(line)).contains("is not an integer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"joinServer -1", "killServer -5", "joinClient -5 0", "joinClient 5 -1",
      "breakConnection -1 2", "put -5 k v", "get -1 k", "delete -2147483648 k", "joinServer -0"})
  void negativeIdsAreErrors(String line) {
    assertThat(errorOf(line)).contains("is negative").contains("ids go from 0 to 2147483647");
  }

  @ParameterizedTest
  @ValueSource(strings = {"joinServer 2147483648", "joinServer 4294967296",
      "joinServer 99999999999999999999999999999999999999", "joinClient 5 3000000000",
      "put 9223372036854775808 k v"})
  void idsBeyondIntAreErrors(String line) {
    assertThat(errorOf(line)).contains("is out of range").contains("ids go from 0 to 2147483647");
  }

  @Test
  void largestIdAndLeadingZerosAreAccepted() throws ScriptError {
    assertThat(parse("joinServer 2147483647")).isEqualTo(new Command.JoinServer(Integer.MAX_VALUE));
    assertThat(parse("joinServer 0")).isEqualTo(new Command.JoinServer(0));
    assertThat(parse("joinServer 007")).isEqualTo(new Command.JoinServer(7));
  }

  @Test
  void errorNamesWhichIdIsWrong() {
    assertThat(errorOf("joinClient 5 x")).isEqualTo("server id \"x\" is not an integer (ids are 0, 1, 2, ...)");
    assertThat(errorOf("joinClient x 0")).startsWith("client id \"x\"");
    assertThat(errorOf("get y k")).startsWith("client id \"y\"");
  }

  @Test
  void oneIdCannotBeBothEndsOfAConnection() {
    assertThat(errorOf("joinClient 5 5")).contains("one id cannot be both a client and a server");
    assertThat(errorOf("breakConnection 1 1")).contains("two different ids");
    assertThat(errorOf("createConnection 2 2")).contains("two different ids");
  }

  @Test
  void kindsCarryTheirScriptWords() throws ScriptError {
    for (Command.Kind k : Command.Kind.values()) {
      StringBuilder line = new StringBuilder(k.word());
      for (int i = 0; i < k.arity; i++) {
        line.append(' ').append(i + 1);
      }
      assertThat(parse(line.toString()).kind()).isEqualTo(k);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(ISO_8859_1);
  }
}
