"""Link counts of files and directories, after link, unlink, mkdir, rmdir and rename."""

from __future__ import annotations

import os

from .framework import Context, case, expect


def nlink(ctx: Context, *names: str) -> int:
    return ctx.lstat(*names).st_nlink


@case("links")
def file_link_count_follows_links(ctx: Context):
    open(ctx.p("f"), "wb").close()
    expect(nlink(ctx, "f"), 1, "new file")
    os.link(ctx.p("f"), ctx.p("g"))
    os.link(ctx.p("f"), ctx.p("h"))
    expect((nlink(ctx, "f"), nlink(ctx, "g")), (3, 3), "after two links")
    os.unlink(ctx.p("f"))
    expect(nlink(ctx, "g"), 2, "after unlinking one")
    fd = os.open(ctx.p("g"), os.O_RDONLY)
    try:
        os.unlink(ctx.p("g"))
        os.unlink(ctx.p("h"))
        expect(os.fstat(fd).st_nlink, 0, "open file with no name left")
    finally:
        os.close(fd)


@case("links")
def directory_link_count_counts_subdirectories(ctx: Context):
    os.mkdir(ctx.p("d"))
    expect(nlink(ctx, "d"), 2, "new directory")
    os.mkdir(ctx.p("d", "a"))
    os.mkdir(ctx.p("d", "b"))
    open(ctx.p("d", "file"), "wb").close()
    expect(nlink(ctx, "d"), 4, "with two subdirectories and a file")
    os.rmdir(ctx.p("d", "a"))
    expect(nlink(ctx, "d"), 3, "after rmdir of one")


@case("links")
def rename_moves_a_directory_link(ctx: Context):
    os.makedirs(ctx.p("from", "sub"))
    os.mkdir(ctx.p("to"))
    expect((nlink(ctx, "from"), nlink(ctx, "to")), (3, 2), "before")
    os.rename(ctx.p("from", "sub"), ctx.p("to", "sub"))
    expect((nlink(ctx, "from"), nlink(ctx, "to"), nlink(ctx, "to", "sub")), (2, 3, 2), "after moving the subdirectory")
    os.rename(ctx.p("to", "sub"), ctx.p("to", "renamed"))
    expect(nlink(ctx, "to"), 3, "after renaming inside the same directory")


@case("links")
def rename_over_a_file_drops_its_link(ctx: Context):
    open(ctx.p("victim"), "wb").close()
    os.link(ctx.p("victim"), ctx.p("victim2"))
    open(ctx.p("new"), "wb").close()
    os.rename(ctx.p("new"), ctx.p("victim"))
    expect(nlink(ctx, "victim2"), 1, "other name of the replaced file")
    expect(nlink(ctx, "victim"), 1, "the moved file")


@case("links")
def rename_over_an_empty_directory_keeps_counts(ctx: Context):
    os.makedirs(ctx.p("a", "x"))
    os.makedirs(ctx.p("b", "y"))
    os.rename(ctx.p("a", "x"), ctx.p("b", "y"))
    expect((nlink(ctx, "a"), nlink(ctx, "b")), (2, 3), "parents after replacing an empty directory")
