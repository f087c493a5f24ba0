package kvs.master;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The master's admin connection to a server, against a port where nothing listens. */
class AdminConnectionTest {

  /**
   * A server that is gone (it crashed, or its port closed) fails the command as a script error
   * naming the server: Jedis connects in its constructor, and its exception used to escape as
   * "internal error: redis.clients.jedis.exceptions.JedisConnectionException: ...".
   */
  @Test
  void aServerThatCannotBeReachedFailsTheCommandWithAScriptError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    AdminServerHandle.AdminConnection c =
        new AdminServerHandle.AdminConnection(3, "127.0.0.1", port, "secret", 1_000);
    assertThatThrownBy(() -> c.send(AdminServerHandle.Admin.STATE))
        .isInstanceOf(ScriptError.class)
        .hasMessageStartingWith("server 3 ")
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("Connection refused");
    // The next command tries again and fails the same way, not with a leftover connection.
    assertThatThrownBy(() -> c.send(AdminServerHandle.Admin.STATE))
        .isInstanceOf(ScriptError.class);
  }
}
