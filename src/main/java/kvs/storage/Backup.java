package kvs.storage;

import java.io.IOException;
import java.io.StringReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import kvs.core.Origins;
import kvs.core.ReplicaMeta;
import org.rocksdb.RocksDBException;

/**
 * Backups of a running server's store and their restore (docs/deployment.md).
 *
 * <p>A backup is a directory holding a RocksDB checkpoint ({@link RocksDbStore#checkpoint}) and,
 * written last and fsynced, a manifest {@value #MANIFEST}: whose data it is (server id,
 * incarnation, version vector), when it was taken, and every file with its size. A directory
 * without the manifest is an incomplete backup. A restore checks the manifest and the files,
 * copies them into a new data directory, checks that the copy opens and holds the metadata the
 * manifest names, and writes the store's running marker into it: the restored server's first
 * start then counts as one after an unclean stop and takes a new incarnation, so that no write
 * identity (dot) the server gave out after the backup is given out again. Its peers then send it
 * what it lacks.
 */
public final class Backup {
  /** The manifest's file name in a backup directory. */
  public static final String MANIFEST = "KVS-BACKUP";
  static final int FORMAT = 1;

  private Backup() {}

  /** What a manifest says. {@code files}: name to size in bytes. */
  public record Manifest(int serverId, int incarnation, String vector, String digest,
      Instant takenAt, Map<String, Long> files) {
    public String origin() {
      return Origins.toString(Origins.of(serverId, incarnation));
    }

    /** The manifest's text: one {@code key=value} a line, readable by {@link Properties}. */
    public String text() {
      StringBuilder b = new StringBuilder();
      b.append("# kvs backup manifest, written after every file of the checkpoint\n");
      b.append("format=").append(FORMAT).append('\n');
      b.append("server-id=").append(serverId).append('\n');
      b.append("incarnation=").append(Integer.toUnsignedString(incarnation, 16)).append('\n');
      b.append("origin=").append(origin()).append('\n');
      b.append("vector=").append(vector).append('\n');
      b.append("digest=").append(digest).append('\n');
      b.append("taken-at=").append(takenAt).append('\n');
      files.forEach((name, size) -> b.append("file.").append(name).append('=').append(size)
          .append('\n'));
      return b.toString();
    }

    static Manifest parse(String text, Path where) {
      Properties p = new Properties();
      try {
        p.load(new StringReader(text));
        if (!String.valueOf(FORMAT).equals(p.getProperty("format"))) {
          throw new IllegalArgumentException("unknown format " + p.getProperty("format"));
        }
        Map<String, Long> files = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
          if (!k.startsWith("file.")) continue;
          String name = k.substring(5);
          if (name.isEmpty() || name.contains("/") || name.equals("..") || name.equals(".")) {
            throw new IllegalArgumentException("bad file name '" + name + "'");
          }
          files.put(name, Long.parseLong(p.getProperty(k)));
        }
        if (files.isEmpty()) throw new IllegalArgumentException("it lists no file");
        return new Manifest(Integer.parseInt(required(p, "server-id")),
            Integer.parseUnsignedInt(required(p, "incarnation"), 16), required(p, "vector"),
            required(p, "digest"), Instant.parse(required(p, "taken-at")), files);
      } catch (IOException | RuntimeException e) {
        throw new BackupException("the manifest " + where + " is corrupt: " + e.getMessage(), e);
      }
    }

    private static String required(Properties p, String key) {
      String v = p.getProperty(key);
      if (v == null) throw new IllegalArgumentException("'" + key + "' is missing");
      return v;
    }
  }

  /** A backup or restore that cannot be done; its message says why, for the operator. */
  public static final class BackupException extends RuntimeException {
    public BackupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * What is wrong with {@code target} as the directory of a new backup of the store in
   * {@code dataDir}, or null when nothing is: it must be an absolute path outside the data
   * directory, and either not exist (its parent is created) or be an empty directory.
   */
  public static String targetProblem(Path target, Path dataDir) {
    if (!target.isAbsolute()) {
      return "the backup directory must be an absolute path (on the server's machine), got '"
          + target + "'";
    }
    Path t = target.normalize();
    Path data = dataDir.toAbsolutePath().normalize();
    if (t.startsWith(data) || data.startsWith(t)) {
      return "the backup directory " + t + " must be outside the data directory " + data;
    }
    for (Path up = t.getParent(); up != null; up = up.getParent()) {
      if (Files.exists(up)) {
        if (!Files.isDirectory(up)) return up + " is not a directory";
        break;
      }
    }
    if (Files.exists(t) || Files.isSymbolicLink(t)) {
      if (!Files.isDirectory(t)) return t + " exists and is not a directory";
      try (Stream<Path> entries = Files.list(t)) {
        if (entries.findAny().isPresent()) return t + " exists and is not empty";
      } catch (IOException e) {
        return "cannot read " + t + ": " + e;
      }
    }
    return null;
  }

  /**
   * Takes a backup of {@code store} (the store of server {@code serverId} in {@code dataDir})
   * into {@code target}. May run on any thread; the caller has written the log buffer first.
   * On failure nothing is left in {@code target} but what was there (an empty directory).
   */
  public static Manifest create(RocksDbStore store, Path dataDir, int serverId, Path target) {
    String problem = targetProblem(target, dataDir);
    if (problem != null) throw new BackupException(problem, null);
    Path t = target.normalize();
    boolean existed = Files.isDirectory(t);
    try {
      if (existed) {
        Files.delete(t); // empty (checked): RocksDB wants to create the directory itself
      } else if (t.getParent() != null) {
        Files.createDirectories(t.getParent());
      }
    } catch (IOException e) {
      throw new BackupException("cannot prepare " + t + ": " + e, e);
    }
    try {
      store.checkpoint(t);
    } catch (RocksDBException e) {
      restoreEmpty(t, existed);
      throw new BackupException("the checkpoint into " + t + " failed: " + e.getMessage(), e);
    }
    try {
      ReplicaMeta meta = RocksDbStore.readMeta(t);
      if (meta.serverId() != serverId) {
        throw new BackupException("the checkpoint holds server " + meta.serverId()
            + "'s data, not server " + serverId + "'s", null);
      }
      Manifest m = new Manifest(meta.serverId(), meta.incarnation(), meta.vv().toString(),
          Long.toHexString(meta.digest()), Instant.now(), listFiles(t));
      writeSynced(t.resolve(MANIFEST), m.text());
      syncDirectory(t);
      return m;
    } catch (IOException | RuntimeException e) {
      kvs.process.Trees.delete(t);
      restoreEmpty(t, existed);
      if (e instanceof BackupException b) throw b;
      throw new BackupException("the backup into " + t + " failed: " + e.getMessage(), e);
    }
  }

  /** Reads and checks a backup: its manifest, and every file it lists with its size. */
  public static Manifest verify(Path backup) {
    if (!Files.isDirectory(backup)) {
      throw new BackupException(backup + " is not a directory (a backup is a directory)", null);
    }
    Path manifest = backup.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      throw new BackupException(backup + " holds no manifest " + MANIFEST + ": it is not a kvs"
          + " backup, or an incomplete one (a backup writes its manifest last)", null);
    }
    Manifest m;
    try {
      m = Manifest.parse(Files.readString(manifest, StandardCharsets.UTF_8), manifest);
    } catch (IOException e) {
      throw new BackupException("cannot read " + manifest + ": " + e, e);
    }
    for (Map.Entry<String, Long> f : m.files().entrySet()) {
      Path file = backup.resolve(f.getKey());
      try {
        long size = Files.size(file);
        if (size != f.getValue()) {
          throw new BackupException("backup " + backup + " is corrupt or incomplete: "
              + f.getKey() + " has " + size + " bytes, the manifest says " + f.getValue(), null);
        }
      } catch (IOException e) {
        throw new BackupException("backup " + backup + " is incomplete: " + f.getKey()
            + " is missing or unreadable (" + e.getMessage() + ")", e);
      }
    }
    return m;
  }

  /**
   * What is wrong with {@code dataDir} as the target of a restore, or null: it must not exist
   * or be an empty directory.
   */
  public static String restoreTargetProblem(Path dataDir) {
    if (!Files.exists(dataDir) && !Files.isSymbolicLink(dataDir)) return null;
    if (!Files.isDirectory(dataDir)) return dataDir + " exists and is not a directory";
    try (Stream<Path> entries = Files.list(dataDir)) {
      if (entries.findAny().isPresent()) {
        return "the data directory " + dataDir + " is not empty; a restore writes a new one";
      }
    } catch (IOException e) {
      return "cannot read " + dataDir + ": " + e;
    }
    return null;
  }

  /**
   * Restores {@code backup} into the new data directory {@code dataDir}, for server
   * {@code serverId} (negative: whichever server the backup is of). The restored directory's
   * first start takes a new incarnation (see the class comment).
   */
  public static Manifest restore(Path backup, Path dataDir, int serverId) {
    Manifest m = verify(backup);
    if (serverId >= 0 && m.serverId() != serverId) {
      throw new BackupException("backup " + backup + " is of server " + m.serverId()
          + ", not server " + serverId + "; a server can only be restored from its own backup",
          null);
    }
    String problem = restoreTargetProblem(dataDir);
    if (problem != null) throw new BackupException(problem, null);
    boolean existed = Files.isDirectory(dataDir);
    try {
      Files.createDirectories(dataDir);
      for (String name : m.files().keySet()) {
        Path to = dataDir.resolve(name);
        Files.copy(backup.resolve(name), to, StandardCopyOption.COPY_ATTRIBUTES);
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      }
      syncDirectory(dataDir);
      ReplicaMeta meta;
      try {
        meta = RocksDbStore.readMeta(dataDir);
      } catch (StoreOpenException e) {
        throw new BackupException("backup " + backup + " is corrupt: " + e.getMessage(), e);
      }
      if (meta.serverId() != m.serverId() || meta.incarnation() != m.incarnation()
          || !meta.vv().toString().equals(m.vector())) {
        throw new BackupException("backup " + backup + " is corrupt: its database holds "
            + Origins.toString(meta.origin()) + " at " + meta.vv() + ", its manifest says "
            + m.origin() + " at " + m.vector(), null);
      }
      // The marker of a run that did not stop cleanly: the first start takes a new incarnation.
      writeSynced(dataDir.resolve(RocksDbStore.RUNNING_MARKER), "restored from " + backup
          + " (" + m.origin() + ", taken at " + m.takenAt() + ") at " + Instant.now() + "\n");
      syncDirectory(dataDir);
      return m;
    } catch (IOException | RuntimeException e) {
      kvs.process.Trees.delete(dataDir);
      restoreEmpty(dataDir, existed);
      if (e instanceof BackupException b) throw b;
      throw new BackupException("the restore into " + dataDir + " failed: " + e.getMessage(), e);
    }
  }

  private static Map<String, Long> listFiles(Path dir) throws IOException {
    Map<String, Long> files = new TreeMap<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        if (!Files.isRegularFile(p)) {
          throw new IOException("unexpected entry " + p + " in the checkpoint");
        }
        files.put(p.getFileName().toString(), Files.size(p));
      }
    }
    return files;
  }

  private static void writeSynced(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Makes the entries of {@code dir} (files created, renamed, removed) survive a power cut. */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static void restoreEmpty(Path dir, boolean existed) {
    if (!existed) return;
    try {
      Files.createDirectories(dir);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
