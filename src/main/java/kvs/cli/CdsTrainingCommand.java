package kvs.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import kvs.client.KvsClient;
import kvs.master.Master;
import kvs.process.Trees;
import kvs.net.Limits;
import kvs.server.Clock;
import kvs.server.Node;
import kvs.server.ServerConfig;
import picocli.CommandLine.Command;

/**
 * {@code kvs cds-training}: a short in-process workload (two linked servers, a client writing,
 * reading and moving) run once after each build under {@code -XX:ArchiveClassesAtExit}, so that
 * the class-data-sharing archive holds the classes every server and client process loads. With
 * the archive a process starts several times faster (measured in docs/performance.md).
 */
@Command(name = "cds-training", hidden = true,
    description = "Exercises server and client code paths to train the class-data-sharing archive.")
public final class CdsTrainingCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("kvs-cds-");
    Node a = null;
    Node b = null;
    try {
      a = Node.start(config(0, dir.resolve("a"), Map.of()), Clock.SYSTEM);
      a.dialConfiguredPeers().sync();
      b = Node.start(config(1, dir.resolve("b"),
          Map.of(0, InetSocketAddress.createUnresolved("127.0.0.1", a.port()))), Clock.SYSTEM);
      b.dialConfiguredPeers().sync();
      try (KvsClient client = KvsClient.builder().server("127.0.0.1", a.port()).build()) {
        client.put("k".getBytes(), "v".getBytes());
        client.get("k".getBytes());
        client.useServer("127.0.0.1", b.port());
        client.get("k".getBytes());
        client.delete("k".getBytes());
      }
      Main.commandLine().getUsageMessage();
      trainMaster(dir.resolve("master"));
    } finally {
      if (b != null) b.close();
      if (a != null) a.close();
      Trees.delete(dir);
    }
    return 0;
  }

  /**
   * Runs every master command once, with real child processes: the master's first stabilize,
   * for one, is otherwise spent mostly loading classes and linking lambdas.
   */
  private static void trainMaster(Path dataDir) throws IOException {
    String script = String.join("\n", "joinServer 0", "joinServer 1", "joinClient 100 0",
        "put 100 k v", "get 100 k", "breakConnection 0 1", "createConnection 0 1", "stabilize",
        "printStore 0", "delete 100 k", "get 100 k", "killServer 1", "joinServer 1", "stabilize",
        "printStore 1", "");
    Master.run(new ByteArrayInputStream(script.getBytes(StandardCharsets.US_ASCII)),
        OutputStream.nullOutputStream(), new PrintStream(OutputStream.nullOutputStream()),
        new Master.Options(dataDir, true, false, MasterCommand.childClasspath(),
            Master.DEFAULT_STABILIZE_TIMEOUT_MS));
  }

  private static ServerConfig config(int id, Path dir, Map<Integer, InetSocketAddress> peers) {
    return new ServerConfig(id, "127.0.0.1", 0, dir, peers, "cds-training", null, false,
        Limits.DEFAULT);
  }
}
