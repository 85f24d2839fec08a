#!/usr/bin/env bash
# Builds every libFuzzer target with clang into build-fuzz/ and runs each for a few seconds
# from an empty corpus: the targets keep building as the code under them changes, and a
# decoder that crashes on the first inputs fails here. Longer runs: README, "Fuzzing".
# Usage: fuzz-smoke.sh [build|run] [seconds per target, default 10]; no argument does both.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
seconds=${2:-10}

if [ "$what" != run ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target fuzzers
fi
if [ "$what" != build ]; then
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
  mapfile -t targets < <(find build-fuzz -name '*_fuzz' -type f -executable | sort)
  if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz-smoke.sh: no fuzz target in build-fuzz/" >&2
    exit 1
  fi
  for target in "${targets[@]}"; do
    name=$(basename "$target")
    log="build-fuzz/$name.log"
    mkdir -p "$corpus/$name"
    options=()
    scratch=${TMPDIR:-/tmp}
    if [ "$name" = protocol_packet_stream_fuzz ]; then
      # Each input sets up a whole master (its header says why): without entropic's
      # bookkeeping and with the changelog's syncs on a tmpfs it runs about twice as many.
      options=(-entropic=0 -len_control=0)
      if [ -w /dev/shm ]; then scratch=/dev/shm; fi
    fi
    if ! TMPDIR=$scratch "$target" -max_total_time="$seconds" -rss_limit_mb=4096 -artifact_prefix="build-fuzz/" \
        "${options[@]}" "$corpus/$name" >"$log" 2>&1; then
      tail -n 60 "$log"
      echo "fuzz-smoke.sh: $name failed (input and log in build-fuzz/)" >&2
      exit 1
    fi
    echo "$name: $(grep -o 'Done [0-9]* runs' "$log" || echo ran) in ${seconds} s"
  done
fi
