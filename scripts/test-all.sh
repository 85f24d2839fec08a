#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests (plain and under ASan+UBSan) and the
# compatibility tests against the real MooseFS 3.0.117 programs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --asan

echo "== unit tests =="
ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "== unit tests under ASan+UBSan =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

echo "== compatibility tests =="
if ! ls compat-tests/test_*.py >/dev/null 2>&1; then
  echo "compatibility tests: none written yet"
  exit 0
fi
/usr/bin/python3 -m pytest -v -p no:cacheprovider compat-tests
