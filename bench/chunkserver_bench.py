#!/usr/bin/python3
"""Benchmark: our mfschunkserver against MooseFS 3.0.117's mfschunkserver (issue 4).

Both get the same cluster: the real 3.0.117 master and real mfsmounts with three chunkservers
of one kind (three real, or three of ours), in a private network namespace started by the
compatibility test harness (compat-tests/mfsharness). Rounds alternate the order; every
(round, kind) pair gets a fresh cluster. Workloads: sequential write and read of one big
file, 4 KiB random reads, 4 KiB small-file writes, and the disk's own sequential read speed
measured the same way (reference). Reads start cold: the chunk files' pages are evicted
from the page cache first (fsync + POSIX_FADV_DONTNEED per file, no global drop_caches).
Prints a table per workload and the ratios (> 1 means ours is better). See bench/README.md.

Run as root:  /usr/bin/python3 bench/chunkserver_bench.py --json /tmp/cs-bench.json
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import random
import statistics
import time
from typing import Sequence

from bench_common import (BLOCK, IMPLS, MIB, BenchError, Cluster, Metric, chosen_workloads, exit_with,
                          fresh_mount, make_dirs, read_sequential, run_benchmark, timed_phase, write_files,
                          write_sequential)

PAGE = 4096

METRICS = [
    Metric("seq_write", "sequential", "write + fsync", "MiB/s", True),
    Metric("seq_read", "sequential", "read, cold", "MiB/s", True),
    Metric("rand_read", "random read", "4 KiB preads, cold", "reads/s", True),
    Metric("write_4k", "small files", "write 4 KiB files", "files/s", True),
    Metric("disk_read", "disk", "raw disk read, cold (reference)", "MiB/s", True),
]
WORKLOADS = list(dict.fromkeys(m.workload for m in METRICS))


@dataclasses.dataclass(frozen=True)
class Sizes:
    seq_mib: int
    rand_mib: int
    rand_reads: int
    small: int


# ---------------------------------------------------------------------------------------------
# page cache
# ---------------------------------------------------------------------------------------------

def evict(path: pathlib.Path) -> None:
    """Drops one file's pages from the page cache (written back first: dirty pages stay)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def evict_chunk_files(cluster: Cluster) -> None:
    """Every chunk file of the cluster leaves the page cache, so reads come from the disk."""
    for cs in cluster.chunkservers:
        for path in (cs.workdir / "hdd").glob("*/chunk_*.mfs"):
            evict(path)


# ---------------------------------------------------------------------------------------------
# workloads: each returns {metric key: value}
# ---------------------------------------------------------------------------------------------

def workload_sequential(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """One seq_mib MiB file: written in 1 MiB blocks + fsync, then read on a fresh mount
    after the chunk files left the page cache."""
    make_dirs(cluster, ["seq"])
    path = ["seq/big"]
    mib = sizes.seq_mib
    write = mib / timed_phase(cluster, write_sequential, path, mib)
    evict_chunk_files(cluster)
    return {"seq_write": write, "seq_read": mib / timed_phase(cluster, read_sequential, path, mib)}


def random_reads(paths: Sequence[str], offsets: Sequence[int], block: bytes) -> None:
    """4 KiB preads at ``offsets`` of a file made of ``block`` repeated, each checked."""
    fd = os.open(paths[0], os.O_RDONLY)
    try:
        for offset in offsets:
            expected = block[offset % len(block):offset % len(block) + PAGE]
            if os.pread(fd, PAGE, offset) != expected:
                raise BenchError(f"{paths[0]}: wrong data at offset {offset}")
    finally:
        os.close(fd)


def workload_random_read(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """rand_reads 4 KiB reads at random 4 KiB-aligned offsets of a rand_mib MiB file, on a
    fresh mount, after the chunk files left the page cache."""
    make_dirs(cluster, ["rand"])
    block = os.urandom(BLOCK)
    with fresh_mount(cluster) as mount:
        with open(os.path.join(mount.mountpoint, "rand/file"), "wb") as f:
            for _ in range(sizes.rand_mib):
                f.write(block)
    evict_chunk_files(cluster)
    offsets = [random.randrange(sizes.rand_mib * MIB // PAGE) * PAGE for _ in range(sizes.rand_reads)]
    return {"rand_read": sizes.rand_reads / timed_phase(cluster, random_reads, ["rand/file"], offsets, block)}


def workload_small(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """``small`` files of 4 KiB, each written and closed (mfsmount flushes on close)."""
    make_dirs(cluster, ["small"])
    names = [f"small/f{i:06d}" for i in range(sizes.small)]
    return {"write_4k": sizes.small / timed_phase(cluster, write_files, names, os.urandom(PAGE))}


def workload_disk(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """The disk under the chunkservers' folders, read directly: a seq_mib MiB file written
    and synced there, evicted, then read in 1 MiB blocks (what sequential reads can reach)."""
    path = cluster.chunkservers[0].workdir / "disk_reference"
    block = os.urandom(BLOCK)
    with open(path, "wb") as f:
        for _ in range(sizes.seq_mib):
            f.write(block)
    evict(path)
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.read(BLOCK):
            pass
    seconds = time.perf_counter() - start
    path.unlink()
    return {"disk_read": sizes.seq_mib / seconds}


WORKLOAD_FUNCTIONS = {
    "sequential": workload_sequential,
    "random read": workload_random_read,
    "small files": workload_small,
    "disk": workload_disk,
}


def make_cluster(root: pathlib.Path, impl: str) -> Cluster:
    """The real master (and mounts) with three chunkservers of the kind under test."""
    return Cluster(root, master="real", chunkservers=(impl, impl, impl))


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def report_disk_fractions(rounds: list[dict]) -> dict:
    """Prints, per kind, the median over rounds of sequential read / raw disk read: how close
    reads through the chunkservers come to the disk's own speed."""
    fractions = {}
    for impl in IMPLS:
        values = [r[impl]["metrics"]["seq_read"] / r[impl]["metrics"]["disk_read"] for r in rounds
                  if {"seq_read", "disk_read"} <= r[impl]["metrics"].keys()]
        fractions[impl] = statistics.median(values) if values else None
        shown = "n/a" if fractions[impl] is None else f"{fractions[impl]:.2f}"
        print(f"sequential read / raw disk read, {impl} chunkservers: {shown}")
    return {"seq_read_of_disk_read": fractions}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="rounds, order alternating (3)")
    p.add_argument("--seq-mib", type=int, default=1024, help="sequential file and disk reference, MiB (1024)")
    p.add_argument("--rand-mib", type=int, default=256, help="random reads: file size, MiB (256)")
    p.add_argument("--rand-reads", type=int, default=2000, help="random reads: 4 KiB reads (2000)")
    p.add_argument("--small", type=int, default=1000, help="small files: 4 KiB files written (1000)")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated subset of: {','.join(WORKLOADS)} (spaces may be written as _)")
    p.add_argument("--json", type=pathlib.Path, help="write all figures to this file")
    p.add_argument("--workdir", type=pathlib.Path, help="folder for the clusters (default: a new folder in /tmp)")
    args = p.parse_args(argv)
    args.workload_list = chosen_workloads(p, args.workloads, WORKLOADS)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = Sizes(args.seq_mib, args.rand_mib, args.rand_reads, args.small)
    return run_benchmark(args, "chunkserver_bench.py", "chunkserver", sizes, make_cluster, WORKLOAD_FUNCTIONS,
                         METRICS, "faster", report_disk_fractions)


if __name__ == "__main__":
    exit_with(main)
