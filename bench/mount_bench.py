#!/usr/bin/python3
"""Benchmark: our mfsmount against MooseFS 3.0.117's mfsmount (issue 5).

One cluster (a master and 3 chunkservers, real by default; --master/--chunkservers ours
for ours) in a private network namespace started by the compatibility-test harness; both
mounts talk to the same servers. Each round runs, for
each mount in alternating order, small-file create+write (open O_CREAT|O_EXCL, write,
close: both clients flush on close) on a fresh mount, then read-back on another fresh
mount (cold client and kernel caches). Prints per-round values, medians and the ratio
ours/real (> 1: ours is faster); see bench/README.md.

Run as root:  /usr/bin/python3 bench/mount_bench.py --rounds 3 --files 500
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time
from typing import Callable, Sequence

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_common import (IMPLS, Cluster, binary, free_chunk_disks, log, median,  # noqa: E402
                          our_binary, raise_on_sigterm, read_files, round_order, write_files)
from mfsharness import HarnessError  # noqa: E402


def timed_on_fresh_mount(cluster: Cluster, impl: str, op: Callable[..., None], rel_paths: Sequence[str],
                         *args) -> float:
    """Seconds ``op(paths, *args)`` takes on a new mount of ``impl`` (mounting not timed)."""
    mount = cluster.add_mount(impl)
    try:
        paths = [os.path.join(mount.mountpoint, p) for p in rel_paths]
        start = time.perf_counter()
        op(paths, *args)
        return time.perf_counter() - start
    finally:
        mount.stop()


def one_round(cluster: Cluster, round_index: int, files: int, size: int) -> dict[str, dict[str, float]]:
    order = round_order(round_index)
    payload = os.urandom(size)
    results: dict[str, dict[str, float]] = {}
    for impl in order:
        folder = f"r{round_index + 1}-{impl}"
        os.mkdir(cluster.mountpoint / folder)
        names = [f"{folder}/f{i:06d}" for i in range(files)]
        write = timed_on_fresh_mount(cluster, impl, write_files, names, payload)
        read = timed_on_fresh_mount(cluster, impl, read_files, names, payload)
        results[impl] = {"create_write": files / write, "read": files / read}
        log(f"round {round_index + 1} {impl}: create+write {files / write:.0f} files/s, "
            f"read {files / read:.0f} files/s")
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--files", type=int, default=500, help="small files per round and mount")
    p.add_argument("--size", type=int, default=4096, help="bytes per file")
    p.add_argument("--master", choices=IMPLS, default="real", help="which master serves both mounts")
    p.add_argument("--chunkservers", choices=IMPLS, default="real",
                   help="which chunkservers (three) serve both mounts")
    p.add_argument("--json", type=pathlib.Path)
    p.add_argument("--workdir", type=pathlib.Path)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("mount_bench.py must run as root (network namespaces, FUSE, daemons)")
    try:
        for impl in IMPLS:
            binary("mount", impl)
        binary("master", args.master)
        binary("chunkserver", args.chunkservers)
    except HarnessError as e:
        sys.exit(str(e))
    raise_on_sigterm()
    mount_binary = our_binary("mount")
    workdir = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="mfsng-mount-bench-"))
    log(f"cluster in {workdir}; load {os.getloadavg()}")
    # The cluster's own (real) mount makes the round folders; the timed mounts are extra.
    cluster = Cluster(workdir, master=args.master, chunkservers=(args.chunkservers,) * 3, mount="real")
    rounds = []
    try:
        cluster.start()
        for r in range(args.rounds):
            rounds.append(one_round(cluster, r, args.files, args.size))
    finally:
        cluster.stop()
        free_chunk_disks(cluster)
    print(f"{args.files} files of {args.size} bytes per round, {args.master} master, "
          f"3 {args.chunkservers} chunkservers")
    print(f"{'metric':14} {'round values real':>28} {'round values ours':>28} {'median real':>12} "
          f"{'median ours':>12} {'ours/real':>9}")
    summary = {}
    for metric in ("create_write", "read"):
        real = [r["real"][metric] for r in rounds]
        ours = [r["ours"][metric] for r in rounds]
        ratio = median(ours) / median(real)
        summary[metric] = {"median_real": median(real), "median_ours": median(ours), "ratio": ratio}
        print(f"{metric:14} {' '.join(f'{v:8.0f}' for v in real):>28} {' '.join(f'{v:8.0f}' for v in ours):>28} "
              f"{median(real):12.0f} {median(ours):12.0f} {ratio:9.2f}")
    print("files/s; ratio > 1 means our mount is faster")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "rounds": rounds, "summary": summary, "our_mount": mount_binary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as interrupt:
        log(f"interrupted ({str(interrupt) or 'Ctrl-C'}); the cluster was stopped")
        sys.exit(130)
