#!/usr/bin/env python3
"""Median latency of appending one changelog-sized line and fdatasync-ing it, in a folder on
the disk the master's DATA_PATH uses: the floor under each serial metadata operation of
our master, which acknowledges only durable changes (docs/adr/0005). Run it next to
master_bench.py to read its serial ratios. Overwriting preallocated space, as our
changelog writer does, is measured beside the append."""
import argparse
import os
import statistics
import tempfile
import time


def append_and_sync(folder: str, syncs: int, preallocated: bool) -> tuple[float, float]:
    """Median latency and mean CPU time (this process, user + system) per sync, in µs."""
    with tempfile.NamedTemporaryFile(dir=folder) as probe:
        fd = probe.fileno()
        if preallocated:
            os.write(fd, b"\0" * (syncs * 100 + 4096))
            os.fsync(fd)
            os.lseek(fd, 0, os.SEEK_SET)
        times = []
        cpu_start = time.process_time()
        for _ in range(syncs):
            start = time.perf_counter()
            os.write(fd, b"x" * 99 + b"\n")
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
        cpu = time.process_time() - cpu_start
    return statistics.median(times) * 1e6, cpu / syncs * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", default=tempfile.gettempdir(), help="folder on the disk to probe")
    parser.add_argument("--syncs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for round_number in range(1, args.rounds + 1):
        appended, appended_cpu = append_and_sync(args.folder, args.syncs, preallocated=False)
        overwritten, overwritten_cpu = append_and_sync(args.folder, args.syncs, preallocated=True)
        print(f"round {round_number}: append+fdatasync {appended:.0f} us (cpu {appended_cpu:.0f} us), "
              f"overwrite of preallocated+fdatasync {overwritten:.0f} us (cpu {overwritten_cpu:.0f} us); "
              f"latency medians, cpu means of {args.syncs} syncs")


if __name__ == "__main__":
    main()
