package kvs.cli;

/**
 * Ends a child process when its standard input closes: the parent (master, agent, cluster) keeps
 * a pipe to it and never writes, so when the parent dies in any way the pipe closes and the child
 * follows. This is how no process outlives the one that started it.
 */
final class StdinWatch {
  private StdinWatch() {}

  /** Runs {@code onClose} on a daemon thread once standard input reaches its end or breaks. */
  static void onClose(Runnable onClose) {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever written; reading only detects the end of the pipe
        }
      } catch (java.io.IOException ignored) {
        // a broken pipe means the same as the end of input
      }
      onClose.run();
    }, "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }
}
