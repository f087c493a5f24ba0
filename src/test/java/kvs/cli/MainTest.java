package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command lines that skip picocli: only the master's own form of a client agent's. */
class MainTest {
  @Test
  void onlyTheMastersFormOfAnAgentCommandLineSkipsPicocli() {
    assertThat(Main.masterAgentId(new String[] {"client", "--id", "104"})).isEqualTo(104);
    assertThat(Main.masterAgentId(new String[] {"client", "--id", "0"})).isZero();
    assertThat(Main.masterAgentId(new String[] {"client", "--id", "999999999"}))
        .isEqualTo(999_999_999);
    for (String[] other : new String[][] {
        {"client"}, {"client", "--help"}, {"client", "--id"}, {"client", "--id", ""},
        {"client", "--id", "-1"}, {"client", "--id", "+1"}, {"client", "--id", "1a"},
        {"client", "--id", "1234567890"}, {"client", "--id", "1", "--id", "2"},
        {"client", "--id=1", "x"}, {"server", "--id", "1"}, {"CLIENT", "--id", "1"},
        {"client", "--ID", "1"}, {"client", "--id", "١"}}) {
      assertThat(Main.masterAgentId(other)).as(String.join(" ", other)).isNull();
    }
  }
}
