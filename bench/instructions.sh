#!/bin/bash
# User-space instructions per request, Tally vs redis-server, under callgrind (repeatable on a noisy
# machine, unlike wall time). Each server runs under `valgrind --tool=callgrind` on port 7103 (Tally with
# one worker); the counters are zeroed once it answers PING, redis-benchmark runs, and the counters are
# dumped before shutdown, so start-up and shutdown are not counted.
#
# Usage: bench/instructions.sh "<redis-benchmark args>" <requests> ["<preload command>"]
#   e.g. bench/instructions.sh "-t set -P 16" 50000
# A preload command is sent 300,000 times over 100,000 random keys (-r) before the counters are
# zeroed, e.g. a 100k-member sorted set with fractional scores, then ZRANGE over it:
#   bench/instructions.sh "zrange bigzset 0 99 withscores" 20000 "zadd bigzset __rand_int__.37 member:__rand_int__"
set -e
args="$1"; n="${2:-50000}"; preload="${3:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/tally-cg-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for s in tally redis; do
  if [ $s = tally ]; then
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$s.out" "$root/tally-server" --port 7103 \
      --save "" --appendonly no --workers 1 >/dev/null 2>&1 &
  else
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$s.out" redis-server --port 7103 --save "" \
      --appendonly no >/dev/null 2>&1 &
  fi
  for _ in $(seq 100); do redis-cli -p 7103 ping >/dev/null 2>&1 && break; sleep 0.3; done
  if [ -n "$preload" ]; then
    # shellcheck disable=SC2086 # the preload is a command line, split on purpose
    redis-benchmark -p 7103 -n 300000 -r 100000 -P 64 -q $preload >/dev/null 2>&1
  fi
  callgrind_control -z >/dev/null 2>&1
  redis-benchmark -p 7103 -n "$n" -c 50 -r 100000 -q $args 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep -v '^\s*$'
  callgrind_control -d >/dev/null 2>&1
  sleep 0.5
  redis-cli -p 7103 shutdown nosave >/dev/null 2>&1 || true
  wait
  dump="$(ls "$work"/cg.$s.out.* | head -1)"
  total="$(callgrind_annotate "$dump" 2>/dev/null | grep 'PROGRAM TOTALS' | awk '{print $1}' | tr -d ,)"
  echo "$s user-space instructions per request: $((total / n))"
done
