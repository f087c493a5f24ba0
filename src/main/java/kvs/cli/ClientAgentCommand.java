package kvs.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import kvs.client.KvsClient;
import kvs.client.KvsException;
import kvs.client.ReadResult;
import kvs.process.LineReader;
import kvs.master.Master;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvs client}: one client session driven line by line on standard input by the master
 * (protocol in docs/internal-protocol.md). It exits when standard input ends.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = "A client agent: reads requests line by line on standard input, one reply line each.")
public final class ClientAgentCommand implements Callable<Integer> {
  @Option(names = "--id", required = true, description = "This client's id (for messages).")
  int id;

  /** Runs the agent of client {@code id} (see {@link Main#masterAgentId}); its exit status. */
  static int run(int id) {
    ClientAgentCommand agent = new ClientAgentCommand();
    agent.id = id;
    try {
      return agent.call();
    } catch (IOException e) {
      System.err.println("kvs client: " + kvs.process.IoMessages.describe(e));
      return 1;
    }
  }

  @Override
  public Integer call() throws IOException {
    LineReader lines = new LineReader(new java.io.FileInputStream(java.io.FileDescriptor.in),
        Master.MAX_LINE_BYTES);
    OutputStream out = new BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16);
    try (KvsClient client = KvsClient.builder().maxAttempts(1).build()) {
      while (lines.next()) {
        out.write(lines.tooLong()
            ? error("the request is " + lines.bytesSeen() + " bytes long; the limit is "
                + Master.MAX_LINE_BYTES)
            : handle(client, lines.copy()));
        out.write('\n');
        out.flush();
      }
    }
    return 0;
  }

  private byte[] handle(KvsClient client, byte[] line) {
    String[] w = new String(line, StandardCharsets.ISO_8859_1).split(" ", -1);
    try {
      switch (w[0]) {
        case "connect" -> {
          if (w.length != 3) return error("usage: connect HOST PORT");
          client.useServer(w[1], Integer.parseInt(w[2]));
          return ok();
        }
        case "disconnect" -> {
          client.disconnect();
          return ok();
        }
        case "put" -> {
          if (w.length != 3) return error("usage: put KEY VALUE");
          client.put(bytes(w[1]), bytes(w[2]));
          return ok();
        }
        case "delete" -> {
          if (w.length != 2) return error("usage: delete KEY");
          client.delete(bytes(w[1]));
          return ok();
        }
        case "get" -> {
          if (w.length != 2) return error("usage: get KEY");
          ReadResult r = client.get(bytes(w[1]));
          return switch (r.status()) {
            case FOUND -> concat(bytes("VALUE "), r.value());
            case NOT_FOUND -> bytes("ERR_KEY");
            case DEPENDENCY_MISSING -> bytes("ERR_DEP");
          };
        }
        default -> {
          return error("unknown request '" + w[0] + "'");
        }
      }
    } catch (KvsException | IllegalArgumentException | redis.clients.jedis.exceptions.JedisException e) {
      return error(String.valueOf(e.getMessage()).replace('\n', ' '));
    }
  }

  private static byte[] ok() {
    return bytes("OK");
  }

  private byte[] error(String message) {
    return bytes("ERROR client " + id + ": " + message);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
