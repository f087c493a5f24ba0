package kvs.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library from a per-user cache instead of letting rocksdbjni extract it
 * to a new temporary file at every start. The stock loader writes 15 MB per process start and,
 * since servers stop by SIGKILL, never deletes it; a master run that starts hundreds of servers
 * would fill /tmp. The cache is keyed by the library's size, so a new rocksdbjni gets a new file.
 */
final class RocksDbNative {
  private static boolean loaded;

  private RocksDbNative() {}

  static synchronized void load() {
    if (loaded) return;
    try {
      Path cached = cachedCopy();
      if (cached != null) {
        RocksDB.loadLibrary(List.of(cached.getParent().toString()));
        loaded = true;
        return;
      }
    } catch (IOException | UnsatisfiedLinkError e) {
      // fall through to the stock loader
    }
    RocksDB.loadLibrary();
    loaded = true;
  }

  /**
   * Copies the library out of the jar once. The resource is named for "rocksdb", while
   * {@link RocksDB#loadLibrary(List)} looks for the file name it derives from "rocksdbjni".
   */
  private static Path cachedCopy() throws IOException {
    String resource = "/" + Environment.getJniLibraryFileName("rocksdb");
    String name = Environment.getJniLibraryFileName("rocksdbjni");
    java.net.URL url = RocksDB.class.getResource(resource);
    if (url == null) return null;
    long size = url.openConnection().getContentLengthLong();
    String base = System.getenv("KVS_NATIVE_DIR");
    Path dir = base != null ? Path.of(base)
        : Path.of(System.getProperty("java.io.tmpdir"), "kvs-native-" + System.getProperty("user.name"));
    Path dirForVersion = dir.resolve(Long.toString(size));
    Path target = dirForVersion.resolve(name);
    if (Files.isRegularFile(target) && Files.size(target) == size) return target;
    Files.createDirectories(dirForVersion);
    Path tmp = Files.createTempFile(dirForVersion, name, ".part");
    try (InputStream in = url.openStream()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }
}
