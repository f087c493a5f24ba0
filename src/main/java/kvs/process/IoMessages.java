package kvs.process;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The reason of a failed file operation in words, for a one-line error message: NIO's exceptions
 * often carry only the path ({@code NoSuchFileException: x}), which says nothing on its own.
 */
public final class IoMessages {
  private IoMessages() {}

  /** What failed and why: the file, when the exception names one, and the reason. */
  public static String describe(IOException e) {
    String file = e instanceof FileSystemException f ? f.getFile() : null;
    return (file != null ? file + ": " : "") + reason(e);
  }

  /** Why {@code e} happened, without the path, which the caller's message names already. */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) return "no such file or directory";
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof FileAlreadyExistsException) return "exists and is not a directory";
    if (e instanceof NotDirectoryException) return "not a directory";
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason().toLowerCase(java.util.Locale.ROOT);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
