"""Access permissions: which class of a mode (owner, group, other) applies to whom, for files
and directories, search permission on every path component, and what root may do."""

from __future__ import annotations

import os

from .framework import ALICE, BOB, SHARED_GROUP, Context, add_case, case, expect

# Who asks, for a file owned by ALICE with group SHARED_GROUP: ALICE (owner), a member of
# the group who is not the owner, and BOB (other).
MEMBER = type(ALICE)(10004, 10004, (10004, SHARED_GROUP))
ASKERS = {"owner": ALICE, "group": MEMBER, "other": BOB}
SHIFT = {"owner": 6, "group": 3, "other": 0}


def allowed(mode: int, who: str, bit: int) -> bool:
    """The class that matches first decides, even when another class would allow."""
    return bool((mode >> SHIFT[who]) & bit)


def _file_case(mode: int, who: str):
    def run(ctx: Context):
        with open(ctx.p("f"), "wb") as f:
            f.write(b"data")
        os.chown(ctx.p("f"), ALICE.uid, SHARED_GROUP)
        os.chmod(ctx.p("f"), mode)
        yield
        user = ASKERS[who]
        expect(ctx.as_user(user, lambda: os.close(os.open("f", os.O_RDONLY))),
               "ok" if allowed(mode, who, 4) else "EACCES", "open for reading")
        expect(ctx.as_user(user, lambda: os.close(os.open("f", os.O_WRONLY))),
               "ok" if allowed(mode, who, 2) else "EACCES", "open for writing")
        expect(ctx.as_user(user, lambda: os.access("f", os.X_OK)), allowed(mode, who, 1), "access(X_OK)")
    return run


def _directory_case(mode: int, who: str):
    def run(ctx: Context):
        os.mkdir(ctx.p("d"))
        with open(ctx.p("d", "inside"), "wb"):
            pass
        os.chown(ctx.p("d"), ALICE.uid, SHARED_GROUP)
        os.chmod(ctx.p("d"), mode)
        yield
        user = ASKERS[who]
        can_search = allowed(mode, who, 1)
        expect(ctx.as_user(user, lambda: sorted(os.listdir("d"))),
               ["inside"] if allowed(mode, who, 4) else "EACCES", "listing")
        expect(ctx.as_user(user, lambda: os.stat("d/inside") and None),
               "ok" if can_search else "EACCES", "stat of an entry (search)")
        can_change = can_search and allowed(mode, who, 2)
        expect(ctx.as_user(user, lambda: os.close(os.open("d/new", os.O_CREAT | os.O_WRONLY, 0o644))),
               "ok" if can_change else "EACCES", "create an entry")
        expect(ctx.as_user(user, lambda: os.unlink("d/inside")),
               "ok" if can_change else "EACCES", "remove an entry")
    return run


# Modes chosen so that each bit is alone at least once, and classes contradict each other.
FILE_MODES = [0o000, 0o400, 0o200, 0o100, 0o040, 0o020, 0o010, 0o004, 0o002, 0o001, 0o077, 0o707, 0o770, 0o644]
DIRECTORY_MODES = [0o700, 0o500, 0o300, 0o100, 0o070, 0o050, 0o030, 0o007, 0o005, 0o003, 0o077, 0o707, 0o600]

for _mode in FILE_MODES:
    for _who in ASKERS:
        add_case("permissions", f"file_{_mode:03o}_as_{_who}", _file_case(_mode, _who))
for _mode in DIRECTORY_MODES:
    for _who in ("owner", "group", "other"):
        add_case("permissions", f"dir_{_mode:03o}_as_{_who}", _directory_case(_mode, _who))


@case("permissions")
def search_permission_on_every_component(ctx: Context):
    # One tree per check: a path looked up once may stay in the kernel's entry cache, and
    # FUSE checks no permission on cached entries.
    for tree, middle_mode in (("open", 0o755), ("closed", 0o744), ("search_only", 0o711)):
        os.makedirs(ctx.p(tree, "b", "c"))
        with open(ctx.p(tree, "b", "c", "f"), "wb") as f:
            f.write(b"x")
        for name in (tree, f"{tree}/b/c"):
            os.chmod(ctx.p(name), 0o755)
        os.chmod(ctx.p(tree, "b"), middle_mode)
        os.chmod(ctx.p(tree, "b", "c", "f"), 0o644)
    yield
    expect(ctx.as_user(BOB, lambda: open("open/b/c/f", "rb").read()), b"x", "all components searchable")
    expect(ctx.as_user(BOB, lambda: open("closed/b/c/f", "rb").read()), "EACCES", "middle component not searchable")
    expect(ctx.as_user(BOB, lambda: os.stat("closed/b/c") and None), "EACCES", "stat under it")
    expect(ctx.as_user(BOB, lambda: sorted(os.listdir("closed/b"))), ["c"], "listing needs read, not search")
    expect(ctx.as_user(BOB, lambda: open("search_only/b/c/f", "rb").read()), b"x", "search without read is enough")
    expect(ctx.as_user(BOB, lambda: sorted(os.listdir("search_only/b"))), "EACCES", "no listing without read")


@case("permissions")
def root_bypasses_read_write_but_not_execute(ctx: Context):
    with open(ctx.p("f"), "wb") as f:
        f.write(b"x")
    os.chown(ctx.p("f"), ALICE.uid, ALICE.gid)
    os.chmod(ctx.p("f"), 0o000)
    expect(open(ctx.p("f"), "rb").read(), b"x", "root reads a 000 file")
    expect(os.access(ctx.p("f"), os.W_OK), True, "root may write a 000 file")
    expect(os.access(ctx.p("f"), os.X_OK), False, "root may not execute a file without any x bit")
    os.chmod(ctx.p("f"), 0o001)
    expect(os.access(ctx.p("f"), os.X_OK), True, "root executes when any x bit is set")
    os.mkdir(ctx.p("d"), 0o000)
    os.chmod(ctx.p("d"), 0o000)
    expect(os.listdir(ctx.p("d")), [], "root lists a 000 directory")


@case("permissions")
def access_reports_each_bit(ctx: Context):
    with open(ctx.p("f"), "wb"):
        pass
    os.chown(ctx.p("f"), ALICE.uid, ALICE.gid)
    os.chmod(ctx.p("f"), 0o500)
    expect(ctx.as_user(ALICE, lambda: (os.access("f", os.R_OK), os.access("f", os.W_OK), os.access("f", os.X_OK),
                                       os.access("f", os.F_OK))),
           (True, False, True, True), "access R/W/X/F by the owner")
    expect(ctx.as_user(BOB, lambda: (os.access("f", os.R_OK), os.access("f", os.F_OK))),
           (False, True), "access R/F by another user")


@case("permissions")
def new_file_mode_follows_umask(ctx: Context):
    def create():
        os.umask(0o027)
        os.close(os.open("f", os.O_CREAT | os.O_WRONLY, 0o777))
        os.mkdir("d", 0o777)
        return (oct(os.stat("f").st_mode & 0o7777), oct(os.stat("d").st_mode & 0o7777))
    os.chmod(ctx.dir, 0o777)
    expect(ctx.as_user(ALICE, create), ("0o750", "0o750"), "modes of a new file and directory")
    expect((ctx.lstat("f").st_uid, ctx.lstat("f").st_gid), (ALICE.uid, ALICE.gid), "owner of the new file")
