#!/usr/bin/env python3
"""Soak test: 10,000 concurrent connections, then a mixed workload with the server's RSS sampled.

Starts the server (write-ahead log on, appendfsync everysec, data in a temporary directory,
--maxclients 20000) after raising this process's own open-files limit, then:
  1. opens --conns connections (default 10,000) and checks that every one answers PING;
  2. runs a mixed workload (SET/GET/INCR/HSET/HGET/ZADD/ZRANGE/EXPIRE/DEL over a bounded key space)
     for --seconds (default 180) from --active connections (default 300) at a time, multiplexed with
     selectors, one command in flight per connection; the active set is redrawn every 10 s while
     every other connection stays open and idle;
  3. checks that every connection still answers PING, then stops the server with SHUTDOWN.
The server's RSS (/proc/<pid>/status VmRSS) is sampled every second. It fails (exit 1) on any error
reply, a dropped connection, a server that dies or does not exit cleanly, or RSS that grows after
the warm-up (the first --warmup seconds, when the bounded key space fills) by more than
max(--rss-growth-pct of the warm RSS, --rss-growth-mb). Prints a summary and writes JSON
(bench/results/soak.json by default). Standard library only.

  python3 bench/soak.py                      # ./tally-server, 3 minutes
  python3 bench/soak.py --seconds 30         # a short run
  python3 bench/soak.py --server /usr/bin/redis-server --json bench/results/soak-redis.json
"""
import argparse
import json
import os
import random
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import ReplyError, encode, parse  # noqa: E402


def raise_own_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft < need:
        sys.exit("soak: need %d open files, the hard limit is %d (raise `ulimit -Hn`)" % (need, hard))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Conn:
    __slots__ = ("sock", "buf", "expect", "sent_at", "dead")

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.expect = None  # the command in flight (its name), or None
        self.sent_at = 0.0
        self.dead = False


class Workload:
    """Commands over a bounded key space, and what each reply must look like."""

    def __init__(self, keys, rng):
        self.keys = keys
        self.rng = rng
        self.value = b"v" * 48

    def next(self):
        r, k = self.rng, self.rng.randrange(self.keys)
        p = r.random()
        if p < 0.20:
            return "set", encode("SET", "s:%d" % k, self.value)
        if p < 0.40:
            return "get", encode("GET", "s:%d" % k)
        if p < 0.50:
            return "incr", encode("INCR", "c:%d" % (k % 1000))
        if p < 0.62:
            return "hset", encode("HSET", "h:%d" % (k % 500), "f%d" % r.randrange(20), self.value)
        if p < 0.72:
            return "hget", encode("HGET", "h:%d" % (k % 500), "f%d" % r.randrange(20))
        if p < 0.82:
            return "zadd", encode("ZADD", "z:%d" % (k % 200), r.randrange(1000), "m%d" % r.randrange(100))
        if p < 0.90:
            return "zrange", encode("ZRANGE", "z:%d" % (k % 200), 0, 9, "WITHSCORES")
        if p < 0.95:
            return "expire", encode("EXPIRE", "s:%d" % k, r.randrange(5, 60))
        return "del", encode("DEL", "s:%d" % k, "c:%d" % (k % 1000))

    @staticmethod
    def well_formed(name, v):
        if name == "set":
            return v == b"OK"
        if name in ("get", "hget"):
            return v is None or v == b"v" * 48
        if name in ("incr", "hset", "zadd", "expire", "del"):
            return isinstance(v, int)
        if name == "zrange":
            return isinstance(v, list) and len(v) <= 20
        return False


def ping_all(conns, timeout):
    """Sends PING on every connection and waits for every PONG; returns the number that failed."""
    sel = selectors.DefaultSelector()
    ping = encode("PING")
    pending = 0
    for c in conns:
        if c.dead:
            continue
        try:
            c.sock.sendall(ping)
        except OSError:
            c.dead = True
            continue
        c.buf = b""
        sel.register(c.sock, selectors.EVENT_READ, c)
        pending += 1
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            c = key.data
            try:
                data = c.sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                c.dead = True
            else:
                c.buf += data
                r = parse(c.buf, 0)
                if r is None:
                    continue
                c.buf = c.buf[r[1]:]
                if r[0] != b"PONG" or c.buf:
                    c.dead = True
            sel.unregister(c.sock)
            pending -= 1
    sel.close()
    return sum(1 for c in conns if c.dead) + pending


def open_connections(port, n, deadline_s):
    conns = []
    start = time.monotonic()
    while len(conns) < n:
        if time.monotonic() - start > deadline_s:
            raise RuntimeError("opened only %d of %d connections in %ds" % (len(conns), n, deadline_s))
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append(Conn(s))
    return conns


def run_workload(conns, args, server_pid, stats):
    """The mixed workload: every active connection has one command in flight; every 10 s the active
    set is redrawn (retired connections finish their command first, then go idle)."""
    rng = random.Random(args.seed)
    work = Workload(args.keys, rng)
    sel = selectors.DefaultSelector()
    active, retiring = set(), set()
    samples = stats["rss_samples"]
    latencies = []

    def send(c):
        name, cmd = work.next()
        c.expect = name
        c.sent_at = time.monotonic()
        try:
            c.sock.sendall(cmd)  # a small command to a socket with nothing queued: never blocks in practice
        except OSError:
            c.dead = True

    def retire(c):
        sel.unregister(c.sock)
        active.discard(c)
        retiring.discard(c)
        c.expect = None

    def on_readable(c, draining):
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            c.dead = True
            stats["dropped"] += 1
            retire(c)
            return
        c.buf += data
        r = parse(c.buf, 0)
        if r is None:
            return
        value, used = r
        c.buf = c.buf[used:]
        if c.buf:
            raise RuntimeError("more than one reply to one command: %r" % c.buf[:80])
        stats["ops"] += 1
        stats["by_command"][c.expect] = stats["by_command"].get(c.expect, 0) + 1
        latencies.append(time.monotonic() - c.sent_at)
        if isinstance(value, ReplyError) or not Workload.well_formed(c.expect, value):
            stats["errors"] += 1
            if len(stats["error_samples"]) < 10:
                stats["error_samples"].append("%s -> %r" % (c.expect, value))
        if draining or c in retiring:
            retire(c)
        else:
            send(c)

    t0 = time.monotonic()
    next_sample = next_redraw = t0
    while True:
        now = time.monotonic()
        if now >= next_sample:
            samples.append([round(now - t0, 1), rss_kb(server_pid)])
            next_sample += 1.0
        if now - t0 >= args.seconds:
            break
        if now >= next_redraw:
            retiring |= active
            idle = [c for c in rng.sample(conns, min(len(conns), 2 * args.active)) if c not in active and not c.dead]
            for c in idle[: args.active]:
                sel.register(c.sock, selectors.EVENT_READ, c)
                active.add(c)
                send(c)
            next_redraw += 10.0
        for key, _ in sel.select(timeout=0.2):
            on_readable(key.data, False)
    deadline = time.monotonic() + 30  # the commands in flight finish, so the last PING reads only PONGs
    while active and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            on_readable(key.data, True)
    if active:
        raise RuntimeError("%d commands got no reply within 30 s" % len(active))
    sel.close()
    latencies.sort()
    if latencies:
        stats["latency_ms"] = {
            "p50": round(latencies[len(latencies) // 2] * 1000, 3),
            "p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
            "max": round(latencies[-1] * 1000, 3),
        }


def command(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(encode(*args))
        buf = b""
        while True:
            data = s.recv(65536)
            if not data:
                raise RuntimeError("connection closed")
            buf += data
            r = parse(buf, 0)
            if r is not None:
                return r[0]


def wait_ready(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited with %s" % proc.returncode)
        try:
            if command(port, "PING") == b"PONG":
                return
        except (OSError, RuntimeError):
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer PING in %ds" % timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default=os.path.join(ROOT, "tally-server"))
    ap.add_argument("--conns", type=int, default=10000, help="concurrent connections (default 10000)")
    ap.add_argument("--active", type=int, default=300, help="connections with a command in flight (default 300)")
    ap.add_argument("--seconds", type=float, default=180, help="mixed-workload duration (default 180)")
    ap.add_argument("--warmup", type=float, default=None, help="seconds before the RSS baseline (default: a sixth of --seconds, at most 30)")
    ap.add_argument("--keys", type=int, default=10000, help="string keys (hashes, zsets, counters are fewer)")
    ap.add_argument("--rss-growth-pct", type=float, default=10.0)
    ap.add_argument("--rss-growth-mb", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "soak.json"))
    args = ap.parse_args()
    warmup = args.warmup if args.warmup is not None else min(30.0, args.seconds / 6)
    args.active = min(args.active, args.conns)

    raise_own_fd_limit(args.conns + 256)
    tmp = tempfile.mkdtemp(prefix="tally-soak-")
    port = free_port()
    log_path = os.path.join(tmp, "server.log")
    cmd = [os.path.abspath(args.server), "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
           "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxclients", "20000"]
    stats = {"server": os.path.basename(args.server), "conns": args.conns, "active": args.active,
             "seconds": args.seconds, "warmup_s": warmup, "keys": args.keys, "ops": 0, "errors": 0,
             "error_samples": [], "dropped": 0, "by_command": {}, "rss_samples": []}
    failures = []
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    conns = []
    try:
        wait_ready(port, proc)
        stats["maxclients"] = command(port, "CONFIG", "GET", "maxclients")[1].decode()
        stats["rss_start_kb"] = rss_kb(proc.pid)
        t = time.monotonic()
        conns = open_connections(port, args.conns, 120)
        stats["connect_s"] = round(time.monotonic() - t, 2)
        t = time.monotonic()
        failed = ping_all(conns, 60)
        stats["first_ping_s"] = round(time.monotonic() - t, 2)
        stats["rss_connected_kb"] = rss_kb(proc.pid)
        if failed:
            failures.append("%d of %d connections did not answer the first PING" % (failed, args.conns))
        info = command(port, "INFO", "clients").decode()
        stats["connected_clients"] = int(info.split("connected_clients:")[1].split()[0])
        run_workload(conns, args, proc.pid, stats)
        stats["ops_per_sec"] = round(stats["ops"] / args.seconds)
        failed = ping_all(conns, 60)
        if failed:
            failures.append("%d connections did not answer the last PING" % failed)
        stats["dbsize"] = command(port, "DBSIZE")
        if proc.poll() is not None:
            failures.append("the server died (exit %s)" % proc.returncode)
    except Exception as e:  # reported as a failure with the log tail, below
        failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        for c in conns:
            c.sock.close()
        if proc.poll() is None:
            try:
                command(port, "SHUTDOWN")
            except (OSError, RuntimeError):
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                failures.append("the server did not exit within 30 s of SHUTDOWN")
        if proc.returncode not in (0, None):
            failures.append("the server exited with %s" % proc.returncode)
        with open(log_path, "rb") as f:
            log_tail = f.read()[-2000:].decode(errors="replace")
        shutil.rmtree(tmp, ignore_errors=True)

    # RSS after the warm-up: the baseline is the median of the 5 samples after it, the end the median
    # of the last 5 (medians, so one sample taken mid-compaction does not decide).
    rss = [s[1] for s in stats["rss_samples"] if s[1] is not None and s[0] >= warmup]
    if len(rss) >= 10:
        base = sorted(rss[:5])[2]
        end = sorted(rss[-5:])[2]
        bound = max(base * args.rss_growth_pct / 100, args.rss_growth_mb * 1024)
        stats.update(rss_warm_kb=base, rss_end_kb=end, rss_max_kb=max(rss), rss_growth_kb=end - base,
                     rss_bound_kb=round(bound))
        if end - base > bound:
            failures.append("RSS grew by %d KB after the warm-up (bound %d KB)" % (end - base, bound))
    else:
        failures.append("too few RSS samples after the warm-up (%d)" % len(rss))
    if stats["errors"]:
        failures.append("%d error or malformed replies, e.g. %s" % (stats["errors"], stats["error_samples"][:3]))
    if stats["dropped"]:
        failures.append("%d connections dropped during the workload" % stats["dropped"])
    stats["failures"] = failures
    stats["passed"] = not failures

    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(stats, f, indent=1)
    print("soak %s: %d connections (maxclients %s), connected in %ss, every one answered PING in %ss" % (
        stats["server"], args.conns, stats.get("maxclients"), stats.get("connect_s"), stats.get("first_ping_s")))
    print("  workload: %ds, %d active connections, %d ops (%s ops/s), latency %s" % (
        args.seconds, args.active, stats["ops"], stats.get("ops_per_sec"), stats.get("latency_ms")))
    if "rss_warm_kb" in stats:
        print("  RSS: start %d KB, all connected %d KB, after warm-up %d KB, end %d KB (growth %+d KB, bound %d KB), max %d KB" % (
            stats["rss_start_kb"], stats["rss_connected_kb"], stats["rss_warm_kb"], stats["rss_end_kb"],
            stats["rss_growth_kb"], stats["rss_bound_kb"], stats["rss_max_kb"]))
    print("  errors %d, dropped %d, dbsize %s -> %s (%s)" % (
        stats["errors"], stats["dropped"], stats.get("dbsize"), "PASS" if not failures else "FAIL", args.json))
    for f in failures:
        print("  FAIL: " + f)
    if failures:
        print("server log tail:\n" + log_tail)
    sys.exit(0 if not failures else 1)


if __name__ == "__main__":
    main()
