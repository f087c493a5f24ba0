package kvs.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw RESP connection for tests that need what a client library hides: bytes sent as they
 * are, pipelines not read, half-closed sockets, and whether the server closed the connection.
 * Replies read as: "+OK" and "-ERR ..." strings, Long integers, byte[] bulk strings (null for
 * nil), List arrays.
 */
final class RespConn implements AutoCloseable {
  final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RespConn(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = socket.getOutputStream();
  }

  static RespConn open(int port) throws IOException {
    return open(port, 0);
  }

  /** With {@code receiveBuffer} > 0, a socket that holds little of what the server sends. */
  static RespConn open(int port, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
    s.setSoTimeout(10_000);
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    return new RespConn(s);
  }

  static byte[] encode(byte[]... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] a : args) {
      b.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.writeBytes(a);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return b.toByteArray();
  }

  static byte[] encode(String... args) {
    byte[][] bytes = new byte[args.length][];
    for (int i = 0; i < args.length; i++) bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return encode(bytes);
  }

  RespConn send(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
    return this;
  }

  RespConn sendText(String raw) throws IOException {
    return send(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends a command and reads its reply. */
  Object call(String... args) throws IOException {
    send(encode(args));
    return reply();
  }

  Object reply() throws IOException {
    int type = in.read();
    if (type < 0) throw new EOFException("the server closed the connection");
    String line = line();
    return switch (type) {
      case '+' -> "+" + line;
      case '-' -> "-" + line;
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int n = Integer.parseInt(line);
        if (n < 0) yield null;
        byte[] b = new byte[n];
        in.readFully(b);
        line();
        yield b;
      }
      case '*' -> {
        int n = Integer.parseInt(line);
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < n; i++) items.add(reply());
        yield items;
      }
      default -> throw new IOException("not a RESP reply: " + (char) type + line);
    };
  }

  /** Sends a command and reads its reply, RESP2 or RESP3, as the bytes sent (ISO-8859-1). */
  String callRaw(String... args) throws IOException {
    send(encode(args));
    return rawReply();
  }

  /** One reply, RESP2 or RESP3, as the bytes the server sent (ISO-8859-1). */
  String rawReply() throws IOException {
    StringBuilder sb = new StringBuilder();
    rawReply(sb);
    return sb.toString();
  }

  private void rawReply(StringBuilder sb) throws IOException {
    int type = in.read();
    if (type < 0) throw new EOFException("the server closed the connection");
    String line = line();
    sb.append((char) type).append(line).append("\r\n");
    switch (type) {
      case '$', '=', '!' -> {
        int n = Integer.parseInt(line);
        if (n >= 0) {
          byte[] b = new byte[n + 2];
          in.readFully(b);
          sb.append(new String(b, StandardCharsets.ISO_8859_1));
        }
      }
      case '*', '~', '>' -> {
        for (int i = Integer.parseInt(line); i > 0; i--) rawReply(sb);
      }
      case '%', '|' -> {
        for (int i = 2 * Integer.parseInt(line); i > 0; i--) rawReply(sb);
      }
      default -> { } // + - : _ , # ( are one line
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) throw new EOFException("the server closed the connection mid-reply");
      b.write(c);
    }
    if (in.read() != '\n') throw new IOException("a reply line not ended by CRLF");
    return b.toString(StandardCharsets.UTF_8);
  }

  /**
   * Whether the server closed the connection within the socket timeout: reads (and drops) what
   * is left until the end of the stream. False when the server sends nothing and keeps it open.
   */
  boolean closedByServer() throws IOException {
    try {
      byte[] buf = new byte[64 * 1024];
      while (in.read(buf) >= 0) {
        // replies already on their way are dropped
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
