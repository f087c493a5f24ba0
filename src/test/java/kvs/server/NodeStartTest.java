package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import kvs.net.Limits;
import kvs.storage.RocksDbStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a start that fails leaves behind. */
class NodeStartTest {
  @TempDir Path dir;

  /**
   * A port already in use fails the bind after the store is open. The store must close with the
   * failed start: left open, it held its directory's lock and its running marker, so the next
   * start on that directory reported an unclean stop that never happened.
   */
  @Test
  void aStartWhosePortIsTakenClosesItsStoreCleanly() throws Exception {
    try (InProcessNodes nodes = new InProcessNodes(dir)) {
      Node holder = nodes.start(0, Map.of());
      Path data = dir.resolve("second");
      ServerConfig taken = new ServerConfig(1, "127.0.0.1", holder.port(), data, Map.of(),
          InProcessNodes.SECRET, null, false, Limits.DEFAULT);
      assertThatThrownBy(() -> Node.start(taken, Clock.SYSTEM))
          .isInstanceOf(java.io.IOException.class);
      try (RocksDbStore store = RocksDbStore.open(data, false)) {
        assertThat(store.lastStopWasClean()).isTrue();
      }
    }
  }
}
