package kvs.server;

import static kvs.server.CommandSpec.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import kvs.net.Resp3;
import kvs.server.CommandSpec.Access;
import kvs.server.CommandSpec.Flag;
import kvs.server.CommandSpec.Keys;
import org.junit.jupiter.api.Test;

/**
 * The command table: every declaration is consistent, and {@code COMMAND} reports exactly what
 * dispatch uses, since both come from the one declaration.
 */
class CommandsTest {
  /** Redis 7's command flags (and this server's spelling of no_auth, see {@link Flag}). */
  private static final Set<String> REDIS_FLAGS = Set.of("write", "readonly", "denyoom", "module",
      "admin", "pubsub", "noscript", "blocking", "loading", "stale", "skip_monitor",
      "skip_slowlog", "asking", "fast", "no-auth", "may_replicate", "no_mandatory_keys",
      "no_multi", "movablekeys", "allow_busy");

  private static final CommandSpec.Handler NOTHING = (c, a) -> { };

  /** Dispatch finds every command by its name in any case, as the table by upper case does. */
  @Test
  void lookupFindsEveryCommandInAnyCaseAndNothingElse() {
    assertThat(Commands.table()).isNotEmpty();
    for (CommandSpec spec : Commands.table().values()) {
      String name = spec.name();
      StringBuilder mixed = new StringBuilder();
      for (int i = 0; i < name.length(); i++) {
        char ch = name.charAt(i);
        mixed.append(i % 2 == 0 ? Character.toLowerCase(ch) : ch);
      }
      for (String asked : List.of(name, name.toLowerCase(Locale.ROOT), mixed.toString())) {
        assertThat(Commands.lookup(asked.getBytes(StandardCharsets.ISO_8859_1))).as(asked)
            .isSameAs(spec);
      }
      assertThat(Commands.lookup((name + "X").getBytes(StandardCharsets.ISO_8859_1))).isNull();
      assertThat(Commands.lookup(name.substring(1).getBytes(StandardCharsets.ISO_8859_1)))
          .as(name.substring(1)).isSameAs(Commands.table().get(name.substring(1)));
    }
    assertThat(Commands.lookup("g\u00e9t".getBytes(StandardCharsets.ISO_8859_1))).isNull();
    // Redis folds ASCII letters only; String.toUpperCase would turn this into SSCAN.
    assertThat(Commands.table()).containsKey("SSCAN");
    assertThat(Commands.lookup("\u00dfcan".getBytes(StandardCharsets.ISO_8859_1))).isNull();
    assertThat(Commands.lookup(new byte[0])).isNull();
  }

  private static RedisMessage commandReply(String... args) {
    byte[][] a = new byte[args.length][];
    for (int i = 0; i < args.length; i++) a[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return RedisCompat.command(a);
  }

  private static String text(RedisMessage m) {
    if (m instanceof FullBulkStringRedisMessage b) {
      return b.isNull() ? null : new String(ByteBufUtil.getBytes(b.content()), StandardCharsets.UTF_8);
    }
    return ((SimpleStringRedisMessage) m).content();
  }

  private static long integer(RedisMessage m) {
    return ((IntegerRedisMessage) m).value();
  }

  /** An array's items, a set's members, a map's keys and values (as RESP2 has them). */
  private static List<RedisMessage> items(RedisMessage m) {
    if (m instanceof Resp3.SetMessage set) return set.members();
    if (m instanceof Resp3.MapMessage map) return map.flat();
    return ((ArrayRedisMessage) m).children();
  }

  @Test
  void everyDeclarationIsConsistent() {
    assertThat(Commands.declared()).isNotEmpty();
    for (CommandSpec spec : Commands.declared()) {
      assertThat(spec.inconsistencies()).as(spec.name()).isEmpty();
      assertThat(spec.arity()).as(spec.name()).isNotZero();
      int minArgs = Math.abs(spec.arity());
      Keys k = spec.keys();
      if (k.first() == 0) {
        assertThat(List.of(k.last(), k.step())).as(spec.name()).containsOnly(0);
      } else {
        assertThat(k.first()).as(spec.name()).isBetween(1, minArgs - 1);
        assertThat(k.step()).as(spec.name()).isPositive();
        int last = k.last() < 0 ? minArgs + k.last() : k.last();
        assertThat(last).as(spec.name()).isGreaterThanOrEqualTo(k.first());
        if (spec.arity() > 0) assertThat(last).as(spec.name()).isLessThan(spec.arity());
      }
      for (Flag f : spec.flags()) assertThat(REDIS_FLAGS).as(spec.name()).contains(f.text);
      assertThat(spec.summary()).as(spec.name()).isNotBlank();
    }
  }

  @Test
  void namesAreUniqueAndEveryDeclarationIsDispatched() {
    Set<String> names = new HashSet<>();
    for (CommandSpec spec : Commands.declared()) {
      assertThat(names.add(spec.name())).as("declared once: " + spec.name()).isTrue();
      assertThat(Commands.table().get(spec.name())).isSameAs(spec);
    }
    assertThat(Commands.table()).hasSameSizeAs(Commands.declared());
  }

  @Test
  void commandCountIsTheNumberOfDeclarations() {
    assertThat(integer(commandReply("COMMAND", "COUNT"))).isEqualTo(Commands.declared().size());
    assertThat(items(commandReply("COMMAND", "LIST"))).hasSameSizeAs(Commands.declared());
    assertThat(items(commandReply("COMMAND"))).hasSameSizeAs(Commands.declared());
  }

  /** COMMAND INFO and DOCS say what the declaration says: none reports as cluster-internal by default. */
  @Test
  void commandInfoAndDocsReportTheDeclaration() {
    for (CommandSpec spec : Commands.declared()) {
      String name = spec.name().toLowerCase(Locale.ROOT);
      List<RedisMessage> info = items(items(commandReply("COMMAND", "INFO", name)).get(0));
      assertThat(info).as(name).hasSize(10);
      assertThat(text(info.get(0))).isEqualTo(name);
      assertThat(integer(info.get(1))).as(name).isEqualTo(spec.arity());
      List<String> flags = new ArrayList<>();
      for (RedisMessage f : items(info.get(2))) flags.add(text(f));
      assertThat(flags).as(name).containsExactlyElementsOf(
          spec.flags().stream().map(f -> f.text).toList());
      assertThat(List.of(integer(info.get(3)), integer(info.get(4)), integer(info.get(5))))
          .as(name).containsExactly((long) spec.keys().first(), (long) spec.keys().last(),
              (long) spec.keys().step());

      List<RedisMessage> docs = items(commandReply("COMMAND", "DOCS", name));
      assertThat(text(docs.get(0))).isEqualTo(name);
      assertThat(text(items(docs.get(1)).get(1))).as(name).isEqualTo(spec.summary());
    }
    assertThat(items(commandReply("COMMAND", "INFO", "nosuch")).get(0))
        .isSameAs(FullBulkStringRedisMessage.NULL_INSTANCE);
  }

  @Test
  void theChecksCatchInconsistentDeclarations() {
    assertThat(command("GET", 0, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("arity 0"));
    assertThat(command("GET", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(2, 2, 1)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("first key"));
    assertThat(command("MSET", -3, Access.AUTHENTICATED).flags(Flag.WRITE).keys(1, -5, 2)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("last key"));
    assertThat(command("GET", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(1, 1, 0)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("step"));
    assertThat(command("GET", 2, Access.AUTHENTICATED).keys(Keys.ONE)
        .summary("s").handler(NOTHING).inconsistencies())
        .anyMatch(s -> s.contains("neither write nor readonly"));
    assertThat(command("get", 2, Access.AUTHENTICATED).flags(Flag.READONLY).keys(Keys.ONE)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("upper-case"));
    assertThat(command("X", 1, Access.AUTHENTICATED).flags(Flag.NO_AUTH)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("no-auth"));
    assertThat(command("X", 1, Access.ADMIN).flags(Flag.FAST)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("admin"));
    assertThat(command("X", 1, Access.AUTHENTICATED).flags(Flag.WRITE, Flag.READONLY)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("both"));
    assertThat(command("X", 1, Access.AUTHENTICATED).flags(Flag.FAST, Flag.FAST)
        .summary("s").handler(NOTHING).inconsistencies()).anyMatch(s -> s.contains("repeated"));
    assertThat(command("X", 1, Access.AUTHENTICATED).handler(NOTHING).inconsistencies())
        .anyMatch(s -> s.contains("summary"));
    assertThat(command("X", 1, Access.AUTHENTICATED).summary("s").handler(null)
        .inconsistencies()).anyMatch(s -> s.contains("handler"));
  }

  @Test
  void arityIsExactWhenPositiveAndAMinimumWhenNegative() {
    CommandSpec exact = command("X", 2, Access.ANYONE).summary("s").handler(NOTHING);
    assertThat(exact.arityAllows(2)).isTrue();
    assertThat(exact.arityAllows(1)).isFalse();
    assertThat(exact.arityAllows(3)).isFalse();
    CommandSpec atLeast = command("X", -2, Access.ANYONE).summary("s").handler(NOTHING);
    assertThat(atLeast.arityAllows(1)).isFalse();
    assertThat(atLeast.arityAllows(2)).isTrue();
    assertThat(atLeast.arityAllows(9)).isTrue();
  }
}
