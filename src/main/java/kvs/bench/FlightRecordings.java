package kvs.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Java Flight Recorder profiles of a master run: every JVM of it (the master, each server, each
 * client agent) records from the moment it is seen ({@code jcmd PID JFR.start}, profile
 * settings) and is dumped to {@code <dir>/<role>-<pid>.jfr} once the script is done, before the
 * master ends and kills its children.
 *
 * <p>Why not {@code -XX:StartFlightRecording} through {@code JAVA_TOOL_OPTIONS}: the JVM then
 * prints "Started recording" on standard output, where the master expects a server's READY
 * line; and children die by SIGKILL, which leaves no recording behind.
 */
final class FlightRecordings {
  private FlightRecordings() {}

  /**
   * Feeds {@code script} and then {@code printStore 0} to the master's standard input, starts a
   * recording in every JVM of the run as it appears, waits for the printStore answer, dumps every
   * recording and closes the master's standard input so it ends.
   */
  static void record(Process master, Path script, Path dir, String java)
      throws IOException, InterruptedException {
    Path jcmd = Path.of(java).resolveSibling("jcmd");
    Map<Long, String> recording = new HashMap<>();
    AtomicBoolean done = new AtomicBoolean();
    Thread watcher = new Thread(() -> {
      while (!done.get()) {
        List<ProcessHandle> jvms = new ArrayList<>();
        jvms.add(master.toHandle());
        master.descendants().forEach(jvms::add);
        for (ProcessHandle h : jvms) {
          synchronized (recording) {
            if (recording.containsKey(h.pid())) continue;
          }
          String role = role(h);
          if (role == null) continue;
          if (jcmd(jcmd, h.pid(), "JFR.start", "name=bench", "settings=profile")) {
            synchronized (recording) {
              recording.put(h.pid(), role);
            }
          }
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-jfr-watcher");
    watcher.setDaemon(true);
    watcher.start();
    Thread feeder = new Thread(() -> {
      try (OutputStream in = master.getOutputStream()) {
        Files.copy(script, in);
        in.write("printStore 0\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        // Keep standard input open until the recordings are dumped: its end ends the master.
        synchronized (done) {
          while (!done.get()) done.wait();
        }
      } catch (IOException | InterruptedException e) {
        // the master is gone; nothing to feed
      }
    }, "bench-jfr-feeder");
    feeder.setDaemon(true);
    feeder.start();
    try (InputStream out = master.getInputStream()) {
      out.read(); // the first byte of the printStore answer: every command before it is done
      done.set(true);
      watcher.join();
      Map<Long, String> copy;
      synchronized (recording) {
        copy = new HashMap<>(recording);
      }
      for (Map.Entry<Long, String> e : copy.entrySet()) {
        Path file = dir.resolve(e.getValue() + "-" + e.getKey() + ".jfr");
        jcmd(jcmd, e.getKey(), "JFR.dump", "name=bench", "filename=" + file);
      }
      synchronized (done) {
        done.notifyAll();
      }
      out.transferTo(OutputStream.nullOutputStream());
    }
  }

  /** "master", "server-ID" or "client-ID" for a JVM of the run, or null for anything else. */
  private static String role(ProcessHandle h) {
    String[] args = h.info().arguments().orElse(null);
    if (args == null) return null;
    for (int i = 0; i < args.length; i++) {
      if (!args[i].equals("kvs.cli.Main") || i + 1 >= args.length) continue;
      String sub = args[i + 1];
      if (sub.equals("master")) return "master";
      for (int j = i + 2; j + 1 < args.length; j++) {
        if (args[j].equals("--id")) return sub + "-" + args[j + 1];
      }
      return sub;
    }
    return null;
  }

  private static boolean jcmd(Path jcmd, long pid, String... command) {
    List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
    cmd.addAll(List.of(command));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
