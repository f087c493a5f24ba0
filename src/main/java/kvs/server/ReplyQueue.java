package kvs.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayDeque;
import kvs.net.RespEncoder;

/**
 * Keeps a connection's replies in request order when some of them wait (for an fsync, for a
 * state change): a reply is written only when every reply before it is ready.
 */
final class ReplyQueue {
  private final Channel channel;
  private final ArrayDeque<Slot> slots = new ArrayDeque<>();
  private boolean wroteSinceFlush;
  private boolean closeWhenSent;
  private boolean closing;
  /** The RESP version this connection speaks: 2, or 3 after HELLO 3. */
  private int protocol = 2;

  ReplyQueue(Channel channel) {
    this.channel = channel;
  }

  int protocol() {
    return protocol;
  }

  /** From the next reply on (HELLO's own included), replies are in this RESP version. */
  void protocol(int protocol) {
    this.protocol = protocol;
  }

  static final class Slot {
    RedisMessage reply;
    private final ReplyQueue queue;
    /** The protocol when the command ran, whatever a later HELLO switches to. */
    private final int protocol;

    Slot(ReplyQueue queue) {
      this.queue = queue;
      this.protocol = queue.protocol;
    }

    /** Fills this slot; writes it and the ready replies behind it if it is first in line. */
    void complete(RedisMessage reply) {
      this.reply = RespEncoder.forProtocol(reply, protocol);
      queue.drain();
      queue.flush();
    }
  }

  /** Error replies added so far, for the metrics' errors by command (Commands.dispatch). */
  long errors;

  /** While EXEC runs its commands, where their replies go instead of the connection. */
  private java.util.List<RedisMessage> captured;

  /**
   * From now until {@link #endCapture}, replies are appended to {@code into} instead of being
   * sent (EXEC collects its commands' replies into its own). No reply may wait meanwhile.
   */
  void capture(java.util.List<RedisMessage> into) {
    if (captured != null) throw new IllegalStateException("already capturing");
    captured = into;
  }

  void endCapture() {
    captured = null;
  }

  boolean capturing() {
    return captured != null;
  }

  void add(RedisMessage reply) {
    if (reply instanceof io.netty.handler.codec.redis.ErrorRedisMessage) errors++;
    if (captured != null) {
      captured.add(reply);
      return;
    }
    reply = RespEncoder.forProtocol(reply, protocol);
    if (slots.isEmpty()) {
      channel.write(reply, channel.voidPromise());
      wroteSinceFlush = true;
      return;
    }
    Slot s = new Slot(this);
    s.reply = reply;
    slots.add(s);
  }

  Slot defer() {
    if (captured != null) throw new IllegalStateException("a reply cannot wait inside EXEC");
    Slot s = new Slot(this);
    slots.add(s);
    return s;
  }

  boolean isEmpty() {
    return slots.isEmpty();
  }

  /**
   * Closes the connection once every reply queued so far, deferred ones included, is written to
   * the socket (Redis's close-after-reply): for a client that half-closed, or one that gets a last
   * error. The write-ahead log is written first, as for every flush (LogBarrier).
   */
  void closeWhenSent() {
    closeWhenSent = true;
    flush();
  }

  /** Whether the connection is to close after its replies: it takes no more commands. */
  boolean isClosing() {
    return closeWhenSent;
  }

  private void drain() {
    while (!slots.isEmpty() && slots.peek().reply != null) {
      channel.write(slots.poll().reply, channel.voidPromise());
      wroteSinceFlush = true;
    }
  }

  void flush() {
    if (wroteSinceFlush) {
      wroteSinceFlush = false;
      channel.flush();
    }
    if (closeWhenSent && slots.isEmpty() && !closing) {
      closing = true;
      // Written after every reply before it, so its completion means they all reached the socket.
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
