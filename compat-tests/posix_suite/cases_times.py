"""Which of atime, mtime and ctime each operation changes, on the object and on its parent.

Each case: `setup` makes the objects, the runner pauses (the clients' 1 s caches expire, so
that what is recorded is the master's), the times are recorded, a pause (into a later second:
times are whole seconds), `action` runs, a pause (caches expire again), and every watched name
must have exactly the listed fields ("a", "m", "c") moved forward, the others unchanged; new
objects must have times later than the setup's.  Times are compared with times, not with this
machine's clock: a master may read its clock once per loop and lag behind it by a second.
A file's times are watched through an extra hard link when the action renames or removes it.
"""

from __future__ import annotations

import ctypes
import os

from .framework import BOB, CaseFailure, Context, add_case

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
AT_FDCWD = -100


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_libc = ctypes.CDLL(None, use_errno=True)


def utimensat(path: str, atime_nsec: int, mtime_nsec: int) -> None:
    """utimensat(2) with UTIME_NOW / UTIME_OMIT, which os.utime cannot express."""
    times = (Timespec * 2)(Timespec(0, atime_nsec), Timespec(0, mtime_nsec))
    if _libc.utimensat(AT_FDCWD, path.encode(), times, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)


def times(ctx: Context, name: str) -> tuple[int, int, int]:
    st = ctx.lstat(name)
    return int(st.st_atime), int(st.st_mtime), int(st.st_ctime)


def write(path: str, data: bytes, mode: str = "wb") -> None:
    with open(path, mode) as f:
        f.write(data)


def _times_case(setup, action, changes: dict[str, str], created: tuple[str, ...] = ()):
    def run(ctx: Context):
        setup(ctx)
        yield
        before = {name: times(ctx, name) for name in changes}
        yield
        action(ctx)
        yield
        problems = []
        for name, fields in changes.items():
            after = times(ctx, name)
            for i, field in enumerate("amc"):
                if (after[i] > before[name][i]) != (field in fields) or after[i] < before[name][i]:
                    problems.append(f"{name} {field}time {before[name][i]} -> {after[i]}, "
                                    f"expected {'later' if field in fields else 'the same'}")
        setup_time = max(max(t) for t in before.values())
        for name in created:
            if min(times(ctx, name)) <= setup_time:
                problems.append(f"new {name} has times {times(ctx, name)}, not after the setup at {setup_time}")
        if problems:
            raise CaseFailure("; ".join(problems))
    return run


def nothing(ctx: Context) -> None:
    pass


def file_f(ctx: Context) -> None:
    write(ctx.p("f"), b"x" * 100)


def file_f_linked(ctx: Context) -> None:
    """f with a second name `keep`, through which f's times stay visible."""
    file_f(ctx)
    os.link(ctx.p("f"), ctx.p("keep"))


def directory_d(ctx: Context) -> None:
    os.mkdir(ctx.p("d"))


def two_directories(ctx: Context) -> None:
    os.mkdir(ctx.p("a"))
    os.mkdir(ctx.p("b"))
    write(ctx.p("a", "f"), b"x")
    os.link(ctx.p("a", "f"), ctx.p("keep"))


def read_f(ctx: Context) -> None:
    with open(ctx.p("f"), "rb") as f:
        f.read()


TIME_CASES = {
    "create": (nothing, lambda ctx: write(ctx.p("f"), b""), {".": "mc"}, ("f",)),
    "mkdir": (nothing, lambda ctx: os.mkdir(ctx.p("d")), {".": "mc"}, ("d",)),
    "mkdir_in_subdirectory": (directory_d, lambda ctx: os.mkdir(ctx.p("d", "sub")), {"d": "mc", ".": ""}, ()),
    "symlink": (nothing, lambda ctx: os.symlink("target", ctx.p("s")), {".": "mc"}, ("s",)),
    "mkfifo": (nothing, lambda ctx: os.mkfifo(ctx.p("p")), {".": "mc"}, ("p",)),
    "link": (file_f, lambda ctx: os.link(ctx.p("f"), ctx.p("g")), {".": "mc", "f": "c"}, ()),
    "unlink_one_of_two_links": (file_f_linked, lambda ctx: os.unlink(ctx.p("f")), {".": "mc", "keep": "c"}, ()),
    "rmdir": (directory_d, lambda ctx: os.rmdir(ctx.p("d")), {".": "mc"}, ()),
    "rename_in_directory": (file_f_linked, lambda ctx: os.rename(ctx.p("f"), ctx.p("g")), {".": "mc", "keep": "c"}, ()),
    "rename_across_directories": (two_directories, lambda ctx: os.rename(ctx.p("a", "f"), ctx.p("b", "f")),
                                  {"a": "mc", "b": "mc", "keep": "c", ".": ""}, ()),
    "rename_over_a_file": (lambda ctx: (file_f(ctx), write(ctx.p("victim"), b"v"),
                                        os.link(ctx.p("victim"), ctx.p("keep"))),
                           lambda ctx: os.rename(ctx.p("f"), ctx.p("victim")), {".": "mc", "keep": "c"}, ()),
    "truncate": (file_f, lambda ctx: os.truncate(ctx.p("f"), 10), {"f": "mc", ".": ""}, ()),
    "write": (file_f, lambda ctx: write(ctx.p("f"), b"more", "ab"), {"f": "mc", ".": ""}, ()),
    "read": (file_f, read_f, {"f": "a"}, ()),
    "readdir": (directory_d, lambda ctx: os.listdir(ctx.p("d")), {"d": "a"}, ()),
    "chmod": (file_f, lambda ctx: os.chmod(ctx.p("f"), 0o600), {"f": "c", ".": ""}, ()),
    "chown": (file_f, lambda ctx: os.chown(ctx.p("f"), BOB.uid, BOB.gid), {"f": "c", ".": ""}, ()),
    "utimensat_now_now": (file_f, lambda ctx: utimensat(ctx.p("f"), UTIME_NOW, UTIME_NOW), {"f": "amc"}, ()),
    "utimensat_omit_now": (file_f, lambda ctx: utimensat(ctx.p("f"), UTIME_OMIT, UTIME_NOW), {"f": "mc"}, ()),
    "utimensat_now_omit": (file_f, lambda ctx: utimensat(ctx.p("f"), UTIME_NOW, UTIME_OMIT), {"f": "ac"}, ()),
    "utimensat_omit_omit": (file_f, lambda ctx: utimensat(ctx.p("f"), UTIME_OMIT, UTIME_OMIT), {"f": ""}, ()),
}

for _name, (_setup, _action, _changes, _created) in TIME_CASES.items():
    add_case("times", f"times_{_name}", _times_case(_setup, _action, _changes, _created))


def _explicit_times(ctx: Context):
    file_f(ctx)
    yield
    ctime_before = times(ctx, "f")[2]
    yield
    os.utime(ctx.p("f"), (1000000000, 1200000000))
    yield
    a, m, c = times(ctx, "f")
    if (a, m) != (1000000000, 1200000000) or c <= ctime_before:
        raise CaseFailure(f"after utime(1000000000, 1200000000): a={a} m={m} c={c} (ctime before {ctime_before})")


add_case("times", "times_utime_explicit_values", _explicit_times)
