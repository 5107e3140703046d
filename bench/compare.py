#!/usr/bin/env python3
"""Side-by-side throughput benchmark: Tally vs redis-server, same machine, same run.

Starts both servers on free ports with the same settings, runs redis-benchmark against each in
alternating rounds, reads each server's CPU time from /proc before and after every run, and prints
requests/s, p50/p99 latency and CPU microseconds per request for both, with Tally/Redis ratios
(medians over the rounds), and how busy the benchmark client was (its CPU time over the run's wall
time: near 1.0, the client set the pace, not the server). Results can be written as JSON (--json) and compared with a baseline
(--baseline) to flag regressions over 10%.

Standard library only. Usage:
  python3 bench/compare.py                       # default suite, -P 1 and -P 16, 3 rounds
  python3 bench/compare.py -t set,get -P 16 --rounds 5 --requests 200000
  python3 bench/compare.py -t hget_big,zscore_big,zrange_100,zrevrank_big   # on a 100k-field hash / zset
  python3 bench/compare.py -t zrange_100,zrange_100_frac    # integer scores, then fractional (N.37)
  python3 bench/compare.py --appendonly yes --appendfsync always              # both servers logging
  python3 bench/compare.py --unix                                             # over a Unix socket
"""
import argparse
import csv
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import Server, cpu_since, cpu_snapshot  # noqa: E402
from memory import encode, send_all  # noqa: E402


def start_servers(args, workdir):
    extra = ["--appendfsync", args.appendfsync] if args.appendonly == "yes" else []
    workers = getattr(args, "io_threads", 0) or args.workers
    tally_extra = extra + (["--workers", str(workers)] if workers else [])
    redis_extra = list(extra)
    if getattr(args, "io_threads", 0) > 1:  # Redis's threaded I/O, reads too (bench/scaling.py)
        redis_extra += ["--io-threads", str(args.io_threads), "--io-threads-do-reads", "yes"]
    servers = []
    for name, binary, more in (("tally", args.tally, tally_extra), ("redis", args.redis, redis_extra)):
        # --unix: each server also listens on a Unix socket, and redis-benchmark talks to that (-s).
        sock = os.path.join(workdir, name + ".sock") if args.unix else None
        srv = Server(name, binary, workdir, more + (["--unixsocket", sock] if sock else []), args.appendonly)
        srv.sock = sock
        servers.append(srv)
    return tuple(servers)


def run_benchmark(server, test, pipeline, args):
    # Pipelined runs are 10 times faster: more requests keep them long enough to measure.
    requests = args.requests if pipeline == 1 else args.pipelined_requests
    where = ["-s", server.sock] if server.sock else ["-p", str(server.port)]
    cmd = [getattr(args, "benchmark", "redis-benchmark")] + where + ["-c", str(args.clients), "-n", str(requests),
           "-P", str(pipeline), "-r", str(args.keyspace), "--csv", "-q"]
    if getattr(args, "client_threads", 0) > 1:
        cmd += ["--threads", str(args.client_threads)]
    custom = CUSTOM.get(test)
    cmd += custom if custom else ["-t", test]
    before = cpu_snapshot(server.proc.pid)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the servers are children too, but never reaped here
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - start
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_since(server.proc.pid, before)
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
    if out.returncode != 0 or "Error" in out.stdout:
        raise RuntimeError(f"redis-benchmark failed on {server.name} {test}: {out.stdout[-300:]} {out.stderr[-300:]}")
    rows = [r for r in csv.reader(io.StringIO(out.stdout)) if r and r[0] != "test"]
    row = rows[-1]
    rps = float(row[1])
    # The benchmark client's own CPU: near 1.0 of the run's wall time means the client, not the server,
    # set the pace (one redis-benchmark thread; on a 2-core machine it needs a core of its own).
    return {"rps": rps, "p50": float(row[4]), "p99": float(row[6]), "cpu_us_per_req": cpu * 1e6 / requests,
            "client_us_per_req": client_cpu * 1e6 / requests, "client_busy": client_cpu / wall}


# Tests that redis-benchmark does not name with -t: the command line after the options. They read
# `bighash` (one field per -r value) and `bigzset` (one member per -r value), which load_big() writes.
CUSTOM = {
    "hget_big": ["hget", "bighash", "field:__rand_int__"],
    "zscore_big": ["zscore", "bigzset", "member:__rand_int__"],
    "zrange_100": ["zrange", "bigzset", "0", "99", "withscores"],
    "zrevrank_big": ["zrevrank", "bigzset", "member:__rand_int__"],
    # The same range over scores with a fraction (N.37), which take another formatting path.
    "zrange_100_frac": ["zrange", "bigzsetf", "0", "99", "withscores"],
}


def load_big(server, keyspace, fractional):
    """Writes bighash and bigzset (and bigzsetf, when `fractional`) with the names redis-benchmark's
    __rand_int__ produces (12 digits)."""
    commands = []
    for i in range(keyspace):
        name = "%012d" % i
        commands.append(encode("HSET", "bighash", "field:" + name, "value:" + name))
        commands.append(encode("ZADD", "bigzset", i * 7 % keyspace, "member:" + name))
        if fractional:
            commands.append(encode("ZADD", "bigzsetf", "%d.37" % (i * 7 % keyspace), "member:" + name))
    send_all(server.port, commands)


def summarize(samples):
    med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    return med


def run_suite(args, report):
    """Starts both servers, runs every test at every pipeline depth in alternating rounds, stops them;
    returns {"<test> -P <n>": {"tally": medians, "redis": medians}} and calls report(name, t, r) per row."""
    workdir = tempfile.mkdtemp(prefix="tally-bench-")
    tally, redis = start_servers(args, workdir)
    results = {}
    try:
        if any(t in CUSTOM for t in args.tests.split(",")):
            for srv in (tally, redis):
                load_big(srv, args.keyspace, "zrange_100_frac" in args.tests.split(","))
        for pipeline in [int(x) for x in args.pipelines.split(",")]:
            for test in args.tests.split(","):
                samples = {"tally": [], "redis": []}
                for rnd in range(args.rounds):
                    order = (tally, redis) if rnd % 2 == 0 else (redis, tally)
                    for srv in order:
                        samples[srv.name].append(run_benchmark(srv, test, pipeline, args))
                t, r = summarize(samples["tally"]), summarize(samples["redis"])
                results[f"{test} -P {pipeline}"] = {"tally": t, "redis": r}
                report(f"{test} -P {pipeline}", t, r)
                sys.stdout.flush()
    finally:
        tally.stop()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def add_run_options(p, tests, clients, requests, pipelined_requests):
    """The options run_suite() reads, with these defaults (bench/scaling.py shares them)."""
    p.add_argument("-t", "--tests", default=tests)
    p.add_argument("-P", "--pipelines", default="1,16")
    p.add_argument("-c", "--clients", type=int, default=clients)
    p.add_argument("-n", "--requests", type=int, default=requests, help="requests per run at -P 1")
    p.add_argument("--pipelined-requests", type=int, default=pipelined_requests,
                   help="requests per run at -P 2 and more")
    p.add_argument("-r", "--keyspace", type=int, default=100000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tally", default=os.path.join(ROOT, "tally-server"))
    p.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark",
                   help="the redis-benchmark binary")
    p.add_argument("--json", help="write results here")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(p, "ping_inline,ping_mbulk,set,get,incr,mset", 50, 100000, 500000)
    p.add_argument("--workers", type=int, default=0, help="Tally --workers (default: the server's own, one per core but one)")
    p.add_argument("--io-threads", type=int, default=0,
                   help="Tally --workers N and Redis --io-threads N --io-threads-do-reads yes (bench/scaling.py)")
    p.add_argument("--client-threads", type=int, default=0, help="redis-benchmark --threads N")
    p.add_argument("--unix", action="store_true", help="benchmark over a Unix socket (unixsocket, redis-benchmark -s)")
    p.add_argument("--appendonly", default="no")
    p.add_argument("--appendfsync", default="everysec")
    p.add_argument("--baseline", help="compare with this earlier --json result")
    args = p.parse_args()

    results = run_suite(args, print_row)
    meta = {"clients": args.clients, "requests": args.requests, "pipelined_requests": args.pipelined_requests,
            "rounds": args.rounds, "keyspace": args.keyspace,
            "appendonly": args.appendonly, "appendfsync": args.appendfsync, "cores": os.cpu_count(),
            "transport": "unix" if args.unix else "tcp", "io_threads": args.io_threads,
            "client_threads": args.client_threads,
            "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    if args.baseline:
        compare_baseline(results, args.baseline)


HEADER_DONE = []


def print_row(name, t, r):
    if not HEADER_DONE:
        print(f"{'test':<22}{'tally rps':>12}{'redis rps':>12}{'ratio':>7}  {'p50 t/r ms':>13}  {'p99 t/r ms':>13}"
              f"  {'cpu us/req t/r':>15}{'ratio':>7}  {'client busy t/r':>15}")
        HEADER_DONE.append(True)
    print(f"{name:<22}{t['rps']:>12.0f}{r['rps']:>12.0f}{t['rps'] / r['rps']:>7.2f}  "
          f"{t['p50']:>6.3f}/{r['p50']:<6.3f}  {t['p99']:>6.3f}/{r['p99']:<6.3f}  "
          f"{t['cpu_us_per_req']:>7.2f}/{r['cpu_us_per_req']:<7.2f}{t['cpu_us_per_req'] / r['cpu_us_per_req']:>7.2f}  "
          f"{t.get('client_busy', 0):>7.2f}/{r.get('client_busy', 0):<7.2f}")


def compare_baseline(results, path):
    with open(path) as f:
        base = json.load(f)["results"]
    bad = []
    for name, res in results.items():
        if name in base:
            old = base[name]["tally"]["rps"] / base[name]["redis"]["rps"]
            new = res["tally"]["rps"] / res["redis"]["rps"]
            if new < old * 0.9:
                bad.append(f"{name}: ratio {old:.2f} -> {new:.2f}")
    print("regressions over 10% against the baseline:" if bad else "no regression over 10% against the baseline")
    for b in bad:
        print("  " + b)


if __name__ == "__main__":
    main()
