package kvs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The master's form of a server command line, parsed without picocli
 * ({@link ServerCommand#masterForm}), must give exactly what picocli gives for the same words,
 * defaults included, and must leave every other form to picocli.
 */
class ServerCommandFormTest {
  private static ServerCommand viaPicocli(String... args) {
    ServerCommand c = new ServerCommand();
    new CommandLine(c).parseArgs(Arrays.copyOfRange(args, 1, args.length));
    return c;
  }

  /** Every option field of the command, with its value, by name. */
  private static List<String> options(ServerCommand c) throws IllegalAccessException {
    List<String> out = new ArrayList<>();
    for (Field f : ServerCommand.class.getDeclaredFields()) {
      if (!f.isAnnotationPresent(CommandLine.Option.class)
          && !f.isAnnotationPresent(CommandLine.ArgGroup.class)) {
        continue;
      }
      f.setAccessible(true);
      out.add(f.getName() + "=" + f.get(c));
    }
    return out;
  }

  @Test
  void theMastersFormGivesWhatPicocliGives() throws IllegalAccessException {
    String[][] forms = {
        {"server", "--id", "0", "--data-dir", "/tmp/d"},
        {"server", "--exit-on-stdin-eof", "--id", "3", "--data-dir", "/tmp/r/server-3"},
        {"server", "--exit-on-stdin-eof", "--id", "12", "--data-dir", "d", "--port", "7001",
            "--peer", "0=127.0.0.1:41000", "--peer", "1=127.0.0.1:41001", "--fsync"},
        {"server", "--data-dir", "d", "--fsync", "--id", "999999999", "--port", "0"},
    };
    for (String[] form : forms) {
      ServerCommand fast = ServerCommand.masterForm(form);
      assertThat(fast).as(String.join(" ", form)).isNotNull();
      assertThat(options(fast)).as(String.join(" ", form)).isEqualTo(options(viaPicocli(form)));
    }
    assertThat(options(ServerCommand.masterForm(forms[2])))
        .contains("peers=[0=127.0.0.1:41000, 1=127.0.0.1:41001]", "maxClients=10000",
            "clientOutputBufferLimit=67108864", "host=127.0.0.1");
  }

  @Test
  void everyOtherFormIsLeftToPicocli() {
    String[][] others = {
        {"server"}, {"server", "--help"}, {"server", "--data-dir", "d"}, {"server", "--id", "1"},
        {"server", "--id", "1", "--data-dir", "d", "--host", "0.0.0.0"},
        {"server", "--id", "1", "--data-dir", "d", "--port=7000"},
        {"server", "--id", "1", "--data-dir", "d", "--id", "2"},
        {"server", "--id", "1", "--data-dir", "d", "--fsync", "--fsync"},
        {"server", "--id", "-1", "--data-dir", "d"}, {"server", "--id", "1x", "--data-dir", "d"},
        {"server", "--id", "1234567890", "--data-dir", "d"},
        {"server", "--id", "1", "--data-dir", "--fsync"}, {"server", "--id", "1", "--data-dir"},
        {"server", "--id", "1", "--data-dir", ""},
        {"server", "--id", "1", "--data-dir", "d", "--peer"},
        {"server", "--id", "1", "--data-dir", "d", "--requirepass", "x"},
        {"client", "--id", "1", "--data-dir", "d"},
    };
    for (String[] other : others) {
      assertThat(ServerCommand.masterForm(other)).as(String.join(" ", other)).isNull();
    }
  }

  @Test
  void aBadValueInTheMastersFormExitsWithAUsageErrorBeforeAnythingStarts() {
    ServerCommand c = ServerCommand.masterForm(
        new String[] {"server", "--id", "1", "--data-dir", "d", "--peer", "nonsense"});
    assertThat(c).isNotNull();
    assertThat(c.runMasterForm()).isEqualTo(2);
    assertThat(new java.io.File("d")).doesNotExist();
  }
}
