package kvs.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosts file of {@code ./master --hosts}: ids to agent addresses. */
class HostsFileTest {
  @TempDir Path tmp;

  private RemoteFleet.Hosts parse(String text) throws IOException {
    Path f = tmp.resolve("hosts");
    Files.writeString(f, text);
    return RemoteFleet.Hosts.parse(f);
  }

  @Test
  void mapsIdsAndTheRest() throws Exception {
    RemoteFleet.Hosts h = parse("# comment\n0 10.0.0.10:7070\n\n1\t10.0.0.11:7070  # b\n"
        + "* 10.0.0.12:7070\n");
    assertThat(h.agentFor(0).getHostString()).isEqualTo("10.0.0.10");
    assertThat(h.agentFor(1).getHostString()).isEqualTo("10.0.0.11");
    assertThat(h.agentFor(7).getHostString()).isEqualTo("10.0.0.12");
    assertThat(h.agentFor(7).getPort()).isEqualTo(7070);
  }

  @Test
  void anIdWithoutAHostIsAScriptError() throws Exception {
    RemoteFleet.Hosts h = parse("0 10.0.0.10:7070\n");
    assertThatThrownBy(() -> h.agentFor(3)).isInstanceOf(ScriptError.class)
        .hasMessageContaining("no host to id 3");
  }

  @Test
  void badLinesAreRefusedWithTheirLineNumber() {
    assertThatThrownBy(() -> parse("0 10.0.0.10:7070\nx 10.0.0.11:7070\n"))
        .hasMessageContaining("line 2").hasMessageContaining("'x'");
    assertThatThrownBy(() -> parse("0 10.0.0.10\n")).hasMessageContaining("line 1");
    assertThatThrownBy(() -> parse("0 a:1\n0 b:2\n")).hasMessageContaining("mapped twice");
    assertThatThrownBy(() -> parse("* a:1\n* b:2\n")).hasMessageContaining("second '*'");
    assertThatThrownBy(() -> parse("0 a:0\n")).hasMessageContaining("port cannot be 0");
    assertThatThrownBy(() -> parse("# nothing\n")).hasMessageContaining("no hosts");
  }
}
