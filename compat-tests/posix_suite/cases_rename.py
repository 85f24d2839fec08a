"""rename(2) corner cases: what may replace what, loops, links of one node, "." and ".."."""

from __future__ import annotations

import os

from .framework import Context, case, expect, outcome


def tree(ctx: Context) -> dict:
    """name -> ("d", sorted entries) or ("f", content) of the case directory's first level."""
    seen = {}
    for name in sorted(os.listdir(ctx.dir)):
        path = ctx.p(name)
        if os.path.isdir(path) and not os.path.islink(path):
            seen[name] = ("d", sorted(os.listdir(path)))
        else:
            with open(path, "rb") as f:
                seen[name] = ("f", f.read())
    return seen


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


@case("rename")
def rename_file_over_file(ctx: Context):
    write(ctx.p("a"), b"A")
    write(ctx.p("b"), b"B")
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("b"))), "ok", "rename")
    expect(tree(ctx), {"b": ("f", b"A")}, "tree")


@case("rename")
def rename_directory_over_empty_directory(ctx: Context):
    os.makedirs(ctx.p("a", "inside"))
    os.mkdir(ctx.p("b"))
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("b"))), "ok", "rename")
    expect(tree(ctx), {"b": ("d", ["inside"])}, "tree")


@case("rename")
def rename_directory_over_non_empty_directory(ctx: Context):
    os.mkdir(ctx.p("a"))
    os.makedirs(ctx.p("b", "inside"))
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("b"))), "ENOTEMPTY", "rename")
    expect(tree(ctx), {"a": ("d", []), "b": ("d", ["inside"])}, "tree")


@case("rename")
def rename_directory_into_its_own_subdirectory(ctx: Context):
    os.makedirs(ctx.p("a", "b"))
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("a", "b", "c"))), "EINVAL", "into a subdirectory")
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("a", "c"))), "EINVAL", "into itself")


@case("rename")
def rename_file_over_directory(ctx: Context):
    write(ctx.p("f"), b"F")
    os.mkdir(ctx.p("d"))
    expect(outcome(lambda: os.rename(ctx.p("f"), ctx.p("d"))), "EISDIR", "rename")


@case("rename")
def rename_directory_over_file(ctx: Context):
    write(ctx.p("f"), b"F")
    os.mkdir(ctx.p("d"))
    expect(outcome(lambda: os.rename(ctx.p("d"), ctx.p("f"))), "ENOTDIR", "rename")
    expect(tree(ctx), {"d": ("d", []), "f": ("f", b"F")}, "tree")


@case("rename")
def rename_between_links_of_one_file_does_nothing(ctx: Context):
    write(ctx.p("a"), b"A")
    os.link(ctx.p("a"), ctx.p("b"))
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("b"))), "ok", "rename")
    expect(tree(ctx), {"a": ("f", b"A"), "b": ("f", b"A")}, "tree")
    expect(ctx.lstat("a").st_nlink, 2, "link count")


@case("rename")
def rename_to_itself_does_nothing(ctx: Context):
    write(ctx.p("a"), b"A")
    expect(outcome(lambda: os.rename(ctx.p("a"), ctx.p("a"))), "ok", "rename a file to its own name")
    os.mkdir(ctx.p("d"))
    expect(outcome(lambda: os.rename(ctx.p("d"), ctx.p("d"))), "ok", "rename a directory to its own name")
    expect(tree(ctx), {"a": ("f", b"A"), "d": ("d", [])}, "tree")


@case("rename")
def rename_dot_and_dot_dot(ctx: Context):
    os.makedirs(ctx.p("d", "sub"))
    expect(outcome(lambda: os.rename(ctx.p("d", "."), ctx.p("x"))), "EBUSY", "rename of d/.")
    expect(outcome(lambda: os.rename(ctx.p("d", "sub", ".."), ctx.p("x"))), "EBUSY", "rename of d/sub/..")
    expect(outcome(lambda: os.rename(ctx.p("d", "sub"), ctx.p("d", "."))), "EBUSY", "rename onto d/.")


@case("rename")
def rename_missing_and_through_files(ctx: Context):
    write(ctx.p("f"), b"F")
    expect(outcome(lambda: os.rename(ctx.p("missing"), ctx.p("x"))), "ENOENT", "missing source")
    expect(outcome(lambda: os.rename(ctx.p("f"), ctx.p("nodir", "x"))), "ENOENT", "missing target directory")
    expect(outcome(lambda: os.rename(ctx.p("f"), ctx.p("f", "x"))), "ENOTDIR", "target under a file")
    expect(outcome(lambda: os.rename(ctx.p("f", "x"), ctx.p("y"))), "ENOTDIR", "source under a file")


@case("rename")
def rename_symlink_moves_the_link(ctx: Context):
    write(ctx.p("target"), b"T")
    os.symlink("target", ctx.p("link"))
    os.rename(ctx.p("link"), ctx.p("moved"))
    expect((os.readlink(ctx.p("moved")), os.path.exists(ctx.p("link"))), ("target", False), "moved link")


@case("rename")
def rename_across_directories_updates_dot_dot(ctx: Context):
    os.makedirs(ctx.p("a", "d"))
    os.mkdir(ctx.p("b"))
    os.rename(ctx.p("a", "d"), ctx.p("b", "d"))
    expect(os.stat(ctx.p("b", "d", "..")).st_ino, os.stat(ctx.p("b")).st_ino, "'..' of the moved directory")
