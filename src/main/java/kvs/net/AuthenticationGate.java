package kvs.net;

import io.netty.channel.ChannelHandler;

/**
 * The handler of a connection's pipeline that holds a command to the small unauthenticated limits
 * until the connection authenticates ({@link Limits#unauthArgumentsMax()},
 * {@link Limits#unauthCommandBytesMax()}): {@link FrameLimiter} behind Netty's decoder, or
 * {@link RespCommandDecoder} on its own.
 */
public interface AuthenticationGate extends ChannelHandler {
  /** From now until {@link #authenticated()}, only a small command is accepted. */
  void requireAuthentication();

  /** The connection authenticated: the full limits apply from the next frame on. */
  void authenticated();
}
