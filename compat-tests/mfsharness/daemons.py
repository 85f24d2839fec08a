"""The daemons of a test cluster: MooseFS 3.0.117 programs ("real") or ours ("ours").

Both implementations take the same command line and the same config files, so one class
per daemon kind writes the config files and builds the command line, and ``impl`` only
chooses the binary.  Daemons run in the foreground (``-f``) inside the cluster's network
namespace with stdout and stderr appended to ``<daemon dir>/<name>.log``; they are stopped
by their own pid (SIGTERM, wait, SIGKILL), never by name.

Every daemon kind has its own folder under the cluster folder::

    master/        mfsmaster.cfg mfsexports.cfg mfstopology.cfg data/ master.log
    cs1/           mfschunkserver.cfg mfshdd.cfg data/ hdd1/ cs1.log
    ml1/           mfsmetalogger.cfg data/ ml1.log
    mount1/        mfsmount.cfg mnt/ mount1.log
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import warnings
from typing import Callable, Iterable, Mapping, Sequence

from .netns import NetNS

REPO = pathlib.Path(__file__).resolve().parents[2]

REAL_BINARIES = {
    "master": "/usr/sbin/mfsmaster",
    "chunkserver": "/usr/sbin/mfschunkserver",
    "metalogger": "/usr/sbin/mfsmetalogger",
    "mount": "/usr/bin/mfsmount",
}
OUR_BINARIES = {  # relative to the build folder
    "master": "mfsmaster/mfsmaster",
    "chunkserver": "mfschunkserver/mfschunkserver",
    "metalogger": "mfsmetalogger/mfsmetalogger",
    "mount": "mfsmount/mfsmount",
}
IMPLEMENTATIONS = ("real", "ours")
EMPTY_METADATA = "/var/lib/mfs/metadata.mfs.empty"

DEFAULT_EXPORTS = "*\t/\trw,alldirs,maproot=0\n*\t.\trw\n"
# The same with the admin flag, which setting quotas and admin-only storage classes needs.
ADMIN_EXPORTS = "*\t/\trw,alldirs,maproot=0,admin\n*\t.\trw\n"


class HarnessError(RuntimeError):
    """The harness could not do what was asked (a daemon did not start, a wait timed out)."""


def build_dir() -> pathlib.Path:
    # Absolute: daemons run in their own folders, where a relative path would not resolve.
    return pathlib.Path(os.environ.get("MFSNG_BUILD_DIR") or REPO / "build").absolute()


def binary(kind: str, impl: str) -> str:
    """Path of the program of ``kind`` ("master", "chunkserver", "metalogger", "mount")."""
    if impl == "real":
        path = pathlib.Path(REAL_BINARIES[kind])
        if not path.exists():
            raise HarnessError(f"MooseFS 3.0.117 {kind} is not installed: {path} is missing "
                               "(run scripts/setup.sh)")
        return str(path)
    if impl == "ours":
        path = build_dir() / OUR_BINARIES[kind]
        if not path.exists():
            raise HarnessError(f"our {kind} is not built: {path} does not exist (build with "
                               "scripts/setup.sh, or point MFSNG_BUILD_DIR at a build folder)")
        return str(path)
    raise HarnessError(f"unknown implementation {impl!r} (expected one of {IMPLEMENTATIONS})")


def render_config(options: Mapping[str, object]) -> str:
    """``NAME = VALUE`` lines; options whose value is None are left out."""
    return "".join(f"{name} = {value}\n" for name, value in options.items() if value is not None)


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               interval: float = 0.1) -> object:
    """Polls ``predicate`` until it returns something true; raises HarnessError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------
# process helpers (everything by pid)
# --------------------------------------------------------------------------------------

def _proc_start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return int(data.rsplit(")", 1)[1].split()[19])


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of all descendants of ``pid`` (e.g. the master's data writer)."""
    out: list[tuple[int, int]] = []
    todo = _children(pid)
    while todo:
        child = todo.pop()
        start = _proc_start_time(child)
        if start is not None:
            out.append((child, start))
            todo += _children(child)
    return out


def _kill_if_same(pid: int, start: int, sig: int) -> bool:
    """Signals ``pid`` only if it is still the process that had this start time."""
    if _proc_start_time(pid) != start:
        return False
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _alive(pid: int, start: int) -> bool:
    if _proc_start_time(pid) != start:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def listening(pid: int, ip: str, port: int) -> bool:
    """True if a TCP socket is listening on ip:port in the network namespace of ``pid``
    (read from /proc/PID/net/tcp, so nothing connects to the daemon)."""
    want_port = f"{port:04X}"
    want_ip = "".join(f"{int(x):02X}" for x in reversed(ip.split(".")))
    try:
        with open(f"/proc/{pid}/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                local, state = fields[1], fields[3]
                if state != "0A":  # LISTEN
                    continue
                lip, lport = local.split(":")
                if lport == want_port and lip in (want_ip, "00000000"):
                    return True
    except (OSError, StopIteration):
        pass
    return False


# --------------------------------------------------------------------------------------
# daemons
# --------------------------------------------------------------------------------------

# Every daemon: run as root in pytest's tmp dir (mode 0700, which user mfs could not enter),
# as an ordinary process.
COMMON_TEST_OPTIONS = {
        "WORKING_USER": "root",
        "WORKING_GROUP": "root",
        "DISABLE_OOM_KILLER": 0,
        "NICE_LEVEL": 0,
}
# Chunkservers and metaloggers: reconnect quickly after a master restart (default 5 s).
PEER_TEST_OPTIONS = {**COMMON_TEST_OPTIONS, "MASTER_RECONNECTION_DELAY": 1}


class Daemon:
    """One daemon process.  Subclasses write config files and say when the daemon is ready."""

    kind = ""

    def __init__(self, name: str, impl: str, ns: NetNS, workdir: pathlib.Path, ip: str,
                 options: Mapping[str, object] | None = None,
                 extra_args: Sequence[str] = ()):
        if impl not in IMPLEMENTATIONS:
            raise HarnessError(f"{name}: unknown implementation {impl!r}")
        self.name = name
        self.impl = impl
        self.ns = ns
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ip = ip
        self.overrides = dict(options or {})
        self.extra_args = list(extra_args)
        # Extra environment variables of the next start (e.g. LD_PRELOAD/FAKETIME for a
        # shifted clock).
        self.environment: dict[str, str] = {}
        self.log_path = self.workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self._start_time: int | None = None
        self._descendants: list[tuple[int, int]] = []
        self.expected_exit = True          # False while running: an exit now is a crash
        self.unclean_stop = False          # last stop was a SIGKILL (or a crash)
        self.problems: list[str] = []      # crashes, SIGTERM timeouts (reported at teardown)
        self.history: list[tuple[str, int | None]] = []  # (event, exit status)
        self._pending_kill = False
        self._stopping = False             # a stop signal was sent, wait_stopped() pending

    TEST_OPTIONS: Mapping[str, object] = {}

    def options(self) -> dict:
        """Config options: test settings, then where this daemon lives, then the test's own."""
        return {**self.TEST_OPTIONS, **self.placement_options(), **self.overrides}

    # -- to be provided by subclasses --------------------------------------------------------
    def placement_options(self) -> dict:
        """Paths, addresses and ports of this daemon's config file."""
        return {}

    def write_config(self) -> None:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        """True once the daemon serves requests."""
        return True

    start_timeout = 30.0
    stop_timeout = 30.0

    # -- properties ---------------------------------------------------------------------------
    @property
    def binary(self) -> str:
        return binary(self.kind, self.impl)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process else None

    # -- logs ---------------------------------------------------------------------------------
    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 200) -> str:
        return "".join(self.log_text().splitlines(keepends=True)[-lines:])

    def _log_marker(self, text: str) -> None:
        with open(self.log_path, "a") as log:
            log.write(f"==== harness {time.strftime('%H:%M:%S')}: {text}\n")

    def log_offset(self) -> int:
        """Current size of the log; pass to wait_for_log() to see only later lines."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def wait_for_log(self, text: str, timeout: float = 30, offset: int = 0) -> None:
        def found():
            self._check_alive(f"waiting for {text!r} in its log")
            return text in self.log_text()[offset:]
        wait_until(found, timeout, f"{self.name}: {text!r} in {self.log_path}")

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, wait: bool = True, extra_args: Sequence[str] = (),
              timeout: float | None = None) -> "Daemon":
        if self.running:
            raise HarnessError(f"{self.name} is already running (pid {self.pid})")
        self.write_config()
        argv = self.command() + self.extra_args + list(extra_args)
        self._log_marker(f"start ({self.impl}): {' '.join(argv)}")
        with open(self.log_path, "ab") as log:
            self.process = self.ns.popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env={**os.environ, **self.environment},
                                         cwd=str(self.workdir))
        self._start_time = _proc_start_time(self.process.pid)
        self.expected_exit = False
        self.history.append(("start", None))
        if wait:
            self.wait_ready(timeout or self.start_timeout)
        return self

    def _check_alive(self, doing: str) -> None:
        if self.process is not None and self.process.poll() is not None:
            self.expected_exit = True
            self.unclean_stop = True
            raise HarnessError(f"{self.name} ({self.impl}, {self.binary}) exited with status "
                               f"{self.process.returncode} while {doing}; last log lines:\n"
                               f"{self.log_tail(40)}")

    def wait_ready(self, timeout: float | None = None) -> None:
        def check():
            self._check_alive("starting")
            return self.ready()
        wait_until(check, timeout or self.start_timeout, f"{self.name} ({self.impl}) to be ready")

    def _note_exit_before_stop(self) -> None:
        if self.process is not None and not self.expected_exit and self.process.poll() is not None:
            rc = self.process.returncode
            self.problems.append(f"{self.name} ({self.impl}) exited on its own with status {rc}")
            self.history.append(("exited", rc))
            self.expected_exit = True
            self.unclean_stop = True

    def wait_exit(self, timeout: float = 30) -> int:
        """Waits for the daemon to exit on its own (a test that expects it to, e.g. on a bad
        config) and returns its status; such an exit is then not reported as a problem."""
        if self.process is None:
            raise HarnessError(f"{self.name} was never started")
        try:
            rc = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{self.name} did not exit within {timeout:g} s") from None
        self.expected_exit = True
        self.unclean_stop = rc != 0
        self.history.append(("exited", rc))
        return rc

    def signal(self, sig: int) -> None:
        """Sends ``sig`` to the daemon (by pid); e.g. SIGSTOP/SIGCONT/SIGHUP."""
        if not self.running:
            raise HarnessError(f"{self.name} is not running")
        os.kill(self.process.pid, sig)

    def pause(self) -> None:
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def reload(self) -> None:
        """Rewrites the config files (after changing ``overrides``) and sends SIGHUP."""
        self.write_config()
        self.signal(signal.SIGHUP)

    def send_stop(self, kill: bool = False) -> None:
        """First half of stop(): sends the signal.  Use wait_stopped() afterwards."""
        self._note_exit_before_stop()
        if not self.running:
            return
        self._descendants = descendants(self.process.pid)
        self.expected_exit = True
        sig = signal.SIGKILL if kill else signal.SIGTERM
        self._log_marker(f"sending {signal.Signals(sig).name} to pid {self.process.pid}")
        self._pending_kill = kill
        self._stopping = True
        try:
            if self.process.poll() is None:
                os.kill(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def wait_stopped(self, timeout: float | None = None) -> int | None:
        """Second half of stop(): waits, escalates to SIGKILL, cleans up children."""
        if self.process is None or not self._stopping:
            return self.returncode  # not running (never started, or already stopped)
        self._stopping = False
        kill = self._pending_kill
        timeout = self.stop_timeout if timeout is None else timeout
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if not kill:
                self.problems.append(f"{self.name} ({self.impl}) did not exit within {timeout:g} s "
                                     "of SIGTERM; killed with SIGKILL")
            self._log_marker(f"sending SIGKILL to pid {self.process.pid} (timeout)")
            try:
                os.kill(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)
            kill = True
        # Children (e.g. the master's metadata writer) normally exit with their parent;
        # give them a moment, then kill what is left.
        deadline = time.monotonic() + (2 if kill else 10)
        for pid, start in self._descendants:
            while _alive(pid, start) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid, start):
                _kill_if_same(pid, start, signal.SIGKILL)
        self._descendants = []
        rc = self.process.returncode
        if not kill and rc != 0:
            self.problems.append(f"{self.name} ({self.impl}) exited with status {rc} after "
                                 "SIGTERM (expected 0)")
        self.unclean_stop = kill or rc != 0
        self.history.append(("killed" if kill else "stopped", rc))
        self._log_marker(f"pid {self.process.pid} exited with status {rc}")
        return rc

    def stop(self, kill: bool = False, timeout: float | None = None) -> int | None:
        """Stops the daemon by its pid: SIGTERM (SIGKILL if ``kill``), waits ``timeout``
        seconds, then SIGKILL.  Returns the exit status (negative = signal)."""
        self.send_stop(kill=kill)
        return self.wait_stopped(timeout)

    def kill9(self) -> int | None:
        """kill -9 of the daemon (data stays as it is for a restart)."""
        return self.stop(kill=True)

    def restart(self, kill: bool = False, impl: str | None = None, wait: bool = True) -> "Daemon":
        """Stops (or kills) and starts again with the same data; ``impl`` swaps real/ours."""
        self.stop(kill=kill)
        if impl is not None:
            self.impl = impl
        return self.start(wait=wait)

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {self.impl} {self.ip} {state}>"


class Master(Daemon):
    """mfsmaster.  Test settings (see TEST_OPTIONS) keep the cluster quick to react."""

    kind = "master"
    start_timeout = 60.0  # a restore with -a replays change logs
    stop_timeout = 60.0   # the master stores metadata on SIGTERM

    # Settings for tests (all verified with 3.0.117):
    # * WORKING_USER/GROUP root: the daemons run as root; their folders live under pytest's
    #   tmp dir (mode 0700, owned by root), which user mfs could not enter.
    # * REPLICATIONS_DELAY_INIT 0: replicate at once after start (default 60 s).
    # * CHUNKS_LOOP_MIN_TIME 60: the smallest value 3.0.117 accepts (lower values are raised
    #   to 60 with "CHUNKS_LOOP_MIN_TIME value too low"); default 300.  A goal change is
    #   acted on within ~2 s anyway; the loop matters for lost copies and deletions.
    # * DISABLE_OOM_KILLER 0, NICE_LEVEL 0: test processes stay ordinary processes.
    TEST_OPTIONS = {
        **COMMON_TEST_OPTIONS,
        "REPLICATIONS_DELAY_INIT": 0,
        "CHUNKS_LOOP_MIN_TIME": 60,
    }

    def __init__(self, name, impl, ns, workdir, ip, options=None, extra_args=(),
                 exports: str = DEFAULT_EXPORTS, topology: str = "",
                 matoml_port: int = 9419, matocs_port: int = 9420, matocl_port: int = 9421):
        super().__init__(name, impl, ns, workdir, ip, options, extra_args)
        self.exports = exports
        self.topology = topology
        self.matoml_port = matoml_port
        self.matocs_port = matocs_port
        self.matocl_port = matocl_port
        self.data_path = self.workdir / "data"
        self.cfg_path = self.workdir / "mfsmaster.cfg"
        self.exports_path = self.workdir / "mfsexports.cfg"
        self.topology_path = self.workdir / "mfstopology.cfg"
        self.auto_restore = True  # start with -a after an unclean stop (see start())
        if not self.data_path.exists():
            self.data_path.mkdir(parents=True)
            # A new installation: metadata.mfs.empty copied to metadata.mfs.
            shutil.copyfile(EMPTY_METADATA, self.data_path / "metadata.mfs")

    def placement_options(self) -> dict:
        return {
            "DATA_PATH": self.data_path,
            "EXPORTS_FILENAME": self.exports_path,
            "TOPOLOGY_FILENAME": self.topology_path,
            "MATOML_LISTEN_HOST": self.ip,
            "MATOML_LISTEN_PORT": self.matoml_port,
            "MATOCS_LISTEN_HOST": self.ip,
            "MATOCS_LISTEN_PORT": self.matocs_port,
            "MATOCL_LISTEN_HOST": self.ip,
            "MATOCL_LISTEN_PORT": self.matocl_port,
        }

    def write_config(self) -> None:
        self.cfg_path.write_text(render_config(self.options()))
        self.exports_path.write_text(self.exports)
        self.topology_path.write_text(self.topology)

    def command(self) -> list[str]:
        return [self.binary, "-f", "-c", str(self.cfg_path)]

    def start(self, wait: bool = True, extra_args: Sequence[str] = (),
              timeout: float | None = None, auto_restore: bool | None = None) -> "Daemon":
        """After an unclean stop (kill -9, crash) the real master refuses to start ("can't
        find metadata.mfs - try using option '-a'"), as an administrator would, the harness
        then adds ``-a``.  ``auto_restore=False`` starts without it."""
        extra = list(extra_args)
        if auto_restore is None:
            auto_restore = self.auto_restore and self.unclean_stop
        if auto_restore and "-a" not in extra and "-a" not in self.extra_args:
            extra.append("-a")
        return super().start(wait=wait, extra_args=extra, timeout=timeout)

    def ready(self) -> bool:
        return listening(self.pid, self.ip, self.matocl_port) and \
            listening(self.pid, self.ip, self.matocs_port) and \
            listening(self.pid, self.ip, self.matoml_port)


class Chunkserver(Daemon):
    """mfschunkserver with one disk folder of its own (``<daemon dir>/hdd``).

    3.0.117 accepts any folder as a disk, however small; it keeps HDD_LEAVE_SPACE_DEFAULT
    (256MiB) free, so a disk smaller than that is reported full (used = total), and a value
    below the chunk size (64 MiB) only logs "HDD_LEAVE_SPACE_DEFAULT < chunk size - leaving
    so small space on hdd is not recommended".  The default disk is a folder in the test's
    tmp dir (on the machine's big disk), so the default is kept.
    """

    kind = "chunkserver"

    TEST_OPTIONS = PEER_TEST_OPTIONS

    def __init__(self, name, impl, ns, workdir, ip, master: Master, port: int = 9422,
                 options=None, extra_args=(), disks: Iterable[str] | None = None):
        super().__init__(name, impl, ns, workdir, ip, options, extra_args)
        self.master = master
        self.port = port
        self.data_path = self.workdir / "data"
        self.data_path.mkdir(exist_ok=True)
        self.cfg_path = self.workdir / "mfschunkserver.cfg"
        self.hdd_cfg_path = self.workdir / "mfshdd.cfg"
        if disks is None:
            disk = self.workdir / "hdd"
            disk.mkdir(exist_ok=True)
            disks = [str(disk)]
        self.disks = list(disks)  # mfshdd.cfg lines (may carry prefixes / size limits)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    def placement_options(self) -> dict:
        return {
            "DATA_PATH": self.data_path,
            "HDD_CONF_FILENAME": self.hdd_cfg_path,
            "MASTER_HOST": self.master.ip,
            "MASTER_PORT": self.master.matocs_port,
            "BIND_HOST": self.ip,
            "CSSERV_LISTEN_HOST": self.ip,
            "CSSERV_LISTEN_PORT": self.port,
        }

    def write_config(self) -> None:
        self.cfg_path.write_text(render_config(self.options()))
        self.hdd_cfg_path.write_text("".join(f"{d}\n" for d in self.disks))

    def command(self) -> list[str]:
        return [self.binary, "-f", "-c", str(self.cfg_path)]

    def ready(self) -> bool:
        return listening(self.pid, self.ip, self.port)


class Metalogger(Daemon):
    kind = "metalogger"

    TEST_OPTIONS = PEER_TEST_OPTIONS

    def __init__(self, name, impl, ns, workdir, ip, master: Master, options=None, extra_args=()):
        super().__init__(name, impl, ns, workdir, ip, options, extra_args)
        self.master = master
        self.data_path = self.workdir / "data"
        self.data_path.mkdir(exist_ok=True)
        self.cfg_path = self.workdir / "mfsmetalogger.cfg"

    def placement_options(self) -> dict:
        return {
            "DATA_PATH": self.data_path,
            "MASTER_HOST": self.master.ip,
            "MASTER_PORT": self.master.matoml_port,
            "BIND_HOST": self.ip,
        }

    def write_config(self) -> None:
        self.cfg_path.write_text(render_config(self.options()))

    def command(self) -> list[str]:
        return [self.binary, "-f", "-c", str(self.cfg_path)]

    def ready(self) -> bool:
        # Nothing to listen on; the lock file holds the pid once initialisation began.
        # Registration at the master is checked by Cluster.wait_metaloggers_registered().
        lock = self.data_path / ".mfsmetalogger.lock"
        try:
            return lock.read_text().strip() == str(self.pid)
        except OSError:
            return False


def mount_table() -> list[tuple[str, str, str]]:
    """(source, mount point, fs type) of /proc/self/mounts, with octal escapes decoded."""
    def unescape(s: str) -> str:
        return s.encode().decode("unicode_escape") if "\\" in s else s
    out = []
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 3:
                out.append((unescape(fields[0]), unescape(fields[1]), fields[2]))
    return out


def is_mounted(path: os.PathLike | str) -> bool:
    path = os.path.realpath(path)
    return any(mp == path for _, mp, _ in mount_table())


def background_mount_pids(mountpoint: os.PathLike | str) -> list[int]:
    """PIDs of the mfsmount started without -f that serves ``mountpoint`` (it detached from
    the harness, so it is found by its command line: its arguments until it has mounted,
    then the title "mfsmount (mounted on: MOUNTPOINT)")."""
    path = str(mountpoint).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            if path + b"\0" in cmdline or b"(mounted on: " + path + b")" in cmdline:
                pids.append(int(entry))
        except OSError:
            pass
    return pids


def unmount(mountpoint: os.PathLike | str, timeout: float = 20) -> str:
    """fusermount3 -u; if that fails (busy, dead daemon) umount -l.  Returns what failed, ""
    if fusermount3 did it (or nothing was mounted)."""
    if not is_mounted(mountpoint):
        return ""
    try:
        r = subprocess.run(["fusermount3", "-u", str(mountpoint)], capture_output=True,
                           text=True, timeout=timeout, cwd="/")
        error = r.stderr.strip() if r.returncode != 0 else ""
    except subprocess.TimeoutExpired:
        error = f"no answer in {timeout:g} s"
    if not error and not is_mounted(mountpoint):
        return ""
    subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=timeout, cwd="/")
    return f"fusermount3 -u {mountpoint} failed ({error}); umount -l"


def unmount_background(mountpoint: os.PathLike | str, timeout: float = 20) -> None:
    """Unmounts a mount started without -f and waits until its daemon has exited (it exits by
    itself after the unmount), so that it does not outlive the test's namespace."""
    pids = background_mount_pids(mountpoint)
    error = unmount(mountpoint, timeout)
    for pid in pids:
        wait_until(lambda: _proc_start_time(pid) is None or _is_zombie(pid), timeout=timeout,
                   what=f"mfsmount {pid} to exit after unmounting {mountpoint} {error}")
    if is_mounted(mountpoint):
        raise HarnessError(f"{mountpoint} is still mounted: {error}")
    if error:  # unmounted in the end, but shown in pytest's summary so that its cause is seen
        warnings.warn(error)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Mount(Daemon):
    """mfsmount in the foreground: ``mfsmount MNT -f -o mfsmaster=IP,mfsport=PORT,...``.

    ``mfsbind`` is set to the mount's own address so the master sees each mount as a
    distinct client IP.  An empty ``mfscfgfile`` keeps /etc/mfs/mfsmount.cfg out of the way.
    """

    kind = "mount"
    start_timeout = 30.0
    stop_timeout = 15.0

    def __init__(self, name, impl, ns, workdir, ip, master: Master, options: Sequence[str] = (),
                 extra_args=(), subfolder: str | None = None, meta: bool = False):
        super().__init__(name, impl, ns, workdir, ip, None, extra_args)
        self.master = master
        self.mount_options = list(options)
        self.mountpoint = self.workdir / "mnt"
        self.mountpoint.mkdir(exist_ok=True)
        self.cfg_path = self.workdir / "mfsmount.cfg"
        self.subfolder = subfolder
        self.meta = meta

    @property
    def point(self) -> pathlib.Path:  # short alias
        return self.mountpoint

    def write_config(self) -> None:
        self.cfg_path.write_text("# mfsmount options come from the command line\n")

    def command(self) -> list[str]:
        opts = [f"mfsmaster={self.master.ip}", f"mfsport={self.master.matocl_port}",
                f"mfsbind={self.ip}", f"mfscfgfile={self.cfg_path}"]
        if self.subfolder:
            opts.append(f"mfssubfolder={self.subfolder}")
        if self.meta:
            opts.append("mfsmeta")
        opts += self.mount_options
        return [self.binary, str(self.mountpoint), "-f", "-o", ",".join(opts)]

    def ready(self) -> bool:
        if not is_mounted(self.mountpoint):
            return False
        try:
            os.stat(self.mountpoint)
        except OSError:
            return False
        return True

    def unmount(self, timeout: float = 20) -> None:
        """fusermount3 -u; if that fails (busy, dead daemon) umount -l."""
        error = unmount(self.mountpoint, timeout)
        if error:
            self._log_marker(error)
        if is_mounted(self.mountpoint):
            self.problems.append(f"{self.name}: {self.mountpoint} is still mounted")

    def send_stop(self, kill: bool = False) -> None:
        self._note_exit_before_stop()
        if kill:
            super().send_stop(kill=True)
            return
        self.expected_exit = True
        if self.running:
            self._descendants = descendants(self.process.pid)
            self._stopping = True
        self._pending_kill = False
        self._log_marker("unmounting")
        self.unmount()

    def wait_stopped(self, timeout: float | None = None) -> int | None:
        """After unmounting, mfsmount -f exits by itself; SIGTERM/SIGKILL if it does not.
        After a kill the mount point is left "Transport endpoint is not connected": unmount."""
        if self.process is None:
            return None
        if self._stopping and not self._pending_kill and self.running:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._log_marker("still running 10 s after unmount; SIGTERM")
                os.kill(self.process.pid, signal.SIGTERM)
        rc = super().wait_stopped(timeout)
        self.unmount()
        return rc

    def start(self, wait: bool = True, extra_args: Sequence[str] = (),
              timeout: float | None = None) -> "Daemon":
        if is_mounted(self.mountpoint):  # left over from a kill
            self.unmount()
        return super().start(wait=wait, extra_args=extra_args, timeout=timeout)


def stop_all(daemons: Sequence[Daemon], kill: bool = False) -> None:
    """Stops several daemons in parallel (signals all, then waits for each)."""
    for d in daemons:
        d.send_stop(kill=kill)
    errors = []

    def waiter(d: Daemon) -> None:
        try:
            d.wait_stopped()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"{d.name}: {e!r}")

    threads = [threading.Thread(target=waiter, args=(d,)) for d in daemons]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise HarnessError("; ".join(errors))
