package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.storage.Backup;

/**
 * {@code KVS.BACKUP dir}: a consistent backup of this server's store, taken while it serves
 * ({@code ./kvs backup}, docs/deployment.md). Admin connections only (the cluster secret).
 * {@code dir} is a path on the server's own machine: absolute, outside the data directory, not
 * existing or empty. The reply is the backup's manifest.
 *
 * <p>The event loop writes the log buffer first, so the checkpoint holds every write
 * acknowledged before the command; the checkpoint itself (a memtable flush, hard links, a copy of
 * the live log) runs on a thread of its own while the loop goes on serving, and its reply comes
 * back to the loop. One backup at a time per server.
 */
final class BackupCommands {
  private BackupCommands() {}

  /** The nodes taking a backup now. */
  private static final Set<Node> RUNNING =
      Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

  static List<CommandSpec> declarations() {
    return List.of(
        // KVS.BACKUP dir
        command("KVS.BACKUP", 2, Access.ADMIN).flags(Flag.ADMIN, Flag.NOSCRIPT)
            .summary("Writes a consistent backup of this server's data into a directory of the"
                + " server's machine; needs the cluster secret.")
            .handler(BackupCommands::backup),
        // KVS.COMPACT
        command("KVS.COMPACT", 1, Access.ADMIN).flags(Flag.ADMIN, Flag.NOSCRIPT)
            .summary("Compacts this server's store (RocksDB: memtables flushed, every column"
                + " family compacted), off the event loop; needs the cluster secret.")
            .handler(BackupCommands::compact));
  }

  /**
   * {@code KVS.COMPACT}: a full compaction of the store on a thread of its own (as a backup runs;
   * one of the two at a time), so that space freed by deletes and collection is given back now
   * rather than when RocksDB gets to it; {@code +OK} when done. The benchmarks measure the disk
   * after it (docs/performance.md). A storage failure stops the server, as on every path.
   */
  private static void compact(ConnectionHandler c, byte[][] a) {
    Node node = c.node;
    if (!RUNNING.add(node)) {
      c.replies.add(Resp.error("ERR a backup or compaction of this server is already running"));
      return;
    }
    node.store.flushWal();
    aside(c, "compact", () -> {
      try {
        node.store.compact();
        return Resp.OK;
      } catch (RuntimeException e) {
        return Resp.error("ERR compaction failed: " + e.getMessage());
      }
    });
  }

  private static void backup(ConnectionHandler c, byte[][] a) {
    Node node = c.node;
    Path target;
    try {
      target = Path.of(new String(a[1], StandardCharsets.UTF_8));
    } catch (InvalidPathException e) {
      c.replies.add(Resp.error("ERR bad backup directory: " + e.getMessage()));
      return;
    }
    String problem = Backup.targetProblem(target, node.config.dataDir());
    if (problem != null) {
      c.replies.add(Resp.error("ERR " + problem));
      return;
    }
    if (!RUNNING.add(node)) {
      c.replies.add(Resp.error("ERR a backup of this server is already running"));
      return;
    }
    // Every acknowledged write is in the log file already (LogBarrier); this writes whatever
    // this loop turn committed too, so the checkpoint holds all of it.
    node.store.flushWal();
    aside(c, "backup", () -> {
      try {
        Backup.Manifest m = Backup.create(node.store, node.config.dataDir(), node.config.id(),
            target);
        return Resp.bulk(m.text());
      } catch (Backup.BackupException e) {
        return Resp.error("ERR " + e.getMessage());
      } catch (RuntimeException e) {
        return Resp.error("ERR backup failed: " + e);
      }
    });
  }

  /**
   * Runs {@code work} on a thread of its own (named {@code name}) while the event loop goes on,
   * and answers its reply in this connection's order once done; the server counts as busy with
   * it ({@link #RUNNING}, which the caller has taken) until then.
   */
  private static void aside(ConnectionHandler c, String name,
      java.util.function.Supplier<RedisMessage> work) {
    Node node = c.node;
    ReplyQueue.Slot slot = c.replies.defer();
    Thread t = new Thread(() -> {
      RedisMessage reply;
      try {
        reply = work.get();
      } finally {
        synchronized (RUNNING) {
          RUNNING.remove(node);
          RUNNING.notifyAll();
        }
      }
      try {
        node.loop.execute(() -> slot.complete(reply));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // the server is stopping: nobody waits for the reply
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  /** Waits (up to {@code ms}) for a backup of {@code node} to end, before its store closes. */
  static void awaitNone(Node node, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    synchronized (RUNNING) {
      while (RUNNING.contains(node)) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) return;
        try {
          RUNNING.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
