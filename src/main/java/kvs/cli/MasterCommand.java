package kvs.cli;

import picocli.CommandLine.Command;

@Command(name = "master", description = "Runs a command script from standard input.")
public final class MasterCommand implements java.util.concurrent.Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("being written");
  }
}
