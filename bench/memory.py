#!/usr/bin/env python3
"""Memory per item: Tally vs redis-server, same data, same run.

For each dataset, starts a fresh Tally and a fresh redis-server (same settings, log off), loads the
dataset into both over pipelined RESP, and reports the growth of each server's resident memory (RSS,
from /proc) and of INFO used_memory, as bytes per item and as a Tally/Redis ratio.

Datasets (sizes scale with --scale, default 1.0):
  strings   1,000,000 keys "key:%012d" -> 3-byte value
  ttl         500,000 keys "ttl:%012d" -> 3-byte value, EX 3600
  zset      one sorted set of 1,000,000 members "member:%d" with integer scores
  hashes       10,000 hashes "hash:%d" of 100 fields "f%d" -> "v%d"
  bighash   one hash of 1,000,000 fields "field:%d" -> "value:%d" (the table form in both servers)
  smallzsets  100,000 sorted sets "zset:%d" of 10 members "m0".."m9" (the compact "listpack" form in
            both servers, docs/encodings.md)

--json writes the figures; --baseline compares them with an earlier --json file and lists every
dataset whose Tally bytes per item or Tally/Redis ratio grew by more than 10%.

Standard library only. Usage: python3 bench/memory.py [--scale 0.1] [--datasets strings,zset]
"""
import argparse
import json
import os
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import Server, rss_mb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def send_all(port, commands, batch=2000):
    """Sends the commands pipelined in batches and checks every reply is not an error."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        for i in range(0, len(commands), batch):
            chunk = commands[i:i + batch]
            s.sendall(b"".join(chunk))
            read_replies(s, len(chunk))


def read_replies(s, n):
    buf = b""
    seen = 0
    while seen < n:
        data = s.recv(1 << 20)
        if not data:
            raise RuntimeError("server closed the connection")
        buf += data
        # Every reply here is a single line (+OK, :n); count complete lines.
        lines = buf.split(b"\r\n")
        buf = lines.pop()
        for line in lines:
            if line.startswith(b"-"):
                raise RuntimeError(f"error reply while loading: {line!r}")
            seen += 1


def info_used_memory(port):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(encode("INFO", "memory"))
        data = b""
        while b"used_memory:" not in data or not data.endswith(b"\r\n"):
            data += s.recv(65536)
    for line in data.split(b"\r\n"):
        if line.startswith(b"used_memory:"):
            return int(line.split(b":")[1])
    return 0


def one_big_key(command, key, n, pair):
    """n items written into one key, 500 per command: pair(i) gives item i's two arguments."""
    cmds = []
    for start in range(0, n, 500):
        args = [command, key]
        for i in range(start, min(n, start + 500)):
            args += pair(i)
        cmds.append(encode(*args))
    return n, cmds


def dataset(name, scale):
    if name == "strings":
        n = int(1_000_000 * scale)
        return n, [encode("SET", "key:%012d" % i, "VXK") for i in range(n)]
    if name == "ttl":
        n = int(500_000 * scale)
        return n, [encode("SET", "ttl:%012d" % i, "VXK", "EX", "3600") for i in range(n)]
    if name == "zset":
        return one_big_key("ZADD", "bigzset", int(1_000_000 * scale), lambda i: [str(i), "member:%d" % i])
    if name == "hashes":
        n = max(1, int(10_000 * scale))
        cmds = []
        for h in range(n):
            args = ["HSET", "hash:%d" % h]
            for f in range(100):
                args += ["f%d" % f, "v%d" % f]
            cmds.append(encode(*args))
        return n * 100, cmds
    if name == "bighash":
        return one_big_key("HSET", "bighash", int(1_000_000 * scale), lambda i: ["field:%d" % i, "value:%d" % i])
    if name == "smallzsets":
        n = max(1, int(100_000 * scale))
        return n * 10, [encode("ZADD", "zset:%d" % z, *[x for m in range(10) for x in (str(m), "m%d" % m)])
                        for z in range(n)]
    raise ValueError(name)


def measure(server, commands):
    rss0, used0 = rss_mb(server.proc.pid), info_used_memory(server.port)
    send_all(server.port, commands)
    rss1, used1 = rss_mb(server.proc.pid), info_used_memory(server.port)
    return (rss1 - rss0) * 1024 * 1024, used1 - used0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default="strings,ttl,zset,hashes,bighash,smallzsets")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--tally", default=os.path.join(ROOT, "tally-server"))
    p.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--baseline", help="compare with this earlier --json result")
    args = p.parse_args()
    figures = {}
    print(f"{'dataset':<10}{'items':>10}  {'tally B/item':>13}{'redis B/item':>13}{'ratio':>7}"
          f"  {'used_memory t/r B/item':>24}")
    for name in args.datasets.split(","):
        items, commands = dataset(name, args.scale)
        workdir = tempfile.mkdtemp(prefix="tally-mem-")
        try:
            results = {}
            for label, binary in (("tally", args.tally), ("redis", args.redis)):
                srv = Server(label, binary, workdir)
                try:
                    results[label] = measure(srv, commands)
                finally:
                    srv.stop()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        (t_rss, t_used), (r_rss, r_used) = results["tally"], results["redis"]
        print(f"{name:<10}{items:>10}  {t_rss / items:>13.1f}{r_rss / items:>13.1f}{t_rss / r_rss:>7.2f}"
              f"  {t_used / items:>11.1f}/{r_used / items:<11.1f}")
        sys.stdout.flush()
        figures[name] = {"items": items, "tally_rss_per_item": t_rss / items, "redis_rss_per_item": r_rss / items,
                         "ratio": t_rss / r_rss, "tally_used_per_item": t_used / items,
                         "redis_used_per_item": r_used / items}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scale": args.scale, "results": figures}, f, indent=1)
    if args.baseline:
        compare_baseline(figures, args.baseline)


def compare_baseline(figures, path):
    """Prints the datasets whose Tally bytes per item or ratio grew by more than 10% since `path`."""
    with open(path) as f:
        base = json.load(f)["results"]
    bad = []
    for name, now in figures.items():
        was = base.get(name)
        if not was:
            continue
        for key in ("tally_rss_per_item", "ratio"):
            if now[key] > was[key] * 1.10:
                bad.append(f"  {name} {key}: {was[key]:.2f} -> {now[key]:.2f}")
    print("memory regressions over 10% against the baseline:" if bad else
          "no memory regression over 10% against the baseline")
    for line in bad:
        print(line)


if __name__ == "__main__":
    main()
