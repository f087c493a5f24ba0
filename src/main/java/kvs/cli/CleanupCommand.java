package kvs.cli;

import picocli.CommandLine.Command;

@Command(name = "cleanup", description = "Stops leftover kvs processes.")
public final class CleanupCommand implements java.util.concurrent.Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("being written");
  }
}
