package kvs.server;

import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kvs.net.Resp;

/**
 * Long polls on the replica state ({@code KVS.AWAIT}): each waits until the state differs from
 * what its caller last saw, or until its timeout. This is how stabilize waits for convergence
 * without polling.
 */
final class StateWatchers {
  private final Node node;
  private final List<Watcher> watchers = new ArrayList<>();

  private record Watcher(ReplyQueue.Slot slot, String seen, ScheduledFuture<?> timeout) {}

  StateWatchers(Node node) {
    this.node = node;
  }

  void await(ReplyQueue.Slot slot, String seen, long timeoutMs) {
    String now = node.stateText();
    if (!now.equals(seen)) {
      slot.complete(Resp.bulk(now));
      return;
    }
    Watcher[] self = new Watcher[1];
    ScheduledFuture<?> timeout = node.loop.schedule(() -> {
      if (watchers.remove(self[0])) slot.complete(Resp.bulk(node.stateText()));
    }, timeoutMs, TimeUnit.MILLISECONDS);
    self[0] = new Watcher(slot, seen, timeout);
    watchers.add(self[0]);
  }

  void check() {
    if (watchers.isEmpty()) return;
    String now = node.stateText();
    watchers.removeIf(w -> {
      if (w.seen.equals(now)) return false;
      w.timeout.cancel(false);
      w.slot.complete(Resp.bulk(now));
      return true;
    });
  }
}
