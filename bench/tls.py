#!/usr/bin/env python3
"""TLS throughput: Tally vs redis-server with the same TLS setup, same machine, same run.

Makes a throwaway CA, server and client certificate with the `openssl` command, starts both servers
with a plain port and a TLS port (tls-auth-clients yes, the client certificate presented), and runs
`redis-benchmark --tls` against each TLS port in alternating rounds, then the same against the plain
ports for reference. Prints requests/s (median over the rounds) and the Tally/Redis ratio, plus what
TLS costs each server (TLS rps / plain rps).

Standard library only. Usage:
  python3 bench/tls.py                          # SET and GET, -P 1 and -P 16, 50 clients, 3 rounds
  python3 bench/tls.py -t set -P 16 -n 200000 --rounds 5 --key ec
"""
import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import Server, free_port  # noqa: E402


def make_certs(d, key):
    newkey = ["-newkey", "rsa:2048"] if key == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    steps = [
        ["req", "-x509", "-new", "-nodes", *newkey, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
         "-subj", "/CN=bench-ca"],
        ["req", "-new", "-nodes", *newkey, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "2", "-extfile", "san.ext"],
        ["req", "-new", "-nodes", *newkey, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client"],
        ["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "client.crt", "-days", "2"],
    ]
    for s in steps:
        subprocess.run(["openssl", *s], cwd=d, check=True, capture_output=True)
    return {name: os.path.join(d, name) for name in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


def start(name, binary, workdir, certs, extra):
    tls_port = free_port()
    args = ["--tls-port", str(tls_port), "--tls-cert-file", certs["server.crt"], "--tls-key-file",
            certs["server.key"], "--tls-ca-cert-file", certs["ca.crt"], *extra]
    server = Server(name, binary, workdir, args)
    server.tls_port = tls_port
    return server


def bench(port, certs, test, pipeline, args, tls):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(args.clients), "-n", str(args.requests),
           "-P", str(pipeline), "-r", str(args.keyspace), "-t", test, "--csv", "-q"]
    if tls:
        cmd += ["--tls", "--cacert", certs["ca.crt"], "--cert", certs["client.crt"], "--key", certs["client.key"]]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0 or "Error" in out.stdout:
        raise RuntimeError(f"redis-benchmark failed on port {port}: {out.stdout[-300:]} {out.stderr[-300:]}")
    rows = [r for r in csv.reader(io.StringIO(out.stdout)) if r and r[0] != "test"]
    return float(rows[-1][1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-t", "--tests", default="set,get")
    p.add_argument("-P", "--pipelines", default="1,16")
    p.add_argument("-c", "--clients", type=int, default=50)
    p.add_argument("-n", "--requests", type=int, default=100000)
    p.add_argument("-r", "--keyspace", type=int, default=100000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--key", choices=("rsa", "ec"), default="rsa", help="certificate keys: RSA 2048 or P-256")
    p.add_argument("--workers", type=int, default=0, help="Tally --workers (default: one per core)")
    p.add_argument("--tally", default=os.path.join(ROOT, "tally-server"))
    p.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="tally-bench-tls-")
    certs = make_certs(workdir, args.key)
    tally = start("tally", args.tally, workdir, certs, ["--workers", str(args.workers)] if args.workers else [])
    redis = start("redis", args.redis, workdir, certs, [])
    print(f"{'test':<12}{'tally tls':>11}{'redis tls':>11}{'ratio':>7}{'tally plain':>13}{'redis plain':>13}"
          f"{'tls/plain t':>13}{'tls/plain r':>13}")
    try:
        for pipeline in [int(x) for x in args.pipelines.split(",")]:
            for test in args.tests.split(","):
                rps = {}
                for tls in (True, False):
                    samples = {"tally": [], "redis": []}
                    for rnd in range(args.rounds):
                        for srv in ((tally, redis) if rnd % 2 == 0 else (redis, tally)):
                            port = srv.tls_port if tls else srv.port
                            samples[srv.name].append(bench(port, certs, test, pipeline, args, tls))
                    for name, s in samples.items():
                        rps[(name, tls)] = statistics.median(s)
                t, r = rps[("tally", True)], rps[("redis", True)]
                tp, rp = rps[("tally", False)], rps[("redis", False)]
                print(f"{test + ' -P ' + str(pipeline):<12}{t:>11.0f}{r:>11.0f}{t / r:>7.2f}{tp:>13.0f}{rp:>13.0f}"
                      f"{t / tp:>13.2f}{r / rp:>13.2f}")
                sys.stdout.flush()
    finally:
        tally.stop()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
