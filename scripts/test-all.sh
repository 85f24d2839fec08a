#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests (plain and under ASan+UBSan) and the
# compatibility tests against the real MooseFS 3.0.117 programs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== unit tests =="
ctest --test-dir build --output-on-failure -j "$(nproc)"

# The compatibility tests spend most of their time waiting on daemons' timers, so the
# ASan+UBSan build runs beside them at the lowest CPU priority (it would otherwise add
# ~9 minutes on two cores). Its own process group lets an early exit stop all of it.
echo "== ASan+UBSan build started in the background (log: build-asan/build.log) =="
mkdir -p build-asan
setsid nice -n 19 bash scripts/build.sh build-asan -DMFSNG_SANITIZE=ON >build-asan/build.log 2>&1 &
asan_build=$!
trap 'kill -- -"$asan_build" 2>/dev/null || true' EXIT

# Three tests at a time: each runs in its own namespace and tmp dir, and they mostly wait
# on the daemons' timers (measured: 11 minutes instead of 31 on two cores).
echo "== compatibility tests =="
/usr/bin/python3 -m pytest -v -p no:cacheprovider -n 3 --durations=25 compat-tests

echo "== ASan+UBSan build =="
if ! wait "$asan_build"; then
  tail -n 100 build-asan/build.log
  echo "ASan+UBSan build failed (full log: build-asan/build.log)" >&2
  exit 1
fi
trap - EXIT

echo "== unit tests under ASan+UBSan =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
