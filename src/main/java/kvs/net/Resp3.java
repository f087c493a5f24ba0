package kvs.net;

import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;

/**
 * The reply types whose RESP3 shape differs from RESP2's, as protocol-neutral messages: a
 * handler builds them whatever the connection speaks, and {@link RespEncoder} writes each in the
 * shape of the connection's protocol, as Redis 7 does.
 *
 * <table>
 * <caption>How each is written</caption>
 * <tr><th>message</th><th>RESP2</th><th>RESP3</th></tr>
 * <tr><td>{@link MapMessage}</td><td>{@code *2n} key, value, ...</td><td>{@code %n}</td></tr>
 * <tr><td>{@link SetMessage}</td><td>{@code *n}</td><td>{@code ~n}</td></tr>
 * <tr><td>{@link DoubleMessage}</td><td>bulk string ({@code %.17g})</td><td>{@code ,1.5}</td></tr>
 * <tr><td>{@link BooleanMessage}</td><td>{@code :1} / {@code :0}</td><td>{@code #t} /
 *     {@code #f}</td></tr>
 * <tr><td>{@link VerbatimMessage}</td><td>bulk string</td><td>{@code =len txt:...}</td></tr>
 * <tr><td>null bulk string or array ({@link Resp#NIL})</td><td>{@code $-1} / {@code *-1}</td>
 *     <td>{@code _}</td></tr>
 * </table>
 */
public final class Resp3 {
  private Resp3() {}

  /** A map: keys and values alternate in {@link #flat}, so RESP2's flat array is the same list. */
  public static final class MapMessage extends AbstractReferenceCounted implements RedisMessage {
    private final List<RedisMessage> flat;

    public MapMessage(List<RedisMessage> flat) {
      if (flat.size() % 2 != 0) throw new IllegalArgumentException("a map needs key-value pairs");
      this.flat = flat;
    }

    /** Key, value, key, value, ... */
    public List<RedisMessage> flat() {
      return flat;
    }

    @Override
    protected void deallocate() {
      for (RedisMessage m : flat) ReferenceCountUtil.release(m);
    }

    @Override
    public ReferenceCounted touch(Object hint) {
      for (RedisMessage m : flat) ReferenceCountUtil.touch(m, hint);
      return this;
    }
  }

  /** A set of distinct members (an array in RESP2). */
  public static final class SetMessage extends AbstractReferenceCounted implements RedisMessage {
    private final List<RedisMessage> members;

    public SetMessage(List<RedisMessage> members) {
      this.members = members;
    }

    public List<RedisMessage> members() {
      return members;
    }

    @Override
    protected void deallocate() {
      for (RedisMessage m : members) ReferenceCountUtil.release(m);
    }

    @Override
    public ReferenceCounted touch(Object hint) {
      for (RedisMessage m : members) ReferenceCountUtil.touch(m, hint);
      return this;
    }
  }

  /** A floating-point number; RESP2 has it as a bulk string. */
  public record DoubleMessage(double value) implements RedisMessage {
    /** As Redis 7.0 prints a double: {@code %.17g}, and {@code inf}, {@code -inf}, {@code nan}. */
    public String text() {
      return format(value);
    }
  }

  /** True or false; RESP2 has it as the integer 1 or 0. */
  public record BooleanMessage(boolean value) implements RedisMessage {
    public static final BooleanMessage TRUE = new BooleanMessage(true);
    public static final BooleanMessage FALSE = new BooleanMessage(false);
  }

  /**
   * Text meant for people ({@code INFO}, {@code CLIENT LIST}) with its three-letter format
   * ({@code txt}, {@code mkd}); RESP2 has it as a bulk string of the text alone.
   */
  public record VerbatimMessage(String format, byte[] content) implements RedisMessage {
    public VerbatimMessage {
      if (format.length() != 3) throw new IllegalArgumentException("a format has 3 letters");
    }
  }

  /**
   * A reply to a connection that speaks RESP3 (after {@code HELLO 3}): {@link RespEncoder} writes
   * {@link #reply} the RESP3 way. Replies are marked when they are made, so that a reply made
   * before {@code HELLO 3} and written after it (it waited for an fsync) keeps its protocol.
   */
  public record InResp3(RedisMessage reply) implements RedisMessage {}

  /**
   * C's {@code printf("%.17g", d)}, which Redis 7.0 uses for doubles: 17 significant digits,
   * trailing zeros dropped, an exponent when it is below -4 or at least 17.
   */
  static String format(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0" : "0";
    BigDecimal b = new BigDecimal(d).round(new MathContext(17, RoundingMode.HALF_EVEN));
    int exponent = b.precision() - b.scale() - 1; // of the first significant digit
    if (exponent < -4 || exponent >= 17) {
      BigDecimal mantissa = b.movePointLeft(exponent).stripTrailingZeros();
      String m = mantissa.scale() <= 0 ? mantissa.toBigInteger().toString()
          : mantissa.toPlainString();
      String e = Integer.toString(Math.abs(exponent));
      return m + "e" + (exponent < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }
    BigDecimal plain = b.stripTrailingZeros();
    return plain.scale() <= 0 ? plain.toBigInteger().toString() : plain.toPlainString();
  }
}
