package kvs.process;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Recursive delete of a directory tree: the master's and the cluster's temporary data roots,
 * an agent's run directory, the bench's work directory, {@code kvs cleanup}'s leftovers. One
 * copy, so that every caller deletes the same way: depth first, going on past what cannot be
 * deleted (a file held open, a permission), so that as much as possible goes.
 */
public final class Trees {
  private Trees() {}

  /**
   * Deletes {@code root} and everything under it, without following symbolic links; true if
   * nothing is left (also when {@code root} did not exist), false if something could not go.
   */
  public static boolean delete(Path root) {
    if (!Files.exists(root)) {
      return true;
    }
    boolean[] ok = {true};
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          ok[0] = false;
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) {
          delete(dir);
          return FileVisitResult.CONTINUE;
        }

        private void delete(Path p) {
          try {
            Files.deleteIfExists(p);
          } catch (IOException e) {
            ok[0] = false;
          }
        }
      });
    } catch (IOException e) {
      return false;
    }
    return ok[0];
  }
}
