package kvs.server;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One command's whole declaration: what dispatch needs (name, arity, who may run it, handler) and
 * what {@code COMMAND INFO} and {@code COMMAND DOCS} report (Redis's command flags, the key
 * positions, a one-line summary). Both come from this one record, so they cannot drift apart.
 *
 * <p>Arity follows Redis: a positive number is exact, a negative one is a minimum, both counting
 * the command name. Key positions are Redis's first key, last key and step (0, 0, 0 for none; a
 * negative last key counts from the end, -1 being the last argument).
 *
 * <p>Declared with {@link #command}, e.g.
 * <pre>{@code
 * command("GET", 2, Access.AUTHENTICATED).flags(Flag.READONLY, Flag.FAST).keys(Keys.ONE)
 *     .summary("Gets a key's value.").handler(StringCommands::get)
 * }</pre>
 */
record CommandSpec(String name, int arity, Access access, List<Flag> flags, Keys keys,
    String summary, Handler handler) {

  /** Who may run a command. */
  enum Access { ANYONE, AUTHENTICATED, ADMIN }

  /**
   * Redis 7's command flags, as {@code COMMAND INFO} spells them. {@link #NO_AUTH} is spelt
   * {@code no-auth}, as this server has always reported it (Redis 7 itself says {@code no_auth}).
   */
  enum Flag {
    WRITE("write"), READONLY("readonly"), DENYOOM("denyoom"), MODULE("module"), ADMIN("admin"),
    PUBSUB("pubsub"), NOSCRIPT("noscript"), BLOCKING("blocking"), LOADING("loading"),
    STALE("stale"), SKIP_MONITOR("skip_monitor"), SKIP_SLOWLOG("skip_slowlog"),
    ASKING("asking"), FAST("fast"), NO_AUTH("no-auth"), MAY_REPLICATE("may_replicate"),
    NO_MANDATORY_KEYS("no_mandatory_keys"), NO_MULTI("no_multi"), MOVABLEKEYS("movablekeys"),
    ALLOW_BUSY("allow_busy");

    final String text;

    Flag(String text) {
      this.text = text;
    }
  }

  /** Where the keys are among the arguments: Redis's first key, last key and step. */
  record Keys(int first, int last, int step) {
    static final Keys NONE = new Keys(0, 0, 0);
    /** The one key right after the command name. */
    static final Keys ONE = new Keys(1, 1, 1);
    /** Every argument is a key. */
    static final Keys ALL = new Keys(1, -1, 1);
    /** Key, value, key, value, ... */
    static final Keys PAIRS = new Keys(1, -1, 2);
  }

  @FunctionalInterface
  interface Handler {
    void run(ConnectionHandler c, byte[][] args);
  }

  CommandSpec {
    flags = List.copyOf(flags);
  }

  static Builder command(String name, int arity, Access access) {
    return new Builder(name, arity, access);
  }

  /** Whether {@code args} (the name included) is a number of arguments the arity allows. */
  boolean arityAllows(int args) {
    return arity > 0 ? args == arity : args >= -arity;
  }

  /**
   * What is inconsistent in this declaration, empty when nothing is: a name dispatch cannot find
   * (not upper case), an arity of 0, key positions outside the arity, contradicting flags, flags
   * that contradict the access level, a missing summary or handler.
   */
  List<String> inconsistencies() {
    List<String> out = new ArrayList<>();
    if (name == null || name.isEmpty() || !name.equals(name.toUpperCase(Locale.ROOT))
        || !name.chars().allMatch(ch -> ch > ' ' && ch < 0x7f)) {
      out.add("the name must be upper-case printable ASCII");
    }
    if (arity == 0) out.add("arity 0: a command counts at least its own name");
    int minArgs = Math.abs(arity);
    if (keys == null) {
      out.add("no key positions (Keys.NONE when it takes no key)");
    } else if (keys.first() == 0) {
      if (keys.last() != 0 || keys.step() != 0) out.add("no first key, but a last key or step");
    } else {
      if (keys.first() < 0 || keys.first() >= minArgs) {
        out.add("first key " + keys.first() + " outside the arity " + arity);
      }
      if (keys.step() < 1) out.add("key step " + keys.step() + " below 1");
      int lastIndex = keys.last() < 0 ? minArgs + keys.last() : keys.last();
      if (keys.last() == 0 || lastIndex < keys.first()
          || (arity > 0 && keys.last() > 0 && keys.last() >= arity)) {
        out.add("last key " + keys.last() + " outside the arity " + arity + " or before the first");
      }
    }
    if (new HashSet<>(flags).size() != flags.size()) {
      out.add("a flag repeated");
    } else {
      if (flags.contains(Flag.WRITE) && flags.contains(Flag.READONLY)) {
        out.add("both write and readonly");
      }
      if (keys != null && keys.first() > 0 && !flags.contains(Flag.WRITE)
          && !flags.contains(Flag.READONLY)) {
        out.add("takes keys but is neither write nor readonly");
      }
      if (flags.contains(Flag.NO_AUTH) && access != Access.ANYONE) {
        out.add("flagged no-auth but needs " + access);
      }
      if (access == Access.ADMIN && !flags.contains(Flag.ADMIN)) {
        out.add("for cluster members only but not flagged admin");
      }
    }
    if (access == null) out.add("no access level");
    if (summary == null || summary.isBlank()) out.add("no summary");
    if (handler == null) out.add("no handler");
    return out;
  }

  /** Builds a declaration; {@link #handler} ends it. */
  static final class Builder {
    private final String name;
    private final int arity;
    private final Access access;
    private List<Flag> flags = List.of();
    private Keys keys = Keys.NONE;
    private String summary;

    private Builder(String name, int arity, Access access) {
      this.name = Objects.requireNonNull(name);
      this.arity = arity;
      this.access = access;
    }

    /** Redis's command flags, in the order COMMAND INFO lists them. */
    Builder flags(Flag... flags) {
      this.flags = List.of(flags);
      return this;
    }

    Builder keys(Keys keys) {
      this.keys = keys;
      return this;
    }

    Builder keys(int first, int last, int step) {
      return keys(new Keys(first, last, step));
    }

    /** COMMAND DOCS's one-line summary. */
    Builder summary(String summary) {
      this.summary = summary;
      return this;
    }

    CommandSpec handler(Handler handler) {
      return new CommandSpec(name, arity, access, flags, keys, summary, handler);
    }
  }
}
