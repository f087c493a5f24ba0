package kvs.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kvs.net.Resp;

/**
 * The command table: every family's declarations ({@link CommandSpec}), and dispatch. A family is
 * a class of related commands that lists its own declarations; a new family (RESP3,
 * transactions, expiry, a data type) is one more entry in {@link #FAMILIES} and touches no other.
 * {@code COMMAND} reports from the same declarations that dispatch uses.
 *
 * <p>What the Redis tools send was checked against this table (redis-cli 7.0 one-shot and
 * interactive, redis-benchmark {@code -t set,get,mset}, Jedis 5, Lettuce 7): redis-cli's start-up
 * {@code COMMAND DOCS}, redis-benchmark's {@code CONFIG GET save} and {@code CONFIG GET
 * appendonly}, Jedis's and Lettuce's {@code CLIENT SETINFO}, Lettuce's, node-redis's and
 * ioredis's {@code HELLO 3} (which switches the connection to RESP3). Any other command gets
 * Redis's own {@code ERR unknown command} reply.
 */
final class Commands {
  private Commands() {}

  /** Every family, in the order their commands are entered in the table. */
  private static final List<List<CommandSpec>> FAMILIES = List.of(
      ConnectionCommands.declarations(),
      StringCommands.declarations(),
      KeyCommands.declarations(),
      ExpiryCommands.declarations(),
      SessionCommands.declarations(),
      AdminCommands.declarations(),
      BackupCommands.declarations(),
      StringEditCommands.declarations(),
      KeyspaceCommands.declarations(),
      CounterCommands.declarations(),
      HashCommands.declarations(),
      SetCommands.declarations(),
      ZSetCommands.declarations(),
      ServerInfoCommands.declarations(),
      TransactionCommands.declarations(),
      MultiMasterRefusals.declarations());

  /** Every declaration, family by family, in declaration order. */
  private static final List<CommandSpec> DECLARED;

  /**
   * By upper-case name. COMMAND, COMMAND INFO, DOCS and LIST list the commands in this map's
   * order (a HashMap's, as always: what they answered before families were split is unchanged).
   */
  private static final Map<String, CommandSpec> TABLE;

  /**
   * {@link #TABLE} again, for {@link #lookup}: open addressing by the name's case-folded bytes,
   * at most a quarter full, {@code NAMES[i]} the upper-case name of {@code BY_NAME[i]}.
   */
  private static final CommandSpec[] BY_NAME;
  private static final byte[][] NAMES;

  static {
    List<CommandSpec> declared = new ArrayList<>();
    Map<String, CommandSpec> table = new HashMap<>();
    for (List<CommandSpec> family : FAMILIES) {
      for (CommandSpec spec : family) {
        List<String> wrong = spec.inconsistencies();
        if (!wrong.isEmpty()) {
          throw new IllegalStateException("command " + spec.name() + ": " + wrong);
        }
        if (table.put(spec.name(), spec) != null) {
          throw new IllegalStateException("command " + spec.name() + " declared twice");
        }
        declared.add(spec);
      }
    }
    DECLARED = List.copyOf(declared);
    TABLE = Collections.unmodifiableMap(table);
    int length = Integer.highestOneBit(table.size() * 4);
    BY_NAME = new CommandSpec[length];
    NAMES = new byte[length][];
    for (CommandSpec spec : table.values()) {
      byte[] name = Resp.bytes(spec.name());
      int i = foldedHash(name) & (length - 1);
      while (BY_NAME[i] != null) i = (i + 1) & (length - 1);
      BY_NAME[i] = spec;
      NAMES[i] = name;
    }
  }

  /**
   * The command named by {@code name} in any case, or null: {@code TABLE.get} of the name in
   * upper case, without making a string of every command's name (3-4% of a GET's CPU,
   * docs/performance.md). Only ASCII letters fold, as Redis folds them; the upper-casing of a
   * string used before also turned {@code ß} (0xDF) into "SS", so that {@code ßcan} ran SSCAN.
   */
  static CommandSpec lookup(byte[] name) {
    int mask = BY_NAME.length - 1;
    for (int i = foldedHash(name) & mask; BY_NAME[i] != null; i = (i + 1) & mask) {
      if (equalsFolded(name, NAMES[i])) return BY_NAME[i];
    }
    return null;
  }

  private static int foldedHash(byte[] b) {
    int h = 0;
    for (byte x : b) h = 31 * h + upper(x);
    return h ^ (h >>> 16);
  }

  private static boolean equalsFolded(byte[] b, byte[] upperCase) {
    if (b.length != upperCase.length) return false;
    for (int i = 0; i < b.length; i++) {
      if (upper(b[i]) != upperCase[i]) return false;
    }
    return true;
  }

  private static byte upper(byte x) {
    return x >= 'a' && x <= 'z' ? (byte) (x - ('a' - 'A')) : x;
  }

  /** By upper-case name, in the order COMMAND lists them. */
  static Map<String, CommandSpec> table() {
    return TABLE;
  }

  /** Every declaration, family by family. */
  static List<CommandSpec> declared() {
    return DECLARED;
  }

  static void dispatch(ConnectionHandler c, byte[][] args) {
    CommandSpec spec = lookup(args[0]);
    String name = spec != null ? spec.name() : Resp.ascii(args[0]).toUpperCase(Locale.ROOT);
    String refusal = refusal(c, spec, name, args);
    boolean inMulti = c.transaction.inMulti();
    if (refusal != null) {
      c.node.metrics.commandRefused(spec == null ? null : spec.name());
      // Inside MULTI a refused command dooms the transaction (EXEC answers EXECABORT).
      if (inMulti) {
        TransactionCommands.refuse(c, refusal);
      } else {
        c.replies.add(Resp.error(refusal));
      }
      return;
    }
    if (namesReservedKey(spec, args)) {
      c.node.metrics.commandRefused(spec.name());
      // Refused while queuing too: EXEC runs its queue without this check.
      if (inMulti && !TransactionCommands.runsInsideMulti(name)) {
        TransactionCommands.refuse(c, RESERVED_KEY);
      } else {
        c.replies.add(Resp.error(RESERVED_KEY));
      }
      return;
    }
    if (inMulti && !TransactionCommands.runsInsideMulti(name)) {
      if (!TransactionCommands.queueable(spec)) {
        TransactionCommands.refuse(c, "ERR Command not allowed inside a transaction");
      } else {
        TransactionCommands.queue(c, spec, args);
      }
      return;
    }
    c.node.replica.now(c.node.clock.millis()); // the time expiry is read against (Replica.now)
    run(c, spec, args);
  }

  /** Why {@code spec} may not run for this connection, or null when it may. */
  private static String refusal(ConnectionHandler c, CommandSpec spec, String name,
      byte[][] args) {
    if (spec == null) return unknownCommand(args);
    if (!spec.arityAllows(args.length)) return CommandSupport.wrongArity(name);
    if (spec.access() != CommandSpec.Access.ANYONE && !c.authenticated) {
      return "NOAUTH Authentication required.";
    }
    if (spec.access() == CommandSpec.Access.ADMIN && !c.admin) {
      return "NOPERM this command is for cluster members; use KVS.ADMIN";
    }
    return null;
  }

  /** Runs a command that passed dispatch's checks (EXEC runs its queue through this too). */
  static void run(ConnectionHandler c, CommandSpec spec, byte[][] args) {
    long start = c.node.stats.commandStarting(c, spec.name(), args);
    long errorsBefore = c.replies.errors;
    spec.handler().run(c, args);
    long elapsed = System.nanoTime() - start; // one clock read for the slow log and the metrics
    c.node.stats.commandDone(c, args, elapsed);
    c.node.metrics.commandDone(spec.name(), elapsed, c.replies.errors != errorsBefore);
  }

  static final String RESERVED_KEY = "ERR keys beginning with byte 0xFF are reserved (they name"
      + " the elements of counters and hashes)";

  /**
   * True when an argument at one of the command's key positions begins with byte 0xFF: such
   * storage keys hold the elements of typed values ({@code kvs.core.Elements}), which no client
   * may read or write as keys of their own.
   */
  private static boolean namesReservedKey(CommandSpec spec, byte[][] args) {
    CommandSpec.Keys k = spec.keys();
    if (k.first() == 0) return false;
    int last = k.last() < 0 ? args.length + k.last() : Math.min(k.last(), args.length - 1);
    for (int i = k.first(); i <= last; i += k.step()) {
      if (kvs.core.Elements.isElementKey(args[i])) return true;
    }
    return false;
  }

  private static String unknownCommand(byte[][] args) {
    StringBuilder sb = new StringBuilder("ERR unknown command '")
        .append(CommandSupport.printable(args[0])).append("', with args beginning with: ");
    for (int i = 1; i < Math.min(args.length, 4); i++) {
      sb.append('\'').append(CommandSupport.printable(args[i])).append("' ");
    }
    return sb.toString();
  }
}
