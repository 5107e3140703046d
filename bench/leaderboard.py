#!/usr/bin/env python3
"""Leaderboard benchmark: Tally vs redis-server on one sorted set, same machine, same run.

Starts both servers on free ports with the same settings, loads N players into the sorted set
"board" (pipelined ZADDs of --batch members each, the same bytes sent to both servers), checks that
both hold the same top 10, then runs a mixed leaderboard workload against each server in
alternating rounds:

  zincrby   ZINCRBY board <1..100> player:<random>
  zrevrange ZREVRANGE board 0 9 WITHSCORES
  zrevrank  ZREVRANK board player:<random>

--clients connections each keep exactly one request in flight (no pipelining in the timed phase),
spread over --procs client processes that each run a selectors event loop. Every round trip is timed.
Per op type it prints ops/s, p50 and p99 latency for both servers with Tally/Redis ratios (medians
over the rounds), the load time, RSS after load and server CPU per request. At the end it checks each
server's board: the top 10 by ZREVRANGE has non-increasing scores, ZREVRANK of the i-th is i, ZSCORE
agrees, and ZCARD equals --players. Any error reply or failed check makes the exit status 1.

The client is Python: with one process it tops out at a few tens of thousands of requests per
second, so on a small machine both servers may be client-bound and the ratios come out near 1. Add
--procs (one per spare core) to push harder; report the server CPU column alongside.

Standard library only. Usage:
  python3 bench/leaderboard.py                                   # 1M players, 50 clients, 5 rounds x 6 s
  python3 bench/leaderboard.py --players 100000 --seconds 5      # quick run
  python3 bench/leaderboard.py --tally /usr/bin/redis-server     # redis against itself (harness check)
  python3 bench/leaderboard.py --mix 80,10,10 --requests 200000 --rounds 3 --json out.json
"""
import argparse
import array
import json
import multiprocessing as mp
import os
import random
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import ReplyError, Server, cpu_since, cpu_snapshot, encode, parse, rss_mb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = b"board"
OPS = ("zincrby", "zrevrange", "zrevrank")


# ---------------------------------------------------------------------------------------------------
class Conn:
    """A blocking connection for setup and checks."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def read_reply(self):
        while True:
            r = parse(self.buf, 0)
            if r is not None:
                self.buf = self.buf[r[1]:]
                return r[0]
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk

    def call(self, *args):
        self.sock.sendall(encode(*args))
        reply = self.read_reply()
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def pipeline(self, payload, count):
        """Sends payload (count commands) from a writer thread while reading the replies here, so
        neither side's socket buffer can fill up and stall the other. Returns the replies."""
        writer = threading.Thread(target=self.sock.sendall, args=(payload,))
        writer.start()
        replies = [self.read_reply() for _ in range(count)]
        writer.join()
        return replies

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------------------------------
# Servers.

# ---------------------------------------------------------------------------------------------------
# Load.

def build_load(players, batch, seed):
    """The ZADD commands that load the board: integer scores in [0, 1e6), one player each. Returns
    (payload bytes, number of commands)."""
    rng = random.Random(seed)
    parts, count = [], 0
    for start in range(0, players, batch):
        n = min(batch, players - start)
        cmd = [b"*%d\r\n$4\r\nZADD\r\n$5\r\nboard\r\n" % (2 + 2 * n)]
        for i in range(start, start + n):
            score = b"%d" % rng.randrange(1_000_000)
            member = b"player:%d" % i
            cmd.append(b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(score), score, len(member), member))
        parts.append(b"".join(cmd))
        count += 1
    return b"".join(parts), count


def load(server, payload, count, players):
    c = Conn(server.port)
    c.call("DEL", KEY)
    t0 = time.perf_counter()
    replies = c.pipeline(payload, count)
    seconds = time.perf_counter() - t0
    errors = [r for r in replies if isinstance(r, ReplyError)]
    if errors:
        raise RuntimeError(f"{server.name}: ZADD failed: {errors[0]}")
    if sum(replies) != players:
        raise RuntimeError(f"{server.name}: ZADD added {sum(replies)} members, expected {players}")
    c.close()
    return seconds


# ---------------------------------------------------------------------------------------------------
# The timed workload: one client process, a selectors loop over its connections.

def workload_proc(port, nconns, players, mix, seed, budget, ready, go, result):
    """Runs in a child process. Connects nconns sockets, signals ready, waits for the start time on
    go, then keeps one request in flight per connection until the deadline or until budget requests
    were sent (budget 0: no limit). Sends back per-op counts and latencies (ns) and the error count."""
    # Requests are drawn ahead of time so the timed loop spends its (Python) time on sockets.
    rng = random.Random(seed)
    top10 = encode("ZREVRANGE", KEY, 0, 9, "WITHSCORES")
    pool = []
    for op in rng.choices((0, 1, 2), mix, k=1 << 16):
        if op == 0:
            pool.append((op, encode("ZINCRBY", KEY, rng.randrange(1, 101), f"player:{rng.randrange(players)}")))
        elif op == 1:
            pool.append((op, top10))
        else:
            pool.append((op, encode("ZREVRANK", KEY, f"player:{rng.randrange(players)}")))
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(nconns):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        st = {"sock": s, "buf": b"", "op": 0, "t0": 0}
        conns.append(st)
        sel.register(s, selectors.EVENT_READ, st)
    ready.send(True)
    start, deadline = go.recv()
    lat = [array.array("q") for _ in OPS]
    errors, first_error, sent = 0, "", 0
    mask = len(pool) - 1

    def send(st):
        nonlocal sent
        st["op"], data = pool[sent & mask]
        sent += 1
        st["t0"] = time.perf_counter_ns()
        st["sock"].send(data)  # small; a fresh socket buffer always takes it whole

    while time.monotonic() < start:
        time.sleep(max(0.0, min(0.01, start - time.monotonic())))
    for st in conns:
        if budget and sent >= budget:
            break
        send(st)
    in_flight = sent
    while in_flight:
        events = sel.select(timeout=10.0)
        if not events:
            raise TimeoutError(f"no reply in 10 s with {in_flight} requests in flight")
        for key, _ in events:
            st = key.data
            chunk = st["sock"].recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            st["buf"] += chunk
            r = parse(st["buf"], 0)
            if r is None:
                continue
            now = time.perf_counter_ns()
            st["buf"] = st["buf"][r[1]:]
            in_flight -= 1
            if isinstance(r[0], ReplyError):
                errors += 1
                first_error = first_error or str(r[0])
            lat[st["op"]].append(now - st["t0"])
            if (not budget or sent < budget) and (not deadline or time.monotonic() < deadline):
                send(st)
                in_flight += 1
    end = time.monotonic()
    for st in conns:
        st["sock"].close()
    result.send({"lat": [a.tobytes() for a in lat], "errors": errors, "first_error": first_error, "end": end})


def run_workload(server, args, seconds, requests, seed):
    """One timed run against server. Returns {op: {ops, p50, p99}, 'total': {...}, 'cpu_us_per_op'}."""
    procs = max(1, min(args.procs, args.clients))
    shares = [args.clients // procs + (1 if i < args.clients % procs else 0) for i in range(procs)]
    budgets = [requests // procs + (1 if i < requests % procs else 0) for i in range(procs)] if requests else [0] * procs
    ctx = mp.get_context("fork")
    children = []
    for i in range(procs):
        ready_r, ready_w = ctx.Pipe(False)
        go_r, go_w = ctx.Pipe(False)
        res_r, res_w = ctx.Pipe(False)
        p = ctx.Process(target=workload_proc, daemon=True,
                        args=(server.port, shares[i], args.players, args.mix_weights, seed * 1000 + i,
                              budgets[i], ready_w, go_r, res_w))
        p.start()
        for end in (ready_w, go_r, res_w):
            end.close()  # the child's ends: a child that dies then shows up here as EOFError
        children.append((p, ready_r, go_w, res_r))
    try:
        for _, ready_r, _, _ in children:
            ready_r.recv()
        start = time.monotonic() + 0.1
        deadline = 0.0 if requests else start + seconds
        cpu0 = cpu_snapshot(server.proc.pid)
        for _, _, go_w, _ in children:
            go_w.send((start, deadline))
        results = [res_r.recv() for _, _, _, res_r in children]
        cpu = cpu_since(server.proc.pid, cpu0)
    except EOFError:
        for p, _, _, _ in children:
            p.kill()
        state = "exited" if server.proc.poll() is not None else "still running"
        raise RuntimeError(f"{server.name}: a client process failed (see its traceback above); server {state}") from None
    for p, _, _, _ in children:
        p.join()
    elapsed = max(r["end"] for r in results) - start
    errors = sum(r["errors"] for r in results)
    if errors:
        raise RuntimeError(f"{server.name}: {errors} error replies, first: {next(r['first_error'] for r in results if r['first_error'])}")
    out, every = {}, array.array("q")
    for k, op in enumerate(OPS):
        lat = array.array("q")
        for r in results:
            lat.frombytes(r["lat"][k])
        out[op] = stats(lat, elapsed)
        every.extend(lat)
    out["total"] = stats(every, elapsed)
    out["cpu_us_per_op"] = cpu * 1e6 / max(1, len(every))
    return out


def stats(lat, elapsed):
    if not lat:
        return {"ops": 0.0, "p50": 0.0, "p99": 0.0, "n": 0}
    s = sorted(lat)
    pct = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1e6  # ms
    return {"ops": len(s) / elapsed, "p50": pct(0.50), "p99": pct(0.99), "n": len(s)}


# ---------------------------------------------------------------------------------------------------
# Checks.

def top10(c):
    flat = c.call("ZREVRANGE", KEY, 0, 9, "WITHSCORES")
    return [(flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2)]


def check_board(server, players):
    """The board must be internally consistent. Returns a list of problems (empty: fine)."""
    c = Conn(server.port)
    bad = []
    card = c.call("ZCARD", KEY)
    if card != players:
        bad.append(f"ZCARD {card}, expected {players}")
    top = top10(c)
    if len(top) != min(10, players):
        bad.append(f"ZREVRANGE 0 9 gave {len(top)} entries")
    for i, (member, score) in enumerate(top):
        if i and score > top[i - 1][1]:
            bad.append(f"scores not descending at {i}: {top[i - 1][1]} then {score}")
        rank = c.call("ZREVRANK", KEY, member)
        if rank != i:
            bad.append(f"ZREVRANK {member.decode()} = {rank}, expected {i}")
        zscore = float(c.call("ZSCORE", KEY, member))
        if zscore != score:
            bad.append(f"ZSCORE {member.decode()} = {zscore}, ZREVRANGE said {score}")
    if top:
        above = c.call("ZCOUNT", KEY, f"({top[0][1]}", "+inf")
        if above != 0:
            bad.append(f"ZCOUNT above the top score = {above}")
    c.close()
    return [f"{server.name}: {b}" for b in bad]


# ---------------------------------------------------------------------------------------------------

def median_of(samples):
    out = {}
    for key in samples[0]:
        if isinstance(samples[0][key], dict):
            out[key] = {k: statistics.median(s[key][k] for s in samples) for k in samples[0][key]}
        else:
            out[key] = statistics.median(s[key] for s in samples)
    return out


def print_table(t, r, tally_load, redis_load, tally_rss, redis_rss):
    ratio = lambda a, b: a / b if b else float("nan")
    print(f"{'op':<11}{'tally ops/s':>12}{'redis ops/s':>12}{'ratio':>7}  {'p50 t/r ms':>15}  {'p99 t/r ms':>15}")
    for op in OPS + ("total",):
        a, b = t[op], r[op]
        print(f"{op:<11}{a['ops']:>12.0f}{b['ops']:>12.0f}{ratio(a['ops'], b['ops']):>7.2f}  "
              f"{a['p50']:>7.3f}/{b['p50']:<7.3f}  {a['p99']:>7.3f}/{b['p99']:<7.3f}")
    print(f"{'cpu us/op':<11}{t['cpu_us_per_op']:>12.2f}{r['cpu_us_per_op']:>12.2f}"
          f"{ratio(t['cpu_us_per_op'], r['cpu_us_per_op']):>7.2f}   (server CPU per request)")
    print(f"{'load s':<11}{tally_load:>12.2f}{redis_load:>12.2f}{ratio(tally_load, redis_load):>7.2f}")
    print(f"{'rss MB':<11}{tally_rss:>12.1f}{redis_rss:>12.1f}{ratio(tally_rss, redis_rss):>7.2f}   (after load)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--players", type=int, default=1_000_000, help="members loaded into the board")
    p.add_argument("--batch", type=int, default=1000, help="members per ZADD while loading")
    p.add_argument("-c", "--clients", type=int, default=50, help="concurrent connections in the timed phase")
    p.add_argument("--procs", type=int, default=max(1, min(4, (os.cpu_count() or 2) // 2)),
                   help="client processes the connections are spread over (default: half the cores, at most 4)")
    p.add_argument("--seconds", type=float, default=6.0, help="timed phase per server per round")
    p.add_argument("--requests", type=int, default=0,
                   help="instead of --seconds: requests per server per round")
    p.add_argument("--rounds", type=int, default=5, help="rounds; the server order alternates")
    p.add_argument("--warmup", type=float, default=1.0, help="untimed seconds per server before the rounds")
    p.add_argument("--mix", default="60,20,20", help="weights of zincrby,zrevrange,zrevrank")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=0, help="Tally --workers (default: the server's own, one per core but one)")
    p.add_argument("--tally", default=os.path.join(ROOT, "tally-server"))
    p.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    p.add_argument("--json", help="write results here")
    args = p.parse_args()
    args.mix_weights = [float(x) for x in args.mix.split(",")]
    if len(args.mix_weights) != 3 or sum(args.mix_weights) <= 0:
        p.error("--mix takes three weights: zincrby,zrevrange,zrevrank")

    t0 = time.time()
    payload, count = build_load(args.players, args.batch, args.seed)
    print(f"built {count} ZADDs for {args.players} players ({len(payload) / 1e6:.1f} MB) in {time.time() - t0:.1f} s")
    workdir = tempfile.mkdtemp(prefix="tally-leaderboard-")
    servers = []
    problems = []
    try:
        tally_extra = ["--workers", str(args.workers)] if args.workers else []
        tally = Server("tally", args.tally, workdir, tally_extra)
        servers.append(tally)
        redis = Server("redis", args.redis, workdir, [])
        servers.append(redis)
        load_s = {s.name: load(s, payload, count, args.players) for s in (tally, redis)}
        rss = {s.name: rss_mb(s.proc.pid) for s in (tally, redis)}
        del payload
        print(f"loaded: tally {load_s['tally']:.2f} s, redis {load_s['redis']:.2f} s")

        # Same bytes loaded into both, so both must rank them the same before the workload diverges them.
        tc, rc = Conn(tally.port), Conn(redis.port)
        if top10(tc) != top10(rc):
            problems.append(f"top 10 after load differs: tally {top10(tc)} redis {top10(rc)}")
        probe = random.Random(args.seed).sample(range(args.players), min(100, args.players))
        for i in probe:
            m = f"player:{i}"
            a, b = tc.call("ZREVRANK", KEY, m), rc.call("ZREVRANK", KEY, m)
            if a != b:
                problems.append(f"ZREVRANK {m} after load: tally {a}, redis {b}")
                break
        tc.close()
        rc.close()

        if args.warmup > 0:
            for s in (tally, redis):
                run_workload(s, args, args.warmup, 0, args.seed + 999)
        samples = {"tally": [], "redis": []}
        for rnd in range(args.rounds):
            order = (tally, redis) if rnd % 2 == 0 else (redis, tally)
            for s in order:
                res = run_workload(s, args, args.seconds, args.requests, args.seed + rnd)
                samples[s.name].append(res)
                print(f"round {rnd + 1} {s.name}: {res['total']['ops']:.0f} ops/s, "
                      f"p50 {res['total']['p50']:.3f} ms, p99 {res['total']['p99']:.3f} ms")
                sys.stdout.flush()
        for s in (tally, redis):
            problems += check_board(s, args.players)
        t, r = median_of(samples["tally"]), median_of(samples["redis"])
        print()
        print_table(t, r, load_s["tally"], load_s["redis"], rss["tally"], rss["redis"])
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("board checks: " + ("FAILED" if problems else "ok (top 10 descending, ZREVRANK/ZSCORE agree, ZCARD)"))
    for b in problems:
        print("  " + b)
    print(f"total time {time.time() - t0:.0f} s")
    if args.json:
        meta = {"players": args.players, "batch": args.batch, "clients": args.clients, "procs": args.procs,
                "seconds": args.seconds, "requests": args.requests, "rounds": args.rounds, "mix": args.mix,
                "cores": os.cpu_count(), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                "tally": args.tally, "redis": args.redis}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "load_s": load_s, "rss_mb": rss, "results": {"tally": t, "redis": r},
                       "rounds": samples, "problems": problems}, f, indent=1)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
