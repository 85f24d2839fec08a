"""A whole MooseFS cluster in one private network namespace.

    cluster = Cluster(tmp_path, master="real", chunkservers=["real", "ours"], mount="real")
    cluster.start()
    ...
    cluster.stop()

Each daemon is "real" (MooseFS 3.0.117 from Debian) or "ours" (from the CMake build folder,
``$MFSNG_BUILD_DIR`` or ``<repo>/build``).  Addresses (see netns.ADDRESS_PLAN): master
198.18.0.1 (ports 9419/9420/9421), chunkserver i at 198.18.0.(10+i) port 9421+i,
metalogger i at 198.18.0.(30+i), mount i binds to 198.18.0.(50+i).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import time
from typing import Iterable, Mapping, Sequence

from .daemons import (DEFAULT_EXPORTS, Chunkserver, Daemon, HarnessError, Master, Metalogger,
                      Mount, binary, stop_all, wait_until)
from .netns import NetNS


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


class Cluster:
    def __init__(self, root: os.PathLike | str, master: str = "real",
                 chunkservers: Sequence[str] = ("real", "real", "real"),
                 mount: str | Sequence[str] | None = None,
                 metaloggers: Sequence[str] = (),
                 master_options: Mapping[str, object] | None = None,
                 chunkserver_options: Mapping[str, object] | None = None,
                 metalogger_options: Mapping[str, object] | None = None,
                 mount_options: Sequence[str] = (),
                 exports: str = DEFAULT_EXPORTS, topology: str = ""):
        """Prepares folders and config files; nothing runs before start().

        ``*_options`` override config options (value None removes one); ``mount_options``
        are extra ``-o`` options of every mount; ``exports`` is the mfsexports.cfg text.
        Raises HarnessError at once if a requested "ours" binary is not built.
        """
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        for kind, impls in (("master", [master]), ("chunkserver", list(chunkservers)),
                            ("metalogger", list(metaloggers)), ("mount", _as_list(mount))):
            for impl in impls:
                binary(kind, impl)  # fail early and clearly
        self.ns = NetNS()
        self.chunkserver_options = dict(chunkserver_options or {})
        self.metalogger_options = dict(metalogger_options or {})
        self.mount_options = list(mount_options)
        self.master = Master("master", master, self.ns, self.root / "master",
                             self.ns.add_address("master", "master"),
                             options=master_options, exports=exports, topology=topology)
        self.chunkservers: list[Chunkserver] = []
        self.metaloggers: list[Metalogger] = []
        self.mounts: list[Mount] = []
        for impl in chunkservers:
            self.add_chunkserver(impl, start=False)
        for impl in metaloggers:
            self.add_metalogger(impl, start=False)
        self._initial_mounts = _as_list(mount)
        self.started = False
        self.stopped = False

    # -- composition ----------------------------------------------------------------------------
    @property
    def netns(self) -> NetNS:  # alias
        return self.ns

    @property
    def daemons(self) -> list[Daemon]:
        return [self.master, *self.chunkservers, *self.metaloggers, *self.mounts]

    @property
    def master_ip(self) -> str:
        return self.master.ip

    @property
    def mountpoint(self) -> pathlib.Path:
        """Mount point of the first mount."""
        if not self.mounts:
            raise HarnessError("this cluster has no mount (pass mount='real' or call mount())")
        return self.mounts[0].mountpoint

    def add_chunkserver(self, impl: str = "real", options: Mapping[str, object] | None = None,
                        start: bool = True, disks: Iterable[str] | None = None) -> Chunkserver:
        binary("chunkserver", impl)
        n = len(self.chunkservers) + 1
        cs = Chunkserver(f"cs{n}", impl, self.ns, self.root / f"cs{n}",
                         self.ns.add_address("chunkserver", f"cs{n}"), self.master,
                         port=9421 + n, options={**self.chunkserver_options, **(options or {})},
                         disks=disks)
        self.chunkservers.append(cs)
        if start and self.started:
            cs.start()
        return cs

    def add_metalogger(self, impl: str = "real", options: Mapping[str, object] | None = None,
                       start: bool = True) -> Metalogger:
        binary("metalogger", impl)
        n = len(self.metaloggers) + 1
        ml = Metalogger(f"ml{n}", impl, self.ns, self.root / f"ml{n}",
                        self.ns.add_address("metalogger", f"ml{n}"), self.master,
                        options={**self.metalogger_options, **(options or {})})
        self.metaloggers.append(ml)
        if start and self.started:
            ml.start()
        return ml

    def add_mount(self, impl: str = "real", options: Sequence[str] = (), name: str | None = None,
                  subfolder: str | None = None, meta: bool = False, start: bool = True) -> Mount:
        binary("mount", impl)
        n = len(self.mounts) + 1
        name = name or f"mount{n}"
        m = Mount(name, impl, self.ns, self.root / name, self.ns.add_address("mount", name),
                  self.master, options=[*self.mount_options, *options], subfolder=subfolder,
                  meta=meta)
        self.mounts.append(m)
        if start and self.started:
            m.start()
        return m

    def mount(self, impl: str = "real", options: Sequence[str] = (), name: str | None = None,
              subfolder: str | None = None, meta: bool = False) -> pathlib.Path:
        """Adds a mount, starts it and returns its mount point."""
        return self.add_mount(impl, options, name, subfolder, meta, start=True).mountpoint

    # -- life cycle -----------------------------------------------------------------------------
    def start(self, wait_registered: bool = True) -> "Cluster":
        """Namespace, master, chunkservers (waits until all are registered), metaloggers, and
        the mounts given to the constructor."""
        if self.started:
            return self
        self.ns.create()
        self.started = True
        self.master.start()
        for cs in self.chunkservers:
            cs.start(wait=False)
        for cs in self.chunkservers:
            cs.wait_ready()
        for ml in self.metaloggers:
            ml.start()
        if wait_registered and self.chunkservers:
            self.wait_chunkservers_registered()
        if wait_registered and self.metaloggers:
            self.wait_metaloggers_registered()
        for impl in self._initial_mounts:
            self.add_mount(impl)
        return self

    def stop(self) -> list[str]:
        """Unmounts and stops everything (by pid), deletes the namespace.  Safe to call more
        than once and after a partial start.  Returns the problems seen (daemons that exited
        on their own, or needed SIGKILL after SIGTERM)."""
        if self.stopped:
            return self.problems()
        errors: list[str] = []
        try:
            for d in self.daemons:  # paused daemons cannot stop
                if d.running:
                    try:
                        d.resume()
                    except OSError:
                        pass
            for group in (self.mounts, [*self.metaloggers, *self.chunkservers, self.master]):
                try:
                    stop_all(group)
                except Exception as e:  # noqa: BLE001 - keep cleaning up
                    errors.append(str(e))
        finally:
            leftovers = self.ns.pids()
            if leftovers:
                errors.append(f"processes still running in {self.ns.name} (killed): {leftovers}")
            self.ns.delete()
            # Only now: a stop interrupted half-way (Ctrl-C) is finished by the next call.
            self.stopped = True
        return self.problems() + errors

    def problems(self) -> list[str]:
        return [p for d in self.daemons for p in d.problems]

    def check_running(self) -> None:
        """Raises if a daemon that should be running has exited."""
        dead = [f"{d.name} ({d.impl}) exited with status {d.returncode}"
                for d in self.daemons if not d.expected_exit and not d.running]
        if dead:
            raise HarnessError("; ".join(dead))

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- master -----------------------------------------------------------------------------------
    def start_master(self, impl: str | None = None, wait_registered: bool = True,
                     auto_restore: bool | None = None) -> Master:
        """Starts the (stopped) master; ``impl`` may swap real/ours on the same data."""
        if impl is not None:
            binary("master", impl)
            self.master.impl = impl
        self.master.start(auto_restore=auto_restore)
        if wait_registered and self.chunkservers:
            self.wait_chunkservers_registered()
        return self.master

    def restart_master(self, kill9: bool = False, impl: str | None = None,
                       wait_registered: bool = True, kill: bool | None = None,
                       down_time: float = 0) -> Master:
        """Stops the master (SIGTERM, or SIGKILL with ``kill9``), waits ``down_time`` seconds,
        starts it again (with ``-a`` after a kill, see Master.start) and waits until the
        running chunkservers have registered again."""
        if kill is not None:
            kill9 = kill
        self.master.stop(kill=kill9)
        if down_time:
            time.sleep(down_time)
        return self.start_master(impl=impl, wait_registered=wait_registered)

    # -- tools inside the namespace ------------------------------------------------------------
    def run_in_ns(self, cmd: Sequence[str], check: bool = True, timeout: float = 60,
                  input: str | None = None, **kwargs) -> subprocess.CompletedProcess:
        """Runs a program inside the namespace (the tools, mfscli: they reach the master or
        the mount's master proxy on 127.0.0.1 only from there).  cwd is "/"."""
        return self.ns.run([str(c) for c in cmd], check=check, timeout=timeout, input=input,
                           **kwargs)

    def tool(self, cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
        return self.run_in_ns(cmd, **kwargs)

    def mfscli(self, *args: str, timeout: float = 30) -> list[list[str]]:
        """Runs ``mfscli -H master -P port -n -p ARGS`` and returns its rows split at TABs
        (first field = table title, e.g. "chunk servers:")."""
        r = self.run_in_ns(["mfscli", "-H", self.master.ip, "-P", str(self.master.matocl_port),
                            "-n", "-p", *args], timeout=timeout)
        return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]

    def registered_chunkservers(self) -> dict[str, dict]:
        """Connected chunkservers as the master lists them (``mfscli -SCS``), by "ip:port"."""
        out = {}
        for row in self.mfscli("-SCS"):
            if row[0] != "chunk servers:" or len(row) < 11:
                continue
            ip, port = row[1], int(row[2])
            out[f"{ip}:{port}"] = {"ip": ip, "port": port, "id": row[3], "version": row[5],
                                   "chunks": int(row[8]), "used": int(row[9]),
                                   "total": int(row[10])}
        return out

    def wait_chunkservers_registered(self, n: int | None = None, timeout: float = 60) -> dict:
        """Waits until the master lists the running chunkservers (or at least ``n`` of any)
        as connected with their disk space known."""
        expect = [cs.address for cs in self.chunkservers if cs.running]
        what = f"{n} chunkservers" if n is not None else f"chunkservers {expect}"

        def done():
            self.master._check_alive("waiting for chunkservers")
            regs = {a: r for a, r in self.registered_chunkservers().items() if r["total"] > 0}
            if n is not None:
                return regs if len(regs) >= n else None
            return regs if all(a in regs for a in expect) else None
        return wait_until(done, timeout, f"{what} to be registered at the master", interval=0.3)

    def wait_chunkservers(self, count: int | None = None, timeout: float = 60) -> dict:
        return self.wait_chunkservers_registered(count, timeout)

    def wait_metaloggers_registered(self, n: int | None = None, timeout: float = 60) -> list:
        expect = [ml.ip for ml in self.metaloggers if ml.running]
        if n is None:
            n = len(expect)

        def done():
            rows = [r for r in self.mfscli("-SMB") if r[0] == "metadata backup loggers:"]
            ips = {r[1] for r in rows}
            return rows if len(rows) >= n and all(ip in ips for ip in expect[:n]) else None
        return wait_until(done, timeout, f"{n} metaloggers to be registered", interval=0.3)

    # -- chunks of files -----------------------------------------------------------------------
    def file_chunks(self, path: os.PathLike | str) -> list[dict]:
        """Chunks of a file per ``mfsfileinfo``: [{"index", "id", "version", "copies":
        [(ip:port, status), ...]}]."""
        r = self.run_in_ns(["mfsfileinfo", str(path)])
        chunks: list[dict] = []
        for line in r.stdout.splitlines():
            m = re.match(r"\s*chunk (\d+): ([0-9A-F]+)_([0-9A-F]+) / \(id:(\d+) ver:(\d+)\)", line)
            if m:
                chunks.append({"index": int(m.group(1)), "id": int(m.group(4)),
                               "version": int(m.group(5)), "copies": []})
                continue
            m = re.match(r"\s*copy \d+: (\S+) \(status:(\w+)\)", line)
            if m and chunks:
                chunks[-1]["copies"].append((m.group(1), m.group(2)))
        return chunks

    def valid_copies(self, path: os.PathLike | str) -> list[int]:
        """Number of VALID copies of each chunk of the file."""
        return [sum(1 for _, st in c["copies"] if st == "VALID") for c in self.file_chunks(path)]

    def wait_copies(self, path: os.PathLike | str, copies: int, timeout: float = 60) -> list[dict]:
        """Waits until every chunk of the file has exactly ``copies`` VALID copies."""
        def done():
            chunks = self.file_chunks(path)
            ok = chunks and all(sum(1 for _, st in c["copies"] if st == "VALID") == copies
                                for c in chunks)
            return chunks if ok else None
        return wait_until(done, timeout, f"{copies} valid copies of every chunk of {path}",
                          interval=0.5)

    # -- logs -------------------------------------------------------------------------------------
    def logs(self, lines: int = 200) -> str:
        parts = []
        for d in self.daemons:
            parts.append(f"----- {d.name} ({d.impl}, {d.log_path}), last {lines} lines -----\n"
                         f"{d.log_tail(lines)}")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<Cluster {self.ns.name} {self.daemons}>"
