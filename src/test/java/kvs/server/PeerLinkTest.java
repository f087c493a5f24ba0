package kvs.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import kvs.core.DeltaChunk;
import kvs.core.Entry;
import kvs.core.LinkDriver;
import kvs.core.Replica;
import kvs.core.SessionToken;
import kvs.core.VersionVector;
import kvs.net.Limits;
import kvs.net.Resp;
import kvs.net.RespPipeline;
import kvs.storage.MemoryStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Netty adapter of the link driver, over EmbeddedChannels: what it alone must get right
 * (the rules themselves are LinkDriverTest's). A frame read reaches the replica and the node
 * passes on what it newly covered; what the driver sends leaves as RESP frames with one flush per
 * event; a full channel stops the delta and a drained one resumes it; the driver's wake-ups run
 * on the channel's loop and its clock, so an idle link closes; a bad frame closes the link and
 * the node forgets it.
 *
 * <p>Each link's channel has the pipeline of a server's peer connection (log barrier, RESP
 * codec, the link) under a real in-process node, and a {@link Gate} next to the "socket". The
 * node's replica belongs to the node's loop, so every step with a link runs there ({@link
 * #onLoop}); the EmbeddedChannels' own loops, whose time is frozen, run the links' timers when
 * the test moves that time.
 */
class PeerLinkTest {
  private static final String SECRET = "test-secret";
  private static final int PEER = 2;
  private static final int OTHER = 3;
  @TempDir Path dir;
  private Node node;
  private final List<Node> more = new ArrayList<>();
  private final List<Link> links = new ArrayList<>();

  @BeforeEach
  void startNode() throws Exception {
    node = start(1, Map.of());
  }

  @AfterEach
  void stop() {
    try {
      if (!links.isEmpty()) {
        onLoop(() -> {
          for (Link l : links) {
            l.ch.finishAndReleaseAll();
            l.decoder.finishAndReleaseAll();
          }
          return null;
        });
      }
    } finally {
      node.close();
      more.forEach(Node::close);
    }
  }

  private Node start(int id, Map<Integer, InetSocketAddress> peers) throws Exception {
    return Node.start(new ServerConfig(id, "127.0.0.1", 0, dir.resolve("server-" + id), peers,
        SECRET, null, false, Limits.DEFAULT), Clock.SYSTEM);
  }

  // ---- the rig -----------------------------------------------------------------------------

  /**
   * Outbound, next to the channel's "socket": counts the flushes that reach it and, while
   * {@code held}, keeps them from the channel, so that written frames stay in the channel's
   * outbound buffer as they would behind a slow peer's full socket.
   */
  static final class Gate extends ChannelOutboundHandlerAdapter {
    /** Flushes that carried a frame of the link's driver (see {@link Tap}). */
    int flushes;
    boolean held;
    /** A driver frame was written since the last flush. */
    boolean driverWritten;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      if (driverWritten) flushes++;
      driverWritten = false;
      if (!held) ctx.flush();
    }

    /** The peer reads what is buffered: one flush to the channel, the gate staying held. */
    void drainOnce() {
      ctx.flush();
    }
  }

  /**
   * Outbound, before the encoder: tells the gate which writes are the driver's. The collector's
   * stability adverts are flushed on their own schedule (after a log sync, which the node's writes
   * start at a moment of the loaded machine's choosing); they are CollectionTest's subject, and
   * counting their flushes here would make the driver's "one flush per event" depend on timing.
   */
  static final class Tap extends ChannelOutboundHandlerAdapter {
    private final Gate gate;

    Tap(Gate gate) {
      this.gate = gate;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise p) {
      byte[][] args = msg instanceof RedisMessage m ? Resp.arguments(m) : null;
      boolean collector = args != null && args.length == 2
          && Resp.ascii(args[0]).equals(Collector.MESSAGE);
      if (!collector) gate.driverWritten = true;
      ctx.write(msg, p);
    }
  }

  /** A link of the node to a peer, over an EmbeddedChannel; the peer's replica is in memory. */
  final class Link {
    final int peerId;
    final Replica peer;
    final EmbeddedChannel ch;
    final Gate gate = new Gate();
    /** Decodes what the link flushed, as the peer's RESP decoder would. */
    final EmbeddedChannel decoder = new EmbeddedChannel();
    PeerLink link;

    Link(int peerId, WriteBufferWaterMark waterMark) {
      this.peerId = peerId;
      this.peer = Replica.open(new MemoryStore(), peerId, 1000 + peerId);
      this.ch = new EmbeddedChannel();
      ch.freezeTime(); // the link's time moves only when the test moves it
      if (waterMark != null) ch.config().setWriteBufferWaterMark(waterMark);
      RespPipeline.install(decoder.pipeline(), Limits.DEFAULT);
    }

    /** Registers the link as an accepted peer connection does (PeerLink.accept). */
    void register(VersionVector peerHas) {
      ch.pipeline().addLast("gate", gate);
      ch.pipeline().addLast("log-barrier", node.logBarrier);
      RespPipeline.install(ch.pipeline(), node.config.limits());
      ch.pipeline().addLast("tap", new Tap(gate));
      link = new PeerLink(node, peerId, peer.origin(), ch, peerHas, false);
      ch.pipeline().addLast("peer", link);
      node.links.register(link);
    }

    /** Every frame flushed to the channel since the last call, as its RESP arguments. */
    List<byte[][]> frames() {
      for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) decoder.writeInbound(o);
      List<byte[][]> out = new ArrayList<>();
      for (Object m = decoder.readInbound(); m != null; m = decoder.readInbound()) {
        try {
          byte[][] args = Resp.arguments((RedisMessage) m);
          // Stability adverts are the collector's (CollectionTest), not the driver's.
          if (args != null && args.length == 2 && Resp.ascii(args[0]).equals(Collector.MESSAGE)) {
            continue;
          }
          out.add(args);
        } finally {
          ReferenceCountUtil.release(m);
        }
      }
      return out;
    }

    /** The frames of {@link #frames} of one type, checked to be that type's two-part shape. */
    List<byte[]> payloads(List<byte[][]> frames, String type) {
      List<byte[]> out = new ArrayList<>();
      for (byte[][] f : frames) {
        assertThat(f.length).as("a frame: type and payload").isEqualTo(2);
        String t = Resp.ascii(f[0]);
        assertThat(t).isIn(PeerLink.DELTA, PeerLink.ADVERT);
        if (t.equals(type)) out.add(f[1]);
      }
      return out;
    }

    List<DeltaChunk> chunks(List<byte[][]> frames) {
      return payloads(frames, PeerLink.DELTA).stream().map(DeltaChunk::decode).toList();
    }

    /** Feeds raw bytes from the peer. */
    void receive(byte[] bytes) {
      ch.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    Entry write(String key, String value) {
      return peer.put(new SessionToken(), b(key), b(value), System.currentTimeMillis());
    }
  }

  /** Creates and registers a link on the node's loop; its outbound starts empty. */
  private Link link(int peerId, VersionVector peerHas, WriteBufferWaterMark waterMark) {
    return onLoop(() -> {
      Link n = new Link(peerId, waterMark);
      links.add(n);
      n.register(peerHas);
      return n;
    });
  }

  /**
   * Moves a channel's frozen time on by {@code ms}, running each timer at its own deadline as a
   * real loop would (one jump over several deadlines would run them late, at the jump's end).
   */
  private static void passTime(EmbeddedChannel ch, long ms) {
    long left = TimeUnit.MILLISECONDS.toNanos(ms);
    ch.runPendingTasks();
    while (true) {
      long next = ch.runScheduledPendingTasks(); // nanos to the next timer; -1 when none
      if (next < 0 || next > left) break;
      ch.advanceTimeBy(next, TimeUnit.NANOSECONDS);
      left -= next;
      ch.runPendingTasks();
    }
    ch.advanceTimeBy(left, TimeUnit.NANOSECONDS);
    ch.runPendingTasks();
  }

  /** A RESP array of bulk strings, as a peer's encoder writes it. */
  private static byte[] resp(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(b("*" + parts.length + "\r\n"));
    for (byte[] p : parts) {
      out.writeBytes(b("$" + p.length + "\r\n"));
      out.writeBytes(p);
      out.writeBytes(b("\r\n"));
    }
    return out.toByteArray();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** An advert's linked origins (its payload: a vector, a count, the origins). */
  private static Set<Long> advertisedLinks(byte[] payload) {
    ByteBuffer buf = ByteBuffer.wrap(payload);
    VersionVector.decodeFrom(buf);
    int n = buf.getInt();
    Set<Long> out = new HashSet<>();
    for (int i = 0; i < n; i++) out.add(buf.getLong());
    return out;
  }

  private static byte[] advert(VersionVector vv, long... linkedOrigins) {
    ByteBuffer buf = ByteBuffer.allocate(vv.encodedSize() + 4 + 8 * linkedOrigins.length);
    vv.encodeTo(buf);
    buf.putInt(linkedOrigins.length);
    for (long o : linkedOrigins) buf.putLong(o);
    return buf.array();
  }

  /** Writes {@code n} values of {@code bytes} bytes each to the node's replica, on its loop. */
  private List<Entry> fill(int n, int bytes) {
    return onLoop(() -> {
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        keys.add(b("big-" + i));
        byte[] v = new byte[bytes];
        Arrays.fill(v, (byte) ('a' + i % 26));
        values.add(v);
      }
      // One write each: a single write of them all would be one atomic batch, never cut.
      List<Entry> written = new ArrayList<>();
      SessionToken session = new SessionToken();
      for (int i = 0; i < n; i++) {
        written.addAll(node.replica.write(session, List.of(keys.get(i)), List.of(values.get(i)),
            System.currentTimeMillis()));
      }
      return written;
    });
  }

  private <T> T onLoop(Callable<T> c) {
    return InProcessNodes.onLoop(node, c);
  }

  // ---- (1) frames read reach the replica, and the node passes them on -----------------------

  @Test
  void aDeltaFrameReadReachesTheReplicaAndWhatItNewlyCoveredIsPushedToTheOtherLinks()
      throws Exception {
    Link a = link(PEER, new VersionVector(), null);
    Link other = link(OTHER, new VersionVector(), null);
    onLoop(() -> {
      a.ch.runPendingTasks();
      other.ch.runPendingTasks();
      a.frames(); // the adverts of the links coming up
      other.frames();
      return null;
    });
    Entry x = a.write("x", "1");
    Entry y = a.write("y", "2");
    byte[] push = DeltaChunk.push(List.of(x, y)).encode();

    onLoop(() -> {
      a.receive(resp(b(PeerLink.DELTA), push));
      assertThat(a.ch.isOpen()).isTrue();
      assertThat(s(node.replica.peek(b("x")).value())).isEqualTo("1");
      assertThat(s(node.replica.peek(b("y")).value())).isEqualTo("2");
      assertThat(node.replica.vv().get(a.peer.origin())).isEqualTo(2);
      return null;
    });

    // The node pushes what the frame newly covered to its other links (on its loop, batched):
    // the other peer gets both writes, in order; the sender gets none of them back.
    List<Entry> pushed = new ArrayList<>();
    InProcessNodes.await10s("the writes pushed to the other link", () -> onLoop(() -> {
      for (DeltaChunk c : other.chunks(other.frames())) pushed.addAll(c.entries());
      return pushed.size() >= 2;
    }));
    assertThat(pushed).containsExactly(x, y);
    onLoop(() -> {
      assertThat(a.chunks(a.frames())).isEmpty();
      return null;
    });
  }

  // ---- (2) what the driver sends goes out as RESP frames, one flush per event ----------------

  @Test
  void whatTheDriverSendsIsWrittenAsRespFramesAndFlushedOncePerEvent() {
    fill(12, 64 * 1024); // about three chunks of LinkDriver.CHUNK_BYTES
    onLoop(() -> {
      // A channel that takes the whole delta at once: its water marks are far above it. Made in
      // this same turn of the node's loop: between two turns the collector may flush a stability
      // advert to the channel, and an EmbeddedChannel's flush runs its pending tasks, the
      // wake-up below among them (seen on a loaded machine: 2 flushes at the first check).
      Link a = new Link(PEER, new WriteBufferWaterMark(16 << 20, 32 << 20));
      links.add(a);
      a.register(new VersionVector());

      // Event: the link started. The whole delta went out, several frames, in one flush.
      assertThat(a.gate.flushes).isEqualTo(1);
      List<byte[][]> frames = a.frames();
      List<DeltaChunk> chunks = a.chunks(frames);
      assertThat(chunks).hasSizeGreaterThan(1);
      assertThat(a.payloads(frames, PeerLink.ADVERT)).isEmpty();
      assertThat(chunks.get(chunks.size() - 1).isLast()).isTrue();
      for (DeltaChunk c : chunks) a.peer.applyDelta(c);
      assertThat(a.peer.covers(node.replica.vv())).isTrue();

      // Event: the wake-up the links' change asked for (advertise at once). One advert, one flush.
      a.ch.runPendingTasks();
      assertThat(a.gate.flushes).isEqualTo(2);
      frames = a.frames();
      assertThat(frames).hasSize(1);
      assertThat(Set.of(Resp.ascii(frames.get(0)[0]))).containsExactly(PeerLink.ADVERT);
      assertThat(advertisedLinks(frames.get(0)[1])).containsExactly(a.peer.origin());

      // Event: the peer's advert, which asks for nothing to be sent. No flush at all.
      a.receive(resp(b(PeerLink.ADVERT), advert(a.peer.vv(), node.replica.origin())));
      assertThat(a.gate.flushes).isEqualTo(2);
      assertThat(a.frames()).isEmpty();

      // Event: new writes to pass on, bigger than a chunk, split into several pushes.
      SessionToken session = new SessionToken();
      List<Entry> writes = new ArrayList<>();
      for (String k : List.of("p1", "p2", "p3")) {
        writes.addAll(node.replica.write(session, List.of(b(k)), List.of(new byte[200_000]),
            System.currentTimeMillis()));
      }
      a.link.forward(writes);
      assertThat(a.gate.flushes).isEqualTo(3);
      List<DeltaChunk> pushes = a.chunks(a.frames());
      assertThat(pushes).hasSizeGreaterThan(1).allMatch(DeltaChunk::push);
      assertThat(pushes.stream().flatMap(c -> c.entries().stream()).toList())
          .containsExactlyElementsOf(writes);

      // Event: an atomic batch as big, one push: a batch is never cut.
      List<Entry> batch = node.replica.write(session, List.of(b("q1"), b("q2"), b("q3")),
          List.of(new byte[200_000], new byte[200_000], new byte[200_000]),
          System.currentTimeMillis());
      a.link.forward(batch);
      List<DeltaChunk> whole = a.chunks(a.frames());
      assertThat(whole).hasSize(1);
      assertThat(whole.get(0).entries()).containsExactlyElementsOf(batch);
      return null;
    });
  }

  // ---- (3) backpressure --------------------------------------------------------------------

  @Test
  void aFullChannelStopsTheDeltaAndEachDrainLetsOneMoreChunkBeCut() {
    // Four chunks, each well above the high water mark (a chunk ends with the entry that takes
    // it past LinkDriver.CHUNK_BYTES: 6, 6, 6 and the closing 2 entries).
    fill(20, 50_000);
    Link a = onLoop(() -> {
      Link n = new Link(PEER, new WriteBufferWaterMark(1024, 4096));
      links.add(n);
      n.gate.held = true; // the peer reads nothing for now
      n.register(new VersionVector());
      assertThat(n.gate.flushes).as("the start's flush").isEqualTo(1);
      n.ch.runPendingTasks(); // the advert for the links' change, out of the way
      // Its flush, and a heartbeat's if the loaded machine let one come due meanwhile: the
      // scheduled tasks of an EmbeddedChannel run by the wall clock.
      assertThat(n.gate.flushes).isBetween(2, 3);
      return n;
    });
    int base = onLoop(() -> a.gate.flushes);
    onLoop(() -> {
      // The first chunk filled the channel beyond its high water mark: the delta stopped.
      assertThat(a.ch.isWritable()).isFalse();
      assertThat(a.frames()).isEmpty();
      List<DeltaChunk> received = new ArrayList<>();
      for (int round = 1; round < 50; round++) {
        // The peer reads what is buffered: the channel turns writable, the link cuts the next
        // chunk (and only that one: it fills the channel again).
        a.gate.drainOnce();
        List<DeltaChunk> chunks = a.chunks(a.frames());
        assertThat(chunks).as("chunks out after drain %d", round).hasSize(1);
        received.addAll(chunks);
        if (chunks.get(0).isLast()) break;
        assertThat(a.ch.isWritable()).as("writable after drain %d", round).isFalse();
        assertThat(a.gate.flushes).as("one flush per writability event").isEqualTo(base + round);
      }
      assertThat(received).hasSizeGreaterThanOrEqualTo(4);
      assertThat(received.get(received.size() - 1).isLast()).isTrue();
      for (DeltaChunk c : received) a.peer.applyDelta(c);
      assertThat(a.peer.covers(node.replica.vv())).isTrue();
      // The delta is done: a drain now sends nothing more.
      a.gate.drainOnce();
      assertThat(a.ch.isWritable()).isTrue();
      assertThat(a.chunks(a.frames())).isEmpty();
      return null;
    });
  }

  // ---- (4) wake-ups on the channel's loop; the idle timeout ----------------------------------

  @Test
  void theDriversWakeUpsRunOnTheChannelsClockAndAnIdleLinkCloses() {
    Link a = link(PEER, new VersionVector(), null);
    onLoop(() -> {
      a.ch.runPendingTasks();
      assertThat(a.payloads(a.frames(), PeerLink.ADVERT)).hasSize(1); // the links changed

      // That advert counts as this second's sign of life; a heartbeat follows a whole
      // LinkDriver.HEARTBEAT_MS with nothing sent, on the channel's time.
      passTime(a.ch, 2 * LinkDriver.HEARTBEAT_MS - 1);
      assertThat(a.frames()).isEmpty();
      passTime(a.ch, 1);
      assertThat(a.payloads(a.frames(), PeerLink.ADVERT)).hasSize(1);

      // Part of a frame, just before the idle timeout: any byte heard keeps the link alive.
      passTime(a.ch, LinkDriver.IDLE_TIMEOUT_MS - 2 * LinkDriver.HEARTBEAT_MS - 1);
      assertThat(a.ch.isOpen()).isTrue();
      byte[] frame = resp(b(PeerLink.ADVERT), advert(new VersionVector()));
      a.receive(Arrays.copyOf(frame, 10));

      passTime(a.ch, LinkDriver.IDLE_TIMEOUT_MS - 1);
      assertThat(a.ch.isOpen()).isTrue();
      assertThat(node.links.isLinked(PEER)).isTrue();
      assertThat(a.payloads(a.frames(), PeerLink.ADVERT))
          .as("a heartbeat each second meanwhile").hasSizeGreaterThanOrEqualTo(4);

      // LinkDriver.IDLE_TIMEOUT_MS after the last byte heard: closed, and the node forgets it.
      passTime(a.ch, 1);
      assertThat(a.ch.isOpen()).isFalse();
      assertThat(node.links.isLinked(PEER)).isFalse();
      return null;
    });
  }

  // ---- (5) a malformed frame closes the link -------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"bad delta", "bad advert", "unknown type", "three parts", "one part",
      "bad resp"})
  void aMalformedFrameClosesTheLinkAndTheNodeForgetsIt(String what) {
    Link a = link(PEER, new VersionVector(), null);
    Link other = link(OTHER, new VersionVector(), null);
    byte[] bytes = switch (what) {
      case "bad delta" -> resp(b(PeerLink.DELTA), b("not a delta chunk"));
      case "bad advert" -> resp(b(PeerLink.ADVERT), new byte[] {1, 2, 3});
      case "unknown type" -> resp(b("KVS.NOPE"), b("x"));
      case "three parts" -> resp(b(PeerLink.ADVERT), advert(new VersionVector()), b("x"));
      case "one part" -> resp(b(PeerLink.ADVERT));
      case "bad resp" -> b("*2\r\n$nope\r\n");
      default -> throw new AssertionError(what);
    };
    onLoop(() -> {
      a.ch.runPendingTasks();
      other.ch.runPendingTasks();
      other.frames();
      assertThat(node.links.linkedPeers()).containsExactlyInAnyOrder(PEER, OTHER);

      a.receive(bytes);
      a.ch.runPendingTasks();
      assertThat(a.ch.isOpen()).isFalse();
      assertThat(node.links.linkedPeers()).containsExactly(OTHER);
      assertThat(node.links.linkedOrigins()).containsExactly(other.peer.origin());
      // The other peer learns at once that this server lost its link to the first.
      other.ch.runPendingTasks();
      List<byte[]> adverts = other.payloads(other.frames(), PeerLink.ADVERT);
      assertThat(adverts).hasSize(1);
      assertThat(advertisedLinks(adverts.get(0))).containsExactly(other.peer.origin());
      return null;
    });
  }

  // ---- production wiring -------------------------------------------------------------------

  /**
   * The adapter runs its timers on its channel's loop; on a server that is the node's one loop,
   * which owns the replica, for links it accepted and links it dialled alike.
   */
  @Test
  void onAServerEveryLinksChannelIsOnTheNodesLoop() throws Exception {
    Node dialler = start(PEER, Map.of(node.config.id(),
        InetSocketAddress.createUnresolved("127.0.0.1", node.port())));
    more.add(dialler);
    dialler.dialConfiguredPeers().get(10, TimeUnit.SECONDS);
    InProcessNodes.await10s("both sides linked", () -> onLoop(() -> node.links.isLinked(PEER))
        && InProcessNodes.onLoop(dialler, () -> dialler.links.isLinked(node.config.id())));
    for (Node n : List.of(node, dialler)) {
      List<Boolean> onNodeLoop = InProcessNodes.onLoop(n, () -> {
        List<Boolean> out = new ArrayList<>();
        n.links.forEach(l -> out.add(l.channel.eventLoop() == n.loop));
        return out;
      });
      assertThat(onNodeLoop).as("server %d's links", n.config.id()).containsExactly(true);
    }
  }
}
