"""File system operations as data, run on a mount and on a local folder (the model: the
kernel's own file system), and the tree both must end with.  Used by the random tests
(test_mount_model.py, test_kill_model.py) and by fs_model_driver.py.

An operation is a tuple (or list): ("mkdir", "d", 0o755), ("write", "a", offset, size, seed)…
Side.apply returns its value, or the errno name it failed with."""

from __future__ import annotations

import errno
import hashlib
import os
import pathlib
import shutil
import stat

ERRNO_NAMES = set(errno.errorcode.values())


def _data(size: int, seed: int) -> bytes:
    return bytes((seed + i) % 251 for i in range(size))


def _write(path: str, offset: int, size: int, seed: int, flags: int) -> int:
    fd = os.open(path, os.O_WRONLY | flags)
    try:
        return os.pwrite(fd, _data(size, seed), offset)
    finally:
        os.close(fd)


def _append(path: str, size: int, seed: int, flags: int) -> tuple[int, int]:
    """Bytes written and the offset after them."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | flags)
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


def _read(path: str, offset: int, size: int, flags: int) -> str:
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        return _digest(os.pread(fd, size, offset))
    finally:
        os.close(fd)


class Side:
    """One file system the operations run on: a folder, and at most one file held open across
    operations (written and read through that descriptor: what a client buffers)."""

    open_flags = 0  # added to every open (O_NONBLOCK where FIFOs would block it)

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.held: int | None = None

    def p(self, name: str) -> str:
        return os.path.join(self.root, name)

    def hold(self, name: str) -> None:
        self.release()
        self.held = os.open(self.p(name), os.O_RDWR | self.open_flags)

    def release(self) -> None:
        if self.held is not None:
            fd, self.held = self.held, None
            os.close(fd)

    def held_fd(self) -> int:
        if self.held is None:
            raise OSError(errno.EBADF, "nothing held")
        return self.held

    def operations(self) -> dict:
        """Operation name -> the function that runs it (subclasses add their own)."""
        p, flags = self.p, self.open_flags
        return {
            "create": lambda name, mode: os.close(os.open(p(name), os.O_CREAT | os.O_WRONLY | flags, mode)),
            "write": lambda name, offset, size, seed: _write(p(name), offset, size, seed, flags),
            "truncate": lambda name, size: os.truncate(p(name), size),
            "open_truncate": lambda name: _open_close(p(name), os.O_WRONLY | os.O_TRUNC | flags),
            "create_exclusive": lambda name: _open_close(p(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | flags),
            "append": lambda name, size, seed: _append(p(name), size, seed, flags),
            "stat": lambda name: _stat(p(name)),
            "listdir": lambda name: sorted(os.listdir(p(name))),
            "readlink": lambda name: os.readlink(p(name)),
            "read": lambda name, offset, size: _read(p(name), offset, size, flags),
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

    def apply(self, operation) -> object:
        """Runs one operation: its value, or the errno name it failed with."""
        kind, *args = operation
        try:
            value = self.operations()[kind](*args)
        except OSError as e:
            return errno.errorcode.get(e.errno, e.errno)
        return "ok" if value is None else value


def tree(root: pathlib.Path) -> dict:
    """relative path -> what the tests compare (directory sizes are MooseFS's own encoding)."""
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
