"""Private network namespaces for test clusters.

Every cluster runs in its own network namespace ``mfsng-<pid>-<n>``.  Inside it:

* ``lo`` is up (127.0.0.1; mfsmount's local "master proxy" for the tools listens there);
* a veth pair ``mfsng0``/``mfsng1`` with **both ends inside the namespace**;
* addresses from 198.18.0.0/15 (RFC 2544 benchmarking range): ``198.18.0.1/15`` on ``mfsng0``
  is the first master; every other daemon gets its own ``/32`` on ``mfsng1`` (see
  ``ADDRESS_PLAN``) so that the master sees each peer under a distinct IP, as on a real
  network, and per-peer packet filters (iptables) can be used by fault-injection tests.

There is no default route in the namespace, so any address outside 127.0.0.0/8 and the
namespace's own 198.18.x.y addresses is unreachable (ENETUNREACH): no test traffic can leave
the machine.

Programs are run inside with ``nsenter --net=/var/run/netns/NAME`` (not ``ip netns exec``,
which also creates a private mount namespace and would hide FUSE mounts from the test).
The harness itself can open sockets inside the namespace with :meth:`NetNS.socket` (a
short-lived thread joins the namespace with setns(2); the socket keeps the namespace it was
created in).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import re
import socket
import subprocess
import threading
from typing import Sequence

NETNS_DIR = "/var/run/netns"
PREFIX = "mfsng"
CLONE_NEWNET = 0x40000000

# Host parts of 198.18.0.X per role; role index i (0-based) gets base + i.
ADDRESS_PLAN = {
    "master": 1,        # 198.18.0.1 .. 198.18.0.9   (extra masters for HA tests)
    "chunkserver": 11,  # 198.18.0.11 .. 198.18.0.30
    "metalogger": 31,   # 198.18.0.31 .. 198.18.0.40
    "mount": 51,        # 198.18.0.51 .. 198.18.0.80 (used as mfsbind source address)
    "other": 101,       # anything else (test clients speaking raw protocol, ...)
}
ROLE_LIMIT = {"master": 9, "chunkserver": 20, "metalogger": 10, "mount": 30, "other": 100}

_counter = itertools.count()


class NetNSError(RuntimeError):
    pass


def _run(cmd: Sequence[str], timeout: float = 30) -> subprocess.CompletedProcess:
    result = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, cwd="/")
    if result.returncode != 0:
        raise NetNSError(f"command failed ({result.returncode}): {' '.join(cmd)}\n"
                         f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def list_namespaces() -> list[str]:
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def stale_namespaces() -> list[str]:
    """Namespaces named by this harness whose creating process no longer exists."""
    stale = []
    for name in list_namespaces():
        m = re.fullmatch(rf"{PREFIX}-(\d+)-(\d+)", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            stale.append(name)
    return stale


class NetNS:
    """One private network namespace; use as a context manager or call create()/delete()."""

    def __init__(self, name: str | None = None):
        self.name = name or f"{PREFIX}-{os.getpid()}-{next(_counter)}"
        self.path = os.path.join(NETNS_DIR, self.name)
        self.created = False
        self._next = {role: 0 for role in ADDRESS_PLAN}
        self.addresses: dict[str, str] = {}  # ip -> label

    # -- life cycle -------------------------------------------------------------------------
    def create(self) -> "NetNS":
        if os.path.exists(self.path):
            raise NetNSError(f"network namespace {self.name} already exists")
        _run(["ip", "netns", "add", self.name])
        self.created = True
        try:
            ns = ["ip", "-n", self.name]
            _run(ns + ["link", "set", "lo", "up"])
            _run(ns + ["link", "add", "mfsng0", "type", "veth", "peer", "name", "mfsng1"])
            _run(ns + ["link", "set", "mfsng0", "up"])
            _run(ns + ["link", "set", "mfsng1", "up"])
            for ip in self.addresses:
                self._configure(ip)
        except Exception:
            self.delete()
            raise
        return self

    def delete(self) -> None:
        """Kills leftover processes started inside (all of them are ours) and removes the ns."""
        if not self.created:
            return
        for pid in self.pids():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30, cwd="/")
        self.created = False

    def pids(self) -> list[int]:
        """PIDs of the processes currently running in this namespace."""
        if not self.created:
            return []
        r = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True,
                           timeout=30, cwd="/")
        return [int(x) for x in r.stdout.split() if x.isdigit()]

    def __enter__(self) -> "NetNS":
        return self.create()

    def __exit__(self, *exc) -> None:
        self.delete()

    # -- addresses -------------------------------------------------------------------------
    def add_address(self, role: str = "other", label: str = "") -> str:
        """Allocates the next address of ``role`` (see ADDRESS_PLAN).  It is configured in
        the namespace at once if the namespace exists, otherwise by create()."""
        if role not in ADDRESS_PLAN:
            raise ValueError(f"unknown role {role!r}")
        index = self._next[role]
        if index >= ROLE_LIMIT[role]:
            raise NetNSError(f"too many addresses for role {role}")
        self._next[role] = index + 1
        ip = f"198.18.0.{ADDRESS_PLAN[role] + index}"
        self.addresses[ip] = label or role
        if self.created:
            self._configure(ip)
        return ip

    def _configure(self, ip: str) -> None:
        if ip == "198.18.0.1":
            _run(["ip", "-n", self.name, "addr", "add", f"{ip}/15", "dev", "mfsng0"])
        else:
            _run(["ip", "-n", self.name, "addr", "add", f"{ip}/32", "dev", "mfsng1"])

    # -- running things inside --------------------------------------------------------------
    def prefix(self) -> list[str]:
        """Command prefix that runs a program inside the namespace (network only)."""
        return ["nsenter", f"--net={self.path}", "--"]

    def wrap(self, cmd: Sequence[str]) -> list[str]:
        return self.prefix() + [str(c) for c in cmd]

    def run(self, cmd: Sequence[str], *, check: bool = True, timeout: float = 60,
            input: str | bytes | None = None, cwd: str = "/", text: bool = True,
            env: dict | None = None) -> subprocess.CompletedProcess:
        """Runs ``cmd`` inside the namespace, capturing output.  ``cwd`` defaults to "/" so
        that a tool never holds a directory inside a FUSE mount (that would block umount)."""
        result = subprocess.run(self.wrap(cmd), capture_output=True, text=text, timeout=timeout,
                                input=input, cwd=cwd, env=env)
        if check and result.returncode != 0:
            raise NetNSError(f"command failed in {self.name} (exit {result.returncode}): "
                             f"{' '.join(map(str, cmd))}\nstdout: {result.stdout}\n"
                             f"stderr: {result.stderr}")
        return result

    def popen(self, cmd: Sequence[str], **kwargs) -> subprocess.Popen:
        """Starts ``cmd`` inside the namespace.  nsenter execs the program, so the returned
        pid is the program's own pid."""
        kwargs.setdefault("cwd", "/")
        return subprocess.Popen(self.wrap(cmd), **kwargs)

    def socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM,
               proto: int = 0) -> socket.socket:
        """Creates a socket that lives in this namespace (usable from any thread)."""
        box: dict = {}

        def worker() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns({self.path}): {os.strerror(err)}")
                finally:
                    os.close(fd)
                box["sock"] = socket.socket(family, type, proto)
            except BaseException as e:  # passed to the caller
                box["error"] = e

        t = threading.Thread(target=worker, name=f"setns-{self.name}")
        t.start()
        t.join()
        if "error" in box:
            raise box["error"]
        return box["sock"]

    def connect(self, ip: str, port: int, timeout: float = 5.0,
                source_ip: str | None = None) -> socket.socket:
        """TCP connection from inside the namespace (optionally from ``source_ip``)."""
        s = self.socket()
        try:
            s.settimeout(timeout)
            if source_ip:
                s.bind((source_ip, 0))
            s.connect((ip, port))
        except BaseException:
            s.close()
            raise
        return s

    def __repr__(self) -> str:
        return f"NetNS({self.name!r})"
