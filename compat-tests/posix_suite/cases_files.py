"""Open flags, sizes and holes, times set by other users, modes of new nodes, symlink owners,
extended attributes: what a program meets beyond plain read/write."""

from __future__ import annotations

import os
import stat

from .framework import ALICE, BOB, Context, case, expect, outcome

GIB = 1 << 30


def write(path: str, data: bytes, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    fd = os.open(path, flags, 0o644)
    try:
        return os.write(fd, data)
    finally:
        os.close(fd)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


@case("open")
def open_flags_create_exclusive_truncate_append(ctx: Context):
    expect(outcome(lambda: write(ctx.p("f"), b"hello", os.O_WRONLY | os.O_CREAT | os.O_EXCL)), 5, "O_CREAT|O_EXCL new")
    expect(outcome(lambda: write(ctx.p("f"), b"x", os.O_WRONLY | os.O_CREAT | os.O_EXCL)), "EEXIST", "O_EXCL again")
    write(ctx.p("f"), b"12", os.O_WRONLY | os.O_APPEND)
    expect(read(ctx.p("f")), b"hello12", "O_APPEND writes at the end")
    write(ctx.p("f"), b"ab", os.O_WRONLY)
    expect(read(ctx.p("f")), b"abllo12", "plain write at offset 0")
    write(ctx.p("f"), b"Z", os.O_WRONLY | os.O_TRUNC)
    expect(read(ctx.p("f")), b"Z", "O_TRUNC")
    os.symlink("target", ctx.p("dangling"))
    expect(outcome(lambda: write(ctx.p("dangling"), b"x", os.O_WRONLY | os.O_CREAT | os.O_EXCL)), "EEXIST",
           "O_EXCL on a dangling symlink")
    expect(outcome(lambda: write(ctx.p("dangling"), b"via", os.O_WRONLY | os.O_CREAT)), 3,
           "O_CREAT through a dangling symlink creates the target")
    expect(read(ctx.p("target")), b"via", "target made through the symlink")
    os.mkdir(ctx.p("d"))
    expect(outcome(lambda: os.open(ctx.p("d"), os.O_WRONLY | os.O_CREAT)), "EISDIR", "O_CREAT on a directory")


@case("open")
def truncate_needs_write_permission(ctx: Context):
    write(ctx.p("f"), b"content")
    os.chown(ctx.p("f"), ALICE.uid, ALICE.gid)
    os.chmod(ctx.p("f"), 0o644)
    yield
    expect(ctx.as_user(BOB, lambda: os.truncate("f", 0)), "EACCES", "truncate by a reader")
    expect(ctx.as_user(BOB, lambda: os.open("f", os.O_RDONLY | os.O_TRUNC)), "EACCES", "O_TRUNC by a reader")
    expect(ctx.as_user(ALICE, lambda: os.truncate("f", 3)), "ok", "truncate by the owner")
    expect(read(ctx.p("f")), b"con", "content after the truncate")


@case("sizes")
def holes_read_as_zeros_and_sizes_grow(ctx: Context):
    fd = os.open(ctx.p("f"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, b"end", 5 << 20)
        expect(os.fstat(fd).st_size, (5 << 20) + 3, "size after writing beyond the end")
        expect(os.pread(fd, 10, 1 << 20), bytes(10), "the hole reads as zeros")
    finally:
        os.close(fd)
    write(ctx.p("big"), b"")
    os.truncate(ctx.p("big"), 5 * GIB + 7)
    expect(ctx.lstat("big").st_size, 5 * GIB + 7, "size after truncating up to 5 GiB")
    with open(ctx.p("big"), "rb") as f:
        f.seek(4 * GIB + 100)
        expect(f.read(4), bytes(4), "read in the middle of a big hole")
        f.seek(5 * GIB + 5)
        expect(f.read(10), bytes(2), "read across the end")
    os.truncate(ctx.p("big"), 1)
    expect(ctx.lstat("big").st_size, 1, "size after shrinking")


@case("times")
def set_times_by_others(ctx: Context):
    write(ctx.p("writable"), b"x")
    write(ctx.p("readonly"), b"x")
    for name, mode in (("writable", 0o666), ("readonly", 0o644)):
        os.chown(ctx.p(name), ALICE.uid, ALICE.gid)
        os.chmod(ctx.p(name), mode)
    yield
    expect(ctx.as_user(BOB, lambda: os.utime("writable")), "ok", "utime(now) by a writer")
    expect(ctx.as_user(BOB, lambda: os.utime("readonly")), "EACCES", "utime(now) by a reader")
    expect(ctx.as_user(BOB, lambda: os.utime("writable", (1, 2))), "EPERM", "explicit times by a writer")
    expect(ctx.as_user(ALICE, lambda: os.utime("readonly", (1, 2))), "ok", "explicit times by the owner")
    expect((int(ctx.lstat("readonly").st_atime), int(ctx.lstat("readonly").st_mtime)), (1, 2), "times set")


@case("modes")
def special_bits_of_new_nodes(ctx: Context):
    old = os.umask(0)
    try:
        os.mkdir(ctx.p("d"), 0o3777)
        fd = os.open(ctx.p("f"), os.O_WRONLY | os.O_CREAT, 0o7777)
        os.close(fd)
        os.mkfifo(ctx.p("p"), 0o1666)
    finally:
        os.umask(old)
    expect(oct(stat.S_IMODE(ctx.lstat("d").st_mode)), "0o1777", "mkdir 3777 (set-group-id comes from the parent only)")
    expect(oct(stat.S_IMODE(ctx.lstat("f").st_mode)), "0o7777", "create 7777 as root")
    expect(stat.S_ISFIFO(ctx.lstat("p").st_mode), True, "mkfifo makes a fifo")
    expect(oct(stat.S_IMODE(ctx.lstat("p").st_mode)), "0o1666", "mkfifo 1666")


@case("modes")
def chmod_follows_symlinks_and_lchown_does_not(ctx: Context):
    write(ctx.p("f"), b"x")
    os.chmod(ctx.p("f"), 0o644)
    os.symlink("f", ctx.p("s"))
    os.chmod(ctx.p("s"), 0o600)
    expect(oct(stat.S_IMODE(ctx.lstat("f").st_mode)), "0o600", "chmod through a symlink changes the target")
    expect(oct(stat.S_IMODE(ctx.lstat("s").st_mode)), "0o777", "the symlink's own mode")
    os.lchown(ctx.p("s"), BOB.uid, BOB.gid)
    expect((ctx.lstat("s").st_uid, ctx.lstat("f").st_uid), (BOB.uid, 0), "lchown changes the link only")
    os.chown(ctx.p("s"), ALICE.uid, ALICE.gid)
    expect((ctx.lstat("s").st_uid, ctx.lstat("f").st_uid), (BOB.uid, ALICE.uid), "chown follows the link")


@case("sticky")
def sticky_directory_protects_subdirectories(ctx: Context):
    os.mkdir(ctx.p("s"))
    os.chmod(ctx.p("s"), 0o1777)
    expect(ctx.as_user(ALICE, lambda: os.mkdir("s/sub")), "ok", "alice makes a subdirectory")
    yield
    expect(ctx.as_user(BOB, lambda: os.rmdir("s/sub")), "EPERM", "rmdir of another user's directory")
    expect(ctx.as_user(ALICE, lambda: os.rmdir("s/sub")), "ok", "rmdir by its owner")


@case("rename")
def moving_a_directory_needs_write_on_it(ctx: Context):
    for name in ("from", "to"):
        os.mkdir(ctx.p(name))
        os.chmod(ctx.p(name), 0o777)
    os.mkdir(ctx.p("from", "locked"))
    os.chown(ctx.p("from", "locked"), ALICE.uid, ALICE.gid)
    os.chmod(ctx.p("from", "locked"), 0o555)
    yield
    expect(ctx.as_user(BOB, lambda: os.rename("from/locked", "from/renamed")), "ok",
           "rename within the same parent (its '..' stays)")
    expect(ctx.as_user(BOB, lambda: os.rename("from/renamed", "to/moved")), "EACCES",
           "move to another parent without write on the directory ('..' changes)")


@case("xattr")
def user_extended_attributes(ctx: Context):
    write(ctx.p("f"), b"x")
    os.setxattr(ctx.p("f"), "user.a", b"1")
    expect(os.getxattr(ctx.p("f"), "user.a"), b"1", "get")
    expect(outcome(lambda: os.setxattr(ctx.p("f"), "user.a", b"2", os.XATTR_CREATE)), "EEXIST", "XATTR_CREATE existing")
    expect(outcome(lambda: os.setxattr(ctx.p("f"), "user.b", b"2", os.XATTR_REPLACE)), "ENODATA", "XATTR_REPLACE missing")
    expect(outcome(lambda: os.getxattr(ctx.p("f"), "user.missing")), "ENODATA", "get missing")
    expect(outcome(lambda: os.removexattr(ctx.p("f"), "user.missing")), "ENODATA", "remove missing")
    os.setxattr(ctx.p("f"), "user.big", bytes(range(256)) * 8)
    expect(os.getxattr(ctx.p("f"), "user.big"), bytes(range(256)) * 8, "2 KiB value")
    expect(sorted(os.listxattr(ctx.p("f"))), ["user.a", "user.big"], "list")
    os.chown(ctx.p("f"), ALICE.uid, ALICE.gid)
    os.chmod(ctx.p("f"), 0o644)
    yield
    expect(ctx.as_user(BOB, lambda: os.getxattr("f", "user.a")), b"1", "get by a reader")
    expect(ctx.as_user(BOB, lambda: os.setxattr("f", "user.c", b"3")), "EACCES", "set by a reader")
    expect(ctx.as_user(ALICE, lambda: os.setxattr("f", "user.c", b"3")), "ok", "set by the owner")


@case("dirs")
def listing_shows_each_entry_once_with_its_inode(ctx: Context):
    names = [f"e{i:03d}" for i in range(300)]
    for name in names:
        write(ctx.p(name), b"")
    os.mkdir(ctx.p("sub"))
    with os.scandir(ctx.dir) as entries:
        seen = {e.name: (e.inode(), e.is_dir(follow_symlinks=False)) for e in entries}
    expect(sorted(seen), sorted(names + ["sub"]), "names listed")
    expect(all(seen[n][0] == ctx.lstat(n).st_ino for n in ("e000", "e299", "sub")), True, "inodes of entries")
    expect(seen["sub"][1], True, "type of the subdirectory")
    expect(os.statvfs(ctx.dir).f_namemax, 255, "f_namemax")


@case("sizes")
def shrink_then_grow_reads_zeros(ctx: Context):
    write(ctx.p("f"), b"x" * 100000)
    os.truncate(ctx.p("f"), 10)
    os.truncate(ctx.p("f"), 100000)
    expect(read(ctx.p("f")), b"x" * 10 + bytes(99990), "content after shrinking and growing")
    fd = os.open(ctx.p("f"), os.O_RDWR)
    try:
        os.ftruncate(fd, 5)
        os.pwrite(fd, b"y", 70000)
        expect(os.pread(fd, 70001, 0), b"x" * 5 + bytes(69995) + b"y", "content after ftruncate and a write beyond")
    finally:
        os.close(fd)


@case("sizes")
def write_across_a_chunk_boundary(ctx: Context):
    chunk = 64 << 20
    fd = os.open(ctx.p("f"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        expect(os.pwrite(fd, b"ABCDEFGH", chunk - 4), 8, "one write over two chunks")
    finally:
        os.close(fd)
    with open(ctx.p("f"), "rb") as f:
        f.seek(chunk - 6)
        expect(f.read(20), b"\0\0ABCDEFGH", "read over the boundary")
    expect(ctx.lstat("f").st_size, chunk + 4, "size")


@case("open")
def open_file_outlives_its_name(ctx: Context):
    fd = os.open(ctx.p("f"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"before")
        os.unlink(ctx.p("f"))
        os.write(fd, b"+after")
        os.fsync(fd)
        expect(os.pread(fd, 100, 0), b"before+after", "data of the unlinked open file")
        expect((os.fstat(fd).st_nlink, os.fstat(fd).st_size), (0, 12), "link count and size")
        expect(os.listdir(ctx.dir), [], "no name left")
    finally:
        os.close(fd)


@case("open")
def data_is_shared_by_hard_links_and_renames(ctx: Context):
    write(ctx.p("a"), b"first")
    os.link(ctx.p("a"), ctx.p("b"))
    fd = os.open(ctx.p("a"), os.O_RDWR)
    try:
        os.rename(ctx.p("a"), ctx.p("c"))
        os.pwrite(fd, b"F", 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    expect((read(ctx.p("b")), read(ctx.p("c"))), (b"First", b"First"), "content through both names")


@case("open")
def mmap_writes_reach_the_file(ctx: Context):
    import mmap
    write(ctx.p("f"), bytes(8192))
    fd = os.open(ctx.p("f"), os.O_RDWR)
    try:
        with mmap.mmap(fd, 8192) as m:
            m[100:105] = b"mmap!"
            m.flush()
    finally:
        os.close(fd)
    data = read(ctx.p("f"))
    expect((len(data), data[100:105]), (8192, b"mmap!"), "content written through a shared mapping")


@case("open")
def fallocate_and_copy_file_range(ctx: Context):
    fd = os.open(ctx.p("f"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        expect(outcome(lambda: os.posix_fallocate(fd, 0, 100000)), "ok", "posix_fallocate")
        expect(os.fstat(fd).st_size, 100000, "size after posix_fallocate")
        os.pwrite(fd, b"source", 0)
    finally:
        os.close(fd)
    src = os.open(ctx.p("f"), os.O_RDONLY)
    dst = os.open(ctx.p("g"), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        expect(os.copy_file_range(src, dst, 6), 6, "copy_file_range")
    finally:
        os.close(src)
        os.close(dst)
    expect(read(ctx.p("g")), b"source", "copied content")
