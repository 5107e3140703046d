#!/bin/bash
# A/B of one Tally setting under `appendfsync always`, next to the same build with the log off.
#
#   bench/wal_ab.sh [TEST] [REQUESTS] [ROUNDS] -- [SETTING VALUE ...]
#   bench/wal_ab.sh hset 150000 4 -- --wal-preallocate 0
#
# Starts three servers of ./tally-server at once: A (always, defaults), B (always, plus the settings
# after --) and OFF (log off); runs redis-benchmark -c 200 -r 100000 -t TEST against A and B in
# alternating order each round, then OFF, and prints requests/s, server CPU per request (all threads,
# from /proc/<pid>/task/*/schedstat) and requests per fsync (INFO persistence wal_fsyncs).
# docs/performance.md has the runs this was written for.
set -u
TEST=${1:-hset}
N=${2:-150000}
ROUNDS=${3:-4}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
B_ARGS=("$@")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=${TALLY:-$ROOT/tally-server}
WORK=$(mktemp -d /tmp/tally-wal-ab.XXXXXX)
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # name port args...
  local name=$1 port=$2; shift 2
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec "$T" --port "$port" --bind 127.0.0.1 --save "" --dir "$WORK/$name" "$@" \
      >"$WORK/$name.log" 2>&1) &
  PIDS+=($!)
}
PA=$(free_port); PB=$(free_port); PO=$(free_port)
start a "$PA" --appendonly yes --appendfsync always
start b "$PB" --appendonly yes --appendfsync always "${B_ARGS[@]}"
start off "$PO" --appendonly no
for p in "$PA" "$PB" "$PO"; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

pid_of() { case $1 in "$PA") echo "${PIDS[0]}";; "$PB") echo "${PIDS[1]}";; *) echo "${PIDS[2]}";; esac; }
cpu_us() { awk '{s += $1} END {printf "%d", s / 1000}' /proc/"$(pid_of "$1")"/task/*/schedstat; }
fsyncs() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: '/^wal_fsyncs:/ {print $2}'; }
run() {  # port label
  local f0 c0 rps c1 f1
  f0=$(fsyncs "$1"); c0=$(cpu_us "$1")
  rps=$(redis-benchmark -p "$1" -c 200 -t "$TEST" -n "$N" -r 100000 --csv 2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"')
  c1=$(cpu_us "$1"); f1=$(fsyncs "$1")
  echo "$TEST $2 $rps rps  cpu_us/req $(( (c1 - c0) / N ))  req/fsync $(( N / (f1 - f0 + 1) ))"
}
echo "A: always; B: always ${B_ARGS[*]}; OFF: log off"
for i in $(seq 1 "$ROUNDS"); do
  if (( i % 2 )); then run "$PA" A; run "$PB" B; else run "$PB" B; run "$PA" A; fi
  run "$PO" OFF
done
