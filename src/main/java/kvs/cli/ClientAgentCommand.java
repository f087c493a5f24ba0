package kvs.cli;

import picocli.CommandLine.Command;

@Command(name = "client", description = "A client agent driven line by line on standard input.")
public final class ClientAgentCommand implements java.util.concurrent.Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("being written");
  }
}
