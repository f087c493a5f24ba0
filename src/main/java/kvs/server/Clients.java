package kvs.server;

/**
 * A node's count of its client connections, for {@code --maxclients} and INFO. Only the event
 * loop touches it. A client connection is one that is neither a peer's replication link nor an
 * admin connection: those two leave the count as soon as they present the cluster secret.
 */
final class Clients {
  /** Client connections open now, as Redis's connected_clients. */
  int connected;
  /** Connections beyond --maxclients waiting to show they are a peer or admin (ConnectionHandler). */
  int onProbation;
  /** Connections refused because of --maxclients, as Redis's rejected_connections. */
  long rejected;
  /** Clients disconnected for --client-output-buffer-limit, as Redis's stat of that name. */
  long outputBufferLimitDisconnections;
}
