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
import contextlib
import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Callable, Iterator, Sequence

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "compat-tests"))

from mfsharness import Cluster, HarnessError, Mount, binary  # noqa: E402

IMPLS = ("real", "ours")
MIB = 1 << 20
BLOCK = MIB                 # I/O size of the sequential workload
MEM_SETTLE_SECONDS = 2.0    # lets the master finish queued work before RSS is read
MIN_ENTRY_BYTES = 12        # name "f000000" + inode + type in a master's readdir reply


class BenchError(RuntimeError):
    """A workload saw a wrong result (missing entries, wrong data)."""


# ---------------------------------------------------------------------------------------------
# what is measured
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Metric:
    key: str
    workload: str
    label: str
    unit: str
    higher_is_better: bool

    def ratio(self, real: float, ours: float) -> float:
        """> 1 means ours is better: ours/real for rates, real/ours for times and sizes."""
        return ours / real if self.higher_is_better else real / ours


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

def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


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


@contextlib.contextmanager
def fresh_mount(cluster: Cluster) -> Iterator[Mount]:
    """A new real mfsmount: kernel and client caches start empty, so the master is asked."""
    mount = cluster.add_mount("real")
    try:
        yield mount
    finally:
        mount.stop()


def timed_phase(cluster: Cluster, op: Callable[..., None], rel_paths: Sequence[str],
                *args) -> float:
    """Seconds ``op(paths, *args)`` takes on a fresh mount (mounting is not timed)."""
    with fresh_mount(cluster) as mount:
        paths = [os.path.join(mount.mountpoint, p) for p in rel_paths]
        start = time.perf_counter()
        op(paths, *args)
        return time.perf_counter() - start


def make_dirs(cluster: Cluster, rel_dirs: Sequence[str]) -> None:
    with fresh_mount(cluster) as mount:
        for d in rel_dirs:
            os.makedirs(os.path.join(mount.mountpoint, d))


# ---------------------------------------------------------------------------------------------
# file operations (the timed parts)
# ---------------------------------------------------------------------------------------------

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


def write_files(paths: Sequence[str], payload: bytes) -> None:
    for p in paths:
        fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)  # mfsmount flushes to the chunkservers on close


def read_files(paths: Sequence[str], payload: bytes) -> None:
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            if f.read(len(payload) + 1) != payload:
                raise BenchError(f"{p}: content differs from what was written")


def write_sequential(paths: Sequence[str], mib: int) -> None:
    block = os.urandom(BLOCK)
    fd = os.open(paths[0], os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        for _ in range(mib):
            os.write(fd, block)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_sequential(paths: Sequence[str], mib: int) -> None:
    total = 0
    with open(paths[0], "rb", buffering=0) as f:
        while chunk := f.read(BLOCK):
            total += len(chunk)
    if total != mib * BLOCK:
        raise BenchError(f"{paths[0]}: read {total} bytes, wrote {mib * BLOCK}")


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


def workload_small(cluster: Cluster, sizes: Sizes) -> dict[str, float]:
    return {**small_files(cluster, sizes.small, 4096, "4k"),
            **small_files(cluster, sizes.small, 65536, "64k")}


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


# ---------------------------------------------------------------------------------------------
# rounds
# ---------------------------------------------------------------------------------------------

def round_order(round_index: int) -> tuple[str, ...]:
    """real first in odd rounds (1, 3, ...), ours first in even ones."""
    return IMPLS if round_index % 2 == 0 else IMPLS[::-1]


def free_chunk_disks(cluster: Cluster) -> None:
    """Chunk files are not needed after a run (the 1 GiB file alone takes 2+ GiB)."""
    for cs in cluster.chunkservers:
        shutil.rmtree(cs.workdir / "hdd", ignore_errors=True)


def run_cluster(root: pathlib.Path, impl: str, sizes: Sizes,
                workloads: Sequence[str]) -> dict:
    """Runs the workloads on a fresh cluster with master ``impl``; always stops it."""
    cluster = Cluster(root, master=impl, chunkservers=("real", "real", "real"))
    result: dict = {"metrics": {}, "load_before": os.getloadavg()[0], "cluster_dir": str(root)}
    try:
        cluster.start()
        for name in workloads:
            log(f"  {impl}: {name}")
            result["metrics"].update(WORKLOAD_FUNCTIONS[name](cluster, sizes))
            cluster.check_running()
    except Exception as e:  # noqa: BLE001 - the other runs go on; the error is reported
        result["error"] = f"{type(e).__name__}: {e}"
        log(f"  {impl}: FAILED: {result['error']}\n{traceback.format_exc()}"
            f"master log tail:\n{cluster.master.log_tail(30)}")
    finally:
        problems = cluster.stop()
        free_chunk_disks(cluster)
    if problems:
        result["problems"] = problems
    result["load_after"] = os.getloadavg()[0]
    return result


def run_rounds(workdir: pathlib.Path, sizes: Sizes, rounds: int,
               workloads: Sequence[str]) -> list[dict]:
    results = []
    for r in range(rounds):
        entry: dict = {"round": r + 1, "order": list(round_order(r))}
        for impl in round_order(r):
            log(f"round {r + 1}/{rounds}: {impl} master")
            entry[impl] = run_cluster(workdir / f"round{r + 1}-{impl}", impl, sizes, workloads)
        results.append(entry)
    return results


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

def values(rounds: list[dict], impl: str, key: str) -> list[float | None]:
    return [r[impl]["metrics"].get(key) for r in rounds]


def median(xs: Sequence[float | None]) -> float | None:
    present = [x for x in xs if x is not None]
    return statistics.median(present) if present else None


def summarize(rounds: list[dict], metrics: Sequence[Metric]) -> dict[str, dict]:
    summary = {}
    for m in metrics:
        real, ours = median(values(rounds, "real", m.key)), median(values(rounds, "ours", m.key))
        ratio = m.ratio(real, ours) if real and ours else None
        summary[m.key] = {"workload": m.workload, "label": m.label, "unit": m.unit,
                          "higher_is_better": m.higher_is_better, "median_real": real,
                          "median_ours": ours, "ratio": ratio}
    return summary


def fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"


def workload_table(workload: str, metrics: Sequence[Metric], rounds: list[dict],
                   summary: dict[str, dict]) -> str:
    """One row per metric: every round's values, the medians and the ratio."""
    header = ["metric", "unit"]
    for r in rounds:
        header += [f"R{r['round']} real", f"R{r['round']} ours"]
    header += ["med real", "med ours", "ratio"]
    rows = [header]
    for m in metrics:
        row = [m.label, m.unit]
        for real, ours in zip(values(rounds, "real", m.key), values(rounds, "ours", m.key)):
            row += [fmt(real), fmt(ours)]
        s = summary[m.key]
        ratio = "n/a" if s["ratio"] is None else f"{s['ratio']:.2f}"
        rows.append(row + [fmt(s["median_real"]), fmt(s["median_ours"]), ratio])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    return f"== {workload} ==\n" + "\n".join(lines)


def summary_line(workload: str, metrics: Sequence[Metric], summary: dict[str, dict]) -> str:
    parts = []
    for m in metrics:
        ratio = summary[m.key]["ratio"]
        parts.append(f"{m.key} {'n/a' if ratio is None else f'{ratio:.2f}'}")
    return f"{workload:12s} " + ", ".join(parts)


def print_report(rounds: list[dict], workloads: Sequence[str], summary: dict[str, dict]) -> None:
    for w in workloads:
        print(workload_table(w, [m for m in METRICS if m.workload == w], rounds, summary))
        print()
    for r in rounds:
        for impl in r["order"]:
            run = r[impl]
            note = f"  ERROR {run['error']}" if "error" in run else ""
            print(f"round {r['round']} {impl}: load {run['load_before']:.2f} -> "
                  f"{run['load_after']:.2f}{note}")
    print("\nratios (> 1 means ours is better: faster, or less memory):")
    for w in workloads:
        print(summary_line(w, [m for m in METRICS if m.workload == w], summary))


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def our_master() -> dict:
    """Which binary "ours" was: path, sha256 and the state of the work tree."""
    path = binary("master", "ours")
    revision = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, cwd="/").stdout.strip()
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"path": path, "sha256": digest, "work_tree": revision or "unknown"}


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
    p.add_argument("--json", type=pathlib.Path, help="write all figures to this file")
    p.add_argument("--workdir", type=pathlib.Path,
                   help="folder for the clusters (default: a new folder in /tmp)")
    args = p.parse_args(argv)
    wanted = [w.replace("_", " ").strip() for w in args.workloads.split(",")]
    unknown = [w for w in wanted if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workloads {unknown}; known: {WORKLOADS}")
    args.workload_list = [w for w in WORKLOADS if w in wanted]  # memory stays first
    return args


def check_environment() -> None:
    if os.geteuid() != 0:
        sys.exit("master_bench.py must run as root (network namespaces, FUSE, daemons)")
    for impl in IMPLS:
        try:
            binary("master", impl)
        except HarnessError as e:
            sys.exit(str(e))


def raise_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every cluster's finally block stops it."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    check_environment()
    raise_on_sigterm()
    sizes = Sizes(args.files, args.readdir, args.readdir_repeats, args.small, args.seq_mib,
                  args.mem_files, args.mem_dirs, args.writers)
    workdir = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="mfsng-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"clusters in {workdir}; load {os.getloadavg()}")
    started = time.time()
    master = our_master()
    rounds = run_rounds(workdir, sizes, args.rounds, args.workload_list)
    # Someone may rebuild the binary meanwhile: then the rounds measured different masters.
    master["changed_during_run"] = our_master()["sha256"] != master["sha256"]
    metrics = [m for m in METRICS if m.workload in args.workload_list]
    summary = summarize(rounds, metrics)
    print_report(rounds, args.workload_list, summary)
    if master["changed_during_run"]:
        print(f"WARNING: {master['path']} changed during the run; rounds may differ in binary")
    if args.json:
        args.json.write_text(json.dumps({
            "sizes": dataclasses.asdict(sizes), "workloads": args.workload_list,
            "our_master": master,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "seconds": round(time.time() - started), "rounds": rounds, "summary": summary,
        }, indent=2) + "\n")
    failed = any("error" in r[impl] for r in rounds for impl in IMPLS)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as interrupt:  # the clusters are stopped by then
        log(f"interrupted ({str(interrupt) or 'Ctrl-C'}); every cluster was stopped")
        sys.exit(130)
