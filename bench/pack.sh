#!/bin/bash
# Packs what bench/scaling.py needs into one folder, for a machine with cores to spare but no package
# archive to install redis from: tally-server, redis-server, redis-benchmark and the shared libraries they
# load, less glibc's own (libc, libm, the loader), which such a machine has.
#
# Usage: bench/pack.sh DIR      (after make; DIR is created)
# There:  LD_LIBRARY_PATH=DIR python3 bench/scaling.py --tally DIR/tally-server \
#           --redis DIR/redis-server --benchmark DIR/redis-benchmark
set -euo pipefail
dir="${1:?usage: bench/pack.sh DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$dir"
# redis-server is a link to redis-check-rdb, which picks its role from the name it is started as.
cp "$(readlink -f "$(command -v redis-server)")" "$dir/redis-server"
cp "$(readlink -f "$(command -v redis-benchmark)")" "$dir/redis-benchmark"
strip --strip-debug -o "$dir/tally-server" "$root/tally-server"
for bin in "$dir/redis-server" "$dir/redis-benchmark" "$dir/tally-server"; do
  ldd "$bin" | awk '/=> \// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
      *) cp -L "$lib" "$dir/" ;;
    esac
  done
done
du -sh "$dir"
