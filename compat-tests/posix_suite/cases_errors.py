"""Name length limits and the errno of each kind of failure."""

from __future__ import annotations

import os

from .framework import Context, case, expect, outcome

LONGEST = "n" * 255
TOO_LONG = "n" * 256


def touch(path: str) -> None:
    open(path, "wb").close()


@case("names")
def name_of_255_bytes_works_everywhere(ctx: Context):
    expect(outcome(lambda: touch(ctx.p(LONGEST))), "ok", "create")
    expect(outcome(lambda: os.link(ctx.p(LONGEST), ctx.p("l" * 255))), "ok", "link")
    expect(outcome(lambda: os.rename(ctx.p("l" * 255), ctx.p("r" * 255))), "ok", "rename")
    expect(outcome(lambda: os.mkdir(ctx.p("d" * 255))), "ok", "mkdir")
    expect(outcome(lambda: os.symlink("x", ctx.p("s" * 255))), "ok", "symlink")
    expect(sorted(len(n) for n in os.listdir(ctx.dir)), [255] * 4, "listing")
    expect(outcome(lambda: os.unlink(ctx.p(LONGEST))), "ok", "unlink")


@case("names")
def name_of_256_bytes_is_too_long(ctx: Context):
    touch(ctx.p("f"))
    os.mkdir(ctx.p("d"))
    expect(outcome(lambda: touch(ctx.p(TOO_LONG))), "ENAMETOOLONG", "create")
    expect(outcome(lambda: os.mkdir(ctx.p(TOO_LONG))), "ENAMETOOLONG", "mkdir")
    expect(outcome(lambda: os.symlink("x", ctx.p(TOO_LONG))), "ENAMETOOLONG", "symlink")
    expect(outcome(lambda: os.link(ctx.p("f"), ctx.p(TOO_LONG))), "ENAMETOOLONG", "link")
    expect(outcome(lambda: os.rename(ctx.p("f"), ctx.p(TOO_LONG))), "ENAMETOOLONG", "rename")
    expect(outcome(lambda: os.stat(ctx.p(TOO_LONG))), "ENAMETOOLONG", "stat")
    expect(outcome(lambda: os.unlink(ctx.p(TOO_LONG))), "ENAMETOOLONG", "unlink")
    expect(outcome(lambda: os.rmdir(ctx.p(TOO_LONG))), "ENAMETOOLONG", "rmdir")
    expect(sorted(os.listdir(ctx.dir)), ["d", "f"], "nothing was made")


@case("names")
def long_symlink_target(ctx: Context):
    target = "/".join(["t" * 200] * 20)  # 4019 bytes
    expect(outcome(lambda: os.symlink(target, ctx.p("s"))), "ok", "symlink")
    expect(os.readlink(ctx.p("s")), target, "readlink")
    expect(ctx.lstat("s").st_size, len(target), "size of the symlink")


@case("errors")
def missing_entries_are_enoent(ctx: Context):
    expect(outcome(lambda: os.stat(ctx.p("missing"))), "ENOENT", "stat")
    expect(outcome(lambda: os.open(ctx.p("missing"), os.O_RDONLY)), "ENOENT", "open")
    expect(outcome(lambda: os.unlink(ctx.p("missing"))), "ENOENT", "unlink")
    expect(outcome(lambda: os.rmdir(ctx.p("missing"))), "ENOENT", "rmdir")
    expect(outcome(lambda: os.mkdir(ctx.p("missing", "d"))), "ENOENT", "mkdir under a missing directory")
    expect(outcome(lambda: os.link(ctx.p("missing"), ctx.p("l"))), "ENOENT", "link of a missing file")
    expect(outcome(lambda: os.chmod(ctx.p("missing"), 0o644)), "ENOENT", "chmod")
    expect(outcome(lambda: os.truncate(ctx.p("missing"), 0)), "ENOENT", "truncate")
    os.symlink("missing", ctx.p("dangling"))
    expect(outcome(lambda: os.stat(ctx.p("dangling"))), "ENOENT", "stat through a dangling symlink")


@case("errors")
def file_as_a_directory_is_enotdir(ctx: Context):
    touch(ctx.p("f"))
    expect(outcome(lambda: os.stat(ctx.p("f", "x"))), "ENOTDIR", "stat under a file")
    expect(outcome(lambda: touch(ctx.p("f", "x"))), "ENOTDIR", "create under a file")
    expect(outcome(lambda: os.mkdir(ctx.p("f", "x"))), "ENOTDIR", "mkdir under a file")
    expect(outcome(lambda: os.rmdir(ctx.p("f"))), "ENOTDIR", "rmdir of a file")
    expect(outcome(lambda: os.listdir(ctx.p("f"))), "ENOTDIR", "listing of a file")
    expect(outcome(lambda: os.open(ctx.p("f"), os.O_RDONLY | os.O_DIRECTORY)), "ENOTDIR", "O_DIRECTORY on a file")


@case("errors")
def existing_names_are_eexist(ctx: Context):
    touch(ctx.p("f"))
    os.mkdir(ctx.p("d"))
    expect(outcome(lambda: os.mkdir(ctx.p("d"))), "EEXIST", "mkdir over a directory")
    expect(outcome(lambda: os.mkdir(ctx.p("f"))), "EEXIST", "mkdir over a file")
    expect(outcome(lambda: os.open(ctx.p("f"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)), "EEXIST", "O_EXCL create")
    expect(outcome(lambda: os.link(ctx.p("f"), ctx.p("d"))), "EEXIST", "link over a name")
    expect(outcome(lambda: os.symlink("x", ctx.p("f"))), "EEXIST", "symlink over a name")
    expect(outcome(lambda: os.mkfifo(ctx.p("f"))), "EEXIST", "mkfifo over a name")
    expect(outcome(lambda: os.mkdir(ctx.p("d", "."))), "EEXIST", "mkdir of d/.")


@case("errors")
def directories_refuse_file_operations(ctx: Context):
    os.makedirs(ctx.p("d", "sub"))
    expect(outcome(lambda: os.unlink(ctx.p("d"))), "EISDIR", "unlink of a directory")
    expect(outcome(lambda: os.open(ctx.p("d"), os.O_WRONLY)), "EISDIR", "open a directory for writing")
    expect(outcome(lambda: os.truncate(ctx.p("d"), 0)), "EISDIR", "truncate of a directory")
    expect(outcome(lambda: os.rmdir(ctx.p("d"))), "ENOTEMPTY", "rmdir of a non-empty directory")
    expect(outcome(lambda: os.link(ctx.p("d"), ctx.p("l"))), "EPERM", "hard link of a directory")
    expect(outcome(lambda: os.rmdir(ctx.p("d", "."))), "EINVAL", "rmdir of d/.")
    expect(outcome(lambda: os.rmdir(ctx.p("d", "sub", ".."))), "ENOTEMPTY", "rmdir of d/sub/..")


@case("errors")
def symlink_loops_are_eloop(ctx: Context):
    os.symlink("b", ctx.p("a"))
    os.symlink("a", ctx.p("b"))
    os.symlink("self", ctx.p("self"))
    expect(outcome(lambda: os.stat(ctx.p("a"))), "ELOOP", "stat through a loop")
    expect(outcome(lambda: open(ctx.p("self"), "rb")), "ELOOP", "open a self-pointing link")
    expect(outcome(lambda: os.mkdir(ctx.p("a", "x"))), "ELOOP", "mkdir under a loop")
    expect(outcome(lambda: os.open(ctx.p("b"), os.O_RDONLY | os.O_NOFOLLOW)), "ELOOP", "O_NOFOLLOW on a symlink")
    expect(outcome(lambda: os.lstat(ctx.p("a")) and None), "ok", "lstat of a link in a loop")


@case("errors")
def invalid_arguments_are_einval(ctx: Context):
    touch(ctx.p("f"))
    expect(outcome(lambda: os.readlink(ctx.p("f"))), "EINVAL", "readlink of a file")
    expect(outcome(lambda: os.truncate(ctx.p("f"), -1)), "EINVAL", "truncate to a negative length")


@case("errors")
def chain_of_symlinks_is_followed(ctx: Context):
    os.mkdir(ctx.p("d"))
    with open(ctx.p("d", "f"), "wb") as f:
        f.write(b"end")
    os.symlink("d", ctx.p("l1"))
    os.symlink("l1/f", ctx.p("l2"))
    os.symlink(ctx.p("l2"), ctx.p("l3"))
    expect(open(ctx.p("l3"), "rb").read(), b"end", "content through three links")
    expect(os.path.realpath(ctx.p("l3")), ctx.p("d", "f"), "realpath")
