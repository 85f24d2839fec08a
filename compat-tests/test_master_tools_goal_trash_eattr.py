"""Issue 3: the real 3.0.117 tools mfsgetgoal/mfssetgoal (and -r, mfsrgetgoal/mfsrsetgoal),
mfsgettrashtime/mfssettrashtime and mfsgeteattr/mfsseteattr/mfsdeleattr through a real mount,
run with the same arguments against the real master and ours on the same tree: outputs,
exit codes and changelog entries must be equal; mfsdirinfo too. A goal change must reach
the chunks. (User storage classes: test_master_sclass.py.)"""
from mfsharness.tools import changelog_entries, run_tool_commands

# Mount 1 (198.18.0.51) is an admin session without limits; mount 2 (.52) has the export's
# goal and trash time limits and no admin flag.
EXPORTS = """\
198.18.0.51\t/\trw,alldirs,maproot=0,admin
198.18.0.52\t/\trw,alldirs,maproot=0,mingoal=2,maxgoal=4,mintrashtime=1h,maxtrashtime=2d
*\t.\trw
"""

# (mount index, command); "@path" is a path relative to that mount's root.
COMMANDS = [
    (1, ["mfsgetgoal", "@d/f1"]),
    (1, ["mfsgetgoal", "-r", "@d"]),
    (1, ["mfsgetgoal", "@d/ln"]),
    (1, ["mfssetgoal", "3", "@d/f1"]),
    (1, ["mfssetgoal", "3", "@d/f1"]),
    (1, ["mfssetgoal", "-r", "4", "@d/sub"]),
    (1, ["mfssetgoal", "-r", "3+", "@d"]),
    (1, ["mfssetgoal", "-r", "2-", "@d/sub"]),
    (1, ["mfsrsetgoal", "5", "@d/sub"]),
    (1, ["mfsrgetgoal", "@d"]),
    (1, ["mfsgetgoal", "-r", "-h", "@d"]),
    (1, ["mfsgetgoal", "@d/sub", "@d/f2", "@top"]),
    (1, ["mfssetsclass", "3", "@d/sub/f3"]),
    (1, ["mfssetsclass", "-r", "4", "@d/sub"]),
    (1, ["mfstools", "mfsxchgsclass", "-r", "4", "5", "@d"]),
    (1, ["mfsgetsclass", "-r", "@d"]),
    (1, ["mfssetsclass", "fast", "@d/f1"]),
    (2, ["mfssetgoal", "5", "@top"]),
    (2, ["mfssetgoal", "1", "@top"]),
    (2, ["mfssetgoal", "4", "@top"]),
    (1, ["mfsgettrashtime", "@d/f1"]),
    (1, ["mfsgettrashtime", "-r", "@d"]),
    (1, ["mfssettrashtime", "1", "@d/f1"]),
    (1, ["mfsgettrashtime", "@d/f1"]),
    (1, ["mfssettrashtime", "-r", "2h", "@d"]),
    (1, ["mfssettrashtime", "-r", "3h+", "@d/sub"]),
    (1, ["mfssettrashtime", "-r", "1h-", "@d"]),
    (1, ["mfsrsettrashtime", "7d", "@d/sub"]),
    (1, ["mfsrgettrashtime", "@d"]),
    (1, ["mfsgettrashtime", "@d/ln"]),
    (2, ["mfssettrashtime", "60", "@top"]),
    (2, ["mfssettrashtime", "5d", "@top"]),
    (2, ["mfssettrashtime", "2h", "@top"]),
    (1, ["mfsgeteattr", "@d"]),
    (1, ["mfsseteattr", "-f", "noowner", "-f", "noattrcache", "@d/f1"]),
    (1, ["mfsseteattr", "-f", "noowner", "@d/f1"]),
    (1, ["mfsseteattr", "-r", "-f", "nodatacache", "-f", "noentrycache", "@d"]),
    (1, ["mfsgeteattr", "-r", "@d"]),
    (1, ["mfsgeteattr", "@d/ln", "@d/f1", "@d"]),
    (1, ["mfsdeleattr", "-r", "-f", "noowner", "@d"]),
    (1, ["mfsgeteattr", "-r", "@d"]),
    (2, ["mfsseteattr", "-f", "immutable", "@top"]),
    (1, ["mfsseteattr", "-f", "immutable", "@d/f2"]),
    (1, ["mfssetgoal", "2", "@d/f2"]),
    (1, ["mfssettrashtime", "0", "@d/f2"]),
    (1, ["mfsseteattr", "-f", "noowner", "@d/f2"]),
    (1, ["mfsseteattr", "-f", "noattrcache", "@d/f2"]),
    (1, ["mfsdeleattr", "-f", "immutable", "@d/f2"]),
    (1, ["mfsgeteattr", "-r", "@d"]),
    (1, ["mfsdirinfo", "@d"]),
    (1, ["mfsdirinfo", "-h", "@d/f1", "@top"]),
    (1, ["mfsdirinfo", "@d/ln"]),
]

def build_tree(root):
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "f1").write_bytes(b"x" * 100000)
    (root / "d" / "f2").write_bytes(b"")
    (root / "d" / "sub" / "f3").write_bytes(b"y" * 10)
    (root / "d" / "ln").symlink_to("f1")
    (root / "top").write_bytes(b"z")


def run_on(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real", "real"], exports=EXPORTS,
                              mount="real")
    limited = cluster.mount("real")
    build_tree(cluster.mountpoint)
    results = run_tool_commands(cluster, [cluster.mountpoint, limited], COMMANDS)
    entries = changelog_entries(cluster, "SETSCLASS|SETGOAL|SETTRASHTIME|SETEATTR", 20)
    # Goal 3 on a file with data: the chunk gets a third copy.
    big = cluster.mountpoint / "d" / "f1"
    cluster.wait_copies(big, 3, timeout=90)
    return cluster, results, entries


def test_tools_give_the_same_output_and_changelog_on_both_masters(cluster_factory):
    real_cluster, real, real_entries = run_on(cluster_factory, "real")
    real_cluster.stop()
    ours_cluster, ours, our_entries = run_on(cluster_factory, "ours")
    for expected, got in zip(real, ours):
        assert got == expected
    outputs = {" ".join(cmd): (status, out) for cmd, status, out, _ in real}
    assert outputs["mfssetgoal 3 @d/f1"] == (0, "MNT/d/f1: goal: 3\n")
    assert outputs["mfsgettrashtime @d/f1"] == (0, "MNT/d/f1: 3600\n")
    assert outputs["mfssetgoal 5 @top"][0] == 1
    assert our_entries == real_entries

    # The settings survive a crash of our master (checkpoint and changelog replay).
    root = ours_cluster.mountpoint
    getters = [["mfsgetgoal", "-r", str(root / "d")], ["mfsgettrashtime", "-r", str(root / "d")],
               ["mfsgeteattr", "-r", str(root / "d")], ["mfsgetgoal", str(root / "top")]]
    before = [ours_cluster.run_in_ns(cmd).stdout for cmd in getters]
    ours_cluster.restart_master(kill9=True)
    assert [ours_cluster.run_in_ns(cmd).stdout for cmd in getters] == before
    assert before[3].endswith(": 4\n")
