package kvs.cli;

import picocli.CommandLine.Command;

@Command(name = "server", description = "Runs one server.")
public final class ServerCommand implements java.util.concurrent.Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("being written");
  }
}
