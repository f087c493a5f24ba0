package kvs.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Inline (telnet-style) command lines split into words as Redis's sdssplitargs does. */
class InlineCommandTest {
  private static List<String> words(String line) {
    return Arrays.stream(Resp.splitInline(line.getBytes(StandardCharsets.UTF_8)))
        .map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }

  @Test
  void wordsAreSeparatedByWhiteSpace() {
    assertThat(words("  SET\tk  v ")).containsExactly("SET", "k", "v");
    assertThat(words("")).isEmpty();
    assertThat(words("GET clé")).containsExactly("GET", "clé");
  }

  @Test
  void quotesGroupWordsAndTakeEscapes() {
    assertThat(words("SET \"a b\" 'c d'")).containsExactly("SET", "a b", "c d");
    assertThat(words("SET k \"\\x41\\x4a\\n\\t\\\"\\\\\"")).containsExactly("SET", "k", "AJ\n\t\"\\");
    assertThat(words("SET k 'it\\'s \\n'")).containsExactly("SET", "k", "it's \\n");
    assertThat(words("SET k\"a b\"")).containsExactly("SET", "ka b");
    assertThat(words("SET k \"\"")).containsExactly("SET", "k", "");
    assertThat(Resp.splitInline("\"\\xff\"".getBytes(StandardCharsets.UTF_8))[0])
        .containsExactly((byte) 0xff);
  }

  @Test
  void unbalancedQuotesAreRefused() {
    for (String line : List.of("SET \"k v", "SET 'k v", "SET \"k\"v x", "SET 'k'v x", "SET k \"v\\")) {
      assertThatThrownBy(() -> Resp.splitInline(line.getBytes(StandardCharsets.UTF_8)))
          .as(line).isInstanceOf(ProtocolException.class)
          .hasMessage("unbalanced quotes in request");
    }
  }
}
