#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests (plain and under ASan+UBSan), the
# compatibility tests against the real MooseFS 3.0.117 programs, and a short run of each
# fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== unit tests =="
ctest --test-dir build --output-on-failure -j "$(nproc)"

# The compatibility tests spend most of their time waiting on daemons' timers, so the
# ASan+UBSan build and the clang build of the fuzz targets run beside them at the lowest
# CPU priority (they would otherwise add ~9 and ~4 minutes on two cores). Their own
# process groups let an early exit stop all of it.
echo "== ASan+UBSan and fuzz target builds started in the background (logs: build-asan/build.log, build-fuzz/build.log) =="
mkdir -p build-asan build-fuzz
setsid nice -n 19 bash scripts/build.sh build-asan -DMFSNG_SANITIZE=ON >build-asan/build.log 2>&1 &
asan_build=$!
setsid nice -n 19 bash scripts/fuzz-smoke.sh build >build-fuzz/build.log 2>&1 &
fuzz_build=$!
trap 'kill -- -"$asan_build" -"$fuzz_build" 2>/dev/null || true' EXIT

# Three tests at a time: each runs in its own namespace and tmp dir, and they mostly wait
# on the daemons' timers (measured: 11 minutes instead of 31 on two cores).
echo "== compatibility tests =="
/usr/bin/python3 -m pytest -v -p no:cacheprovider -n 3 --durations=25 compat-tests

echo "== ASan+UBSan and fuzz target builds =="
if ! wait "$asan_build"; then
  tail -n 100 build-asan/build.log
  echo "ASan+UBSan build failed (full log: build-asan/build.log)" >&2
  exit 1
fi
if ! wait "$fuzz_build"; then
  tail -n 100 build-fuzz/build.log
  echo "fuzz target build failed (full log: build-fuzz/build.log)" >&2
  exit 1
fi
trap - EXIT

echo "== unit tests under ASan+UBSan =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

echo "== fuzz targets, 10 s each from an empty corpus =="
bash scripts/fuzz-smoke.sh run 10
