#!/usr/bin/python3
"""Where a small file's time goes: each system call of the small-file workload of
mount_bench.py timed on its own, our mfsmount against 3.0.117's, in one run.

One cluster (a real master by default, three real chunkservers). Each round, in rotating
order, each mount writes --files files of --size bytes in its own folder (open O_CREAT|
O_EXCL, write, close: both clients send the data to the chunkservers on close), then a
fresh mount of it reads them back (open, read, close). Prints the medians (p10, p90) of every
call over all rounds, in microseconds, and the files per second of each round.

Run as root:  MFSNG_BUILD_DIR=build /usr/bin/python3 bench/small_file_phases.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_common import IMPLS, Cluster, binary, free_chunk_disks, log, raise_on_sigterm, work_folder  # noqa: E402

WRITE_CALLS = ("create", "write", "close after write")
READ_CALLS = ("open", "read", "close after read")


def timed_calls(paths: list[str], calls: tuple[str, str, str], first, second, third) -> dict[str, list[float]]:
    """Seconds of each of the three calls per file; ``first(path)`` returns the descriptor."""
    times: dict[str, list[float]] = {call: [] for call in calls}
    for path in paths:
        a = time.perf_counter()
        fd = first(path)
        b = time.perf_counter()
        second(fd)
        c = time.perf_counter()
        third(fd)
        d = time.perf_counter()
        for call, seconds in zip(calls, (b - a, c - b, d - c)):
            times[call].append(seconds)
    return times


def write_and_read(cluster: Cluster, impl: str, folder: str, files: int, payload: bytes) -> dict[str, list[float]]:
    os.mkdir(cluster.mountpoint / folder)
    times: dict[str, list[float]] = {}
    for calls, first, second in (
            (WRITE_CALLS, lambda p: os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644),
             lambda fd: os.write(fd, payload)),
            (READ_CALLS, lambda p: os.open(p, os.O_RDONLY), lambda fd: check(os.read(fd, len(payload) + 1), payload))):
        mount = cluster.add_mount(impl)  # a fresh one each time: cold caches
        try:
            paths = [str(mount.mountpoint / folder / f"f{i:06d}") for i in range(files)]
            times.update(timed_calls(paths, calls, first, second, os.close))
        finally:
            mount.stop()
    return times


def check(data: bytes, payload: bytes) -> None:
    if data != payload:
        raise RuntimeError("a file read back differs from what was written")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--files", type=int, default=300, help="files per round and mount")
    p.add_argument("--size", type=int, default=4096, help="bytes per file")
    p.add_argument("--master", choices=IMPLS, default="real")
    p.add_argument("--workdir", type=pathlib.Path)
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("small_file_phases.py must run as root (network namespaces, FUSE, daemons)")
    for impl in IMPLS:
        binary("mount", impl)
    raise_on_sigterm()
    payload = os.urandom(args.size)
    cluster = Cluster(work_folder(args.workdir, "mfsng-small-file-phases-"), master=args.master,
                      chunkservers=("real",) * 3, mount="real")
    times: dict[str, dict[str, list[float]]] = {impl: {} for impl in IMPLS}
    rates: dict[str, list[str]] = {impl: [] for impl in IMPLS}
    try:
        cluster.start()
        for r in range(args.rounds):
            for impl in IMPLS[r % 2:] + IMPLS[:r % 2]:
                got = write_and_read(cluster, impl, f"r{r + 1}-{impl}", args.files, payload)
                for call, values in got.items():
                    times[impl].setdefault(call, []).extend(values)
                write_rate = args.files / sum(sum(got[c]) for c in WRITE_CALLS)
                read_rate = args.files / sum(sum(got[c]) for c in READ_CALLS)
                rates[impl].append(f"{write_rate:.0f}/{read_rate:.0f}")
                log(f"round {r + 1} {impl}: {write_rate:.0f} files/s written, {read_rate:.0f} read")
    finally:
        cluster.stop()
        free_chunk_disks(cluster)
    print(f"{args.files} files of {args.size} bytes per round, {args.rounds} rounds, {args.master} master, "
          "3 real chunkservers; microseconds: median (p10-p90)")
    print(f"{'call':18} " + " ".join(f"{impl:>22}" for impl in IMPLS))
    for call in WRITE_CALLS + READ_CALLS:
        cells = [f"{percentile(times[i][call], 0.5) * 1e6:6.0f} ({percentile(times[i][call], 0.1) * 1e6:5.0f}-"
                 f"{percentile(times[i][call], 0.9) * 1e6:5.0f})" for i in IMPLS]
        print(f"{call:18} " + " ".join(f"{cell:>22}" for cell in cells))
    print(f"{'files/s (w/r)':18} " + " ".join(f"{' '.join(rates[i]):>22}" for i in IMPLS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
