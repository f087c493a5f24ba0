package kvs.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A TCP proxy that delays every byte by a fixed time in each direction: latency for the network
 * tests, since this kernel has no netem. Run as its own process inside a network namespace:
 * {@code java -cp target/test-classes kvs.it.DelayProxy LISTEN_HOST LISTEN_PORT TARGET_HOST
 * TARGET_PORT DELAY_MS}. Prints {@code READY} once it listens and {@code ACCEPT} for each
 * connection; exits when its standard input closes.
 */
public final class DelayProxy {
  private DelayProxy() {}

  public static void main(String[] args) throws IOException {
    String targetHost = args[2];
    int targetPort = Integer.parseInt(args[3]);
    long delayNanos = Long.parseLong(args[4]) * 1_000_000L;
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(args[0], Integer.parseInt(args[1])));
    daemon(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is written; end of input ends the proxy
        }
      } catch (IOException ignored) {
        // same as end of input
      }
      System.exit(0);
    });
    System.out.println("READY");
    System.out.flush();
    while (true) {
      Socket a = server.accept();
      Socket b = new Socket();
      try {
        b.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
      } catch (IOException e) {
        a.close();
        continue;
      }
      a.setTcpNoDelay(true);
      b.setTcpNoDelay(true);
      System.out.println("ACCEPT");
      System.out.flush();
      pipe(a, b, delayNanos);
      pipe(b, a, delayNanos);
    }
  }

  private record Chunk(long due, byte[] data) {}

  /** Copies {@code from} to {@code to}, each chunk sent {@code delayNanos} after it arrived. */
  private static void pipe(Socket from, Socket to, long delayNanos) {
    BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    daemon(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          queue.add(new Chunk(System.nanoTime() + delayNanos, java.util.Arrays.copyOf(buf, n)));
        }
      } catch (IOException ignored) {
        // closed
      }
      queue.add(new Chunk(System.nanoTime() + delayNanos, null));
    });
    daemon(() -> {
      try (OutputStream out = to.getOutputStream()) {
        while (true) {
          Chunk c = queue.take();
          long wait = c.due() - System.nanoTime();
          if (wait > 0) Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
          if (c.data() == null) break;
          out.write(c.data());
          out.flush();
        }
      } catch (IOException | InterruptedException ignored) {
        // closed
      }
      try {
        from.close();
        to.close();
      } catch (IOException ignored) {
        // closed
      }
    });
  }

  private static void daemon(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    t.start();
  }
}
