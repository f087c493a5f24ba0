package kvs.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program on a pseudo-terminal (through util-linux's {@code script}), driven like a person at
 * a terminal: type a line once the expected output is there. Needed for redis-cli, whose line
 * editor discards input typed ahead of its prompt, and asks the terminal for its width when the
 * terminal has none set (so the session sets one with stty).
 */
final class PtySession implements AutoCloseable {
  private final Process process;
  private final StringBuffer output = new StringBuffer();

  PtySession(String shellCommand) throws IOException {
    process = new ProcessBuilder(List.of("script", "-qfc", "stty cols 200 rows 50; " + shellCommand,
        "/dev/null")).directory(MasterRun.REPO.toFile()).redirectErrorStream(true).start();
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[4096];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) output.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      } catch (IOException e) {
        // the session ended
      }
    }, "pty-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Everything the terminal showed so far, without carriage returns and escape sequences. */
  String output() {
    return output.toString().replace("\r", "").replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", "");
  }

  /** What the terminal showed since the last line was typed. */
  private String sinceTyped() {
    String all = output();
    return all.substring(Math.min(mark, all.length()));
  }

  private int mark;

  /** Waits until the output since the last line typed contains {@code text}. */
  PtySession expect(String text) throws InterruptedException {
    ClusterProcess.await("the terminal shows \"" + text + "\"; it shows:\n" + output(), 30_000,
        () -> sinceTyped().contains(text));
    return this;
  }

  /**
   * Waits until the program shows {@code prompt} and nothing after it: it is waiting for a line
   * (a line typed earlier could be discarded).
   */
  PtySession expectPrompt(String prompt) throws InterruptedException {
    ClusterProcess.await("the terminal ends with the prompt \"" + prompt + "\"; it shows:\n"
        + output(), 30_000, () -> sinceTyped().endsWith(prompt));
    return this;
  }

  PtySession type(String line) throws IOException {
    mark = output().length();
    OutputStream in = process.getOutputStream();
    in.write((line + "\r").getBytes(StandardCharsets.UTF_8)); // Enter, as a terminal sends it
    in.flush();
    return this;
  }

  /** Waits for the program to end by itself; returns its exit status. */
  int waitFor() throws InterruptedException {
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the terminal program did not end; it shows:\n" + output());
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
