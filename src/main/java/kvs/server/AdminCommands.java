package kvs.server;

import static kvs.server.CommandSpec.command;

import io.netty.handler.codec.redis.RedisMessage;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import kvs.core.CorruptDataException;
import kvs.core.Origins;
import kvs.core.VersionVector;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;

/**
 * The cluster's own commands, for its members (docs/internal-protocol.md): KVS.ADMIN and KVS.PEER
 * present the cluster secret; the others need an admin connection.
 */
final class AdminCommands {
  private static final String SUMMARY = "Cluster-internal; needs the cluster secret.";

  private AdminCommands() {}

  /** A cluster-internal command: flagged admin and noscript, no keys. */
  private static CommandSpec.Builder internal(String name, int arity, Access access) {
    return command(name, arity, access).flags(Flag.ADMIN, Flag.NOSCRIPT).summary(SUMMARY);
  }

  static List<CommandSpec> declarations() {
    return List.of(
        // KVS.ADMIN secret: makes this an admin connection of the cluster's master or operator
        internal("KVS.ADMIN", 2, Access.ANYONE).handler(AdminCommands::admin),
        // KVS.PEER secret serverId origin vv protocol clock: a peer dialling in (see PeerLink)
        internal("KVS.PEER", -5, Access.ANYONE).handler(AdminCommands::peer),
        // KVS.LINK.BLOCK peerId
        internal("KVS.LINK.BLOCK", 2, Access.ADMIN).handler(AdminCommands::linkBlock),
        // KVS.LINK.UNBLOCK peerId
        internal("KVS.LINK.UNBLOCK", 2, Access.ADMIN).handler(AdminCommands::linkUnblock),
        // KVS.LINK.CONNECT peerId host port
        internal("KVS.LINK.CONNECT", 4, Access.ADMIN).handler(AdminCommands::linkConnect),
        // KVS.STATE
        internal("KVS.STATE", 1, Access.ADMIN)
            .handler((c, a) -> c.replies.add(Resp.bulk(c.node.stateText()))),
        // KVS.AWAIT state timeoutMs
        internal("KVS.AWAIT", 3, Access.ADMIN).handler(AdminCommands::await),
        // KVS.DUMP count [fromKey]
        internal("KVS.DUMP", -2, Access.ADMIN).handler(AdminCommands::dump),
        // KVS.RETIRE serverId | serverId.incarnationHex (docs/deployment.md, Retiring a server)
        internal("KVS.RETIRE", 2, Access.ADMIN).handler(AdminCommands::retire),
        // KVS.STABILITY: what this server knows of the cluster's stability (Collector)
        internal("KVS.STABILITY", 1, Access.ADMIN)
            .handler((c, a) -> c.replies.add(Resp.bulk(c.node.collector.describe()))));
  }

  /**
   * {@code KVS.RETIRE 3} retires server 3 for good; {@code KVS.RETIRE 3.1a2b3c4d} retires that
   * dead incarnation of server 3 (as vectors print origins). Anything else is refused and
   * changes nothing.
   */
  private static void retire(ConnectionHandler c, byte[][] a) {
    String text = Resp.ascii(a[1]);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d{1,10})(?:\\.([0-9a-f]{1,8}))?").matcher(text);
    long id;
    if (!m.matches() || (id = Long.parseLong(m.group(1))) > Integer.MAX_VALUE) {
      c.replies.add(Resp.error("ERR KVS.RETIRE wants a server id (3) or an incarnation as"
          + " vectors print it (3.1a2b3c4d), got '" + text + "'"));
      return;
    }
    String error = m.group(2) == null ? c.node.collector.retire(id, false)
        : c.node.collector.retire(
            kvs.core.Origins.of((int) id, Integer.parseUnsignedInt(m.group(2), 16)), true);
    c.replies.add(error == null ? Resp.OK : Resp.error(error));
  }

  private static void admin(ConnectionHandler c, byte[][] a) {
    if (CommandSupport.secretMatches(a[1], c.node.config.secret())) {
      c.admin = true;
      c.authenticated = true;
      c.replies.add(Resp.OK);
    } else {
      c.replies.add(Resp.error("ERR wrong cluster secret"));
    }
  }

  private static void peer(ConnectionHandler c, byte[][] a) {
    if (!CommandSupport.secretMatches(a[1], c.node.config.secret())) {
      c.replies.add(Resp.error("ERR wrong cluster secret"));
      c.replies.flush();
      c.ctx.close();
      return;
    }
    if (a.length != 7 || !PeerLink.PROTOCOL.equals(Resp.ascii(a[5]))) {
      // A build before peer protocol 2 sends no version: it would drop every KVS.STABLE message.
      c.replies.add(Resp.error("ERR peer protocol " + (a.length >= 6 ? Resp.ascii(a[5]) : "1")
          + ": this server speaks peer protocol " + PeerLink.PROTOCOL
          + " (tombstone collection); run one build across the cluster"));
      c.replies.flush();
      c.ctx.close();
      return;
    }
    int peerId = CommandSupport.parseInt(a[2], 0, Integer.MAX_VALUE);
    long peerOrigin = -1;
    VersionVector peerHas = null;
    long peerClock = -1;
    try {
      peerOrigin = Long.parseLong(Resp.ascii(a[3]));
      peerHas = VersionVector.decode(a[4]);
      peerClock = Long.parseLong(Resp.ascii(a[6]));
    } catch (CorruptDataException | NumberFormatException e) {
      peerId = Integer.MIN_VALUE;
    }
    if (peerOrigin < 0 || Origins.serverId(peerOrigin) != peerId || peerClock < 0) {
      peerId = Integer.MIN_VALUE;
    }
    if (peerId == Integer.MIN_VALUE || peerId == c.node.config.id()) {
      c.replies.add(Resp.error("ERR bad peer handshake"));
    } else if (c.node.links.isBlocked(peerId)) {
      c.replies.add(Resp.error("ERR link to server " + peerId + " is blocked"));
    } else if (c.node.collector.refusal(peerId) != null) {
      c.replies.add(Resp.error("ERR " + c.node.collector.refusal(peerId)));
    } else {
      c.replies.flush();
      c.node.replica.observeClock(peerClock); // before anything of the link: see observeClock
      PeerLink.accept(c.node, c.ctx, peerId, peerOrigin, peerHas);
    }
  }

  private static void linkBlock(ConnectionHandler c, byte[][] a) {
    int peer = CommandSupport.parseInt(a[1], 0, Integer.MAX_VALUE);
    if (peer < 0) {
      c.replies.add(Resp.error("ERR bad server id"));
      return;
    }
    ReplyQueue.Slot slot = c.replies.defer();
    c.node.links.block(peer).addListener(f -> slot.complete(Resp.OK));
  }

  private static void linkUnblock(ConnectionHandler c, byte[][] a) {
    int peer = CommandSupport.parseInt(a[1], 0, Integer.MAX_VALUE);
    if (peer < 0) {
      c.replies.add(Resp.error("ERR bad server id"));
      return;
    }
    c.node.links.unblock(peer);
    c.replies.add(Resp.OK);
  }

  private static void linkConnect(ConnectionHandler c, byte[][] a) {
    int peer = CommandSupport.parseInt(a[1], 0, Integer.MAX_VALUE);
    int port = CommandSupport.parseInt(a[3], 1, 65535);
    if (peer < 0 || port < 0) {
      c.replies.add(Resp.error("ERR bad server id or port"));
      return;
    }
    ReplyQueue.Slot slot = c.replies.defer();
    c.node.links.connect(peer, InetSocketAddress.createUnresolved(Resp.ascii(a[2]), port))
        .addListener(f -> slot.complete(f.isSuccess() ? Resp.OK
            : Resp.error("ERR cannot link to server " + peer + ": "
                + (f.cause() == null ? "unknown" : f.cause().getMessage()))));
  }

  private static void await(ConnectionHandler c, byte[][] a) {
    int timeout = CommandSupport.parseInt(a[2], 0, 600_000);
    if (timeout < 0) {
      c.replies.add(Resp.error("ERR bad timeout"));
      return;
    }
    c.node.watchers.await(c.replies.defer(), Resp.ascii(a[1]), timeout);
  }

  /** Entries one KVS.DUMP page may examine, tombstones included. */
  static final int DUMP_COUNT_MAX = 10_000;
  /** Key and value bytes after which a page ends (it holds at least one entry). */
  static final int DUMP_PAGE_BYTES = 1 << 20;

  /**
   * KVS.DUMP count [fromKey]: one page of the live entries, from {@code fromKey} (inclusive; the
   * first key without it) in key order. A page examines at most {@code count} entries and stops
   * after about {@link #DUMP_PAGE_BYTES} of keys and values, so a dump of any store costs the
   * loop one bounded slice per call, other clients run between the calls, and neither side holds
   * the whole store. Reply: {@code [next, [key1, value1, ...]]}, where {@code next} is the key to
   * ask from next, nil at the end. As with SCAN, a key present for the whole dump is in it once.
   */
  private static void dump(ConnectionHandler c, byte[][] a) {
    int count = CommandSupport.parseInt(a[1], 1, DUMP_COUNT_MAX);
    if (count < 0) {
      c.replies.add(Resp.error("ERR count must be an integer from 1 to " + DUMP_COUNT_MAX));
      return;
    }
    if (a.length > 3) {
      c.replies.add(Resp.error("ERR syntax error: KVS.DUMP count [fromKey]"));
      return;
    }
    byte[] from = a.length == 3 ? a[2] : null;
    List<RedisMessage> pairs = new ArrayList<>();
    int[] examined = {0};
    long[] bytes = {0};
    byte[][] next = {null};
    c.node.store.forEachFrom(from, e -> {
      // Element keys (kvs.core.Elements) sort after every user key: the dump ends at the first.
      if (kvs.core.Elements.isElementKey(e.key())) return false;
      if (examined[0] == count || bytes[0] >= DUMP_PAGE_BYTES) {
        next[0] = e.key();
        return false;
      }
      examined[0]++;
      kvs.core.Entry shown = c.node.replica.shownAt(e); // a counter's number; null: absent
      if (shown != null) {
        // printStore's KEY:VALUE: a hash as {field=value, ...} (HashCommands.printable)
        byte[] value = shown.kind() == kvs.core.Entry.KIND_HASH
            ? HashCommands.printable(c, e.key())
            : shown.kind() == kvs.core.Entry.KIND_SET ? SetCommands.printable(c, e.key())
            : shown.kind() == kvs.core.Entry.KIND_ZSET ? ZSetCommands.printable(c, e.key())
            : shown.value();
        pairs.add(Resp.bulk(e.key()));
        pairs.add(Resp.bulk(value));
        bytes[0] += e.key().length + value.length;
      }
      return true;
    });
    c.replies.add(Resp.array(List.of(next[0] == null ? Resp.NIL : Resp.bulk(next[0]),
        Resp.array(pairs))));
  }
}
