package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import kvs.net.Resp;
import org.junit.jupiter.api.Test;

/**
 * The pieces of {@code kvs cli} that must match redis-cli: argument splitting and formatting
 * (its RESP codec is netty-codec-redis, see kvs.net.RespStreamTest).
 */
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

  private static RedisMessage bulk(String s) {
    return s == null ? Resp.NIL : Resp.bulk(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static RedisMessage array(RedisMessage... items) {
    return Resp.array(List.of(items));
  }

  @Test
  void formatsForATerminalLikeRedisCli() {
    assertThat(CliCommand.formatTty(Resp.simple("OK"), "")).isEqualTo("OK\n");
    assertThat(CliCommand.formatTty(Resp.error("ERR x"), "")).isEqualTo("(error) ERR x\n");
    assertThat(CliCommand.formatTty(Resp.integer(-5), "")).isEqualTo("(integer) -5\n");
    assertThat(CliCommand.formatTty(bulk(null), "")).isEqualTo("(nil)\n");
    assertThat(CliCommand.formatTty(bulk("a\"b\\\r\n\t\u0007\b\u0000\u00ff"), ""))
        .isEqualTo("\"a\\\"b\\\\\\r\\n\\t\\a\\b\\x00\\xff\"\n");
    assertThat(CliCommand.formatTty(array(), "")).isEqualTo("(empty array)\n");
    assertThat(CliCommand.formatTty(ArrayRedisMessage.NULL_INSTANCE, "")).isEqualTo("(nil)\n");
    assertThat(CliCommand.formatTty(array(bulk("0"), array(bulk("a"), bulk("b"))), ""))
        .isEqualTo("1) \"0\"\n2) 1) \"a\"\n   2) \"b\"\n");
    RedisMessage[] ten = new RedisMessage[10];
    for (int i = 0; i < 10; i++) ten[i] = bulk("k" + i);
    assertThat(CliCommand.formatTty(array(ten), "")).startsWith(" 1) \"k0\"\n 2) \"k1\"\n")
        .endsWith("10) \"k9\"\n");
    assertThat(CliCommand.formatTty(array(array(bulk("x"), Resp.integer(1))), ""))
        .isEqualTo("1) 1) \"x\"\n   2) (integer) 1\n");
    // A status line is shown as the bytes sent (UTF-8), as redis-cli shows it.
    assertThat(CliCommand.formatTty(Resp.simple("caf\u00e9"), "")
        .getBytes(StandardCharsets.ISO_8859_1))
        .isEqualTo("caf\u00e9\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void formatsRawLikeRedisCli() {
    assertThat(CliCommand.formatRaw(array(bulk("a"), bulk(null), Resp.integer(3),
        array(bulk("b"), bulk("c"))))).isEqualTo("a\n\n3\nb\nc".getBytes());
    assertThat(CliCommand.formatRaw(bulk("bin\u0000\u00ff")))
        .isEqualTo("bin\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(CliCommand.formatRaw(Resp.error("ERR x"))).isEqualTo("ERR x".getBytes());
    assertThat(CliCommand.formatRaw(ArrayRedisMessage.NULL_INSTANCE)).isEmpty();
  }
}
