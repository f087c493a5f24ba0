package kvs.server;

import io.netty.channel.Channel;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayDeque;

/**
 * Keeps a connection's replies in request order when some of them wait (for an fsync, for a
 * state change): a reply is written only when every reply before it is ready.
 */
final class ReplyQueue {
  private final Channel channel;
  private final ArrayDeque<Slot> slots = new ArrayDeque<>();
  private boolean wroteSinceFlush;

  ReplyQueue(Channel channel) {
    this.channel = channel;
  }

  static final class Slot {
    RedisMessage reply;
    private final ReplyQueue queue;

    Slot(ReplyQueue queue) {
      this.queue = queue;
    }

    /** Fills this slot; writes it and the ready replies behind it if it is first in line. */
    void complete(RedisMessage reply) {
      this.reply = reply;
      queue.drain();
      queue.flush();
    }
  }

  void add(RedisMessage reply) {
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
    Slot s = new Slot(this);
    slots.add(s);
    return s;
  }

  boolean isEmpty() {
    return slots.isEmpty();
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
  }
}
