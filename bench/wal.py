#!/usr/bin/env python3
"""Write-ahead log benchmark: what durability costs, and how long a restart takes. Tally vs
redis-server, same machine, same run, alternating rounds, medians.

1. Durability cost. Six servers run side by side: Tally and Redis, each with the log off
   (--appendonly no), with --appendfsync everysec and with --appendfsync always. For -c 50 and -c 200
   (-P 1, random keys -r 100000) redis-benchmark runs SET, HSET and ZADD against each of the six in
   turn (the order rotates every round). Per run: requests/s, p50, p99 (redis-benchmark --csv) and the
   server's CPU seconds per request (/proc, before and after). -n is sized per configuration and
   client count from a short SET probe so that one run takes about --seconds. Reported: each server's
   everysec/off and always/off throughput ratios, Tally/Redis per configuration, and the bar "Tally
   always at 200 clients >= 0.9 x Tally with the log off".

2. Recovery time. Each round starts a fresh Tally and a fresh Redis (appendonly yes, everysec),
   loads the same dataset into both over pipelined RESP (1M SET keys, 200k HSET fields in hashes of
   1,000, 200k ZADD members in sorted sets of 1,000), waits until the log is written (INFO persistence
   aof_buffer_length:0, then 2 s so everysec's fsync has run), and SIGKILLs both (no shutdown work).
   Then it restarts each in turn on its files and times from just before the process is started
   until DBSIZE answers the expected key count instead of -LOADING (polled every 10 ms):
     (a) log replay: nothing rewritten since the load (Redis: empty base + incr AOF; Tally: its log);
     (b) after BGREWRITEAOF has finished (Redis: RDB-preamble base file, aof-use-rdb-preamble is
         left at its default, yes, and checked; Tally: a snapshot), SIGKILLed and restarted again.
   After each restart it spot-checks values (GET, HLEN, HGET, ZCARD, ZSCORE). The servers' own
   "DB loaded ... N seconds" log lines, RSS after the restart and the size of appendonlydir are
   reported alongside. The log files are in the page cache when the restart reads them.

Automatic rewrites are off (auto-aof-rewrite-percentage 0) on every server, so the log grows for
the whole run and a restart in (a) really replays everything. The Tally binary is copied at the start
so that a rebuild during the run cannot mix two builds. Any error reply, crash, wrong key count or
wrong value is printed at the end and makes the exit status 1.

Standard library only. Usage:
  python3 bench/wal.py                        # full run, 3 rounds (about 8-10 minutes on 2 cores)
  python3 bench/wal.py --quick                # smoke run (small sizes, under a minute)
  python3 bench/wal.py --rounds 5 --json out.json
  python3 bench/wal.py --skip-recovery        # only the throughput part (or --skip-durability)
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import run_benchmark  # noqa: E402
from leaderboard import Conn, ReplyError  # noqa: E402
from memory import encode, send_all  # noqa: E402
from servers import Server, rss_mb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ("off", "everysec", "always")
NAMES = ("tally", "redis")
LOADED_RE = re.compile(r"DB loaded from (?:disk|append only file): ([\d.]+) seconds")

ERRORS = []  # (where, message): printed at the end, exit status 1


class Servers:
    """Every server started, so that `finally` can end them all."""

    def __init__(self, args, workdir):
        self.args, self.workdir, self.live = args, workdir, []

    def start(self, name, subdir, appendonly, fsync, wait=True, log_tag="0"):
        binary = self.args.tally if name == "tally" else self.args.redis
        base = os.path.join(self.workdir, subdir)
        logfile = os.path.join(base, f"{name}.{log_tag}.log")
        extra = ["--auto-aof-rewrite-percentage", "0", "--logfile", logfile]
        if appendonly == "yes":
            extra += ["--appendfsync", fsync]
        if name == "tally" and self.args.workers:
            extra += ["--workers", str(self.args.workers)]
        os.makedirs(base, exist_ok=True)
        srv = Server(name, binary, base, extra, appendonly, wait=wait)
        srv.logfile = logfile
        self.live.append(srv)
        return srv

    def end(self, srv, kill=False):
        srv.kill() if kill else srv.stop()
        self.live.remove(srv)

    def end_all(self):
        for srv in list(self.live):
            try:
                srv.kill()
            except OSError:
                pass
        self.live.clear()


# ---------------------------------------------------------------------------------------------------
# Helpers on a live server.

def info(port, section="persistence"):
    c = Conn(port)
    try:
        text = c.call("INFO", section).decode()
    finally:
        c.close()
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def call(port, *cmd):
    c = Conn(port)
    try:
        return c.call(*cmd)
    finally:
        c.close()


def log_dir_bytes(srv):
    d = os.path.join(srv.dir, "appendonlydir")
    files = {}
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            files[f] = os.path.getsize(os.path.join(d, f))
    return files


def logged_load_seconds(srv):
    """The server's own "DB loaded from ...: N seconds" line (last one in its log file), or None."""
    try:
        with open(srv.logfile, errors="replace") as f:
            found = LOADED_RE.findall(f.read())
    except OSError:
        return None
    return float(found[-1]) if found else None


def wait_log_written(port, timeout=30.0):
    """Until INFO persistence says nothing is buffered or waiting for fsync."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        i = info(port)
        if i.get("aof_buffer_length", "0") == "0" and i.get("aof_pending_bio_fsync", "0") == "0":
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port}: the log buffer did not drain in {timeout} s")


# ---------------------------------------------------------------------------------------------------
# Part 1: durability cost.

def bench_args(clients, requests, args):
    return types.SimpleNamespace(clients=clients, requests=requests, keyspace=args.keyspace)


def calibrate(servers, clients, args):
    """-n for each configuration at this client count: a SET probe on both servers, then enough
    requests for about args.seconds at the mean of the two rates."""
    sizes = {}
    for cfg in CONFIGS:
        probe = max(args.probe, clients * 20)
        rates = [run_benchmark(servers[(name, cfg)], "set", 1, bench_args(clients, probe, args))["rps"]
                 for name in NAMES]
        n = int(statistics.mean(rates) * args.seconds)
        sizes[cfg] = max(clients * 20, round(n, -3) or 1000)
    return sizes


def durability(pool, args):
    servers = {}
    for cfg in CONFIGS:
        for name in NAMES:
            appendonly = "no" if cfg == "off" else "yes"
            servers[(name, cfg)] = pool.start(name, f"dur-{cfg}", appendonly, cfg)
    results = {}
    for clients in args.clients:
        sizes = calibrate(servers, clients, args)
        print(f"  -c {clients}: -n " + ", ".join(f"{cfg} {sizes[cfg]}" for cfg in CONFIGS), flush=True)
        for test in args.tests:
            samples = {key: [] for key in servers}
            for rnd in range(args.rounds):
                cfgs = CONFIGS[rnd % 3:] + CONFIGS[:rnd % 3]
                names = NAMES if rnd % 2 == 0 else NAMES[::-1]
                for cfg in cfgs:
                    for name in names:
                        srv = servers[(name, cfg)]
                        try:
                            s = run_benchmark(srv, test, 1, bench_args(clients, sizes[cfg], args))
                        except (RuntimeError, subprocess.TimeoutExpired) as e:
                            ERRORS.append((f"durability {test} -c {clients} {name} {cfg}", str(e)))
                            continue
                        samples[(name, cfg)].append(s)
            row = {"requests": sizes}
            for (name, cfg), ss in samples.items():
                if ss:
                    med = {k: statistics.median(s[k] for s in ss) for k in ss[0]}
                    row.setdefault(name, {})[cfg] = dict(med, samples=ss)
            results[f"{test} -c {clients}"] = row
            print_durability_row(f"{test} -c {clients}", row)
    for key, srv in servers.items():
        if srv.proc.poll() is not None:
            ERRORS.append((f"durability {key}", f"server exited with status {srv.proc.returncode}"))
        pool.end(srv)
    return results


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(x, spec=".2f"):
    return "-" if x is None else format(x, spec)


DUR_HEADER = []


def print_durability_row(name, row):
    if not DUR_HEADER:
        print(f"{'test':<14}{'config':<10}{'tally rps':>10}{'redis rps':>10}{'t/r':>6}  {'p50 t/r ms':>13}"
              f"  {'p99 t/r ms':>15}  {'cpu us/req t/r':>15}  {'tally/off':>9}{'redis/off':>10}")
        DUR_HEADER.append(True)
    for cfg in CONFIGS:
        t, r = row.get("tally", {}).get(cfg), row.get("redis", {}).get(cfg)
        g = lambda d, k: d[k] if d else None  # noqa: E731
        t_off = g(row.get("tally", {}).get("off"), "rps")
        r_off = g(row.get("redis", {}).get("off"), "rps")
        print(f"{name if cfg == 'off' else '':<14}{cfg:<10}{fmt(g(t, 'rps'), '.0f'):>10}{fmt(g(r, 'rps'), '.0f'):>10}"
              f"{fmt(ratio(g(t, 'rps'), g(r, 'rps'))):>6}  "
              f"{fmt(g(t, 'p50'), '.3f'):>6}/{fmt(g(r, 'p50'), '.3f'):<6}  "
              f"{fmt(g(t, 'p99'), '.3f'):>7}/{fmt(g(r, 'p99'), '.3f'):<7}  "
              f"{fmt(g(t, 'cpu_us_per_req')):>7}/{fmt(g(r, 'cpu_us_per_req')):<7}  "
              f"{fmt(ratio(g(t, 'rps'), t_off)):>9}{fmt(ratio(g(r, 'rps'), r_off)):>10}")
    sys.stdout.flush()


def durability_summary(results, args):
    """Ratios per server and the issue's bar (Tally always/off at 200 clients >= 0.9)."""
    summary = {}
    for key, row in results.items():
        s = {}
        for name in NAMES:
            by = row.get(name, {})
            off = by.get("off", {}).get("rps")
            for cfg in ("everysec", "always"):
                s[f"{name} {cfg}/off"] = ratio(by.get(cfg, {}).get("rps"), off)
        for cfg in CONFIGS:
            s[f"tally/redis {cfg}"] = ratio(row.get("tally", {}).get(cfg, {}).get("rps"),
                                            row.get("redis", {}).get(cfg, {}).get("rps"))
        summary[key] = s
    bar = {}
    top = max(args.clients)
    for test in args.tests:
        r = summary.get(f"{test} -c {top}", {}).get("tally always/off")
        bar[test] = {"tally always/off": r, "pass": r is not None and r >= 0.9}
    return summary, bar


# ---------------------------------------------------------------------------------------------------
# Part 2: recovery time.

def dataset(args):
    """Pipelined RESP for the recovery dataset, and what a restart must find."""
    ns, nh, nz, per = args.strings, args.hash_fields, args.zset_members, 1000
    cmds = [encode("SET", "key:%07d" % i, "v%012d" % i) for i in range(ns)]
    cmds += [encode("HSET", "hash:%d" % (i // per), "f:%d" % i, "v:%d" % i) for i in range(nh)]
    cmds += [encode("ZADD", "zset:%d" % (i // per), i, "m:%d" % i) for i in range(nz)]
    keys = ns + -(-nh // per) + -(-nz // per)
    checks = [(("DBSIZE",), keys)]
    if ns:
        checks += [(("GET", "key:0000000"), b"v%012d" % 0), (("GET", "key:%07d" % (ns - 1)), b"v%012d" % (ns - 1))]
    if nh:
        checks += [(("HLEN", "hash:0"), min(per, nh)), (("HGET", "hash:0", "f:0"), b"v:0"),
                   (("HGET", "hash:%d" % ((nh - 1) // per), "f:%d" % (nh - 1)), b"v:%d" % (nh - 1))]
    if nz:
        checks += [(("ZCARD", "zset:0"), min(per, nz)),
                   (("ZSCORE", "zset:%d" % ((nz - 1) // per), "m:%d" % (nz - 1)), b"%d" % (nz - 1))]
    return cmds, keys, checks


def time_restart(srv, keys, timeout):
    """Seconds from process start until DBSIZE == keys (-LOADING and refused connections are retried
    every 10 ms). Returns (seconds, details); a crash, an error reply other than LOADING or a wrong
    count until the timeout raises."""
    deadline = srv.started + timeout
    conn, loading_replies, first = None, 0, None
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"{srv.name} exited with status {srv.proc.returncode} while restarting")
        try:
            if conn is None:
                conn = Conn(srv.port)
            n = conn.call("DBSIZE")
            now = time.monotonic() - srv.started
            if first is None:
                first = (round(now, 4), n)
            if n == keys:
                conn.close()
                return now, {"loading_replies": loading_replies, "first_answer": first}
        except ReplyError as e:
            if not str(e).startswith("LOADING"):
                raise RuntimeError(f"{srv.name}: DBSIZE while restarting: -{e}")
            loading_replies += 1
        except OSError:
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(0.01)
    raise RuntimeError(f"{srv.name}: no DBSIZE {keys} within {timeout} s after restart "
                       f"(first non-LOADING answer at {first[0] if first else '-'} s: "
                       f"{first[1] if first else '-'} keys; -LOADING replies: {loading_replies})")


def spot_check(srv, checks):
    bad = []
    for cmd, want in checks:
        try:
            got = call(srv.port, *cmd)
        except ReplyError as e:
            got = f"-{e}"
        if got != want:
            bad.append(f"{' '.join(map(str, cmd))}: got {got!r}, expected {want!r}")
    return bad


def rewrite(srv, timeout):
    """BGREWRITEAOF and wait until it has finished. Returns seconds."""
    before = int(info(srv.port).get("aof_rewrites", "0"))
    t0 = time.monotonic()
    call(srv.port, "BGREWRITEAOF")
    while time.monotonic() - t0 < timeout:
        i = info(srv.port)
        if (int(i.get("aof_rewrites", "0")) > before and i.get("aof_rewrite_in_progress") == "0"
                and i.get("aof_rewrite_scheduled") == "0"):
            if i.get("aof_last_bgrewrite_status") != "ok":
                raise RuntimeError(f"{srv.name}: BGREWRITEAOF status {i.get('aof_last_bgrewrite_status')}")
            return time.monotonic() - t0
        time.sleep(0.05)
    raise RuntimeError(f"{srv.name}: BGREWRITEAOF did not finish within {timeout} s")


def kill_when_written(pool, servers):
    for srv in servers:
        wait_log_written(srv.port)
    time.sleep(2.0)  # everysec: the last second's writes get their fsync
    for srv in servers:
        pool.end(srv, kill=True)


def recovery_round(pool, rnd, cmds, keys, checks, args):
    names = NAMES if rnd % 2 == 0 else NAMES[::-1]
    sub = f"rec-{rnd}"
    out = {name: {} for name in NAMES}
    live = {}
    for name in names:
        srv = live[name] = pool.start(name, sub, "yes", "everysec", log_tag="load")
        if name == "redis":
            pre = call(srv.port, "CONFIG", "GET", "aof-use-rdb-preamble")
            if pre != [b"aof-use-rdb-preamble", b"yes"]:
                raise RuntimeError(f"redis aof-use-rdb-preamble is {pre!r}, expected yes")
        t0 = time.monotonic()
        send_all(srv.port, cmds)
        out[name]["load_s"] = time.monotonic() - t0
    kill_when_written(pool, [live[n] for n in names])
    for name in NAMES:
        out[name]["log_files_replay"] = log_dir_bytes(live[name])

    for phase in ("replay", "rewritten"):
        for name in names:
            srv = live[name] = pool.start(name, sub, "yes", "everysec", wait=False, log_tag=phase)
            try:
                secs, details = time_restart(srv, keys, args.restart_timeout)
            except RuntimeError as e:
                raise RuntimeError(f"recovery round {rnd} {phase}: {e}") from e
            bad = spot_check(srv, checks)
            if bad:
                ERRORS.append((f"recovery round {rnd} {phase} {name}", "; ".join(bad)))
            out[name][phase] = dict(seconds=secs, logged_load_s=logged_load_seconds(srv),
                                    rss_mb=round(rss_mb(srv.proc.pid), 1), **details)
        if phase == "replay":
            for name in names:
                out[name]["rewrite_s"] = rewrite(live[name], args.restart_timeout)
            kill_when_written(pool, [live[n] for n in names])
            for name in NAMES:
                out[name]["log_files_rewritten"] = log_dir_bytes(live[name])
                base = [f for f in out[name]["log_files_rewritten"] if ".base." in f]
                if name == "redis" and not any(f.endswith(".base.rdb") for f in base):
                    ERRORS.append((f"recovery round {rnd} redis", f"no RDB-preamble base file after "
                                   f"BGREWRITEAOF: {out[name]['log_files_rewritten']}"))
    for name in names:
        pool.end(live[name])
    shutil.rmtree(os.path.join(pool.workdir, sub), ignore_errors=True)
    return out


def recovery(pool, args):
    t0 = time.monotonic()
    cmds, keys, checks = dataset(args)
    size = sum(map(len, cmds))
    print(f"  dataset: {len(cmds)} commands, {size / 1e6:.1f} MB of RESP, {keys} keys "
          f"(built in {time.monotonic() - t0:.1f} s)", flush=True)
    rounds = []
    for rnd in range(args.rounds):
        r = recovery_round(pool, rnd, cmds, keys, checks, args)
        rounds.append(r)
        print(f"  round {rnd + 1}: " + "  ".join(
            f"{n} load {r[n]['load_s']:.2f} s, replay {r[n]['replay']['seconds']:.3f} s, "
            f"rewritten {r[n]['rewritten']['seconds']:.3f} s" for n in NAMES), flush=True)
    med = {}
    for name in NAMES:
        m = {"load_s": statistics.median(r[name]["load_s"] for r in rounds),
             "rewrite_s": statistics.median(r[name]["rewrite_s"] for r in rounds),
             "log_mb_replay": sum(rounds[-1][name]["log_files_replay"].values()) / 1e6,
             "log_mb_rewritten": sum(rounds[-1][name]["log_files_rewritten"].values()) / 1e6}
        for phase in ("replay", "rewritten"):
            m[f"{phase}_s"] = statistics.median(r[name][phase]["seconds"] for r in rounds)
            logged = [r[name][phase]["logged_load_s"] for r in rounds if r[name][phase]["logged_load_s"] is not None]
            m[f"{phase}_logged_s"] = statistics.median(logged) if logged else None
            m[f"{phase}_rss_mb"] = statistics.median(r[name][phase]["rss_mb"] for r in rounds)
        med[name] = m
    return {"commands": len(cmds), "resp_mb": size / 1e6, "keys": keys, "rounds": rounds, "median": med}


def print_recovery(rec):
    t, r = rec["median"]["tally"], rec["median"]["redis"]
    print(f"\n{'recovery (median)':<28}{'tally':>10}{'redis':>10}{'t/r':>7}")
    rows = [("load (pipelined), s", "load_s"), ("restart: log replay, s", "replay_s"),
            ("  server's own log line, s", "replay_logged_s"), ("  RSS after, MB", "replay_rss_mb"),
            ("  appendonlydir, MB", "log_mb_replay"),
            ("BGREWRITEAOF, s", "rewrite_s"),
            ("restart: after rewrite, s", "rewritten_s"), ("  server's own log line, s", "rewritten_logged_s"),
            ("  RSS after, MB", "rewritten_rss_mb"), ("  appendonlydir, MB", "log_mb_rewritten")]
    for label, k in rows:
        print(f"{label:<28}{fmt(t[k], '.3f'):>10}{fmt(r[k], '.3f'):>10}{fmt(ratio(t[k], r[k])):>7}")


# ---------------------------------------------------------------------------------------------------

def git_state():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except OSError:
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, help="alternating rounds (default 3; 2 with --quick)")
    p.add_argument("--quick", action="store_true", help="smoke run: small sizes, short runs")
    p.add_argument("-t", "--tests", default="set,hset,zadd")
    p.add_argument("-c", "--clients", default="50,200")
    p.add_argument("-r", "--keyspace", type=int, default=100000)
    p.add_argument("--seconds", type=float, help="target length of one redis-benchmark run (default 2.5)")
    p.add_argument("--probe", type=int, help="requests in the SET probe that sizes -n (default 10000)")
    p.add_argument("--strings", type=int, help="recovery dataset: SET keys (default 1,000,000)")
    p.add_argument("--hash-fields", type=int, help="recovery dataset: HSET fields (default 200,000)")
    p.add_argument("--zset-members", type=int, help="recovery dataset: ZADD members (default 200,000)")
    p.add_argument("--restart-timeout", type=float, default=120.0)
    p.add_argument("--skip-durability", action="store_true")
    p.add_argument("--skip-recovery", action="store_true")
    p.add_argument("--workers", type=int, default=0, help="Tally --workers (default: the server's own, one per core but one)")
    p.add_argument("--tally", default=os.path.join(ROOT, "tally-server"))
    p.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--json", help="write all results here")
    args = p.parse_args()
    q = args.quick
    defaults = {"rounds": 2 if q else 3, "seconds": 0.25 if q else 2.5, "probe": 2000 if q else 10000,
                "strings": 100_000 if q else 1_000_000, "hash_fields": 20_000 if q else 200_000,
                "zset_members": 20_000 if q else 200_000}
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    args.tests = args.tests.split(",")
    args.clients = [int(x) for x in args.clients.split(",")]

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` ends the servers
    workdir = tempfile.mkdtemp(prefix="tally-wal-bench-")
    tally_src = args.tally
    args.tally = os.path.join(workdir, "tally-server")
    shutil.copy2(tally_src, args.tally)  # one build for the whole run
    pool = Servers(args, workdir)
    t_start, load_start = time.monotonic(), os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} (other work on the machine skews every figure)")
    results = {}
    try:
        if not args.skip_durability:
            print(f"durability cost: {args.rounds} rounds, -P 1, -r {args.keyspace}, ~{args.seconds} s per run",
                  flush=True)
            results["durability"] = durability(pool, args)
            summary, bar = durability_summary(results["durability"], args)
            results["durability_summary"], results["bar"] = summary, bar
            top = max(args.clients)
            print(f"\nbar: Tally always/off at -c {top} >= 0.9: " + ", ".join(
                f"{t} {fmt(b['tally always/off'])} ({'pass' if b['pass'] else 'FAIL'})" for t, b in bar.items()))
            print("Redis always/off at -c %d for reference: " % top + ", ".join(
                f"{t} {fmt(summary.get(f'{t} -c {top}', {}).get('redis always/off'))}" for t in args.tests))
        if not args.skip_recovery:
            print(f"\nrecovery: {args.rounds} rounds, {args.strings} SET + {args.hash_fields} HSET fields + "
                  f"{args.zset_members} ZADD members, appendfsync everysec, SIGKILL, restart", flush=True)
            results["recovery"] = recovery(pool, args)
            print_recovery(results["recovery"])
    except Exception as e:  # noqa: BLE001 -- reported below, then exit status 1
        ERRORS.append(("aborted", f"{type(e).__name__}: {e}"))
    finally:
        pool.end_all()
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - t_start
    load_end = os.getloadavg()
    print(f"\ntotal {elapsed:.0f} s; load average over the last 5 minutes at the end: {load_end[1]:.2f}")
    if ERRORS:
        print("ERRORS:")
        for where, msg in ERRORS:
            print(f"  {where}: {msg}")
    if args.json:
        meta = {k: getattr(args, k) for k in ("rounds", "quick", "tests", "clients", "keyspace", "seconds", "probe",
                                              "strings", "hash_fields", "zset_members", "workers", "redis")}
        meta.update(loadavg_start=load_start, loadavg_end=load_end, tally=tally_src, git=git_state(),
                    cores=os.cpu_count(), elapsed_s=round(elapsed, 1),
                    time=time.strftime("%Y-%m-%d %H:%M:%S"),
                    redis_version=subprocess.run([args.redis, "--version"], capture_output=True,
                                                 text=True).stdout.strip())
        results["errors"] = [{"where": w, "message": m} for w, m in ERRORS]
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    sys.exit(1 if ERRORS else 0)


if __name__ == "__main__":
    main()
