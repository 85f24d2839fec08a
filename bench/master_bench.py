#!/usr/bin/python3
"""Benchmark: our mfsmaster against MooseFS 3.0.117's mfsmaster (issue 2).

Both masters get the same kind of cluster: 3 real chunkservers and real mfsmounts, in a
private network namespace started by the compatibility test harness (compat-tests/mfsharness).
Rounds alternate the order (real then ours, ours then real, ...) to cancel drift; every
(round, master) pair gets a fresh cluster.  Prints a table per workload and the ratios
(> 1 means ours is better), and writes everything as JSON with --json.  See bench/README.md.

Run as root:  /usr/bin/python3 bench/master_bench.py --json /tmp/bench.json
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import pathlib
import statistics
import time
from typing import Callable, Sequence

import bench_common
from bench_common import (MIB, BenchError, Cluster, Metric, chosen_workloads, exit_with, fresh_mount,
                          make_dirs, read_files, read_sequential, run_benchmark, timed_phase, write_files,
                          write_sequential)

MEM_SETTLE_SECONDS = 2.0    # lets the master finish queued work before RSS is read
MIN_ENTRY_BYTES = 12        # name "f000000" + inode + type in a master's readdir reply


# ---------------------------------------------------------------------------------------------
# what is measured
# ---------------------------------------------------------------------------------------------

METRICS = [
    Metric("mem_create", "memory", "parallel create, empty files", "files/s", True),
    Metric("mem_rss_before", "memory", "master RSS before", "MiB", False),
    Metric("mem_rss_after", "memory", "master RSS after", "MiB", False),
    Metric("mem_per_million", "memory", "RSS growth per 1M files", "bytes", False),
    Metric("mem_marginal", "memory", "same, last 9/10 of the files", "bytes", False),
    Metric("create", "metadata", "create (O_CREAT + close)", "ops/s", True),
    Metric("stat", "metadata", "stat", "ops/s", True),
    Metric("rename", "metadata", "rename (same dir)", "ops/s", True),
    Metric("unlink", "metadata", "unlink", "ops/s", True),
    Metric("readdir", "readdir", "listdir (median)", "ms", False),
    Metric("write_4k", "small files", "write 4 KiB files", "files/s", True),
    Metric("read_4k", "small files", "read 4 KiB files", "files/s", True),
    Metric("write_64k", "small files", "write 64 KiB files", "files/s", True),
    Metric("read_64k", "small files", "read 64 KiB files", "files/s", True),
    Metric("rewrite_4k", "small files", "overwrite 4 KiB files", "files/s", True),
    Metric("append_4k", "small files", "append 4 KiB to files", "files/s", True),
    Metric("seq_write", "sequential", "write + fsync", "MiB/s", True),
    Metric("seq_read", "sequential", "read, fresh mount", "MiB/s", True),
]
WORKLOADS = list(dict.fromkeys(m.workload for m in METRICS))


@dataclasses.dataclass(frozen=True)
class Sizes:
    files: int
    readdir: int
    readdir_repeats: int
    small: int
    seq_mib: int
    mem_files: int
    mem_dirs: int
    writers: int


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def proc_number(path: str, field: str) -> int:
    """The number after ``field:`` in a /proc file such as /proc/PID/status."""
    with open(path) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {field} in {path}")


def vmrss_bytes(pid: int) -> int:
    """Resident memory of one process (not its children: the real master's forked metadata
    writer would otherwise count twice)."""
    return proc_number(f"/proc/{pid}/status", "VmRSS") * 1024


def read_chars(pid: int) -> int:
    """Bytes the process has read so far (sockets included)."""
    return proc_number(f"/proc/{pid}/io", "rchar")



def create_files(paths: Sequence[str]) -> None:
    for p in paths:
        os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))


def stat_files(paths: Sequence[str]) -> None:
    for p in paths:
        os.stat(p)


def rename_files(paths: Sequence[str]) -> None:
    for p in paths:
        os.rename(p, p + "r")


def unlink_files(paths: Sequence[str]) -> None:
    for p in paths:
        os.unlink(p)


def create_in_dir(directory: str, first: int, count: int) -> None:
    """Creates files f<first> .. f<first+count-1>; worker process of create_parallel (module
    level so that it can be pickled)."""
    create_files([os.path.join(directory, f"f{i:06d}") for i in range(first, first + count)])


def create_parallel(plan: Sequence[tuple[str, int, int]], writers: int) -> float:
    """Runs create_in_dir for every (directory, first, count) of ``plan`` in ``writers``
    processes, so the master, not one client's round trips, sets the pace; returns the
    seconds it took."""
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=writers) as pool:
        futures = [pool.submit(create_in_dir, *job) for job in plan]
        for future in futures:
            future.result()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# workloads: each returns {metric key: value}
# ---------------------------------------------------------------------------------------------

def spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal counts."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def settled_rss(pid: int) -> int:
    time.sleep(MEM_SETTLE_SECONDS)
    return vmrss_bytes(pid)


def workload_memory(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """Master RSS before and after creating mem_files empty files in mem_dirs directories,
    and after the first tenth of them: the real master allocates large tables on first use,
    so the growth over the last nine tenths is the cost of one more file."""
    dirs = [f"mem/d{i:03d}" for i in range(sizes.mem_dirs)]
    counts = spread(sizes.mem_files, len(dirs))
    tenth = [n // 10 for n in counts]
    pid = cluster.master.pid
    before = vmrss_bytes(pid)
    make_dirs(cluster, dirs)
    with fresh_mount(cluster) as mount:
        paths = [os.path.join(mount.mountpoint, d) for d in dirs]
        seconds = create_parallel(list(zip(paths, [0] * len(dirs), tenth)), sizes.writers)
        middle = settled_rss(pid)
        seconds += create_parallel([(p, t, n - t) for p, t, n in zip(paths, tenth, counts)],
                                   sizes.writers)
    after = settled_rss(pid)
    return {"mem_create": sizes.mem_files / seconds,
            "mem_rss_before": before / MIB,
            "mem_rss_after": after / MIB,
            "mem_per_million": (after - before) * 1_000_000 / sizes.mem_files,
            "mem_marginal": (after - middle) * 1_000_000 / (sizes.mem_files - sum(tenth))}


def workload_metadata(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """create, stat, rename, unlink of ``files`` files in one directory, each on a fresh
    mount and timed separately."""
    make_dirs(cluster, ["meta"])
    names = [f"meta/f{i:06d}" for i in range(sizes.files)]
    renamed = [n + "r" for n in names]
    n = sizes.files
    return {"create": n / timed_phase(cluster, create_files, names),
            "stat": n / timed_phase(cluster, stat_files, names),
            "rename": n / timed_phase(cluster, rename_files, names),
            "unlink": n / timed_phase(cluster, unlink_files, renamed)}


def workload_readdir(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """Median time of ``readdir_repeats`` listdirs of a ``readdir``-entry directory on a
    fresh mount.  Neither the kernel nor mfsmount 3.0.117 keeps a listing between two
    opendirs: each listdir makes mfsmount read the whole listing from the master again,
    which is checked, so that a cache would fail the run rather than flatter a master."""
    make_dirs(cluster, ["readdir"])
    with fresh_mount(cluster) as mount:
        create_in_dir(os.path.join(mount.mountpoint, "readdir"), 0, sizes.readdir)
    times = []
    with fresh_mount(cluster) as mount:
        path = os.path.join(mount.mountpoint, "readdir")
        for _ in range(sizes.readdir_repeats):
            before = read_chars(mount.pid)
            start = time.perf_counter()
            entries = os.listdir(path)
            times.append(time.perf_counter() - start)
            check_listing(entries, sizes.readdir, read_chars(mount.pid) - before)
    return {"readdir": statistics.median(times) * 1000}


def check_listing(entries: list[str], expected: int, fetched: int) -> None:
    """``fetched``: bytes mfsmount read meanwhile; a listing from the master carries at
    least a name, an inode number and a type per entry."""
    if len(entries) != expected:
        raise BenchError(f"listdir gave {len(entries)} entries, expected {expected}")
    if fetched < expected * MIN_ENTRY_BYTES:
        raise BenchError(f"listdir of {expected} entries made mfsmount read only {fetched} "
                         "bytes: it was answered from a cache, not by the master")


def small_files(cluster: Cluster, count: int, size: int, tag: str) -> dict[str, float]:
    """Writes ``count`` files of ``size`` bytes (each closed), then reads them back on a
    fresh mount (cold client cache)."""
    make_dirs(cluster, [f"small{tag}"])
    names = [f"small{tag}/f{i:06d}" for i in range(count)]
    payload = os.urandom(size)
    return {f"write_{tag}": count / timed_phase(cluster, write_files, names, payload),
            f"read_{tag}": count / timed_phase(cluster, read_files, names, payload)}


def overwrite_files(paths: Sequence[str], payload: bytes) -> None:
    for p in paths:
        fd = os.open(p, os.O_WRONLY)
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)


def append_files(paths: Sequence[str], payload: bytes) -> None:
    for p in paths:
        fd = os.open(p, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)


def workload_small(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """Also writes the 4 KiB files again: over their data, then after it (existing chunks)."""
    results = {**small_files(cluster, sizes.small, 4096, "4k"),
               **small_files(cluster, sizes.small, 65536, "64k")}
    names = [f"small4k/f{i:06d}" for i in range(sizes.small)]
    payload = os.urandom(4096)
    results["rewrite_4k"] = sizes.small / timed_phase(cluster, overwrite_files, names, payload)
    results["append_4k"] = sizes.small / timed_phase(cluster, append_files, names, payload)
    with fresh_mount(cluster) as mount:
        for name in names[:10]:
            with open(os.path.join(mount.mountpoint, name), "rb") as f:
                if f.read() != payload * 2:
                    raise BenchError(f"{name}: content differs from what was rewritten and appended")
    return results


def workload_sequential(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    """One seq_mib MiB file: write in 1 MiB blocks + fsync, then read on a fresh mount."""
    make_dirs(cluster, ["seq"])
    path = ["seq/big"]
    mib = sizes.seq_mib
    return {"seq_write": mib / timed_phase(cluster, write_sequential, path, mib),
            "seq_read": mib / timed_phase(cluster, read_sequential, path, mib)}


# Order of a cluster's run: memory first, while the master holds nothing else.
WORKLOAD_FUNCTIONS: dict[str, Callable[[Cluster, Sizes], dict[str, float]]] = {
    "memory": workload_memory,
    "metadata": workload_metadata,
    "readdir": workload_readdir,
    "small files": workload_small,
    "sequential": workload_sequential,
}


def make_cluster(root: pathlib.Path, impl: str, metaloggers: int = 0, preserve_seconds: int | None = None) -> Cluster:
    """The master under test with three real chunkservers (and real metaloggers);
    ``preserve_seconds`` sets both masters' CHANGELOG_PRESERVE_SECONDS."""
    options = {} if preserve_seconds is None else {"CHANGELOG_PRESERVE_SECONDS": preserve_seconds}
    return Cluster(root, master=impl, chunkservers=("real", "real", "real"), metaloggers=("real",) * metaloggers,
                   master_options=options)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="rounds, order alternating (3)")
    p.add_argument("--files", type=int, default=20000, help="metadata ops: files (20000)")
    p.add_argument("--readdir", type=int, default=10000, help="readdir: entries (10000)")
    p.add_argument("--readdir-repeats", type=int, default=10,
                   help="readdir: listdirs per round (10)")
    p.add_argument("--small", type=int, default=2000, help="small files of each size (2000)")
    p.add_argument("--seq-mib", type=int, default=1024, help="sequential file, MiB (1024)")
    p.add_argument("--mem-files", type=int, default=200000, help="memory: files (200000)")
    p.add_argument("--mem-dirs", type=int, default=200, help="memory: directories (200)")
    p.add_argument("--writers", type=int, default=4,
                   help="memory: parallel writer processes (4)")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated subset of: {','.join(WORKLOADS)} "
                        "(spaces may be written as _)")
    p.add_argument("--metaloggers", type=int, default=0,
                   help="real metaloggers following each master, whose change stream then costs (0)")
    p.add_argument("--changelog-preserve-seconds", type=int,
                   help="CHANGELOG_PRESERVE_SECONDS of both masters (default: theirs, 1800); 0 keeps no recent "
                        "changes in memory, so that the memory phase measures nodes and entries alone")
    p.add_argument("--json", type=pathlib.Path, help="write all figures to this file")
    p.add_argument("--workdir", type=pathlib.Path,
                   help="folder for the clusters (default: a new folder in /tmp)")
    args = p.parse_args(argv)
    args.workload_list = chosen_workloads(p, args.workloads, WORKLOADS)  # memory stays first
    return args


def check_environment() -> None:
    """Root and both masters present (also used by master_tools_bench.py)."""
    bench_common.check_environment("master_bench.py", "master")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = Sizes(args.files, args.readdir, args.readdir_repeats, args.small, args.seq_mib,
                  args.mem_files, args.mem_dirs, args.writers)
    return run_benchmark(args, "master_bench.py", "master", sizes,
                         lambda root, impl: make_cluster(root, impl, args.metaloggers,
                                                         args.changelog_preserve_seconds),
                         WORKLOAD_FUNCTIONS, METRICS, "faster, or less memory")


if __name__ == "__main__":
    exit_with(main)
