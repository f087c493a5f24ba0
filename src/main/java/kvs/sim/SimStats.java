package kvs.sim;

/** Counters of what one run (or, summed, many runs) exercised. */
public final class SimStats {
  public long runs;
  public long steps;
  public long healSteps;
  public long reads;
  public long readsRefused;
  public long writes;
  public long expiringWrites;
  public long increments;
  public long counterResets;
  public long fieldWrites;
  /** HINCRBYs of a hash field, among {@link #fieldWrites}. */
  public long fieldIncrements;
  public long memberWrites;
  /** ZADD, ZINCRBY and ZREM of the sorted-set key. */
  public long zsetWrites;
  public long transactions;
  public long flushes;
  public long readsExpired;
  public long sweeps;
  /** Tombstones and expiry remnants removed by collection (Replica.collectStable). */
  public long collected;
  /** Retirements of dead incarnations (KVS.RETIRE) that a server took in from the operator. */
  public long retirements;
  /** Retired incarnations sealed (their vector entries dropped) by a server's collection. */
  public long seals;
  /** Of {@link #collected}: after a wipe in the run, and after a wipe and a retirement. */
  public long collectedAfterWipe;
  public long collectedAfterRetirement;
  /** Servers retired for good by the operator (KVS.RETIRE id), and entries collected after. */
  public long serverRetirements;
  public long collectedAfterServerRetirement;
  /** Retired servers started again by mistake, and the links members refused them. */
  public long retiredComebacks;
  public long retiredLinksRefused;
  /** Of {@link #collected}, the garbage of typed keys' elements (set registers, field tombstones). */
  public long elementsCollected;
  /** Of {@link #elementsCollected}, removed sorted-set members' registers. */
  public long zsetRegistersCollected;
  public long repliesLost;
  public long clientMoves;
  public long messages;
  public long chunks;
  public long multiChunkDeltas;
  public long staleMessagesDropped;
  public long connections;
  public long connectionDrops;
  public long stallTimeouts;
  public long partitions;
  public long crashes;
  public long wipes;
  public long clockJumps;
  public long storageFaults;
  public long partialTopologies;
  public long powerCuts;
  public long powerCutCommitsLost;
  public long writesDestroyed;

  public void add(SimStats o) {
    runs += o.runs;
    steps += o.steps;
    healSteps += o.healSteps;
    reads += o.reads;
    readsRefused += o.readsRefused;
    writes += o.writes;
    expiringWrites += o.expiringWrites;
    increments += o.increments;
    counterResets += o.counterResets;
    fieldWrites += o.fieldWrites;
    fieldIncrements += o.fieldIncrements;
    memberWrites += o.memberWrites;
    zsetWrites += o.zsetWrites;
    transactions += o.transactions;
    flushes += o.flushes;
    readsExpired += o.readsExpired;
    sweeps += o.sweeps;
    collected += o.collected;
    retirements += o.retirements;
    seals += o.seals;
    collectedAfterWipe += o.collectedAfterWipe;
    collectedAfterRetirement += o.collectedAfterRetirement;
    serverRetirements += o.serverRetirements;
    collectedAfterServerRetirement += o.collectedAfterServerRetirement;
    retiredComebacks += o.retiredComebacks;
    retiredLinksRefused += o.retiredLinksRefused;
    elementsCollected += o.elementsCollected;
    zsetRegistersCollected += o.zsetRegistersCollected;
    repliesLost += o.repliesLost;
    clientMoves += o.clientMoves;
    messages += o.messages;
    chunks += o.chunks;
    multiChunkDeltas += o.multiChunkDeltas;
    staleMessagesDropped += o.staleMessagesDropped;
    connections += o.connections;
    connectionDrops += o.connectionDrops;
    stallTimeouts += o.stallTimeouts;
    partitions += o.partitions;
    crashes += o.crashes;
    wipes += o.wipes;
    clockJumps += o.clockJumps;
    storageFaults += o.storageFaults;
    partialTopologies += o.partialTopologies;
    powerCuts += o.powerCuts;
    powerCutCommitsLost += o.powerCutCommitsLost;
    writesDestroyed += o.writesDestroyed;
  }

  @Override
  public String toString() {
    return runs + " runs, " + steps + " steps (" + healSteps + " of them healing), "
        + writes + " writes (" + repliesLost + " replies lost, " + expiringWrites
        + " with an expiry, " + transactions + " transactions, " + flushes + " FLUSHALLs; "
        + increments + " increments, " + counterResets + " deletes of a counter, " + fieldWrites
        + " HSET/HDEL/HINCRBY (" + fieldIncrements + " HINCRBY), " + memberWrites + " SADD/SREM, "
        + zsetWrites + " ZADD/ZINCRBY/ZREM), " + reads + " reads (" + readsRefused + " ERR_DEP, " + readsExpired
        + " of an expired value), " + sweeps + " sweep slices, " + collected
        + " entries collected (" + elementsCollected + " of them element garbage, "
        + zsetRegistersCollected + " of those sorted-set registers, "
        + collectedAfterWipe + " after a wipe, " + collectedAfterRetirement
        + " after a wipe and a retirement, " + collectedAfterServerRetirement
        + " after a server retirement), " + retirements + " dead incarnations retired ("
        + seals + " seals), "
        + serverRetirements + " servers retired (" + retiredComebacks + " started again by"
        + " mistake, " + retiredLinksRefused + " of their links refused), "
        + clientMoves + " client moves, " + messages
        + " messages delivered (" + chunks + " delta chunks, " + multiChunkDeltas
        + " multi-chunk deltas, " + staleMessagesDropped + " stale dropped), " + connections
        + " connections (" + connectionDrops + " dropped, " + stallTimeouts + " timed out), "
        + partitions + " partitions, " + crashes + " crashes (" + wipes + " wiped), "
        + clockJumps + " clock jumps, " + storageFaults + " storage faults, " + powerCuts
        + " power cuts (" + powerCutCommitsLost + " commits lost), " + writesDestroyed
        + " acknowledged writes lost to wipes and power cuts, " + partialTopologies
        + " runs healed into a partial topology";
  }
}
