package kvs.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's protocol without starting children: authentication and bad requests. */
class AgentTest {
  @TempDir Path dir;
  private Agent agent;

  @BeforeEach
  void start() throws Exception {
    agent = Agent.bind(new Agent.Options(new InetSocketAddress("127.0.0.1", 0), "127.0.0.1", dir,
        "the-secret", System.getProperty("java.class.path")));
    Thread t = new Thread(agent::serve);
    t.setDaemon(true);
    t.start();
  }

  @AfterEach
  void stop() {
    agent.close();
  }

  private static String[] talk(Agent a, String... lines) throws Exception {
    try (Socket s = new Socket("127.0.0.1", a.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in = new BufferedReader(
          new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      String[] replies = new String[lines.length];
      for (int i = 0; i < lines.length; i++) {
        out.write((lines[i] + "\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        replies[i] = in.readLine();
      }
      return replies;
    }
  }

  @Test
  void aWrongSecretIsRefusedAndTheConnectionClosed() throws Exception {
    assertThat(talk(agent, "AUTH nope", "PING")).containsExactly("ERROR bad secret", null);
    assertThat(talk(agent, "PING")).containsExactly("ERROR bad secret");
  }

  @Test
  void badRequestsGetAnErrorAndTheSessionGoesOn() throws Exception {
    assertThat(talk(agent, "AUTH the-secret", "PING", "FROB", "KILL 7", "KILL x",
        "SERVER 1 --evil", "SERVER 1 0=host:1;rm", "DATA ../up", "LIST"))
        .containsExactly("OK", "PONG", "ERROR unknown request 'FROB'",
            "ERROR no process with id 7", "ERROR not an id (a non-negative integer): 'x'",
            "ERROR not a peer ID=HOST:PORT or --fsync: '--evil'",
            "ERROR not a peer ID=HOST:PORT or --fsync: '0=host:1;rm'",
            "ERROR usage: DATA NAME (letters, digits, '.', '_', '-')", "OK");
  }
}
