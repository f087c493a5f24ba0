package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvs.net.Limits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HELLO as Redis 7 answers it, byte for byte, on an in-process server over a real socket:
 * protover 2 and 3 (RESP3 from HELLO's own reply on), bad versions, AUTH inside HELLO with
 * --requirepass, SETNAME, and the replies whose RESP3 shape differs (nulls, CONFIG GET's map,
 * COMMAND DOCS's map of maps, COMMAND INFO's sets, INFO's verbatim text).
 */
class HelloTest {
  private static final String PASSWORD = "hello-pass";
  @TempDir Path dir;
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(Node::close);
  }

  private Node start(String requirePass) throws Exception {
    Node n = Node.start(new ServerConfig(nodes.size(), "127.0.0.1", 0,
        dir.resolve("server-" + nodes.size()), Map.of(), "secret", requirePass, false,
        Limits.DEFAULT), Clock.SYSTEM);
    nodes.add(n);
    return n;
  }

  /** HELLO's map, RESP3 or RESP2 ({@code *14}), with this connection's id. */
  private static String helloReply(int proto, RespConn c) throws Exception {
    String id = c.callRaw("CLIENT", "ID"); // ":123\r\n"
    String fields = "$6\r\nserver\r\n$3\r\nkvs\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n"
        + "$5\r\nproto\r\n:" + proto + "\r\n$2\r\nid\r\n" + id
        + "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
        + "$7\r\nmodules\r\n*0\r\n";
    return (proto == 3 ? "%7\r\n" : "*14\r\n") + fields;
  }

  @Test
  void hello3SwitchesToResp3AndHello2Back() throws Exception {
    Node n = start(null);
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.callRaw("GET", "absent")).isEqualTo("$-1\r\n"); // RESP2 is the default
      String want3 = helloReply(3, c);
      assertThat(c.callRaw("HELLO", "3")).isEqualTo(want3);
      assertThat(c.callRaw("GET", "absent")).isEqualTo("_\r\n");
      assertThat(c.callRaw("SET", "k", "v")).isEqualTo("+OK\r\n");
      assertThat(c.callRaw("MGET", "k", "absent")).isEqualTo("*2\r\n$1\r\nv\r\n_\r\n");
      assertThat(c.callRaw("HELLO")).isEqualTo(want3); // no version: stays in RESP3
      assertThat(c.callRaw("CONFIG", "GET", "save")).isEqualTo("%1\r\n$4\r\nsave\r\n$0\r\n\r\n");
      assertThat(c.callRaw("COMMAND", "DOCS", "get")).startsWith(
          "%1\r\n$3\r\nget\r\n%3\r\n$7\r\nsummary\r\n");
      assertThat(c.callRaw("COMMAND", "INFO", "get", "nosuch")).startsWith(
          "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n~").endsWith("_\r\n");
      String info = c.callRaw("INFO", "server");
      assertThat(info).startsWith("=").contains("\r\ntxt:# Server\r\nredis_version:");
      assertThat(c.callRaw("CLIENT", "INFO")).startsWith("=").contains(" resp=3\n");
      assertThat(c.callRaw("HELLO", "2")).isEqualTo(helloReply(2, c));
      assertThat(c.callRaw("GET", "absent")).isEqualTo("$-1\r\n");
      assertThat(c.callRaw("CONFIG", "GET", "save")).isEqualTo("*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
      assertThat(c.callRaw("INFO", "server")).startsWith("$").contains("\r\n# Server\r\n");
    }
  }

  @Test
  void otherVersionsAndBadOptionsChangeNothing() throws Exception {
    Node n = start(null);
    try (RespConn c = RespConn.open(n.port())) {
      for (String v : new String[] {"1", "4", "0", "-1", "300"}) {
        assertThat(c.callRaw("HELLO", v)).isEqualTo("-NOPROTO unsupported protocol version\r\n");
      }
      for (String v : new String[] {"three", "3.0", "", "99999999999999999999"}) {
        assertThat(c.callRaw("HELLO", v))
            .isEqualTo("-ERR Protocol version is not an integer or out of range\r\n");
      }
      assertThat(c.callRaw("HELLO", "3", "SETNAME", "a", "EXTRA"))
          .isEqualTo("-ERR Syntax error in HELLO option 'EXTRA'\r\n");
      assertThat(c.callRaw("HELLO", "3", "AUTH", "default"))
          .isEqualTo("-ERR Syntax error in HELLO option 'AUTH'\r\n");
      assertThat(c.callRaw("HELLO", "3", "SETNAME", "a b"))
          .isEqualTo("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
      assertThat(c.callRaw("GET", "absent")).as("still RESP2").isEqualTo("$-1\r\n");
      assertThat(c.callRaw("CLIENT", "GETNAME")).isEqualTo("$-1\r\n");
      // Without --requirepass the default user takes any password, as Redis's nopass user.
      assertThat(c.callRaw("HELLO", "3", "AUTH", "default", "any", "SETNAME", "app"))
          .startsWith("%7\r\n");
      assertThat(c.callRaw("CLIENT", "GETNAME")).isEqualTo("$3\r\napp\r\n");
      assertThat(c.callRaw("HELLO", "3", "AUTH", "someone", "any")).startsWith("-WRONGPASS");
    }
  }

  @Test
  void withRequirePassHelloAuthenticates() throws Exception {
    Node n = start(PASSWORD);
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.callRaw("GET", "k")).isEqualTo("-NOAUTH Authentication required.\r\n");
      assertThat(c.callRaw("HELLO", "3")).startsWith("-NOAUTH HELLO must be called with the"
          + " client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass>");
      assertThat(c.callRaw("HELLO")).startsWith("-NOAUTH HELLO must be called");
      assertThat(c.callRaw("HELLO", "3", "AUTH", "default", "wrong"))
          .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      assertThat(c.callRaw("GET", "k")).as("neither authenticated nor switched")
          .isEqualTo("-NOAUTH Authentication required.\r\n");
      assertThat(c.callRaw("HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "web"))
          .startsWith("%7\r\n").contains("$5\r\nproto\r\n:3\r\n");
      assertThat(c.callRaw("GET", "k")).isEqualTo("_\r\n");
      assertThat(c.callRaw("CLIENT", "GETNAME")).isEqualTo("$3\r\nweb\r\n");
    }
    try (RespConn c = RespConn.open(n.port())) {
      assertThat(c.callRaw("AUTH", PASSWORD)).isEqualTo("+OK\r\n");
      assertThat(c.callRaw("HELLO", "3")).startsWith("%7\r\n"); // already authenticated
    }
  }
}
