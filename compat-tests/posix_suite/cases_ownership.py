"""Ownership and mode changes: who may chown/chgrp/chmod, when set-user/group-id bits are
cleared, sticky directories, and the group of new entries in set-group-id directories."""

from __future__ import annotations

import os
import stat

from .framework import ALICE, BOB, CAROL, ROOT, SHARED_GROUP, Context, case, expect


def alice_file(ctx: Context, name: str = "f", mode: int = 0o644, gid: int = ALICE.gid) -> None:
    with open(ctx.p(name), "wb") as f:
        f.write(b"data")
    os.chown(ctx.p(name), ALICE.uid, gid)
    os.chmod(ctx.p(name), mode)


def mode_of(ctx: Context, name: str) -> str:
    return oct(stat.S_IMODE(ctx.lstat(name).st_mode))


def append(name: str) -> None:
    with open(name, "ab") as f:
        f.write(b"more")


@case("ownership")
def only_root_gives_a_file_away(ctx: Context):
    alice_file(ctx)
    expect(ctx.as_user(ALICE, lambda: os.chown("f", BOB.uid, -1)), "EPERM", "owner chown to another user")
    expect(ctx.as_user(BOB, lambda: os.chown("f", BOB.uid, -1)), "EPERM", "another user takes the file")
    expect(ctx.as_user(ALICE, lambda: os.chown("f", ALICE.uid, -1)), "ok", "owner chown to itself (no change)")
    os.chown(ctx.p("f"), BOB.uid, BOB.gid)
    expect((ctx.lstat("f").st_uid, ctx.lstat("f").st_gid), (BOB.uid, BOB.gid), "root chown")


@case("ownership")
def owner_changes_group_to_own_groups_only(ctx: Context):
    alice_file(ctx)
    expect(ctx.as_user(ALICE, lambda: os.chown("f", -1, SHARED_GROUP)), "ok", "chgrp to a supplementary group")
    expect(ctx.lstat("f").st_gid, SHARED_GROUP, "new group")
    expect(ctx.as_user(ALICE, lambda: os.chown("f", -1, BOB.gid)), "EPERM", "chgrp to a group of others")
    expect(ctx.as_user(BOB, lambda: os.chown("f", -1, BOB.gid)), "EPERM", "chgrp by a non-owner")
    expect(ctx.lstat("f").st_gid, SHARED_GROUP, "group after the refusals")


@case("ownership")
def only_owner_and_root_chmod(ctx: Context):
    alice_file(ctx)
    expect(ctx.as_user(BOB, lambda: os.chmod("f", 0o777)), "EPERM", "chmod by another user")
    expect(ctx.as_user(ALICE, lambda: os.chmod("f", 0o600)), "ok", "chmod by the owner")
    expect(mode_of(ctx, "f"), "0o600", "mode after the owner's chmod")
    os.chmod(ctx.p("f"), 0o640)
    expect(mode_of(ctx, "f"), "0o640", "mode after root's chmod")


@case("ownership")
def chmod_keeps_setgid_only_for_members(ctx: Context):
    alice_file(ctx, gid=BOB.gid)
    expect(ctx.as_user(ALICE, lambda: os.chmod("f", 0o2755)), "ok", "chmod g+s by a non-member owner")
    expect(mode_of(ctx, "f"), "0o755", "set-group-id bit dropped")
    os.chown(ctx.p("f"), ALICE.uid, SHARED_GROUP)
    expect(ctx.as_user(ALICE, lambda: os.chmod("f", 0o2755)), "ok", "chmod g+s by a member owner")
    expect(mode_of(ctx, "f"), "0o2755", "set-group-id bit kept")


@case("ownership")
def chown_clears_setuid_and_setgid(ctx: Context):
    alice_file(ctx, mode=0o6755)
    os.chown(ctx.p("f"), BOB.uid, BOB.gid)
    expect(mode_of(ctx, "f"), "0o755", "mode after root's chown of a 6755 file")


@case("ownership")
def write_by_owner_clears_setuid(ctx: Context):
    alice_file(ctx, mode=0o4755)
    expect(ctx.as_user(ALICE, lambda: append("f")), "ok", "owner appends")
    expect(mode_of(ctx, "f"), "0o755", "set-user-id bit after the owner's write")


@case("ownership")
def write_by_another_user_clears_setuid_and_setgid(ctx: Context):
    alice_file(ctx, mode=0o6777)
    expect(ctx.as_user(BOB, lambda: append("f")), "ok", "another user appends")
    expect(mode_of(ctx, "f"), "0o777", "set-id bits after another user's write")


@case("ownership")
def write_by_root_keeps_setuid(ctx: Context):
    alice_file(ctx, mode=0o4755)
    append(ctx.p("f"))
    expect(mode_of(ctx, "f"), "0o4755", "set-user-id bit after root's write")


def sticky_directory(ctx: Context) -> None:
    """`s`: sticky 1777 owned by CAROL, with `s/f` of ALICE and `s/g` of BOB."""
    os.mkdir(ctx.p("s"))
    os.chown(ctx.p("s"), CAROL.uid, CAROL.gid)
    os.chmod(ctx.p("s"), 0o1777)
    expect(ctx.as_user(ALICE, lambda: open("s/f", "wb").close()), "ok", "alice creates in the sticky directory")
    expect(ctx.as_user(BOB, lambda: open("s/g", "wb").close()), "ok", "bob creates in the sticky directory")


@case("sticky")
def sticky_directory_protects_entries_of_others(ctx: Context):
    sticky_directory(ctx)
    expect(ctx.as_user(BOB, lambda: os.unlink("s/f")), "EPERM", "unlink of another user's file")
    expect(ctx.as_user(BOB, lambda: os.rename("s/f", "s/moved")), "EPERM", "rename of another user's file")
    expect(ctx.as_user(BOB, lambda: os.rename("s/g", "s/f")), "EPERM", "rename over another user's file")
    expect(sorted(os.listdir(ctx.p("s"))), ["f", "g"], "entries after the refusals")


@case("sticky")
def sticky_directory_lets_owners_remove(ctx: Context):
    sticky_directory(ctx)
    expect(ctx.as_user(ALICE, lambda: os.rename("s/f", "s/f2")), "ok", "owner of the file renames it")
    expect(ctx.as_user(ALICE, lambda: os.unlink("s/f2")), "ok", "owner of the file unlinks it")
    expect(ctx.as_user(CAROL, lambda: os.unlink("s/g")), "ok", "owner of the directory unlinks")
    expect(os.listdir(ctx.p("s")), [], "entries left")


@case("sticky")
def sticky_directory_does_not_stop_root(ctx: Context):
    sticky_directory(ctx)
    os.unlink(ctx.p("s", "f"))
    os.rename(ctx.p("s", "g"), ctx.p("s", "h"))
    expect(os.listdir(ctx.p("s")), ["h"], "entries after root's unlink and rename")


@case("sticky")
def plain_directory_lets_anyone_with_write_remove(ctx: Context):
    os.mkdir(ctx.p("d"))
    os.chmod(ctx.p("d"), 0o777)
    expect(ctx.as_user(ALICE, lambda: open("d/f", "wb").close()), "ok", "alice creates")
    expect(ctx.as_user(BOB, lambda: os.rename("d/f", "d/g")), "ok", "bob renames alice's file")
    expect(ctx.as_user(BOB, lambda: os.unlink("d/g")), "ok", "bob unlinks alice's file")


@case("setgid")
def setgid_directory_gives_its_group(ctx: Context):
    os.mkdir(ctx.p("d"))
    os.chown(ctx.p("d"), ROOT.uid, SHARED_GROUP)
    os.chmod(ctx.p("d"), 0o2777)
    expect(ctx.as_user(BOB, lambda: open("d/f", "wb").close()), "ok", "a non-member creates a file")
    expect(ctx.as_user(BOB, lambda: os.mkdir("d/sub")), "ok", "a non-member creates a directory")
    expect(ctx.lstat("d", "f").st_gid, SHARED_GROUP, "group of the file")
    expect(ctx.lstat("d", "sub").st_gid, SHARED_GROUP, "group of the directory")
    expect(bool(ctx.lstat("d", "sub").st_mode & stat.S_ISGID), True, "the subdirectory is set-group-id too")
    expect(bool(ctx.lstat("d", "f").st_mode & stat.S_ISGID), False, "the file is not set-group-id")


@case("setgid")
def plain_directory_gives_the_creator_group(ctx: Context):
    os.mkdir(ctx.p("d"))
    os.chown(ctx.p("d"), ROOT.uid, SHARED_GROUP)
    os.chmod(ctx.p("d"), 0o777)
    expect(ctx.as_user(BOB, lambda: os.mkdir("d/sub")), "ok", "bob creates a directory")
    expect(ctx.lstat("d", "sub").st_gid, BOB.gid, "group of bob's directory")
