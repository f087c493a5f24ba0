package kvs.it;

import static kvs.it.ClusterProcess.cmd;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Bad input on the RESP port of a real server (SPEC section 7): random bytes, truncated and split
 * frames, huge announced lengths, deep nesting. After each test the server still serves a
 * connection that was open all along and new ones, and what it stores is unchanged (its state,
 * a digest of all data plus the version vector, is equal before and after).
 */
class RespFuzzIT {
  private static ClusterProcess cluster;
  private static Jedis admin;
  private static Jedis witness;
  private String stateBefore;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcess.start(1);
    admin = cluster.admin(0);
    witness = cluster.jedis(0);
    witness.mset("fuzz:a", "alpha", "fuzz:b", "beta");
  }

  @AfterAll
  static void stop() throws Exception {
    if (witness != null) witness.close();
    if (admin != null) admin.close();
    if (cluster != null) cluster.close();
  }

  @BeforeEach
  void recordState() {
    stateBefore = state();
  }

  @AfterEach
  void serverStillServesAndNothingChanged() {
    assertThat(witness.ping()).isEqualTo("PONG");
    assertThat(witness.get("fuzz:a")).isEqualTo("alpha");
    try (Jedis fresh = cluster.jedis(0)) {
      assertThat(fresh.mget("fuzz:a", "fuzz:b")).containsExactly("alpha", "beta");
    }
    assertThat(state()).as("the stored data and version vector").isEqualTo(stateBefore);
  }

  private static String state() {
    return new String((byte[]) admin.sendCommand(cmd("KVS.STATE")), StandardCharsets.UTF_8);
  }

  private static Socket connect() throws IOException {
    Socket s = new Socket(ClusterProcess.HOST, cluster.port(0));
    s.setSoTimeout(10_000);
    s.setTcpNoDelay(true);
    return s;
  }

  /** Sends {@code bytes}, then reads until the server closes; returns what it answered. */
  private static String sendAndReadToClose(byte[] bytes) throws IOException {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      try {
        out.write(bytes);
        out.flush();
      } catch (IOException e) {
        // The server may close while a long input is still being written: that is fine.
      }
      return readToClose(s.getInputStream());
    }
  }

  private static String readToClose(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) b.write(buf, 0, n);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server neither answered nor closed within 10 s; got "
          + b.toString(StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      // a reset after the server closed with unread input: the answer so far is all there is
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] frame(String... args) {
    StringBuilder sb = new StringBuilder("*" + args.length + "\r\n");
    for (String a : args) sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
    return ascii(sb.toString());
  }

  @Test
  void hugeAnnouncedLengthsGetAnErrorAndTheConnectionCloses() throws Exception {
    for (String input : List.of("*2147483647\r\n", "*1048577\r\n", "*1\r\n$2147483647\r\n",
        "$2147483647\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$33554433\r\n",
        "*99999999999999999999999\r\n", "*2\r\n$3\r\nGET\r\n$-7\r\n")) {
      String reply = sendAndReadToClose(ascii(input));
      assertThat(reply).as("reply to %s", input.replace("\r\n", "\\r\\n"))
          .startsWith("-ERR Protocol error").endsWith("\r\n");
    }
  }

  @Test
  void deepNestingGetsAnErrorAndTheConnectionCloses() throws Exception {
    String reply = sendAndReadToClose(ascii("*1\r\n*1\r\n*1\r\n"));
    assertThat(reply).startsWith("-ERR Protocol error: nested arrays");
    reply = sendAndReadToClose(ascii("*2\r\n$3\r\nGET\r\n*1\r\n*1\r\n$1\r\nk\r\n"));
    assertThat(reply).startsWith("-ERR Protocol error: nested arrays");
    // 100,000 levels: the server closes after the second. Input it never read may make the
    // close a reset that discards the error reply before it is read, so only the close is sure.
    reply = sendAndReadToClose(ascii("*1\r\n".repeat(100_000)));
    assertThat(reply).isIn("", "-ERR Protocol error: nested arrays are not accepted\r\n");
  }

  @Test
  void anOverlongInlineLineGetsAnErrorAndTheConnectionCloses() throws Exception {
    String reply = sendAndReadToClose(ascii("GET " + "k".repeat(70 * 1024)));
    // As above, the close may be a reset that discards the reply; the close itself is certain.
    assertThat(reply).matches("(-ERR Protocol error: .*\r\n)?");
  }

  @Test
  void truncatedWritesAreNeverApplied() throws Exception {
    List<byte[]> writes = List.of(frame("SET", "fuzz:a", "CHANGED"),
        frame("MSET", "fuzz:a", "X", "fuzz:b", "Y"), frame("DEL", "fuzz:a"),
        frame("KVS.PUT", "fuzz:b", "Z"));
    for (byte[] w : writes) {
      for (int cut = 1; cut < w.length; cut++) {
        try (Socket s = connect()) {
          s.getOutputStream().write(w, 0, cut);
          s.getOutputStream().flush();
        } // closed mid-frame
      }
    }
    // A frame missing even its last byte is never carried out.
    try (Jedis j = cluster.jedis(0)) {
      assertThat(j.mget("fuzz:a", "fuzz:b")).containsExactly("alpha", "beta");
    }
  }

  @Test
  void framesSplitAtEveryByteAreServed() throws Exception {
    byte[] pipeline = concat(frame("PING"), frame("ECHO", "split \r\n value"),
        frame("GET", "fuzz:a"), ascii("MGET fuzz:a fuzz:b\r\n"), frame("EXISTS", "fuzz:b"));
    String expected = "+PONG\r\n$14\r\nsplit \r\n value\r\n$5\r\nalpha\r\n"
        + "*2\r\n$5\r\nalpha\r\n$4\r\nbeta\r\n:1\r\n";
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      for (byte b : pipeline) {
        out.write(b);
        out.flush(); // one segment per byte, as far as TCP_NODELAY goes
      }
      byte[] got = s.getInputStream().readNBytes(expected.length());
      assertThat(new String(got, StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    }
    // The same, cut at random places into a few pieces, many times over one connection.
    Random random = new Random(42);
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int round = 0; round < 200; round++) {
        int pos = 0;
        while (pos < pipeline.length) {
          int n = 1 + random.nextInt(Math.min(40, pipeline.length - pos));
          out.write(pipeline, pos, n);
          out.flush();
          pos += n;
        }
        byte[] got = in.readNBytes(expected.length());
        assertThat(new String(got, StandardCharsets.ISO_8859_1)).as("round %d", round)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void randomBytesNeitherCrashNorChangeAnything() throws Exception {
    for (long seed = 1; seed <= 150; seed++) {
      Random random = new Random(seed);
      byte[] junk = new byte[1 + random.nextInt(4096)];
      random.nextBytes(junk);
      if (seed % 3 == 0) junk[0] = (byte) "*$+-:".charAt(random.nextInt(5)); // look like RESP at first
      try (Socket s = connect()) {
        s.setSoTimeout(2_000);
        try {
          s.getOutputStream().write(junk);
          s.getOutputStream().flush();
          s.shutdownOutput();
          readToClose(s.getInputStream());
        } catch (IOException | AssertionError e) {
          // Whatever the server answers (or not) to junk is fine, as long as it keeps serving.
        }
      }
    }
    // Random RESP-shaped input: arrays of random lengths holding random bulk strings, some
    // truncated, none a known command with valid arguments (their names are random).
    Random random = new Random(7);
    for (int i = 0; i < 100; i++) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int n = random.nextInt(6);
      b.writeBytes(ascii("*" + n + "\r\n"));
      for (int k = 0; k < n; k++) {
        byte[] arg = new byte[random.nextInt(20)];
        random.nextBytes(arg);
        int announced = random.nextInt(10) == 0 ? arg.length + random.nextInt(100) : arg.length;
        b.writeBytes(ascii("$" + announced + "\r\n"));
        b.writeBytes(arg);
        b.writeBytes(ascii("\r\n"));
      }
      try (Socket s = connect()) {
        s.getOutputStream().write(b.toByteArray());
        s.getOutputStream().flush();
      }
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }
}
