// node-redis and ioredis, each with its default settings, against one kvs server: the commands a
// web application runs. Usage: node clients.js node-redis|ioredis <port> [password]
// Exits 0 when every check held; prints what it saw (JSON) and the first failed check otherwise.
'use strict';
const assert = require('node:assert/strict');

const [which, portText, password] = process.argv.slice(2);
const port = Number(portText);
const prefix = `${which}:${process.pid}:`;

async function withNodeRedis(run) {
  const { createClient } = require('redis');
  const options = { socket: { host: '127.0.0.1', port, reconnectStrategy: false } };
  if (password) options.password = password;
  const client = createClient(options);
  client.on('error', () => {}); // the failed command reports it
  await client.connect();
  try {
    const send = (...args) => client.sendCommand(args);
    return await run({
      set: (k, v) => client.set(k, v),
      get: (k) => client.get(k),
      mget: (keys) => client.mGet(keys),
      del: (keys) => client.del(keys),
      scan: async (match) => {
        const seen = [];
        let cursor = '0';
        do {
          const r = await client.scan(cursor, { MATCH: match, COUNT: 3 });
          cursor = String(r.cursor);
          seen.push(...r.keys);
        } while (cursor !== '0');
        return seen;
      },
      info: (section) => client.info(section),
      configGet: (p) => client.configGet(p),
      hello: () => send('HELLO'),
      clientInfo: () => send('CLIENT', 'INFO'),
      session: (...args) => send('KVS.SESSION', ...args),
      incrBy: (k, n) => client.incrBy(k, n),
      hSet: (k, f, v) => client.hSet(k, f, v),
      hGetAll: (k) => client.hGetAll(k),
      sAdd: (k, ...m) => client.sAdd(k, m),
      sRem: (k, ...m) => client.sRem(k, m),
      sMembers: (k) => client.sMembers(k),
      zAdd: (k, score, m) => client.zAdd(k, [{ score, value: m }]),
      zIncrBy: async (k, by, m) => Number(await client.zIncrBy(k, by, m)),
      zScore: async (k, m) => { const s = await client.zScore(k, m); return s === null ? null : Number(s); },
      zRem: (k, m) => client.zRem(k, m),
      // [[member, score], ...] (WITHSCORES is pairs of a string and a double in RESP3)
      zRangeWithScores: async (k) => (await client.zRangeWithScores(k, 0, -1))
        .map(({ value, score }) => [String(value), Number(score)]),
      // MULTI ... EXEC with the client's own transaction API
      transaction: (k1, k2) => client.multi().set(k1, 'x1').set(k2, 'x2').get(k1).exec(),
      // WATCH, then a change by another connection: EXEC answers null, the client says so
      watchedTransaction: async (k, change) => {
        await client.watch(k);
        await change();
        try {
          return await client.multi().set(k, 'mine').exec();
        } catch (e) {
          return e.constructor.name; // WatchError
        }
      },
    });
  } finally {
    if (typeof client.close === 'function') await client.close(); else await client.quit();
  }
}

async function withIoredis(run) {
  const { Redis } = require('ioredis');
  const options = { host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null };
  if (password) options.password = password;
  const client = new Redis(options);
  client.on('error', () => {});
  try {
    return await run({
      set: (k, v) => client.set(k, v),
      get: (k) => client.get(k),
      mget: (keys) => client.mget(keys),
      del: (keys) => client.del(keys),
      scan: async (match) => {
        const seen = [];
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 3);
          cursor = next;
          seen.push(...keys);
        } while (cursor !== '0');
        return seen;
      },
      info: (section) => client.info(section),
      configGet: (p) => client.config('GET', p),
      hello: () => client.call('HELLO'),
      clientInfo: () => client.call('CLIENT', 'INFO'),
      session: (...args) => client.call('KVS.SESSION', ...args),
      incrBy: (k, n) => client.incrby(k, n),
      hSet: (k, f, v) => client.hset(k, f, v),
      hGetAll: (k) => client.hgetall(k),
      sAdd: (k, ...m) => client.sadd(k, ...m),
      sRem: (k, ...m) => client.srem(k, ...m),
      sMembers: (k) => client.smembers(k),
      zAdd: (k, score, m) => client.zadd(k, score, m),
      zIncrBy: async (k, by, m) => Number(await client.zincrby(k, by, m)),
      zScore: async (k, m) => { const s = await client.zscore(k, m); return s === null ? null : Number(s); },
      zRem: (k, m) => client.zrem(k, m),
      zRangeWithScores: async (k) => {
        const r = await client.zrange(k, 0, -1, 'WITHSCORES');
        if (r.length > 0 && Array.isArray(r[0])) return r.map(([m, s]) => [String(m), Number(s)]);
        const out = [];
        for (let i = 0; i < r.length; i += 2) out.push([String(r[i]), Number(r[i + 1])]);
        return out;
      },
      transaction: async (k1, k2) => {
        const r = await client.multi().set(k1, 'x1').set(k2, 'x2').get(k1).exec();
        return r.map(([err, value]) => { if (err) throw err; return value; });
      },
      watchedTransaction: async (k, change) => {
        await client.watch(k);
        await change();
        return client.multi().set(k, 'mine').exec(); // null when a watched key changed
      },
    });
  } finally {
    client.disconnect();
  }
}

async function checks(c) {
  const seen = {};
  assert.equal(await c.set(prefix + 'a', 'one'), 'OK');
  assert.equal(await c.set(prefix + 'b', 'two'), 'OK');
  assert.equal(await c.get(prefix + 'a'), 'one');
  assert.equal(await c.get(prefix + 'absent'), null);
  assert.deepEqual(await c.mget([prefix + 'a', prefix + 'absent', prefix + 'b']),
    ['one', null, 'two']);
  const scanned = await c.scan(prefix + '*');
  assert.deepEqual([...new Set(scanned)].sort(), [prefix + 'a', prefix + 'b']);
  assert.equal(await c.del([prefix + 'b', prefix + 'absent']), 1);
  assert.equal(await c.get(prefix + 'b'), null);
  const info = String(await c.info('server'));
  assert.match(info, /^# Server\r\nredis_version:7/);
  const config = await c.configGet('save');
  seen.config = config;
  // node-redis: an object; ioredis: [name, value]
  assert.deepEqual(Array.isArray(config) ? config : Object.entries(config), Array.isArray(config)
    ? ['save', ''] : [['save', '']]);
  const hello = await c.hello();
  seen.hello = hello;
  const clientInfo = String(await c.clientInfo());
  seen.clientInfo = clientInfo;
  const resp = /resp=(\d)/.exec(clientInfo)[1];
  seen.resp = resp;
  // The session command: its token, adopted again.
  const token = String(await c.session());
  assert.ok(token.length > 10, `a session token: ${token}`);
  assert.equal(String(await c.session(token)), 'OK');
  assert.equal(await c.get(prefix + 'a'), 'one');
  // A counter and a hash (HGETALL is a map in RESP3).
  assert.equal(await c.incrBy(prefix + 'n', 5), 5);
  assert.equal(await c.incrBy(prefix + 'n', 2), 7);
  assert.equal(await c.get(prefix + 'n'), '7');
  assert.equal(await c.hSet(prefix + 'h', 'f1', 'v1'), 1);
  assert.equal(await c.hSet(prefix + 'h', 'f2', 'v2'), 1);
  assert.deepEqual({ ...(await c.hGetAll(prefix + 'h')) }, { f1: 'v1', f2: 'v2' });
  // A set (SMEMBERS is a set in RESP3; each client hands it over as its own collection).
  assert.equal(await c.sAdd(prefix + 's', 'red', 'green', 'red'), 2);
  assert.equal(await c.sRem(prefix + 's', 'green', 'nope'), 1);
  assert.equal(await c.sAdd(prefix + 's', 'blue'), 1);
  assert.deepEqual([...(await c.sMembers(prefix + 's'))].sort(), ['blue', 'red']);
  // A sorted set (ZSCORE a double and WITHSCORES pairs in RESP3; each client converts).
  assert.equal(await c.zAdd(prefix + 'z', 10, 'ann'), 1);
  assert.equal(await c.zAdd(prefix + 'z', 2.5, 'bob'), 1);
  assert.equal(await c.zIncrBy(prefix + 'z', 5, 'ann'), 15);
  assert.equal(await c.zScore(prefix + 'z', 'bob'), 2.5);
  assert.equal(await c.zScore(prefix + 'z', 'nope'), null);
  assert.deepEqual(await c.zRangeWithScores(prefix + 'z'), [['bob', 2.5], ['ann', 15]]);
  assert.equal(await c.zRem(prefix + 'z', 'bob'), 1);
  assert.deepEqual(await c.zRangeWithScores(prefix + 'z'), [['ann', 15]]);
  // Transactions: all of it runs, in order, and the client sees every reply.
  assert.deepEqual(await c.transaction(prefix + 't1', prefix + 't2'), ['OK', 'OK', 'x1']);
  assert.deepEqual(await c.mget([prefix + 't1', prefix + 't2']), ['x1', 'x2']);
  // WATCH: another connection changes the key between WATCH and EXEC, so nothing runs.
  const other = await otherConnection();
  const watched = await c.watchedTransaction(prefix + 'w', () => other(prefix + 'w'));
  seen.watched = watched;
  assert.ok(watched === null || watched === 'WatchError', `EXEC after a watched change: ${watched}`);
  assert.equal(await c.get(prefix + 'w'), 'theirs');
  return seen;
}

/** A plain second connection (ioredis) that sets a key to 'theirs', for the WATCH check. */
async function otherConnection() {
  const { Redis } = require('ioredis');
  return async (key) => {
    const o = new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 0,
      retryStrategy: () => null });
    o.on('error', () => {});
    try {
      assert.equal(await o.set(key, 'theirs'), 'OK');
    } finally {
      o.disconnect();
    }
  };
}

(which === 'node-redis' ? withNodeRedis : withIoredis)(checks).then((seen) => {
  console.log(JSON.stringify({ ok: true, client: which, resp: seen.resp, seen }));
}, (e) => {
  console.log(JSON.stringify({ ok: false, client: which, error: String(e && e.stack || e) }));
  process.exitCode = 1;
});
