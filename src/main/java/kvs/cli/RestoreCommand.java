package kvs.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import kvs.storage.Backup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvs restore}: a new data directory from a backup of {@code kvs backup}. */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Prepares a new data directory from a backup taken by 'kvs backup': checks the"
        + " backup's manifest and files, copies them, checks that the copy opens and holds what"
        + " the manifest says, and marks the directory so that the server's first start on it"
        + " takes a new incarnation (no write identity given out after the backup is reused);"
        + " it then gets from its peers what it lacks.",
        "Run it on the server's machine, with the server stopped; then start the server"
            + " ('kvs server --id ID --data-dir NEWDIR ...') with the same id and peers.",
        "Exit status 1 when the backup or the target is unusable, with the reason."})
public final class RestoreCommand implements Callable<Integer> {
  @Option(names = "--from", required = true, paramLabel = "DIR",
      description = "The backup directory.")
  Path from;

  @Option(names = "--data-dir", required = true, paramLabel = "NEWDIR",
      description = "The data directory to create; must not exist or be empty.")
  Path dataDir;

  @Option(names = "--id", paramLabel = "ID", defaultValue = "-1",
      description = "Refuse unless the backup is of server ID.")
  int id;

  @Override
  public Integer call() {
    try {
      Backup.Manifest m = Backup.restore(from, dataDir, id);
      System.out.println("restored backup of server " + m.serverId() + " (" + m.origin()
          + ", vector " + m.vector() + ", taken at " + m.takenAt() + ") into " + dataDir
          + "; its first start takes a new incarnation");
      return 0;
    } catch (Backup.BackupException e) {
      System.err.println("kvs restore: " + e.getMessage());
      return 1;
    }
  }
}
