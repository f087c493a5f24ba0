package kvs.cli;

import java.util.concurrent.Callable;
import kvs.process.Cleanup;
import picocli.CommandLine.Command;

@Command(
    name = "cleanup",
    mixinStandardHelpOptions = true,
    description = {
      "Kills leftover server and client processes whose master is gone.",
      "",
      "Also removes the temporary data directories (kvs-master-*) such masters left behind.",
      "Prints what it did."
    })
public final class CleanupCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return Cleanup.run(System.out);
  }
}
