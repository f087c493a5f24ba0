package kvs.cli;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import kvs.process.LineReader;
import kvs.net.ProtocolException;
import kvs.net.Resp;
import kvs.net.RespStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvs cli}: a small redis-cli for people without redis-tools. With a command it sends
 * that one command and prints the reply; without one it reads commands line by line (with a
 * prompt on a terminal) and prints each reply, formatted as redis-cli formats them. Arguments on a
 * line are split as redis-cli splits them: spaces separate, and "double quotes" (with \n, \xHH,
 * ... escapes) or 'single quotes' keep spaces in one argument.
 *
 * <p>It speaks RESP2 over a plain socket, through netty-codec-redis as the server does
 * ({@link RespStream}), and knows no command: whatever the server accepts works, including the
 * session commands ({@code KVS.SESSION}).
 */
@Command(name = "cli",
    description = {
      "A redis-cli-like shell. With COMMAND, sends it and prints the reply; without, reads"
          + " commands one a line (interactive on a terminal; 'quit' or Ctrl-D ends).",
      "Replies are shown as redis-cli shows them: quoted and typed on a terminal, raw otherwise."
          + " The exit status is 1 if a command got an error reply or the server was unreachable,"
          + " except in interactive use."
    })
public final class CliCommand implements Callable<Integer> {
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  @Option(names = "-h", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Server host (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "-p", paramLabel = "PORT", defaultValue = "7000",
      description = "Server port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "-a", paramLabel = "PASSWORD",
      description = "Password to AUTH with (or the REDISCLI_AUTH environment variable).")
  String password;

  @Option(names = "--user", paramLabel = "USER", description = "User name for AUTH.")
  String user;

  @Option(names = "--raw", description = "Print replies raw, even on a terminal.")
  boolean raw;

  @Option(names = "--no-raw", description = "Print replies formatted, even when not on a terminal.")
  boolean noRaw;

  /** --tls, --cacert, --cert, --key: as kvs status and kvs backup take them. */
  @picocli.CommandLine.Mixin ClientTlsOptions tls = new ClientTlsOptions();

  @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Parameters(arity = "0..*", paramLabel = "COMMAND",
      description = "A command and its arguments, e.g. SET greeting hello.")
  List<String> command = new ArrayList<>();

  private Socket socket;
  private RespStream resp;

  @Override
  public Integer call() throws IOException {
    if (port < 1 || port > 65535) {
      System.err.println("kvs cli: -p must be in 1..65535, got " + port);
      return 2;
    }
    String tlsProblem = tls.load();
    if (tlsProblem != null) {
      System.err.println("kvs cli: " + tlsProblem);
      return 2;
    }
    if (password == null) password = System.getenv("REDISCLI_AUTH");
    boolean terminal = System.console() != null;
    boolean formatted = noRaw || (terminal && !raw);
    PrintStream stdout = new PrintStream(new BufferedOutputStream(
        new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16), false);
    try {
      if (!command.isEmpty()) {
        List<byte[]> args = new ArrayList<>();
        for (String a : command) args.add(a.getBytes(StandardCharsets.UTF_8));
        return execute(args, formatted, stdout) ? 0 : 1;
      }
      return repl(terminal, formatted, stdout);
    } finally {
      stdout.flush();
      disconnect();
    }
  }

  /** Reads commands line by line; returns 0, or 1 when a command failed and no one typed them. */
  private int repl(boolean terminal, boolean formatted, PrintStream stdout) throws IOException {
    LineReader stdin = new LineReader(System.in, kvs.master.Master.MAX_LINE_BYTES);
    String prompt = host + ":" + port + "> ";
    boolean allOk = true;
    while (true) {
      if (terminal) {
        stdout.print(socket == null && !tryConnect(null) ? "not connected> " : prompt);
        stdout.flush();
      }
      if (!stdin.next()) break;
      if (stdin.tooLong()) {
        stdout.println("(error) the line is " + stdin.bytesSeen() + " bytes long; the limit is "
            + kvs.master.Master.MAX_LINE_BYTES);
        allOk = false;
        continue;
      }
      List<byte[]> args = splitArgs(stdin.copy());
      if (args == null) {
        stdout.println("Invalid argument(s)");
        allOk = false;
        continue;
      }
      if (args.isEmpty()) continue;
      String name = new String(args.get(0), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      if (args.size() == 1 && (name.equals("quit") || name.equals("exit"))) break;
      if (args.size() == 1 && name.equals("help")) {
        stdout.println("Type a command and its arguments, e.g. SET greeting hello, GET greeting,"
            + " KVS.SESSION; COMMAND DOCS lists what the server knows. quit ends.");
        continue;
      }
      allOk &= execute(args, formatted, stdout);
      stdout.flush();
    }
    return terminal || allOk ? 0 : 1;
  }

  /** Sends one command and prints its reply; false when it failed. */
  private boolean execute(List<byte[]> args, boolean formatted, PrintStream stdout) {
    if (socket == null && !tryConnect(stdout)) return false;
    RedisMessage reply;
    try {
      if (asksForResp3(args)) {
        // The server would switch the connection to RESP3, whose replies this shell cannot
        // read: it would drop the connection, and the session with it, on the next reply.
        reply = new ErrorRedisMessage("ERR kvs cli speaks RESP2 only, so HELLO 3 was not sent"
            + " (the connection stays in RESP2); use redis-cli -3 or a client library for RESP3");
      } else {
        resp.write(args);
        reply = resp.read();
      }
    } catch (IOException e) {
      disconnect();
      stdout.println("Error: " + (e instanceof EOFException ? "Server closed the connection"
          : e.getMessage()));
      return false;
    }
    try {
      byte[] text = formatted ? formatTty(reply, "").getBytes(StandardCharsets.ISO_8859_1)
          : formatRaw(reply);
      stdout.write(text, 0, text.length);
      if (!formatted) stdout.println();
      return !(reply instanceof ErrorRedisMessage);
    } finally {
      ReferenceCountUtil.release(reply);
    }
  }

  /** Whether {@code args} is a {@code HELLO} that asks for protocol version 3. */
  static boolean asksForResp3(List<byte[]> args) {
    return args.size() >= 2
        && new String(args.get(0), StandardCharsets.ISO_8859_1).equalsIgnoreCase("hello")
        && new String(args.get(1), StandardCharsets.ISO_8859_1).trim().equals("3");
  }

  /** Connects and authenticates; on failure reports to {@code report} (when not null). */
  private boolean tryConnect(PrintStream report) {
    try {
      Socket s = new Socket();
      s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
      s.setTcpNoDelay(true);
      s = tls.wrap(s, host, port);
      socket = s;
      resp = new RespStream(new BufferedInputStream(s.getInputStream(), 1 << 16),
          new BufferedOutputStream(s.getOutputStream(), 1 << 16));
      if (password != null) {
        List<byte[]> auth = new ArrayList<>();
        auth.add("AUTH".getBytes(StandardCharsets.US_ASCII));
        if (user != null) auth.add(user.getBytes(StandardCharsets.UTF_8));
        auth.add(password.getBytes(StandardCharsets.UTF_8));
        resp.write(auth);
        RedisMessage r = resp.read();
        if (r instanceof ErrorRedisMessage e) System.err.println("AUTH failed: " + e.content());
        ReferenceCountUtil.release(r);
      }
      return true;
    } catch (IOException e) {
      disconnect();
      if (report != null) {
        report.println("Could not connect to " + host + ":" + port + ": " + e.getMessage());
      }
      return false;
    }
  }

  private void disconnect() {
    if (resp != null) {
      resp.close();
      resp = null;
    }
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // the socket is being thrown away either way
      }
      socket = null;
    }
  }

  // ---- formatting, as redis-cli does it -----------------------------------------------------

  /** redis-cli's terminal format: quoted strings, (integer), (nil), numbered nested arrays. */
  static String formatTty(RedisMessage r, String prefix) {
    if (r instanceof SimpleStringRedisMessage s) return latin1(utf8(s.content())) + "\n";
    if (r instanceof ErrorRedisMessage e) return "(error) " + latin1(utf8(e.content())) + "\n";
    if (r instanceof IntegerRedisMessage i) return "(integer) " + i.value() + "\n";
    if (r instanceof FullBulkStringRedisMessage b) {
      return b.isNull() ? "(nil)\n" : quote(ByteBufUtil.getBytes(b.content())) + "\n";
    }
    List<RedisMessage> items = ((ArrayRedisMessage) r).children();
    if (((ArrayRedisMessage) r).isNull()) return "(nil)\n";
    if (items.isEmpty()) return "(empty array)\n";
    int width = Integer.toString(items.size()).length();
    String inner = prefix + " ".repeat(width + 2);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < items.size(); i++) {
      // The first element follows its parent's index on the same line.
      sb.append(i == 0 ? "" : prefix).append(String.format("%" + width + "d) ", i + 1));
      sb.append(formatTty(items.get(i), inner));
    }
    return sb.toString();
  }

  /** redis-cli's raw format: bytes as they are, array elements one a line, nil as nothing. */
  static byte[] formatRaw(RedisMessage r) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    appendRaw(b, r);
    return b.toByteArray();
  }

  private static void appendRaw(ByteArrayOutputStream b, RedisMessage r) {
    if (r instanceof SimpleStringRedisMessage s) {
      b.writeBytes(utf8(s.content()));
    } else if (r instanceof ErrorRedisMessage e) {
      b.writeBytes(utf8(e.content()));
    } else if (r instanceof IntegerRedisMessage i) {
      b.writeBytes(Long.toString(i.value()).getBytes(StandardCharsets.US_ASCII));
    } else if (r instanceof FullBulkStringRedisMessage s) {
      if (!s.isNull()) b.writeBytes(ByteBufUtil.getBytes(s.content()));
    } else {
      List<RedisMessage> items = ((ArrayRedisMessage) r).children();
      for (int i = 0; i < items.size(); i++) {
        if (i > 0) b.write('\n');
        appendRaw(b, items.get(i));
      }
    }
  }

  /**
   * The bytes of a status or error line: netty-codec-redis hands it over decoded as UTF-8 (the
   * server encodes it so), and encoding it back gives the bytes sent.
   */
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A string in double quotes with redis-cli's escapes (sdscatrepr). */
  static String quote(byte[] s) {
    StringBuilder sb = new StringBuilder(s.length + 2).append('"');
    for (byte x : s) {
      int c = x & 0xff;
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case 7 -> sb.append("\\a");
        case 8 -> sb.append("\\b");
        default -> {
          if (c >= 0x20 && c < 0x7f) {
            sb.append((char) c);
          } else {
            sb.append(String.format("\\x%02x", c));
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  // ---- input --------------------------------------------------------------------------------

  /**
   * Splits a line into arguments as redis-cli does (sdssplitargs), the way the server splits an
   * inline command. Returns null for unbalanced quotes.
   */
  static List<byte[]> splitArgs(byte[] line) {
    try {
      return List.of(Resp.splitInline(line));
    } catch (ProtocolException e) {
      return null;
    }
  }
}
