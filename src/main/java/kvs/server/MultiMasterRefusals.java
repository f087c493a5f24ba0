package kvs.server;

import static kvs.server.CommandSpec.command;

import java.util.List;
import kvs.net.Resp;
import kvs.server.CommandSpec.Access;

/**
 * Redis commands that have no meaning in a multi-master store, each refused with an error that
 * says why and what to use instead (SPEC section 6), rather than Redis's "unknown command",
 * which would suggest a missing feature, or a silent partial effect. Nothing is changed by them.
 */
final class MultiMasterRefusals {
  private MultiMasterRefusals() {}

  private static final String MASTERS = "every kvs server is a master that replicates with its"
      + " peers both ways; servers are linked when they start (--peer) or by the master";
  private static final String OWN_PROTOCOL = "kvs servers replicate with their own protocol,"
      + " not Redis's";
  private static final String NOT_CLUSTER = "kvs is not Redis Cluster: every server holds every"
      + " key and takes reads and writes, so connect to any server in standalone mode";
  private static final String ONE_DATABASE = "kvs has one database (SELECT 0)";
  private static final String LOGGED = "every write is in RocksDB's log before it is"
      + " acknowledged; for a copy of the data, use kvs backup";

  /** Each command and why it has no meaning here. */
  private static final List<String[]> REFUSED = List.of(
      new String[] {"REPLICAOF", MASTERS},
      new String[] {"SLAVEOF", MASTERS},
      new String[] {"SYNC", OWN_PROTOCOL},
      new String[] {"PSYNC", OWN_PROTOCOL},
      new String[] {"FAILOVER", "every kvs server takes writes: there is no primary to fail over"},
      new String[] {"WAIT", "replication is asynchronous and multi-master; for read-your-writes"
          + " on another server, carry the session with KVS.SESSION"},
      new String[] {"CLUSTER", NOT_CLUSTER},
      new String[] {"READONLY", NOT_CLUSTER},
      new String[] {"READWRITE", NOT_CLUSTER},
      new String[] {"SWAPDB", ONE_DATABASE},
      new String[] {"MOVE", ONE_DATABASE},
      new String[] {"SAVE", LOGGED},
      new String[] {"BGSAVE", LOGGED},
      new String[] {"BGREWRITEAOF", "kvs has no append-only file: RocksDB's log and compaction"
          + " take its place"});

  static List<CommandSpec> declarations() {
    return REFUSED.stream().map(r -> command(r[0], -1, Access.AUTHENTICATED)
        .summary("Refused: " + r[1] + ".")
        .handler((c, a) -> c.replies.add(Resp.error(refusal(r[0], r[1]))))).toList();
  }

  static String refusal(String name, String why) {
    return "ERR " + name + " has no meaning in kvs, a multi-master store: " + why;
  }
}
