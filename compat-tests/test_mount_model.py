"""Model-based random test of our mfsmount: hypothesis draws sequences of file system
operations, which run both in a folder of our mount and in a local temporary folder (the
model: the kernel's own file system).  Each operation's result (value or errno) and the
final trees (names, types, sizes, modes, link counts, content md5) must be the same, and the
tree seen through a real mount of the same master too (what ours left on the servers).
MFSNG_MODEL_EXAMPLES=N runs more examples (default 200, about 20 s per server set).
"""

from __future__ import annotations

import collections
import errno
import hashlib
import os
import pathlib
import shutil
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# A small namespace, so that operations meet each other: files, directories, nesting.
PATHS = ["a", "b", "d", "e", "d/a", "d/b", "d/e", "d/e/a", "e/a"]
MODES = [0o644, 0o755, 0o600, 0o000, 0o777, 0o4755, 0o2750, 0o1777]
ERRNO_NAMES = set(errno.errorcode.values())
MAX_OFFSET = 200000  # crosses 64 KiB blocks, stays in one chunk (keeps examples fast)
# Every example starts from this tree, so that early operations find something to act on.
START = [("create", "a", 0o644), ("write", "a", 0, 70000, 1), ("mkdir", "d", 0o755), ("create", "d/a", 0o600),
         ("mkdir", "e", 0o755)]

paths = st.sampled_from(PATHS)
operations = st.one_of(
    st.tuples(st.just("create"), paths, st.sampled_from(MODES)),
    st.tuples(st.just("write"), paths, st.integers(0, MAX_OFFSET), st.integers(0, 70000), st.integers(0, 255)),
    st.tuples(st.just("truncate"), paths, st.integers(0, MAX_OFFSET)),
    st.tuples(st.just("open_truncate"), paths),
    st.tuples(st.just("create_exclusive"), paths),
    st.tuples(st.just("append"), paths, st.integers(0, 70000), st.integers(0, 255)),
    st.tuples(st.just("stat"), paths),
    st.tuples(st.just("listdir"), paths),
    st.tuples(st.just("readlink"), paths),
    st.tuples(st.just("read"), paths, st.integers(0, MAX_OFFSET), st.integers(0, 100000)),
    st.tuples(st.just("mkdir"), paths, st.sampled_from(MODES)),
    st.tuples(st.just("rename"), paths, paths),
    st.tuples(st.just("unlink"), paths),
    st.tuples(st.just("rmdir"), paths),
    st.tuples(st.just("link"), paths, paths),
    st.tuples(st.just("symlink"), st.sampled_from(PATHS + ["../a", "missing"]), paths),
    st.tuples(st.just("chmod"), paths, st.sampled_from(MODES)),
    st.tuples(st.just("hold"), paths),
    st.tuples(st.just("held_write"), st.integers(0, MAX_OFFSET), st.integers(0, 70000), st.integers(0, 255)),
    st.tuples(st.just("held_read"), st.integers(0, MAX_OFFSET), st.integers(0, 100000)),
    st.tuples(st.just("held_truncate"), st.integers(0, MAX_OFFSET)),
    st.tuples(st.just("held_size")),
    st.tuples(st.just("release")),
)


def _data(size: int, seed: int) -> bytes:
    return bytes((seed + i) % 251 for i in range(size))


def _write(path: str, offset: int, size: int, seed: int) -> int:
    fd = os.open(path, os.O_WRONLY)
    try:
        return os.pwrite(fd, _data(size, seed), offset)
    finally:
        os.close(fd)


def _append(path: str, size: int, seed: int) -> tuple[int, int]:
    """Bytes written and the offset after them."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        return os.write(fd, _data(size, seed)), os.lseek(fd, 0, os.SEEK_CUR)
    finally:
        os.close(fd)


def _open_close(path: str, flags: int) -> None:
    os.close(os.open(path, flags, 0o644))


def _stat(path: str) -> tuple:
    s = os.stat(path)
    return stat.filemode(s.st_mode), s.st_nlink, s.st_size if not stat.S_ISDIR(s.st_mode) else None


def _digest(data: bytes) -> str:
    return f"{len(data)} bytes, md5 {hashlib.md5(data).hexdigest()}"


def _read(path: str, offset: int, size: int) -> str:
    fd = os.open(path, os.O_RDONLY)
    try:
        return _digest(os.pread(fd, size, offset))
    finally:
        os.close(fd)


class Side:
    """One file system the operations run on: a folder, and at most one file held open across
    operations (written and read through that descriptor: what a client buffers)."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.held: int | None = None

    def p(self, name: str) -> str:
        return os.path.join(self.root, name)

    def hold(self, name: str) -> None:
        self.release()
        self.held = os.open(self.p(name), os.O_RDWR)

    def release(self) -> None:
        if self.held is not None:
            fd, self.held = self.held, None
            os.close(fd)

    def held_fd(self) -> int:
        if self.held is None:
            raise OSError(errno.EBADF, "nothing held")
        return self.held

    def apply(self, operation: tuple) -> object:
        """Runs one operation: its value, or the errno name it failed with."""
        kind, *args = operation
        p = self.p
        calls = {
            "create": lambda name, mode: os.close(os.open(p(name), os.O_CREAT | os.O_WRONLY, mode)),
            "write": lambda name, offset, size, seed: _write(p(name), offset, size, seed),
            "truncate": lambda name, size: os.truncate(p(name), size),
            "open_truncate": lambda name: _open_close(p(name), os.O_WRONLY | os.O_TRUNC),
            "create_exclusive": lambda name: _open_close(p(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL),
            "append": lambda name, size, seed: _append(p(name), size, seed),
            "stat": lambda name: _stat(p(name)),
            "listdir": lambda name: sorted(os.listdir(p(name))),
            "readlink": lambda name: os.readlink(p(name)),
            "read": lambda name, offset, size: _read(p(name), offset, size),
            "mkdir": lambda name, mode: os.mkdir(p(name), mode),
            "rename": lambda src, dst: os.rename(p(src), p(dst)),
            "unlink": lambda name: os.unlink(p(name)),
            "rmdir": lambda name: os.rmdir(p(name)),
            "link": lambda src, dst: os.link(p(src), p(dst), follow_symlinks=False),
            "symlink": lambda target, name: os.symlink(target, p(name)),
            "chmod": lambda name, mode: os.chmod(p(name), mode),
            "hold": self.hold,
            "held_write": lambda offset, size, seed: os.pwrite(self.held_fd(), _data(size, seed), offset),
            "held_read": lambda offset, size: _digest(os.pread(self.held_fd(), size, offset)),
            "held_truncate": lambda size: os.ftruncate(self.held_fd(), size),
            "held_size": lambda: os.fstat(self.held_fd()).st_size,
            "release": self.release,
        }
        try:
            value = calls[kind](*args)
        except OSError as e:
            return errno.errorcode.get(e.errno, e.errno)
        return "ok" if value is None else value


def tree(root: pathlib.Path) -> dict:
    """relative path -> what the test compares (directory sizes are MooseFS's own encoding)."""
    seen = {}
    for directory, names, files in os.walk(root):
        for name in names + files:
            path = os.path.join(directory, name)
            s = os.lstat(path)
            item = [stat.filemode(s.st_mode), s.st_nlink]
            if stat.S_ISREG(s.st_mode):
                with open(path, "rb") as f:
                    item += [s.st_size, hashlib.md5(f.read()).hexdigest()]
            elif stat.S_ISLNK(s.st_mode):
                item += [s.st_size, os.readlink(path)]
            seen[os.path.relpath(path, root)] = tuple(item)
    return seen


def remove(root: pathlib.Path) -> None:
    for directory, names, _ in os.walk(root):  # 000 directories: rmtree lists them (as root: fine)
        for name in names:
            if not os.path.islink(os.path.join(directory, name)):
                os.chmod(os.path.join(directory, name), 0o755)
    shutil.rmtree(root)


@pytest.mark.parametrize("servers", ["real", "ours"])  # master and chunkservers
def test_random_operations_as_a_local_file_system(cluster_factory, servers, tmp_path):
    cluster = cluster_factory(master=servers, chunkservers=[servers, servers], mount="ours")
    real_view = cluster.mount("real")
    examples = []
    outcomes = collections.Counter()

    @settings(max_examples=int(os.environ.get("MFSNG_MODEL_EXAMPLES", 200)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(operations, min_size=5, max_size=40))
    def run(sequence):
        # A new folder each time: nothing the real mount cached about an earlier example applies.
        name = f"example{len(examples)}"
        examples.append(len(sequence))
        ours, local = Side(cluster.mountpoint / name), Side(tmp_path / name)
        ours.root.mkdir()
        local.root.mkdir()
        try:
            for step, operation in enumerate(START + sequence):
                got, expected = ours.apply(operation), local.apply(operation)
                assert got == expected, f"step {step} {operation}: ours {got!r}, local file system {expected!r}"
                outcomes[got if isinstance(got, str) and got in ERRNO_NAMES else "ok"] += 1
        finally:
            ours.release()
            local.release()
        expected = tree(local.root)
        assert tree(ours.root) == expected, f"trees differ after {sequence}"
        assert tree(real_view / name) == expected, f"the real mount sees another tree after {sequence}"
        remove(ours.root)
        remove(local.root)

    run()
    print(f"{len(examples)} examples, {sum(examples)} random operations; outcomes {dict(outcomes)}")
