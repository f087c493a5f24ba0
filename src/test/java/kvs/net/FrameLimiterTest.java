package kvs.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.DefaultLastBulkStringRedisContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The RESP pipeline's limits without sockets: frames fed whole and split at every byte, and
 * announced lengths refused before anything is allocated for them, with the error reply encoded
 * on the wire.
 */
class FrameLimiterTest {
  /** Before AUTH: at most 3 elements and 20 bytes of bulk strings. */
  private static final Limits SMALL = new Limits(16, 32, 64, 4, 128, 100, 3, 20, 0, 1, 0);

  private static EmbeddedChannel pipeline(Limits limits) {
    EmbeddedChannel ch = new EmbeddedChannel();
    RespPipeline.install(ch.pipeline(), limits);
    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The array aggregator reports the command cut short by the close, as on a server,
        // where the connection handler drops it.
        if (!(cause instanceof PrematureChannelClosureException)) ctx.fireExceptionCaught(cause);
      }
    });
    return ch;
  }

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  /** What the channel wrote, as text. */
  private static String written(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      ByteBuf b = (ByteBuf) o;
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  @Test
  void aCommandSplitAtEveryByteComesOutWhole() {
    String frame = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n";
    for (int cut = 1; cut < frame.length(); cut++) {
      EmbeddedChannel ch = pipeline(SMALL);
      ch.writeInbound(bytes(frame.substring(0, cut)));
      assertThat((Object) ch.readInbound()).as("cut at %d", cut).isNull();
      ch.writeInbound(bytes(frame.substring(cut)));
      ArrayRedisMessage m = ch.readInbound();
      assertThat(m.children()).hasSize(3);
      assertThat(Resp.arguments(m)[2]).isEqualTo("va\r\nl".getBytes());
      ReferenceCountUtil.release(m);
      assertThat(ch.isOpen()).isTrue();
      assertThat((Object) ch.readInbound()).isNull();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void tooManyElementsAreRefusedWithAnEncodedErrorAndAClose() {
    EmbeddedChannel ch = pipeline(SMALL);
    ch.writeInbound(bytes("*5\r\n"));
    assertThat(written(ch)).isEqualTo(
        "-ERR Protocol error: invalid multibulk length 5 (limit 4)\r\n");
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void aLongBulkStringIsRefusedAtItsHeader() {
    EmbeddedChannel ch = pipeline(SMALL);
    ch.writeInbound(bytes("*2\r\n$3\r\nGET\r\n$65\r\n"));
    assertThat(written(ch)).isEqualTo("-ERR Protocol error: invalid bulk length 65 (limit 64)\r\n");
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void nestedArraysAreRefused() {
    EmbeddedChannel ch = pipeline(SMALL);
    ch.writeInbound(bytes("*1\r\n*1\r\n*1\r\n"));
    assertThat(written(ch)).isEqualTo("-ERR Protocol error: nested arrays are not accepted\r\n");
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void aCommandLargerThanTheLimitAltogetherIsRefused() {
    // Each bulk string is within its own limit; the fourth takes the command over 100 bytes.
    EmbeddedChannel ch = new EmbeddedChannel(new FrameLimiter(SMALL));
    ch.writeInbound(new ArrayHeaderRedisMessage(4));
    for (int i = 0; i < 3; i++) {
      ch.writeInbound(new BulkStringHeaderRedisMessage(30));
      ch.writeInbound(new DefaultLastBulkStringRedisContent(Unpooled.buffer(0)));
    }
    assertThat(ch.isOpen()).isTrue();
    ch.writeInbound(new BulkStringHeaderRedisMessage(30));
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
    // The count starts again with each command.
    EmbeddedChannel again = new EmbeddedChannel(new FrameLimiter(SMALL));
    for (int round = 0; round < 5; round++) {
      again.writeInbound(new ArrayHeaderRedisMessage(2));
      for (int i = 0; i < 2; i++) {
        again.writeInbound(new BulkStringHeaderRedisMessage(40));
        again.writeInbound(new DefaultLastBulkStringRedisContent(Unpooled.buffer(0)));
      }
    }
    assertThat(again.isOpen()).isTrue();
    again.finishAndReleaseAll();
  }

  @Test
  void beforeAuthenticationOnlyASmallCommandIsTaken() {
    EmbeddedChannel ch = pipeline(SMALL);
    ch.pipeline().get(FrameLimiter.class).requireAuthentication();
    ch.writeInbound(bytes("*2\r\n$4\r\nAUTH\r\n$16\r\n0123456789abcdef\r\n"));
    ArrayRedisMessage auth = ch.readInbound();
    assertThat(Resp.arguments(auth)[1]).isEqualTo("0123456789abcdef".getBytes());
    ReferenceCountUtil.release(auth);
    // 4 + 17 bytes: within the full limits, beyond the unauthenticated ones; refused at the header.
    ch.writeInbound(bytes("*2\r\n$4\r\nAUTH\r\n$17\r\n"));
    assertThat(written(ch)).isEqualTo("-ERR Protocol error: unauthenticated bulk length\r\n");
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();

    EmbeddedChannel many = pipeline(SMALL);
    many.pipeline().get(FrameLimiter.class).requireAuthentication();
    many.writeInbound(bytes("*4\r\n"));
    assertThat(written(many)).isEqualTo("-ERR Protocol error: unauthenticated multibulk length\r\n");
    assertThat(many.isOpen()).isFalse();
    many.finishAndReleaseAll();
  }

  @Test
  void onceAuthenticatedTheFullLimitsApply() {
    EmbeddedChannel ch = pipeline(SMALL);
    FrameLimiter limiter = ch.pipeline().get(FrameLimiter.class);
    limiter.requireAuthentication();
    limiter.authenticated();
    String value = "x".repeat(60);
    ch.writeInbound(bytes("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$" + value.length()
        + "\r\n" + value + "\r\n"));
    ArrayRedisMessage m = ch.readInbound();
    assertThat(m.children()).hasSize(4);
    ReferenceCountUtil.release(m);
    assertThat(ch.isOpen()).isTrue();
    ch.finishAndReleaseAll();
  }
}
