"""Issue 3: mfsfilepaths (by name and by inode, hard links, a subfolder mount) and
mfschkarchive / mfssetarchive / mfsclrarchive through real mounts, run with the same
arguments against the real 3.0.117 master and ours (real chunkservers): outputs, exit codes
and ARCHCHG changelog entries must be equal, and our archive flags survive a crash and a
hand-over to the real master.
(Permission counts need another uid, which cannot reach the mount below pytest's 0700 tmp
dir: the unit tests cover them.)"""
import os

from mfsharness.tools import changelog_entries, run_tool_commands

# Mount 1: the whole tree (admin); mount 2: the subfolder /d.
EXPORTS = """\
198.18.0.51\t/\trw,alldirs,maproot=0,admin
198.18.0.52\t/d\trw,maproot=0
*\t.\trw
"""

def in_mount(*args):
    """Runs the tool with the mount root as current directory (inode arguments are
    resolved in the mount holding it)."""
    return ["sh", "-c", 'cd "$1" && shift && exec "$@"', "sh", "@", *args]


# (mount index, command); "@path" is a path relative to that mount's root.
COMMANDS = [
    (1, ["mfsfilepaths", "@top", "@d", "@", "@d/sub/f1", "@d/toplink", "@nosuch"]),
    (1, in_mount("mfsfilepaths", "1", "2", "3", "4", "5", "6", "7", "99")),
    (2, ["mfsfilepaths", "@sub/f1", "@", "@sub", "@toplink"]),
    (2, in_mount("mfsfilepaths", "1", "2", "3", "4", "6")),
    (1, ["mfschkarchive", "@d", "@top", "@d/empty", "@"]),
    (1, ["mfssetarchive", "@d"]),
    (1, ["mfschkarchive", "@d", "@top", "@"]),
    (1, ["mfssetarchive", "@top"]),
    (1, ["mfsclrarchive", "@d/f2"]),
    (1, ["mfschkarchive", "@d", "@d/f2", "@"]),
    (2, ["mfsclrarchive", "@sub"]),
    (2, ["mfschkarchive", "@", "@sub/f1"]),
    (1, ["mfschkarchive", "@d/ln", "@nosuch"]),
]

F1 = os.urandom(100000)


def build_tree(root):
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "sub" / "f1").write_bytes(F1)
    (root / "d" / "f2").write_bytes(b"y" * 70000)
    (root / "d" / "empty").write_bytes(b"")
    (root / "d" / "ln").symlink_to("f2")
    (root / "top").write_bytes(b"top")
    os.link(root / "top", root / "d" / "toplink")


def run_on(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], exports=EXPORTS, mount="real")
    build_tree(cluster.mountpoint)
    subfolder = cluster.mount("real", subfolder="/d")
    results = run_tool_commands(cluster, [cluster.mountpoint, subfolder], COMMANDS)
    return cluster, results, changelog_entries(cluster, "ARCHCHG", minimum=4)


def test_paths_and_archive_tools_match_the_real_master(cluster_factory):
    real_cluster, real, real_entries = run_on(cluster_factory, "real")
    real_cluster.stop()
    ours_cluster, ours, our_entries = run_on(cluster_factory, "ours")
    differences = [(expected, got) for expected, got in zip(real, ours) if got != expected]
    assert differences == []
    assert our_entries == real_entries

    outputs = {" ".join(cmd): (status, out) for cmd, status, out, _ in real}
    assert outputs["mfsfilepaths @top @d @ @d/sub/f1 @d/toplink @nosuch"][1].startswith(
        "MNT/top:\nd/toplink\ntop\nMNT/d:\nd\nMNT:\n/\n")
    assert "all chunks are archived" in outputs["mfschkarchive @d @top @"][1]

    # The flags survive a crash of our master (checkpoint and changelog replay).
    root = ours_cluster.mountpoint
    check = ["mfschkarchive", str(root / "d"), str(root)]
    before = ours_cluster.run_in_ns(check).stdout
    ours_cluster.restart_master(kill9=True)
    assert ours_cluster.run_in_ns(check).stdout == before
    # ... and reach the real master through our metadata.mfs.
    ours_cluster.restart_master(impl="real")
    assert ours_cluster.run_in_ns(check).stdout == before
