package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import kvs.cli.CliCommand.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The pieces of {@code kvs cli} that must match redis-cli: argument splitting and formatting. */
class CliCommandTest {

  private static List<String> split(String line) {
    List<byte[]> args = CliCommand.splitArgs(line.getBytes(StandardCharsets.ISO_8859_1));
    return args == null ? null
        : args.stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList();
  }

  @Test
  void splitsLikeRedisCli() {
    assertThat(split("  SET  k   v ")).containsExactly("SET", "k", "v");
    assertThat(split("")).isEmpty();
    assertThat(split("SET k \"two words\"")).containsExactly("SET", "k", "two words");
    assertThat(split("SET k \"a\\tb\\n\\x41\\x4a\\\"\\\\\"")).containsExactly("SET", "k", "a\tb\nAJ\"\\");
    assertThat(split("SET k 'it\\'s \"raw\" \\n'")).containsExactly("SET", "k", "it's \"raw\" \\n");
    assertThat(split("SET k\"v w\"")).containsExactly("SET", "kv w"); // a quote mid-word opens
    assertThat(split("SET \"\" x")).containsExactly("SET", "", "x");
    assertThat(split("SET k \"unclosed")).isNull();
    assertThat(split("SET k 'unclosed")).isNull();
    assertThat(split("SET k \"closed\"x")).isNull(); // a closing quote must end the argument
    assertThat(split("SET k \"\\x4")).isNull();
  }

  private static Reply bulk(String s) {
    return new Reply('$', s == null ? null : s.getBytes(StandardCharsets.ISO_8859_1), 0, null);
  }

  private static Reply array(Reply... items) {
    return new Reply('*', null, 0, List.of(items));
  }

  @Test
  void formatsForATerminalLikeRedisCli() {
    assertThat(CliCommand.formatTty(new Reply('+', "OK".getBytes(), 0, null), "")).isEqualTo("OK\n");
    assertThat(CliCommand.formatTty(new Reply('-', "ERR x".getBytes(), 0, null), ""))
        .isEqualTo("(error) ERR x\n");
    assertThat(CliCommand.formatTty(new Reply(':', null, -5, null), "")).isEqualTo("(integer) -5\n");
    assertThat(CliCommand.formatTty(bulk(null), "")).isEqualTo("(nil)\n");
    assertThat(CliCommand.formatTty(bulk("a\"b\\\r\n\t\u0007\b\u0000\u00ff"), ""))
        .isEqualTo("\"a\\\"b\\\\\\r\\n\\t\\a\\b\\x00\\xff\"\n");
    assertThat(CliCommand.formatTty(array(), "")).isEqualTo("(empty array)\n");
    assertThat(CliCommand.formatTty(new Reply('*', null, 0, null), "")).isEqualTo("(nil)\n");
    assertThat(CliCommand.formatTty(array(bulk("0"), array(bulk("a"), bulk("b"))), ""))
        .isEqualTo("1) \"0\"\n2) 1) \"a\"\n   2) \"b\"\n");
    Reply[] ten = new Reply[10];
    for (int i = 0; i < 10; i++) ten[i] = bulk("k" + i);
    assertThat(CliCommand.formatTty(array(ten), "")).startsWith(" 1) \"k0\"\n 2) \"k1\"\n")
        .endsWith("10) \"k9\"\n");
    assertThat(CliCommand.formatTty(array(array(bulk("x"), new Reply(':', null, 1, null))), ""))
        .isEqualTo("1) 1) \"x\"\n   2) (integer) 1\n");
  }

  @Test
  void formatsRawLikeRedisCli() {
    assertThat(CliCommand.formatRaw(array(bulk("a"), bulk(null), new Reply(':', null, 3, null),
        array(bulk("b"), bulk("c"))))).isEqualTo("a\n\n3\nb\nc".getBytes());
    assertThat(CliCommand.formatRaw(bulk("bin\u0000\u00ff")))
        .isEqualTo("bin\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1));
  }

  private static Reply read(String resp) throws IOException {
    return CliCommand.readReply(
        new ByteArrayInputStream(resp.getBytes(StandardCharsets.ISO_8859_1)), 0);
  }

  @Test
  void readsRespReplies() throws Exception {
    Reply r = read("*3\r\n$3\r\na\r\n\r\n$-1\r\n*2\r\n:7\r\n+OK\r\n");
    assertThat(r.items()).hasSize(3);
    assertThat(r.items().get(0).text()).isEqualTo("a\r\n".getBytes());
    assertThat(r.items().get(1).isNil()).isTrue();
    assertThat(r.items().get(2).items().get(0).integer()).isEqualTo(7);
    assertThat(read("*-1\r\n").isNil()).isTrue();
    assertThat(read("-ERR x\r\n").type()).isEqualTo('-');
    assertThrows(EOFException.class, () -> read("$5\r\nab"));
    assertThrows(IOException.class, () -> read("?what\r\n"));
    assertThrows(IOException.class, () -> read("*1\r\n".repeat(100)));
    assertThrows(IOException.class, () -> read("$2147483647\r\n"));
  }

  @Test
  void writesCommandsAsRespArrays() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CliCommand.writeCommand(out, List.of("SET".getBytes(), "k".getBytes(), new byte[0]));
    assertThat(out.toString(StandardCharsets.ISO_8859_1))
        .isEqualTo("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  }

  private static void assertThrows(Class<? extends Throwable> type, Executable e) {
    org.junit.jupiter.api.Assertions.assertThrows(type, e);
  }
}
