#!/usr/bin/python3
"""Benchmark: the real tools' recursive requests on our mfsmaster against MooseFS 3.0.117's
(issue 3): `mfssetgoal -r`, `mfsgetgoal -r` and `mfsmakesnapshot` of a tree of --files
files (100,000 by default) in 100 folders.

Same clusters and round scheme as master_bench.py (bench_common.py): 3 real
chunkservers and a real mfsmount in a private namespace, a fresh cluster per (round,
master), the order alternating between rounds.  Each tool runs once per round, timed from
start to exit; the tree is built before and not timed.  Prints the per-round times, the
medians and the ratios (real/ours: > 1 means ours is faster).  See bench/README.md.

Run as root:  /usr/bin/python3 bench/master_tools_bench.py --files 100000
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time
from typing import Sequence

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_common import (IMPLS, BenchError, Cluster, Metric, fresh_mount, log, our_binary,  # noqa: E402
                          print_report, raise_on_sigterm, run_rounds, summarize, work_folder)
from master_bench import check_environment, spread  # noqa: E402

WORKLOAD = "tools"
METRICS = [
    Metric("setgoal_r", WORKLOAD, "mfssetgoal -r 3 (whole tree)", "ms", False),
    Metric("getgoal_r", WORKLOAD, "mfsgetgoal -r (whole tree)", "ms", False),
    Metric("snapshot", WORKLOAD, "mfsmakesnapshot (whole tree)", "ms", False),
    Metric("setgoal_r_snap", WORKLOAD, "mfssetgoal -r 2 (tree + snapshot)", "ms", False),
]
FOLDERS = 100


def build_tree(cluster: Cluster, files: int) -> None:
    """tree/dNN/fNNNNNN: empty files (the requests walk metadata only)."""
    with fresh_mount(cluster) as mount:
        root = pathlib.Path(mount.mountpoint) / "tree"
        number = 0
        for folder, count in enumerate(spread(files, FOLDERS)):
            d = root / f"d{folder:02d}"
            d.mkdir(parents=True)
            for _ in range(count):
                os.close(os.open(d / f"f{number:06d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                number += 1


def timed_tool(cluster: Cluster, argv: Sequence[str], expect: str) -> float:
    """Milliseconds the tool takes from start to exit; it must succeed and print ``expect``."""
    start = time.perf_counter()
    r = cluster.run_in_ns(list(argv), check=False, timeout=3600)
    elapsed = (time.perf_counter() - start) * 1000
    if r.returncode != 0 or expect not in r.stdout:
        raise BenchError(f"{' '.join(argv)}: exit {r.returncode}: {r.stdout[-300:]} {r.stderr[-300:]}")
    return elapsed


def workload_tools(cluster: Cluster, files: int) -> dict[str, float]:
    build_tree(cluster, files)
    tree = str(cluster.mountpoint / "tree")
    snap = str(cluster.mountpoint / "snap")
    result = {
        "setgoal_r": timed_tool(cluster, ["mfssetgoal", "-r", "3", tree], "inodes with goal changed:"),
        "getgoal_r": timed_tool(cluster, ["mfsgetgoal", "-r", tree], "files with goal"),
        "snapshot": timed_tool(cluster, ["mfsmakesnapshot", tree, snap], ""),
        "setgoal_r_snap": timed_tool(cluster, ["mfssetgoal", "-r", "2", str(cluster.mountpoint)],
                                     "inodes with goal changed:"),
    }
    counted = cluster.run_in_ns(["mfsdirinfo", "-f", snap]).stdout.split()[0]
    if int(counted) != files:
        raise BenchError(f"the snapshot has {counted} files, not {files}")
    return result


def make_cluster(root: pathlib.Path, impl: str) -> Cluster:
    """The master under test with three real chunkservers and a real mount."""
    return Cluster(root, master=impl, chunkservers=("real", "real", "real"), mount="real")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="rounds, order alternating (3)")
    p.add_argument("--files", type=int, default=100000, help="files in the tree (100000)")
    p.add_argument("--json", type=pathlib.Path, help="write all figures to this file")
    p.add_argument("--workdir", type=pathlib.Path,
                   help="folder for the clusters (default: a new folder in /tmp)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    check_environment()
    raise_on_sigterm()
    workdir = work_folder(args.workdir, "mfsng-tools-bench-")
    log(f"clusters in {workdir}; {args.files} files; load {os.getloadavg()}")
    master = our_binary("master")
    rounds = run_rounds(workdir, args.rounds, "master", make_cluster, [(WORKLOAD, workload_tools)], args.files)
    master["changed_during_run"] = our_binary("master")["sha256"] != master["sha256"]
    summary = summarize(rounds, METRICS)
    print_report(rounds, [WORKLOAD], METRICS, summary, f"faster; tree of {args.files} files")
    if master["changed_during_run"]:
        print(f"WARNING: {master['path']} changed during the run; rounds may differ in binary")
    if args.json:
        args.json.write_text(json.dumps({"files": args.files, "our_master": master, "rounds": rounds,
                                         "summary": summary}, indent=2) + "\n")
    return 1 if any("error" in r[impl] for r in rounds for impl in IMPLS) else 0


if __name__ == "__main__":
    sys.exit(main())
