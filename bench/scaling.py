#!/usr/bin/env python3
"""Scaling across cores: Tally with N workers next to redis-server with N I/O threads, N = 1, 2, 4, ...

For each N in --threads (default 1,2,4,8, cut to what leaves the client cores of its own) both servers
start fresh (Tally `--workers N`; Redis `--io-threads N --io-threads-do-reads yes`, its own way of using
more cores, its commands still on one thread), and redis-benchmark, with --client-threads threads of its
own (default: the cores that N leaves, at least 1), runs each test against both in alternating rounds,
as bench/compare.py does (medians; the same servers.py, the same CPU readings from /proc). Printed: per
test and pipeline, requests/s of both at every N, the ratio, and each server's speed-up over its own N = 1.

It needs a machine with cores to spare: on a 2-core machine the client and the server share both cores
and the figures say nothing about scaling. Standard library only. Usage:
  python3 bench/scaling.py                                  # get,set,incr,zadd at -P 1 and 16, 200 clients
  python3 bench/scaling.py --threads 1,4 -t get -P 16 --rounds 1 --json out.json
  python3 bench/scaling.py --redis /opt/redis/redis-server --benchmark /opt/redis/redis-benchmark
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import add_run_options, run_suite  # noqa: E402


def measure(args, n, client_threads):
    """Runs every test and pipeline against fresh servers with n threads; {name: {"tally", "redis"}}."""
    run = argparse.Namespace(**vars(args))
    run.io_threads, run.client_threads, run.workers = n, client_threads, 0

    def report(name, t, r):
        print(f"  N={n:<3} {name:<20} tally {t['rps']:>10.0f}  redis {r['rps']:>10.0f}  ratio {t['rps'] / r['rps']:5.2f}"
              f"  cpu us/req {t['cpu_us_per_req']:6.2f}/{r['cpu_us_per_req']:<6.2f}")
    return run_suite(run, report)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", default="1,2,4,8", help="server thread counts N to measure")
    p.add_argument("--client-threads", type=int, default=0,
                   help="redis-benchmark --threads (default: the cores N leaves, at least 1)")
    add_run_options(p, "get,set,incr,zadd", 200, 200000, 1000000)
    args = p.parse_args()
    args.appendonly, args.appendfsync, args.unix = "no", "everysec", False
    cores = os.cpu_count() or 1
    results = {}
    for n in [int(x) for x in args.threads.split(",")]:
        client_threads = args.client_threads or max(1, cores - n)
        if n + client_threads > cores:
            print(f"N={n}: {n} server threads and {client_threads} client threads on {cores} cores share them; "
                  "the figures measure the sharing, not the scaling", flush=True)
        results[n] = measure(args, n, client_threads)
    print(f"\n{'test':<20}{'N':>4}{'tally rps':>12}{'redis rps':>12}{'ratio':>7}{'tally xN=1':>12}{'redis xN=1':>12}")
    first = min(results)
    for name in results[first]:
        for n, res in results.items():
            t, r = res[name]["tally"]["rps"], res[name]["redis"]["rps"]
            t1, r1 = results[first][name]["tally"]["rps"], results[first][name]["redis"]["rps"]
            print(f"{name:<20}{n:>4}{t:>12.0f}{r:>12.0f}{t / r:>7.2f}{t / t1:>12.2f}{r / r1:>12.2f}")
    if args.json:
        meta = {"cores": cores, "clients": args.clients, "rounds": args.rounds, "keyspace": args.keyspace,
                "client_threads": args.client_threads or "cores - N", "time": time.strftime("%Y-%m-%d %H:%M:%S")}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": {str(n): r for n, r in results.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
