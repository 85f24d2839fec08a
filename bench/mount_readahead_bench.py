#!/usr/bin/python3
"""Benchmark: sequential read throughput of our mfsmount with and without read-ahead
(mfsreadaheadsize=0), and from its disk cache (mfsdiskcachepath), and of MooseFS 3.0.117's
mfsmount (issue 5).

One cluster (a master, 3 real chunkservers) in a private network namespace started by the
compatibility-test harness. The cluster's real mount writes one file; each round reads it
once through a fresh mount of each variant (cold client caches), in rotating order; with
--drop-caches the chunkservers read it from disk too. The disk cache variant reads the file
once untimed, to fill the cache, and the kernel's pages of it are dropped before the timed
read. Prints MiB/s per round and the medians.

Run as root:  /usr/bin/python3 bench/mount_readahead_bench.py --mib 512 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_common import (Cluster, binary, free_chunk_disks, log, median, raise_on_sigterm,  # noqa: E402
                          read_sequential, write_sequential)

VARIANTS = {  # name: (mount, options, whether the mount reads the file once before)
    "ours, no read-ahead": ("ours", ["mfsreadaheadsize=0"], False),
    "ours, read-ahead": ("ours", [], False),
    "ours, read-ahead 4 MiB windows": ("ours", ["mfsreadaheadleng=4194304"], False),
    "ours, disk cache, read again": ("ours", ["mfsdiskcachepath={cache}", "mfsdiskcachesize={cache_mib}"], True),
    "real 3.0.117": ("real", [], False),
}


def drop_kernel_pages(path: pathlib.Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mib", type=int, default=512, help="size of the file read")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--master", choices=("real", "ours"), default="real")
    p.add_argument("--drop-caches", action="store_true",
                   help="sync and drop the machine's page cache before each read, so that the "
                        "chunkservers read the file from disk")
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("mount_readahead_bench.py must run as root")
    for impl in ("real", "ours"):
        binary("mount", impl)
    raise_on_sigterm()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="mfsng-readahead-bench-"))
    cluster = Cluster(workdir, master=args.master, chunkservers=("real", "real", "real"), mount="real")
    results: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        cluster.start()
        write_sequential([str(cluster.mountpoint / "big")], args.mib)
        names = list(VARIANTS)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                impl, options, read_before = VARIANTS[name]
                options = [o.format(cache=workdir / "disk-cache", cache_mib=2 * args.mib) for o in options]
                mount = cluster.add_mount(impl, options=options)
                try:
                    if read_before:
                        read_sequential([str(mount.mountpoint / "big")], args.mib)
                        drop_kernel_pages(mount.mountpoint / "big")
                    if args.drop_caches:
                        os.sync()
                        pathlib.Path("/proc/sys/vm/drop_caches").write_text("3\n")
                    start = time.perf_counter()
                    read_sequential([str(mount.mountpoint / "big")], args.mib)
                    results[name].append(args.mib / (time.perf_counter() - start))
                finally:
                    mount.stop()
                log(f"round {r + 1} {name}: {results[name][-1]:.0f} MiB/s")
    finally:
        cluster.stop()
        free_chunk_disks(cluster)
    caches = "page cache dropped before each read" if args.drop_caches else "page cache kept"
    print(f"sequential read of {args.mib} MiB, {args.master} master, 3 real chunkservers, fresh mounts, {caches}")
    for name, values in results.items():
        print(f"{name:32} {' '.join(f'{v:7.0f}' for v in values)}   median {median(values):7.0f} MiB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
