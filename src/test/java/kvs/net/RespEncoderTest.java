package kvs.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bytes of every reply type in RESP2 and in RESP3, as Redis 7 sends them (its
 * {@code addReplyMapLen}, {@code addReplySetLen}, {@code addReplyNull}, {@code addReplyDouble},
 * {@code addReplyBool}, {@code addReplyVerbatim}), through the pipeline's two encoders.
 */
class RespEncoderTest {
  /** What a connection speaking {@code protocol} is sent for {@code reply}. */
  private static String sent(RedisMessage reply, int protocol) {
    EmbeddedChannel ch = new EmbeddedChannel(new RedisEncoder(), new RespEncoder());
    ReferenceCountUtil.retain(reply); // the encoder releases it; a test sends one reply twice
    ch.writeOutbound(RespEncoder.forProtocol(reply, protocol));
    StringBuilder sb = new StringBuilder();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    ch.finishAndReleaseAll();
    return sb.toString();
  }

  private static String resp2(RedisMessage m) {
    return sent(m, 2);
  }

  private static String resp3(RedisMessage m) {
    return sent(m, 3);
  }

  @Test
  void stringsErrorsAndIntegersAreTheSameInBoth() {
    for (int p : new int[] {2, 3}) {
      assertThat(sent(Resp.OK, p)).isEqualTo("+OK\r\n");
      assertThat(sent(Resp.error("ERR x"), p)).isEqualTo("-ERR x\r\n");
      assertThat(sent(Resp.integer(-42), p)).isEqualTo(":-42\r\n");
      assertThat(sent(Resp.bulk("hé"), p)).isEqualTo("$3\r\nh\u00c3\u00a9\r\n");
      assertThat(sent(Resp.bulk(new byte[0]), p)).isEqualTo("$0\r\n\r\n");
    }
  }

  @Test
  void nullIsUnderscoreInResp3() {
    assertThat(resp2(Resp.NIL)).isEqualTo("$-1\r\n");
    assertThat(resp3(Resp.NIL)).isEqualTo("_\r\n");
    assertThat(resp2(ArrayRedisMessage.NULL_INSTANCE)).isEqualTo("*-1\r\n");
    assertThat(resp3(ArrayRedisMessage.NULL_INSTANCE)).isEqualTo("_\r\n");
    // MGET's nulls inside an array
    RedisMessage mget = Resp.array(List.of(Resp.bulk("a"), Resp.NIL, Resp.bulk("c")));
    assertThat(resp2(mget)).isEqualTo("*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n");
    assertThat(resp3(mget)).isEqualTo("*3\r\n$1\r\na\r\n_\r\n$1\r\nc\r\n");
  }

  @Test
  void mapIsPercentInResp3AndAFlatArrayInResp2() {
    RedisMessage map = Resp.map(List.of(Resp.bulk("proto"), Resp.integer(3),
        Resp.bulk("modules"), Resp.array(List.of())));
    assertThat(resp3(map)).isEqualTo("%2\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n");
    assertThat(resp2(map)).isEqualTo("*4\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n");
    assertThat(resp3(Resp.map(List.of()))).isEqualTo("%0\r\n");
  }

  @Test
  void setIsTildeInResp3() {
    RedisMessage set = Resp.set(List.of(Resp.simple("write"), Resp.simple("fast")));
    assertThat(resp3(set)).isEqualTo("~2\r\n+write\r\n+fast\r\n");
    assertThat(resp2(set)).isEqualTo("*2\r\n+write\r\n+fast\r\n");
  }

  @Test
  void doubleIsCommaInResp3AndABulkStringInResp2() {
    assertThat(resp3(Resp.dbl(1.5))).isEqualTo(",1.5\r\n");
    assertThat(resp2(Resp.dbl(1.5))).isEqualTo("$3\r\n1.5\r\n");
    assertThat(resp3(Resp.dbl(0.1))).isEqualTo(",0.10000000000000001\r\n"); // %.17g
    assertThat(resp3(Resp.dbl(10))).isEqualTo(",10\r\n");
    assertThat(resp3(Resp.dbl(-2.5e-7))).isEqualTo(",-2.4999999999999999e-07\r\n");
    assertThat(resp3(Resp.dbl(1e20))).isEqualTo(",1e+20\r\n");
    assertThat(resp3(Resp.dbl(Double.POSITIVE_INFINITY))).isEqualTo(",inf\r\n");
    assertThat(resp3(Resp.dbl(Double.NEGATIVE_INFINITY))).isEqualTo(",-inf\r\n");
    assertThat(resp2(Resp.dbl(Double.NEGATIVE_INFINITY))).isEqualTo("$4\r\n-inf\r\n");
    assertThat(resp3(Resp.dbl(0))).isEqualTo(",0\r\n");
  }

  @Test
  void booleanIsHashInResp3AndAnIntegerInResp2() {
    assertThat(resp3(Resp.bool(true))).isEqualTo("#t\r\n");
    assertThat(resp3(Resp.bool(false))).isEqualTo("#f\r\n");
    assertThat(resp2(Resp.bool(true))).isEqualTo(":1\r\n");
    assertThat(resp2(Resp.bool(false))).isEqualTo(":0\r\n");
  }

  @Test
  void verbatimIsEqualsWithItsFormatInResp3AndABulkStringInResp2() {
    assertThat(resp3(Resp.verbatim("# Server\r\n"))).isEqualTo("=14\r\ntxt:# Server\r\n\r\n");
    assertThat(resp2(Resp.verbatim("# Server\r\n"))).isEqualTo("$10\r\n# Server\r\n\r\n");
  }

  @Test
  void nestedTypesAreWrittenInTheConnectionsProtocol() {
    // COMMAND DOCS: a map of maps; COMMAND INFO: arrays holding sets
    RedisMessage docs = Resp.map(List.of(Resp.bulk("get"),
        Resp.map(List.of(Resp.bulk("summary"), Resp.bulk("s")))));
    assertThat(resp3(docs)).isEqualTo("%1\r\n$3\r\nget\r\n%1\r\n$7\r\nsummary\r\n$1\r\ns\r\n");
    assertThat(resp2(docs)).isEqualTo("*2\r\n$3\r\nget\r\n*2\r\n$7\r\nsummary\r\n$1\r\ns\r\n");
    RedisMessage info = Resp.array(List.of(Resp.array(List.of(Resp.bulk("get"),
        Resp.set(List.of(Resp.simple("fast"))), Resp.NIL))));
    assertThat(resp2(info)).isEqualTo("*1\r\n*3\r\n$3\r\nget\r\n*1\r\n+fast\r\n$-1\r\n");
    assertThat(resp3(info)).isEqualTo("*1\r\n*3\r\n$3\r\nget\r\n~1\r\n+fast\r\n_\r\n");
  }

  @Test
  void longValuesArePassedOnWhole() {
    byte[] value = new byte[100_000];
    for (int i = 0; i < value.length; i++) value[i] = (byte) ('a' + i % 26);
    String v = new String(value, StandardCharsets.ISO_8859_1);
    RedisMessage mget = Resp.array(List.of(Resp.bulk(value), Resp.NIL));
    assertThat(resp3(mget)).isEqualTo("*2\r\n$100000\r\n" + v + "\r\n_\r\n");
    assertThat(resp2(Resp.map(List.of(Resp.bulk("k"), Resp.bulk(value)))))
        .isEqualTo("*2\r\n$1\r\nk\r\n$100000\r\n" + v + "\r\n");
  }

  @Test
  void everyWholeReplyIsLeftToThisEncoderAndStreamedPartsToNettys() {
    RespEncoder e = new RespEncoder();
    assertThat(e.acceptOutboundMessage(Resp.bulk("x"))).isTrue();
    assertThat(e.acceptOutboundMessage(Resp.array(List.of(Resp.bulk("x"), Resp.NIL)))).isTrue();
    assertThat(e.acceptOutboundMessage(Resp.OK)).isTrue();
    assertThat(e.acceptOutboundMessage(Resp.map(List.of()))).isTrue();
    assertThat(e.acceptOutboundMessage(RespEncoder.forProtocol(Resp.NIL, 3))).isTrue();
    assertThat(e.acceptOutboundMessage(new io.netty.handler.codec.redis.ArrayHeaderRedisMessage(2)))
        .isFalse();
    assertThat(RespEncoder.forProtocol(Resp.bulk("x"), 3)).isInstanceOf(
        io.netty.handler.codec.redis.FullBulkStringRedisMessage.class);
  }

  @Test
  void aShortReplyLeavesInOneBuffer() {
    EmbeddedChannel ch = new EmbeddedChannel(new RedisEncoder(), new RespEncoder());
    ch.writeOutbound(Resp.bulk("value"));
    ByteBuf b = ch.readOutbound();
    assertThat(b.toString(StandardCharsets.ISO_8859_1)).isEqualTo("$5\r\nvalue\r\n");
    b.release();
    assertThat((Object) ch.readOutbound()).isNull();
    ch.finishAndReleaseAll();
  }
}
