#!/usr/bin/env python3
# redis-py with its default settings (redis.Redis(host=..., port=...), nothing else: RESP2, no
# decode_responses, the pure-Python or hiredis parser, whichever it picks) against one kvs server:
# the commands a Python web application runs, each compared with what Redis 7 answers through
# redis-py. src/test/java/kvs/it/PythonClientsIT.java runs it; .ci/run installs python3 and
# Debian's python3-redis (redis-py 4.3.4). It passes against a real redis-server 7 too, except for
# the KVS.SESSION checks, which only kvs has (--no-kvs skips them).
#
# Usage: python3 clients.py <port> [<second port> | --no-kvs]
#   With a second port (another server of the same kvs cluster), it also checks that a write made
#   through the first server becomes readable through the second (waiting for it, with a bound),
#   and that a session token carried from the first to the second never reads an older value.
# Prints "ok: N checks" and exits 0 when every check held; prints the first failed check, what it
# expected and what it got, and exits 1 otherwise.
import os
import sys
import time

import redis

HOST = "127.0.0.1"
CHECKS = 0


class CheckFailed(Exception):
    pass


def check(what, got, expected):
    """One check: got must equal expected (same type where it matters, as == decides)."""
    global CHECKS
    CHECKS += 1
    if got != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {got!r}")


def check_true(what, condition, detail=""):
    global CHECKS
    CHECKS += 1
    if not condition:
        raise CheckFailed(f"{what}: {detail}")


def check_error(what, expected_start, call):
    """call() must raise redis.exceptions.ResponseError (or a subclass) whose text starts so."""
    global CHECKS
    CHECKS += 1
    try:
        got = call()
    except redis.exceptions.ResponseError as e:
        if not str(e).startswith(expected_start):
            raise CheckFailed(f"{what}: expected an error starting {expected_start!r}, "
                              f"got {type(e).__name__}: {e}")
        return e
    raise CheckFailed(f"{what}: expected an error starting {expected_start!r}, got reply {got!r}")


def checks(r, p, kvs):
    # --- strings, expiry
    check("ping", r.ping(), True)
    check("echo", r.echo("hello"), b"hello")
    check("set", r.set(p + "a", "one"), True)
    check("get", r.get(p + "a"), b"one")
    check("get absent", r.get(p + "absent"), None)
    check("exists", r.exists(p + "a", p + "absent", p + "a"), 2)
    check("set nx on a present key", r.set(p + "a", "two", nx=True), None)
    check("set xx get", r.set(p + "a", "uno", xx=True, get=True), b"one")
    check("ttl without expiry", r.ttl(p + "a"), -1)
    check("ttl absent", r.ttl(p + "absent"), -2)
    check("expire", r.expire(p + "a", 100), True)
    ttl = r.ttl(p + "a")
    check_true("ttl after expire 100", 90 <= ttl <= 100, f"got {ttl!r}")
    check("expire absent", r.expire(p + "absent", 100), False)
    check("set ex", r.set(p + "e", "v", ex=50), True)
    ttl = r.ttl(p + "e")
    check_true("ttl after set ex 50", 40 <= ttl <= 50, f"got {ttl!r}")
    check("persist", r.persist(p + "e"), True)
    check("ttl after persist", r.ttl(p + "e"), -1)
    check("delete", r.delete(p + "a", p + "absent", p + "e"), 2)
    check("get deleted", r.get(p + "a"), None)
    check("exists deleted", r.exists(p + "a"), 0)
    check("mset", r.mset({p + "m1": "x", p + "m2": "y"}), True)
    check("mget", r.mget([p + "m1", p + "absent", p + "m2"]), [b"x", None, b"y"])
    check("append", r.append(p + "m1", "yz"), 3)
    check("strlen", r.strlen(p + "m1"), 3)
    check("getrange", r.getrange(p + "m1", 1, -1), b"yz")

    # --- counters
    check("incr new", r.incr(p + "n"), 1)
    check("incrby", r.incrby(p + "n", 41), 42)
    check("decr", r.decr(p + "n"), 41)
    check("get counter", r.get(p + "n"), b"41")
    check("incrbyfloat new", r.incrbyfloat(p + "f", 10.5), 10.5)
    check("incrbyfloat", r.incrbyfloat(p + "f", 0.1), 10.6)
    check("get float counter", r.get(p + "f"), b"10.6")
    check("incrbyfloat exponent", r.incrbyfloat(p + "f", "5.0e3"), 5010.6)
    check_error("incr of a non-number", "value is not an integer or out of range",
                lambda: r.incr(p + "m2"))

    # --- hashes
    check("hset mapping", r.hset(p + "h", mapping={"f1": "v1", "f2": "v2"}), 2)
    check("hset one new one old", r.hset(p + "h", "f2", "v2b", mapping={"f3": "v3"}), 1)
    check("hgetall", r.hgetall(p + "h"), {b"f1": b"v1", b"f2": b"v2b", b"f3": b"v3"})
    check("hget", r.hget(p + "h", "f1"), b"v1")
    check("hget absent field", r.hget(p + "h", "nope"), None)
    check("hmget", r.hmget(p + "h", ["f3", "nope"]), [b"v3", None])
    check("hincrby", r.hincrby(p + "h", "c", 5), 5)
    check("hincrbyfloat", r.hincrbyfloat(p + "h", "c", 1.5), 6.5)
    check("hdel", r.hdel(p + "h", "f1", "nope"), 1)
    check("hexists", r.hexists(p + "h", "f1"), False)
    check("hlen", r.hlen(p + "h"), 3)
    check("hkeys", sorted(r.hkeys(p + "h")), [b"c", b"f2", b"f3"])
    check("hgetall absent", r.hgetall(p + "absent"), {})

    # --- sets
    check("sadd", r.sadd(p + "s", "red", "green", "red"), 2)
    check("sadd more", r.sadd(p + "s", "blue", "green"), 1)
    check("srem", r.srem(p + "s", "green", "nope"), 1)
    check("smembers", r.smembers(p + "s"), {b"red", b"blue"})
    check("sismember", r.sismember(p + "s", "red"), True)
    check("sismember not", r.sismember(p + "s", "green"), False)
    check("scard", r.scard(p + "s"), 2)
    check("smembers absent", r.smembers(p + "absent"), set())

    # --- sorted sets
    check("zadd", r.zadd(p + "z", {"ann": 10, "bob": 2.5}), 2)
    check("zadd existing", r.zadd(p + "z", {"bob": 3}), 0)
    check("zincrby", r.zincrby(p + "z", 5, "ann"), 15.0)
    check("zscore", r.zscore(p + "z", "bob"), 3.0)
    check("zscore absent", r.zscore(p + "z", "nope"), None)
    check("zrange withscores", r.zrange(p + "z", 0, -1, withscores=True),
          [(b"bob", 3.0), (b"ann", 15.0)])
    check("zrange", r.zrange(p + "z", 0, -1), [b"bob", b"ann"])
    check("zrevrange withscores", r.zrevrange(p + "z", 0, 0, withscores=True), [(b"ann", 15.0)])
    check("zrangebyscore", r.zrangebyscore(p + "z", 0, 5), [b"bob"])
    check("zcard", r.zcard(p + "z"), 2)
    check("zrank", r.zrank(p + "z", "ann"), 1)
    check("zrem", r.zrem(p + "z", "bob"), 1)
    check("zrange after zrem", r.zrange(p + "z", 0, -1, withscores=True), [(b"ann", 15.0)])

    # --- wrong types: an error reply raised as a redis.exceptions.ResponseError
    e = check_error("hset on a string", "WRONGTYPE Operation against a key holding the wrong kind "
                    "of value", lambda: r.hset(p + "m1", "f", "v"))
    check("WRONGTYPE's class", type(e), redis.exceptions.ResponseError)
    check_error("get on a hash", "WRONGTYPE", lambda: r.get(p + "h"))
    check_error("sadd on a sorted set", "WRONGTYPE", lambda: r.sadd(p + "z", "x"))
    check_error("an unknown command", "unknown command", lambda: r.execute_command("NOSUCHCMD"))
    check("type string", r.type(p + "m1"), b"string")
    check("type hash", r.type(p + "h"), b"hash")
    check("type set", r.type(p + "s"), b"set")
    check("type zset", r.type(p + "z"), b"zset")
    check("type none", r.type(p + "absent"), b"none")

    # --- SCAN: redis-py's iterator follows the cursor to 0
    scan_keys = [f"{p}scan:{i}".encode() for i in range(25)]
    check("mset for scan", r.mset({k: b"s" for k in scan_keys}), True)
    seen = list(r.scan_iter(match=p + "scan:*", count=4))
    check("scan_iter", sorted(set(seen)), sorted(scan_keys))
    seen = list(r.scan_iter(match=p + "h*"))
    check("scan_iter default count", sorted(set(seen)), [(p + "h").encode()])
    check("hscan_iter", dict(r.hscan_iter(p + "h")), {b"f2": b"v2b", b"f3": b"v3", b"c": b"6.5"})
    check("sscan_iter", set(r.sscan_iter(p + "s")), {b"red", b"blue"})
    check("zscan_iter", list(r.zscan_iter(p + "z")), [(b"ann", 15.0)])

    # --- pipelines: transaction=True (the default, MULTI ... EXEC) and transaction=False
    with r.pipeline() as pipe:
        pipe.set(p + "t1", "x1").incr(p + "t2").get(p + "t1").hset(p + "t3", mapping={"a": "1"})
        check("pipeline transaction=True", pipe.execute(), [True, 1, b"x1", 1])
    check("after the transaction", r.mget([p + "t1", p + "t2"]), [b"x1", b"1"])
    with r.pipeline(transaction=False) as pipe:
        pipe.set(p + "u1", "y1").get(p + "u1").incrby(p + "t2", 10).delete(p + "t1").get(p + "t1")
        check("pipeline transaction=False", pipe.execute(), [True, b"y1", 11, 1, None])
    # an error inside a transaction: EXEC runs the rest, redis-py raises the error by default...
    with r.pipeline() as pipe:
        pipe.set(p + "t4", "ok").hset(p + "u1", "f", "v").get(p + "t4")
        check_error("pipeline with a WRONGTYPE command", "Command # 2 (HSET", pipe.execute)
    check("the transaction's other commands ran", r.get(p + "t4"), b"ok")
    # ...and hands it back among the results with raise_on_error=False
    with r.pipeline() as pipe:
        pipe.set(p + "t5", "ok").hset(p + "u1", "f", "v").get(p + "t5")
        results = pipe.execute(raise_on_error=False)
        check("results of a transaction with an error", [results[0], results[2]], [True, b"ok"])
        check_true("the error among them", isinstance(results[1], redis.exceptions.ResponseError)
                   and str(results[1]).startswith("WRONGTYPE"), repr(results[1]))

    # --- WATCH with redis-py's retry loop (Redis.transaction): the first attempt loses to another
    # connection's write, so EXEC answers null, redis-py retries, and the second attempt wins.
    other = redis.Redis(host=HOST, port=r.connection_pool.connection_kwargs["port"])
    check("counter for watch", r.set(p + "w", 5), True)
    attempts = []

    def add_one(pipe):
        current = int(pipe.get(p + "w"))  # immediate mode: WATCHed, read now
        attempts.append(current)
        if len(attempts) == 1:
            check("another connection's write", other.incrby(p + "w", 100), 105)
        pipe.multi()
        pipe.set(p + "w", current + 1)

    check("transaction helper", r.transaction(add_one, p + "w"), [True])
    check("values read by each attempt", attempts, [5, 105])
    check("after the retried transaction", r.get(p + "w"), b"106")
    # and by hand: a WatchError when a watched key changed
    with r.pipeline() as pipe:
        pipe.watch(p + "w")
        other.set(p + "w", "theirs")
        pipe.multi()
        pipe.set(p + "w", "mine")
        global CHECKS
        CHECKS += 1
        try:
            got = pipe.execute()
            raise CheckFailed(f"EXEC after a watched change: expected WatchError, got {got!r}")
        except redis.exceptions.WatchError:
            pass
    check("the watched key", r.get(p + "w"), b"theirs")
    # an unchanged watched key: EXEC runs
    with r.pipeline() as pipe:
        pipe.watch(p + "w")
        pipe.multi()
        pipe.set(p + "w", "mine")
        check("EXEC with an unchanged watched key", pipe.execute(), [True])
    check("the watched key after EXEC", r.get(p + "w"), b"mine")
    other.close()

    # --- binary keys and values, a large value
    bkey = (p + "bin:").encode() + bytes([0, 1, 13, 10, 32, 255, 0xC3, 0x28])
    bval = bytes(range(256)) * 4
    check("set binary", r.set(bkey, bval), True)
    check("get binary", r.get(bkey), bval)
    check("mget binary", r.mget([bkey, bkey + b"\x00"]), [bval, None])
    check("hset binary", r.hset(bkey + b"h", b"\x00\xff", b"\r\n"), 1)
    check("hgetall binary", r.hgetall(bkey + b"h"), {b"\x00\xff": b"\r\n"})
    binary_seen = set(r.scan_iter(match=(p + "bin:").encode() + b"*"))
    check("scan_iter of binary keys", binary_seen, {bkey, bkey + b"h"})
    check("unicode value", r.set(p + "u", "héllo ✓"), True)
    check("unicode value back", r.get(p + "u"), "héllo ✓".encode("utf-8"))
    big = os.urandom(1 << 20)
    check("set 1 MB", r.set(p + "big", big), True)
    check("strlen 1 MB", r.strlen(p + "big"), 1 << 20)
    check("get 1 MB", r.get(p + "big") == big, True)
    with r.pipeline() as pipe:
        pipe.set(p + "big2", big).get(p + "big2")
        check("1 MB in a transaction", pipe.execute() == [True, big], True)

    # --- connection commands
    check("client_setname", r.client_setname("py-client"), True)
    check("client_getname", r.client_getname(), "py-client")
    check_true("client_list shows the name",
               any(c.get("name") == "py-client" for c in r.client_list()), str(r.client_list()))
    check("client_id is an int", type(r.client_id()), int)
    info = r.info()
    check_true("info() redis_version", str(info.get("redis_version", "")).startswith("7."),
               repr(info.get("redis_version")))
    check_true("info() has connected_clients", isinstance(info.get("connected_clients"), int),
               repr(info.get("connected_clients")))
    server = r.info("server")
    check_true("info('server') tcp_port", server.get("tcp_port") == r.connection_pool
               .connection_kwargs["port"], repr(server.get("tcp_port")))
    check_true("dbsize", isinstance(r.dbsize(), int) and r.dbsize() >= 10, repr(r.dbsize()))

    # --- the session command (kvs only): a token, adopted back; a forged one refused
    if kvs:
        token = r.execute_command("KVS.SESSION")
        check_true("KVS.SESSION token", isinstance(token, bytes) and token.startswith(b"kvs2-")
                   and len(token) > 10, repr(token))
        check("KVS.SESSION <token>", r.execute_command("KVS.SESSION", token), b"OK")
        check("read after adopting", r.get(p + "w"), b"mine")
        check_error("KVS.SESSION forged", "invalid session token",
                    lambda: r.execute_command("KVS.SESSION", token[:-4] + b"AAAA"))
        check_error("KVS.SESSION garbage", "invalid session token",
                    lambda: r.execute_command("KVS.SESSION", "kvs2-nonsense"))
        check("KVS.SESSION RESET", r.execute_command("KVS.SESSION", "RESET"), b"OK")
        fresh = r.execute_command("KVS.SESSION")
        check_true("a token after RESET", fresh.startswith(b"kvs2-"), repr(fresh))


def across(first, second_port, p):
    """A write through the first server becomes readable through the second, and a session
    token carried there never reads an older value (the value or ERR_DEP, nothing else)."""
    second = redis.Redis(host=HOST, port=second_port)
    value = os.urandom(16).hex().encode()
    check("write through the first server", first.set(p + "across", value), True)
    check("hash through the first server", first.hset(p + "across:h", mapping={"f": value}), 1)
    token = first.execute_command("KVS.SESSION")
    carried = redis.Redis(host=HOST, port=second_port)
    check("adopt the first server's token on the second", carried.execute_command("KVS.SESSION",
                                                                                 token), b"OK")
    deadline = time.monotonic() + 30
    plain_got = carried_got = None
    while time.monotonic() < deadline:
        plain_got = second.get(p + "across")
        try:
            carried_got = carried.get(p + "across")
        except redis.exceptions.ResponseError as e:
            check_true("the carried session: the value or ERR_DEP", str(e).startswith("ERR_DEP"),
                       str(e))
            carried_got = "ERR_DEP"
        else:
            check("the carried session never reads an older value", carried_got, value)
        if plain_got == value and carried_got == value:
            break
        time.sleep(0.05)
    check("the second server's value (waited up to 30 s)", plain_got, value)
    check("the carried session's value", carried_got, value)
    check("the hash on the second server", second.hgetall(p + "across:h"), {b"f": value})
    second.close()
    carried.close()


def main():
    args = sys.argv[1:]
    if not args or len(args) > 2:
        print(__doc__ or "usage: clients.py <port> [<second port> | --no-kvs]", file=sys.stderr)
        return 2
    port = int(args[0])
    kvs = "--no-kvs" not in args[1:]
    second = int(args[1]) if len(args) == 2 and args[1] != "--no-kvs" else None
    p = f"py:{os.getpid()}:{port}:"
    r = redis.Redis(host=HOST, port=port)  # the defaults: nothing else set
    try:
        checks(r, p, kvs)
        if second is not None:
            across(r, second, p)
    except CheckFailed as e:
        print(f"FAILED (redis-py {redis.__version__}, port {port}): {e}")
        return 1
    except Exception as e:  # a reply redis-py could not take, a dropped connection...
        import traceback
        traceback.print_exc(file=sys.stdout)
        print(f"FAILED (redis-py {redis.__version__}, port {port}) after {CHECKS} checks: "
              f"{type(e).__name__}: {e}")
        return 1
    finally:
        r.close()
    print(f"ok: {CHECKS} checks, redis-py {redis.__version__}, port {port}"
          + (f", and across to port {second}" if second is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
