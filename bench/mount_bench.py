#!/usr/bin/python3
"""Benchmark: our mfsmount against MooseFS 3.0.117's mfsmount (issue 5).

A fresh cluster per round (a master and 3 chunkservers, real by default; --master/
--chunkservers ours for ours) in a private network namespace started by the
compatibility-test harness; both mounts talk to the same servers. Each round runs every
workload for each mount, in alternating order, every timed phase on a fresh mount (cold
client and kernel caches):
- small files: create+write+close of --files files (both clients flush on close), then
  read-back;
- metadata: create, stat, rename, unlink of --meta-files files in one folder, one process;
- sequential: one --seq-mib MiB file written in 1 MiB blocks + fsync, then read;
- random reads: --rand-reads 4 KiB preads at random offsets of a --rand-mib MiB file.
Prints per-round values, medians and the ratio ours/real (> 1: ours is faster); see
bench/README.md.

Run as root:  /usr/bin/python3 bench/mount_bench.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import sys
import time
from typing import Callable, Sequence

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_common import (BLOCK, IMPLS, MIB, Cluster, binary, chosen_workloads, free_chunk_disks,  # noqa: E402
                          log, median, our_binary, raise_on_sigterm, read_files, read_sequential, round_order,
                          work_folder, write_files, write_sequential)
from chunkserver_bench import PAGE, random_reads  # noqa: E402
from master_bench import create_files, rename_files, stat_files, unlink_files  # noqa: E402
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


# (metric, unit) per workload; every value is a rate: higher is better.
METRICS = {
    "small": [("create_write", "files/s"), ("read", "files/s")],
    "metadata": [("create", "ops/s"), ("stat", "ops/s"), ("rename", "ops/s"), ("unlink", "ops/s")],
    "sequential": [("seq_write", "MiB/s"), ("seq_read", "MiB/s")],
    "random": [("rand_read", "reads/s")],
}


def small_files(cluster: Cluster, impl: str, folder: str, args: argparse.Namespace) -> dict[str, float]:
    payload = os.urandom(args.size)
    names = [f"{folder}/f{i:06d}" for i in range(args.files)]
    write = timed_on_fresh_mount(cluster, impl, write_files, names, payload)
    read = timed_on_fresh_mount(cluster, impl, read_files, names, payload)
    return {"create_write": args.files / write, "read": args.files / read}


def metadata(cluster: Cluster, impl: str, folder: str, args: argparse.Namespace) -> dict[str, float]:
    n = args.meta_files
    names = [f"{folder}/m{i:06d}" for i in range(n)]
    return {"create": n / timed_on_fresh_mount(cluster, impl, create_files, names),
            "stat": n / timed_on_fresh_mount(cluster, impl, stat_files, names),
            "rename": n / timed_on_fresh_mount(cluster, impl, rename_files, names),
            "unlink": n / timed_on_fresh_mount(cluster, impl, unlink_files, [name + "r" for name in names])}


def sequential(cluster: Cluster, impl: str, folder: str, args: argparse.Namespace) -> dict[str, float]:
    path, mib = [f"{folder}/big"], args.seq_mib
    # The chunkservers' disk may still be writing out what the round's other mount wrote
    # (2 copies of --seq-mib MiB); the mount that writes second would pay for it: measured,
    # whichever mount wrote first in a round was faster, by up to 2x.
    os.sync()
    write = mib / timed_on_fresh_mount(cluster, impl, write_sequential, path, mib)
    read = mib / timed_on_fresh_mount(cluster, impl, read_sequential, path, mib)
    os.unlink(cluster.mountpoint / path[0])
    return {"seq_write": write, "seq_read": read}


def random_read(cluster: Cluster, impl: str, folder: str, args: argparse.Namespace) -> dict[str, float]:
    """The file is written by the cluster's own (real) mount, not timed."""
    block = os.urandom(BLOCK)
    path = f"{folder}/rand"
    with open(cluster.mountpoint / path, "wb") as f:
        for _ in range(args.rand_mib):
            f.write(block)
    offsets = [random.randrange(args.rand_mib * MIB // PAGE) * PAGE for _ in range(args.rand_reads)]
    reads = args.rand_reads / timed_on_fresh_mount(cluster, impl, random_reads, [path], offsets, block)
    os.unlink(cluster.mountpoint / path)
    return {"rand_read": reads}


WORKLOADS: dict[str, Callable[[Cluster, str, str, argparse.Namespace], dict[str, float]]] = {
    "small": small_files, "metadata": metadata, "sequential": sequential, "random": random_read,
}


def one_round(cluster: Cluster, round_index: int, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for impl in round_order(round_index):
        results[impl] = {}
        for name in args.workloads:
            folder = f"r{round_index + 1}-{impl}-{name}"
            os.mkdir(cluster.mountpoint / folder)
            # Unlinked files leave at once: the sequential files would fill the disks.
            cluster.run_in_ns(["mfssettrashtime", "0", str(cluster.mountpoint / folder)])
            values = WORKLOADS[name](cluster, impl, folder, args)
            results[impl].update(values)
            log(f"round {round_index + 1} {impl} {name}: " + ", ".join(f"{k} {v:.0f}" for k, v in values.items()))
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--files", type=int, default=500, help="small files per round and mount")
    p.add_argument("--size", type=int, default=4096, help="bytes per small file")
    p.add_argument("--meta-files", type=int, default=5000, help="files of the metadata workload")
    p.add_argument("--seq-mib", type=int, default=1024, help="MiB of the sequential file")
    p.add_argument("--rand-mib", type=int, default=256, help="MiB of the random-read file")
    p.add_argument("--rand-reads", type=int, default=2000, help="4 KiB reads per round and mount")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help="comma-separated subset of " + ",".join(WORKLOADS))
    p.add_argument("--master", choices=IMPLS, default="real", help="which master serves both mounts")
    p.add_argument("--chunkservers", choices=IMPLS, default="real",
                   help="which chunkservers (three) serve both mounts")
    p.add_argument("--mount-options", default="",
                   help="comma-separated -o options of both mounts, e.g. mfsfsyncmintime=10")
    p.add_argument("--json", type=pathlib.Path)
    p.add_argument("--workdir", type=pathlib.Path)
    args = p.parse_args(argv)
    args.workloads = chosen_workloads(p, args.workloads, list(WORKLOADS))
    return args


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
    workdir = work_folder(args.workdir, "mfsng-mount-bench-")
    log(f"clusters in {workdir}; load {os.getloadavg()}")
    rounds = []
    for r in range(args.rounds):
        # A fresh cluster per round; its own (real) mount makes the folders, the timed
        # mounts are extra.
        cluster = Cluster(workdir / f"round{r + 1}", master=args.master, chunkservers=(args.chunkservers,) * 3,
                          mount="real", mount_options=[o for o in args.mount_options.split(",") if o])
        try:
            cluster.start()
            rounds.append(one_round(cluster, r, args))
        finally:
            cluster.stop()
            free_chunk_disks(cluster)
    print(f"{args.master} master, 3 {args.chunkservers} chunkservers; {args.files} small files of {args.size} "
          f"bytes, {args.meta_files} metadata files, {args.seq_mib} MiB sequential, {args.rand_reads} random "
          f"reads in {args.rand_mib} MiB" + (f"; mount options {args.mount_options}" if args.mount_options else ""))
    print(f"{'metric':14} {'unit':8} {'round values real':>28} {'round values ours':>28} {'median real':>12} "
          f"{'median ours':>12} {'ours/real':>9}")
    summary = {}
    for workload in args.workloads:
        for metric, unit in METRICS[workload]:
            real = [r["real"][metric] for r in rounds]
            ours = [r["ours"][metric] for r in rounds]
            ratio = median(ours) / median(real)
            summary[metric] = {"median_real": median(real), "median_ours": median(ours), "ratio": ratio}
            print(f"{metric:14} {unit:8} {' '.join(f'{v:8.0f}' for v in real):>28} "
                  f"{' '.join(f'{v:8.0f}' for v in ours):>28} {median(real):12.0f} {median(ours):12.0f} {ratio:9.2f}")
    print("ratio > 1 means our mount is faster")
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
