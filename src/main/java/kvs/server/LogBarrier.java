package kvs.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;

/**
 * First in every pipeline of a server: before any bytes leave, the write-ahead log holds every
 * commit so far. Commits are written to the log file in groups (see
 * {@code RocksDbStore.flushWal}); with this barrier no reply, push, delta or advert can reveal a
 * write that a SIGKILL right after would lose, which also keeps a restarted server from
 * numbering a new write with a dot that a peer or a client already saw.
 */
@ChannelHandler.Sharable
final class LogBarrier extends ChannelOutboundHandlerAdapter {
  private final Node node;

  LogBarrier(Node node) {
    this.node = node;
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    node.writeLog();
    ctx.flush();
  }
}
