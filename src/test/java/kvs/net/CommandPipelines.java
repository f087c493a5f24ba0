package kvs.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds bytes, cut into reads, to a command pipeline without sockets and tells what a client would
 * see, as the server's connection handler treats what the pipeline hands it: the commands run,
 * the replies and protocol errors written, and whether the connection closed. The old pipeline
 * (Netty's decoder, FrameLimiter, the aggregators) is the reference for the new decoder.
 */
final class CommandPipelines {
  private CommandPipelines() {}

  enum Kind { NETTY, COMMAND_DECODER }

  /**
   * What the connection did with {@code input} read in pieces cut at {@code cuts} (ascending
   * offsets), one event a line. A command named AUTH authenticates the connection, as a
   * successful AUTH does on a server.
   */
  static List<String> run(Kind kind, Limits limits, boolean requireAuth, byte[] input,
      int... cuts) {
    List<String> events = new ArrayList<>();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.pipeline().addFirst("written", new ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) events.add("wrote " + escape(b.toString(StandardCharsets.ISO_8859_1)));
        ctx.write(msg, promise);
      }
    });
    if (kind == Kind.NETTY) {
      RespPipeline.install(ch.pipeline(), limits);
    } else {
      RespPipeline.installForCommands(ch.pipeline(), limits);
    }
    AuthenticationGate gate = ch.pipeline().get(AuthenticationGate.class);
    if (requireAuth) gate.requireAuthentication();
    ch.pipeline().addLast("connection", new ConnectionLike(events, gate));
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : input.length;
      if (to <= from) continue;
      if (!ch.isOpen()) break;
      ch.writeInbound(Unpooled.copiedBuffer(input, from, to - from));
      from = to;
    }
    events.add(ch.isOpen() ? "open" : "closed");
    try {
      ch.finishAndReleaseAll();
    } catch (RuntimeException ignored) {
      // The aggregator's complaint about a command cut short by the close: nothing a client sees.
    }
    while (ch.readOutbound() instanceof ByteBuf b) b.release();
    return events;
  }

  /** The connection handler's treatment of what the decoder hands it, in short. */
  private static final class ConnectionLike extends ChannelInboundHandlerAdapter {
    private final List<String> events;
    private final AuthenticationGate gate;
    private boolean closing;

    ConnectionLike(List<String> events, AuthenticationGate gate) {
      this.events = events;
      this.gate = gate;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (closing || !ctx.channel().isActive()) return;
        byte[][] args;
        try {
          args = Resp.arguments((RedisMessage) msg);
        } catch (ProtocolException e) {
          events.add("reply ERR Protocol error: " + e.getMessage() + ", then close");
          closing = true;
          return;
        }
        if (args == null) {
          events.add("reply ERR Protocol error: expected an array of bulk strings");
          return;
        }
        if (args.length == 0) return;
        StringBuilder sb = new StringBuilder("command");
        for (byte[] a : args) sb.append(" '").append(escape(Resp.ascii(a))).append('\'');
        events.add(sb.toString());
        if (Resp.ascii(args[0]).equalsIgnoreCase("AUTH")) gate.authenticated();
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!ctx.channel().isActive()) return;
      if (cause instanceof DecoderException) {
        Throwable reason = cause.getCause() != null ? cause.getCause() : cause;
        events.add("error ERR Protocol error: " + reason.getMessage());
        ctx.close();
        return;
      }
      events.add("exception " + cause);
      ctx.close();
    }
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '\r') sb.append("\\r");
      else if (c == '\n') sb.append("\\n");
      else if (c < 0x20 || c > 0x7e) sb.append("\\x").append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
      else sb.append(c);
    }
    return sb.toString();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
