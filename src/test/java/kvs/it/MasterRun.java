package kvs.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@code ./master} (the real launcher, the real jar) on a script and captures everything. */
final class MasterRun {
  static final Path REPO = Path.of(System.getProperty("user.dir"));

  final int exitCode;
  final byte[] stdout;
  final String stderr;

  private MasterRun(int exitCode, byte[] stdout, String stderr) {
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** The same run with different standard output: for tests that check a checker. */
  MasterRun withStdout(List<String> lines) {
    return new MasterRun(exitCode,
        (String.join("\n", lines) + "\n").getBytes(StandardCharsets.ISO_8859_1), stderr);
  }

  static MasterRun run(byte[] script, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(REPO.resolve("master").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(REPO.toFile()).start();
    CompletableFuture<byte[]> out = drain(p.getInputStream());
    CompletableFuture<byte[]> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      in.write(script);
    }
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("./master did not finish within 10 minutes");
    }
    return new MasterRun(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
  }

  private static CompletableFuture<byte[]> drain(InputStream s) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        s.transferTo(b);
        return b.toByteArray();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** Standard output as lines, decoded 1:1 (ISO-8859-1) so arbitrary bytes survive. */
  List<String> stdoutLines() {
    String s = new String(stdout, StandardCharsets.ISO_8859_1);
    if (s.isEmpty()) return List.of();
    if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
    return List.of(s.split("\n", -1));
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout\n" + new String(stdout, StandardCharsets.ISO_8859_1)
        + "--- stderr\n" + stderr;
  }
}
