"""What the benchmarks in bench/ share: clusters of the compatibility-test harness
(compat-tests/mfsharness) run in interleaved rounds, real MooseFS 3.0.117 against ours, file
workloads through fresh mounts, medians, ratios and the report tables."""

from __future__ import annotations

import argparse
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


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)



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
# file operations (the timed parts)
# ---------------------------------------------------------------------------------------------

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



# ---------------------------------------------------------------------------------------------
# rounds
# ---------------------------------------------------------------------------------------------

Workload = Callable[[Cluster, object], dict]


def round_order(round_index: int) -> tuple[str, ...]:
    """real first in odd rounds (1, 3, ...), ours first in even ones."""
    return IMPLS if round_index % 2 == 0 else IMPLS[::-1]


def free_chunk_disks(cluster: Cluster) -> None:
    """Chunk files are not needed after a run (the 1 GiB file alone takes 2+ GiB)."""
    for cs in cluster.chunkservers:
        shutil.rmtree(cs.workdir / "hdd", ignore_errors=True)



def run_cluster(root: pathlib.Path, impl: str, kind: str, make_cluster: Callable[[pathlib.Path, str], Cluster],
                workloads: Sequence[tuple[str, Workload]], sizes: object) -> dict:
    """Runs the workloads on a fresh cluster, ``make_cluster(root, impl)``, in which the
    daemons of ``kind`` ("master", "chunkserver") are the compared ones; always stops it."""
    cluster = make_cluster(root, impl)
    result: dict = {"metrics": {}, "load_before": os.getloadavg()[0], "cluster_dir": str(root)}
    try:
        cluster.start()
        for name, workload in workloads:
            log(f"  {impl}: {name}")
            result["metrics"].update(workload(cluster, sizes))
            cluster.check_running()
    except Exception as e:  # noqa: BLE001 - the other runs go on; the error is reported
        result["error"] = f"{type(e).__name__}: {e}"
        log(f"  {impl}: FAILED: {result['error']}\n{traceback.format_exc()}"
            + "".join(f"{d.name} log tail:\n{d.log_tail(30)}" for d in cluster.daemons if d.kind == kind))
    finally:
        problems = cluster.stop()
        free_chunk_disks(cluster)
    if problems:
        result["problems"] = problems
    result["load_after"] = os.getloadavg()[0]
    return result


def run_rounds(workdir: pathlib.Path, rounds: int, kind: str,
               make_cluster: Callable[[pathlib.Path, str], Cluster],
               workloads: Sequence[tuple[str, Workload]], sizes: object) -> list[dict]:
    """``rounds`` rounds, each a fresh cluster per implementation of the ``kind`` daemons,
    in alternating order."""
    results = []
    for r in range(rounds):
        entry: dict = {"round": r + 1, "order": list(round_order(r))}
        for impl in round_order(r):
            log(f"round {r + 1}/{rounds}: {impl} {kind}")
            entry[impl] = run_cluster(workdir / f"round{r + 1}-{impl}", impl, kind, make_cluster, workloads, sizes)
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



def print_report(rounds: list[dict], workloads: Sequence[str], metrics: Sequence[Metric],
                 summary: dict[str, dict], better: str) -> None:
    """The tables, the load of each run and the ratios; ``better`` says what a ratio > 1 means."""
    for w in workloads:
        print(workload_table(w, [m for m in metrics if m.workload == w], rounds, summary))
        print()
    for r in rounds:
        for impl in r["order"]:
            run = r[impl]
            note = f"  ERROR {run['error']}" if "error" in run else ""
            print(f"round {r['round']} {impl}: load {run['load_before']:.2f} -> "
                  f"{run['load_after']:.2f}{note}")
    print(f"\nratios (> 1 means ours is better: {better}):")
    for w in workloads:
        print(summary_line(w, [m for m in metrics if m.workload == w], summary))


def raise_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every cluster's finally block stops it."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)



def our_binary(kind: str) -> dict:
    """Which of our binaries ("master", "chunkserver") ran: path, sha256 and the state of the
    work tree."""
    path = binary(kind, "ours")
    revision = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, cwd="/").stdout.strip()
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"path": path, "sha256": digest, "work_tree": revision or "unknown"}


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def work_folder(chosen: pathlib.Path | None, prefix: str) -> pathlib.Path:
    """The folder the clusters live in: ``chosen`` (``--workdir``), which must be new or
    empty, since a cluster started on an old run's metadata would measure something else,
    or else a new temporary folder."""
    if chosen is None:
        return pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    if chosen.exists() and any(chosen.iterdir()):
        sys.exit(f"--workdir {chosen} is not empty: the clusters need a new folder")
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def chosen_workloads(parser: argparse.ArgumentParser, text: str, known: Sequence[str]) -> list[str]:
    """The workloads of a ``--workloads`` value (spaces may be written as _), in the order of
    ``known``; an unknown name ends the program with a usage error."""
    wanted = [w.replace("_", " ").strip() for w in text.split(",")]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: {list(known)}")
    return [w for w in known if w in wanted]


def check_environment(script: str, kind: str) -> None:
    if os.geteuid() != 0:
        sys.exit(f"{script} must run as root (network namespaces, FUSE, daemons)")
    for impl in IMPLS:
        try:
            binary(kind, impl)
        except HarnessError as e:
            sys.exit(str(e))


def run_benchmark(args: argparse.Namespace, script: str, kind: str, sizes: object,
                  make_cluster: Callable[[pathlib.Path, str], Cluster],
                  workload_functions: dict[str, Workload], metrics: Sequence[Metric], better: str,
                  extra_report: Callable[[list[dict]], dict] | None = None) -> int:
    """Runs the rounds of ``args.workload_list`` comparing the ``kind`` daemons, prints the
    report (then ``extra_report(rounds)``, whose result joins the JSON) and writes the JSON
    of ``args.json``; the exit status is 1 when a run failed."""
    check_environment(script, kind)
    raise_on_sigterm()
    workdir = work_folder(args.workdir, f"mfsng-bench-{kind}-")
    log(f"clusters in {workdir}; load {os.getloadavg()}")
    started = time.time()
    ours = our_binary(kind)
    workloads = [(name, workload_functions[name]) for name in args.workload_list]
    rounds = run_rounds(workdir, args.rounds, kind, make_cluster, workloads, sizes)
    # Someone may rebuild the binary meanwhile: then the rounds measured different binaries.
    ours["changed_during_run"] = our_binary(kind)["sha256"] != ours["sha256"]
    measured = [m for m in metrics if m.workload in args.workload_list]
    summary = summarize(rounds, measured)
    print_report(rounds, args.workload_list, measured, summary, better)
    extra = extra_report(rounds) if extra_report else {}
    if ours["changed_during_run"]:
        print(f"WARNING: {ours['path']} changed during the run; rounds may differ in binary")
    if args.json:
        args.json.write_text(json.dumps({
            "sizes": dataclasses.asdict(sizes), "workloads": args.workload_list,
            f"our_{kind}": ours,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "seconds": round(time.time() - started), "rounds": rounds, "summary": summary,
            **extra,
        }, indent=2) + "\n")
    failed = any("error" in r[impl] for r in rounds for impl in IMPLS)
    return 1 if failed else 0


def exit_with(main: Callable[[], int]) -> None:
    """Runs ``main`` as the program; Ctrl-C or SIGTERM ends it with status 130."""
    try:
        sys.exit(main())
    except KeyboardInterrupt as interrupt:  # the clusters are stopped by then
        log(f"interrupted ({str(interrupt) or 'Ctrl-C'}); every cluster was stopped")
        sys.exit(130)
