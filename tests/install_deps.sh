#!/usr/bin/env bash
# Installs the Debian packages the tests need, if any is missing. As root it runs apt-get; otherwise it
# prints the exact command to run.
set -euo pipefail
need=()
[ -f /usr/include/hiredis/hiredis.h ] || need+=(libhiredis-dev)
[ -f /usr/include/gtest/gtest.h ] || need+=(libgtest-dev)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# tests/redis_py_test.py runs Debian's redis-py under Debian's own python3
[ -x /usr/bin/python3 ] || need+=(python3)
[ -d /usr/lib/python3/dist-packages/redis ] || need+=(python3-redis)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing test dependencies; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
