package kvs.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The blocking RESP2 client codec of {@code kvs cli}: netty-codec-redis over streams. */
class RespStreamTest {

  private static RespStream over(String replies) {
    return over(new ByteArrayInputStream(replies.getBytes(StandardCharsets.ISO_8859_1)));
  }

  private static RespStream over(InputStream in) {
    return new RespStream(in, new ByteArrayOutputStream());
  }

  private static RedisMessage read(String replies) throws IOException {
    try (RespStream s = over(replies)) {
      return s.read();
    }
  }

  private static byte[] bytes(RedisMessage m) {
    return ByteBufUtil.getBytes(((FullBulkStringRedisMessage) m).content());
  }

  @Test
  void readsRespReplies() throws Exception {
    RedisMessage r = read("*3\r\n$3\r\na\r\n\r\n$-1\r\n*2\r\n:7\r\n+OK\r\n");
    try {
      List<RedisMessage> items = ((ArrayRedisMessage) r).children();
      assertThat(items).hasSize(3);
      assertThat(bytes(items.get(0))).isEqualTo("a\r\n".getBytes());
      assertThat(((FullBulkStringRedisMessage) items.get(1)).isNull()).isTrue();
      List<RedisMessage> inner = ((ArrayRedisMessage) items.get(2)).children();
      assertThat(((IntegerRedisMessage) inner.get(0)).value()).isEqualTo(7);
      assertThat(((SimpleStringRedisMessage) inner.get(1)).content()).isEqualTo("OK");
    } finally {
      ReferenceCountUtil.release(r);
    }
    assertThat(((ArrayRedisMessage) read("*-1\r\n")).isNull()).isTrue();
    assertThat(((ArrayRedisMessage) read("*0\r\n")).children()).isEmpty();
    assertThat(bytes(read("$0\r\n\r\n"))).isEmpty();
    assertThat(((ErrorRedisMessage) read("-ERR x\r\n")).content()).isEqualTo("ERR x");
  }

  @Test
  void readsRepliesOneAfterAnotherWhateverTheReadsReturn() throws Exception {
    String replies = "+OK\r\n$5\r\nhello\r\n*2\r\n*1\r\n:1\r\n$2\r\nxy\r\n:42\r\n";
    // One byte per read: replies split anywhere, as a socket may split them.
    InputStream trickle = new ByteArrayInputStream(replies.getBytes(StandardCharsets.US_ASCII)) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1));
      }
    };
    try (RespStream s = over(trickle)) {
      assertThat(((SimpleStringRedisMessage) s.read()).content()).isEqualTo("OK");
      RedisMessage hello = s.read();
      assertThat(bytes(hello)).isEqualTo("hello".getBytes());
      ReferenceCountUtil.release(hello);
      RedisMessage nested = s.read();
      assertThat(((ArrayRedisMessage) nested).children()).hasSize(2);
      ReferenceCountUtil.release(nested);
      assertThat(((IntegerRedisMessage) s.read()).value()).isEqualTo(42);
      assertThatThrownBy(s::read).isInstanceOf(EOFException.class);
    }
  }

  @Test
  void refusesWhatIsNotAReply() {
    assertThatThrownBy(() -> read("$5\r\nab")).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> read("")).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> read("?what\r\n")).isInstanceOf(IOException.class)
        .hasMessageStartingWith("Protocol error: ");
    assertThatThrownBy(() -> read(":x\r\n")).isInstanceOf(IOException.class)
        .hasMessageStartingWith("Protocol error: ");
    assertThatThrownBy(() -> read("*1\r\n".repeat(100))).isInstanceOf(IOException.class)
        .isNotInstanceOf(EOFException.class)
        .hasMessage("Protocol error: reply nested deeper than " + RespStream.DEPTH_MAX);
    assertThatThrownBy(() -> read("$2147483647\r\n")).isInstanceOf(IOException.class)
        .isNotInstanceOf(EOFException.class);
  }

  @Test
  void acceptsNestingUpToTheLimit() throws Exception {
    int depth = RespStream.DEPTH_MAX;
    RedisMessage r = read("*1\r\n".repeat(depth) + ":1\r\n");
    for (int i = 0; i < depth; i++) r = ((ArrayRedisMessage) r).children().get(0);
    assertThat(((IntegerRedisMessage) r).value()).isEqualTo(1);
    // Siblings do not add up: many arrays side by side are as deep as one.
    RedisMessage wide = read("*100\r\n" + "*1\r\n:1\r\n".repeat(100));
    assertThat(((ArrayRedisMessage) wide).children()).hasSize(100);
  }

  @Test
  void writesCommandsAsRespArrays() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (RespStream s = new RespStream(new ByteArrayInputStream(new byte[0]), out)) {
      s.write(List.of("SET".getBytes(), "k".getBytes(), new byte[0]));
    }
    assertThat(out.toString(StandardCharsets.ISO_8859_1))
        .isEqualTo("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  }
}
