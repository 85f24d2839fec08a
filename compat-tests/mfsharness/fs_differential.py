"""Operations that have no local model, for comparing the real master with ours through
mounts of the same kind: owners, times set by utime, extended attributes, FIFOs, offsets in
later chunks, operations run as other users, and the real MooseFS tools (goals, trash time,
extra attributes, snapshots, quotas, appended chunks).  A DifferentialSide runs them on one
cluster; a test compares its results with another cluster's, not with the kernel's file
system.  Operations are tuples as in fs_model: ("chown", "a", 1000, -1), ("as", 1000,
(1000,), ("write", "a", 0, 10, 3)), ("tool", "mfssetgoal", "3", "@a")…"""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import stat
import subprocess

from mfsharness.fs_model import Side, remove
from mfsharness.tools import mount_path

CHUNK = 64 << 20
# utime sets times below this; anything later was set by the file system ("now"), which
# two clusters cannot agree on to the second. Atimes are left out: 3.0.117's mount showed
# one link of a file with the atime a utime had set and, a moment later, another link of
# the same inode with "now", without a read between (its own time reports race the utime).
SET_TIME_LIMIT = 10**9
# Parts of a file the final trees compare: its start, each chunk boundary, its end (reading
# whole files of three sparse chunks twice per example would dominate the test's time).
WINDOW = 256 << 10
# Mount options that make every stat and getxattr ask the master, for tests that compare
# programs rather than cache timing.
NO_CACHE = ["mfsattrcacheto=0", "mfsdirentrycacheto=0", "mfsxattrcacheto=0"]


def _time(seconds: float) -> object:
    return int(seconds) if seconds < SET_TIME_LIMIT else "recent"


def _attributes(s: os.stat_result) -> tuple:
    size = None if stat.S_ISDIR(s.st_mode) else s.st_size  # directory sizes are MooseFS's own
    device = s.st_rdev if stat.S_ISCHR(s.st_mode) or stat.S_ISBLK(s.st_mode) else None
    return stat.filemode(s.st_mode), s.st_nlink, size, s.st_uid, s.st_gid, _time(s.st_mtime), device


def _stat(path: str) -> tuple:
    return _attributes(os.lstat(path))


NODE_TYPES = {"chr": stat.S_IFCHR, "blk": stat.S_IFBLK, "sock": stat.S_IFSOCK}


def _mknod(path: str, kind: str, mode: int) -> None:
    os.mknod(path, NODE_TYPES[kind] | mode, os.makedev(1, 7))


def _sampled_md5(path: str, size: int) -> str:
    starts = {0, max(0, size - WINDOW)} | {max(0, b - WINDOW // 2) for b in range(CHUNK, size, CHUNK)}
    digest = hashlib.md5()
    fd = os.open(path, os.O_RDONLY)
    try:
        for start in sorted(starts):
            digest.update(os.pread(fd, WINDOW, start))
    finally:
        os.close(fd)
    return digest.hexdigest()


def _xattrs(path: str) -> dict:
    return {key: os.getxattr(path, key, follow_symlinks=False)
            for key in sorted(os.listxattr(path, follow_symlinks=False))}


def _acls(path: str) -> tuple:
    """The access and default ACLs as the kernel gets them (None: there is none)."""
    acls = []
    for key in ("system.posix_acl_access", "system.posix_acl_default"):
        try:
            acls.append(os.getxattr(path, key))
        except OSError as e:
            if e.errno != errno.ENODATA:
                raise
            acls.append(None)
    return tuple(acls)


def tree(root: str, identity: bool = False) -> dict:
    """relative path -> what two clusters must agree on after the same operations. With
    identity, also what one master must keep across a restart and two clusters cannot
    agree on: the inode number, mtime and ctime to the second."""
    seen = {}
    for directory, names, files in os.walk(root):
        for name in sorted(names + files):
            path = os.path.join(directory, name)
            attributes = os.lstat(path)
            item = list(_attributes(attributes))
            mode = attributes.st_mode
            if stat.S_ISREG(mode):
                item.append(_sampled_md5(path, item[2]))
            elif stat.S_ISLNK(mode):
                item.append(os.readlink(path))
            if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                item += [_xattrs(path), _acls(path)]
            if identity:
                item += [attributes.st_ino, int(attributes.st_mtime), int(attributes.st_ctime)]
            seen[os.path.relpath(path, root)] = tuple(item)
    return seen


class DifferentialSide(Side):
    """A folder of a cluster's mount; `run_in_ns` runs a program in the cluster's namespace
    (the tools reach the master through the mount's proxy only from there)."""

    open_flags = os.O_NONBLOCK  # an open of a FIFO would wait for its other end

    def __init__(self, root, run_in_ns):
        super().__init__(root)
        self.run_in_ns = run_in_ns

    def create(self) -> None:
        """The example's folder, open to the other users that operations run as."""
        self.root.mkdir(mode=0o777)
        os.chmod(self.root, 0o777)

    def remove(self) -> None:
        """The example's folder, after its quotas and extra attributes (immutable,
        undeletable…), which would keep it from being removed."""
        self.tool("mfsdelquota", "-a", "-A", "@.")
        self.tool("mfsdeleattr", "-r", "-f", "immutable", "-f", "appendonly", "-f", "undeletable", "@.")
        remove(self.root)

    def operations(self) -> dict:
        p = self.p
        return {
            **super().operations(),
            "stat": lambda name: _stat(p(name)),
            "mkfifo": lambda name, mode: os.mkfifo(p(name), mode),
            "mknod": lambda name, kind, mode: _mknod(p(name), kind, mode),
            "setfacl": lambda *args: self.command("setfacl", *args[:-1], p(args[-1])),
            "getfacl": lambda name: self.command("getfacl", "--omit-header", "--numeric", p(name)),
            "chown": lambda name, uid, gid: os.chown(p(name), uid, gid, follow_symlinks=False),
            "utime": lambda name, atime, mtime: os.utime(p(name), (atime, mtime), follow_symlinks=False),
            "setxattr": lambda name, key, value, flags: os.setxattr(p(name), key, value, flags,
                                                                    follow_symlinks=False),
            "getxattr": lambda name, key: os.getxattr(p(name), key, follow_symlinks=False),
            "listxattr": lambda name: sorted(os.listxattr(p(name), follow_symlinks=False)),
            "removexattr": lambda name, key: os.removexattr(p(name), key, follow_symlinks=False),
            "as": self.as_user,
            "tool": self.tool,
        }

    def as_user(self, uid: int, gids: tuple, operation) -> object:
        """Runs the operation in a child process with those credentials (the mount passes
        them to the master, which checks the permissions)."""
        if operation[0] == "tool":  # entering the namespace needs root: the tool drops it there
            groups = ",".join(map(str, gids))
            return self.tool("setpriv", f"--reuid={uid}", f"--regid={gids[0]}", f"--groups={groups}",
                             *operation[1:])
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the test
            try:
                os.close(read_end)
                os.setgroups(list(gids))
                os.setgid(gids[0])
                os.setuid(uid)
                data = pickle.dumps(self.apply(operation))
            except BaseException as e:  # noqa: BLE001 - reported to the parent as the result
                data = pickle.dumps(f"child failed: {e!r}")
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as result:
            data = result.read()
        os.waitpid(pid, 0)
        return pickle.loads(data)

    def tool(self, *argv: str) -> tuple:
        """A real MooseFS tool; "@path" is a path in this side's folder.  Its exit status and
        output, with the folder's path masked."""
        args = [mount_path(self.root, a) if a.startswith("@") else a for a in argv]
        return self.masked(self.run_in_ns(args, check=False, timeout=30))

    def command(self, *argv: str) -> tuple:
        """A program that needs no namespace (setfacl, getfacl): exit status and output."""
        return self.masked(subprocess.run(argv, capture_output=True, text=True, timeout=30))

    def masked(self, result: subprocess.CompletedProcess) -> tuple:
        """The result with this side's folder as "ROOT" and the mount's root as "MNT" (a
        symlink can lead a tool out of the folder)."""
        def mask(text: str) -> str:
            return text.replace(str(self.root), "ROOT").replace(str(self.root.parent), "MNT")
        return result.returncode, mask(result.stdout), mask(result.stderr)
