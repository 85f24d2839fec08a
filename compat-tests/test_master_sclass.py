"""Issue 3: storage classes. The real 3.0.117 mfsscadmin / mfslistsclass / mfs*sclass tools,
mfsdirinfo, mfsgetgoal -r, mfsgetquota and mfscli -SSC, run with the same arguments against the
real master and ours on the same tree (three real chunkservers labelled A, B and C): outputs,
exit codes and the changelog entries must be equal. Chunks of a file in a labelled class end on
the servers with those labels (mfsfileinfo) on both masters."""
import time

from mfsharness.tools import changelog_entries, run_tool_commands

# Mount 1 (198.18.0.51) is an admin session; mount 2 (.52) is not.
EXPORTS = """\
198.18.0.51\t/\trw,alldirs,maproot=0,admin
198.18.0.52\t/\trw,alldirs,maproot=0
*\t.\trw
"""

LABELS = ["A", "B", "C"]

# (mount index, command); "@path" is a path relative to that mount's root, "@" alone is it.
COMMANDS = [
    (1, ["mfsscadmin", "@", "create", "-K", "A,B", "sc1"]),
    (1, ["mfsscadmin", "@", "create", "-a", "1", "-m", "s", "-C", "A", "-K", "A,B", "-A", "C", "-d", "3", "sc2"]),
    (1, ["mfsscadmin", "@", "create", "2", "sc3"]),
    (1, ["mfsscadmin", "@", "create", "-m", "l", "-K", "A+B,[B|C]*A,*", "sc5"]),
    (1, ["mfsscadmin", "@", "create", "-K", "A", "sc1"]),
    (2, ["mfsscadmin", "@", "create", "-K", "A", "notadmin"]),
    (1, ["mfsscadmin", "@", "modify", "-m", "l", "sc1"]),
    (2, ["mfsscadmin", "@", "modify", "sc1"]),
    (2, ["mfsscadmin", "@", "modify", "-a", "1", "sc1"]),
    (1, ["mfsscadmin", "@", "modify", "-a", "1", "2"]),
    (1, ["mfsscadmin", "@", "modify", "-a", "0", "9"]),
    (1, ["mfsscadmin", "@", "modify", "-f", "-m", "d", "8"]),
    (1, ["mfsscadmin", "@", "modify", "-K", "B,A", "-C", "C", "nosuch"]),
    (1, ["mfsscadmin", "@", "modify", "-A", "C,C", "-d", "5", "-K", "A,B", "sc3"]),
    (1, ["mfsscadmin", "@", "copy", "sc1", "sc1copy"]),
    (1, ["mfsscadmin", "@", "copy", "sc1", "sc2"]),
    (1, ["mfsscadmin", "@", "copy", "nosuch", "x"]),
    (1, ["mfsscadmin", "@", "copy", "3", "three"]),
    (1, ["mfsscadmin", "@", "rename", "sc1copy", "sc4"]),
    (1, ["mfsscadmin", "@", "rename", "2", "two"]),
    (1, ["mfsscadmin", "@", "rename", "sc4", "sc2"]),
    (1, ["mfsscadmin", "@", "list"]),
    (1, ["mfsscadmin", "@", "list", "-l"]),
    (2, ["mfslistsclass", "-l", "@"]),
    (1, ["mfslistsclass", "@d"]),
    (1, ["mfssetsclass", "sc1", "@d/f1"]),
    (1, ["mfsgetsclass", "@d/f1"]),
    (2, ["mfssetsclass", "sc2", "@d/f2"]),
    (1, ["mfssetsclass", "-r", "sc2", "@d/sub"]),
    (1, ["mfsgetsclass", "-r", "@d"]),
    (1, ["mfsgetgoal", "-r", "@d"]),
    (2, ["mfssetsclass", "3", "@d/sub/f3"]),
    (1, ["mfsxchgsclass", "-r", "sc2", "sc3", "@d"]),
    (1, ["mfscopysclass", "@d/f1", "@top"]),
    (1, ["mfsgetsclass", "@top", "@d/sub"]),
    (1, ["mfssetgoal", "-r", "4+", "@d"]),
    (1, ["mfssetsclass", "-r", "nosuch", "@d"]),
    (1, ["mfsgetsclass", "-r", "@d"]),
    (1, ["mfsdirinfo", "@d"]),
    (1, ["mfsgetquota", "@d"]),
    (1, ["mfsscadmin", "@", "delete", "sc1"]),
    (1, ["mfsscadmin", "@", "delete", "sc4", "2", "nosuch"]),
    (2, ["mfsscadmin", "@", "delete", "sc5"]),
    (1, ["mfsscadmin", "@", "create", "-K", "C", "sc6"]),
    (1, ["mfsscadmin", "@", "list", "-l"]),
]


def build_tree(root):
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "f1").write_bytes(b"x" * 100000)
    (root / "d" / "f2").write_bytes(b"")
    (root / "d" / "sub" / "f3").write_bytes(b"y" * 10)
    (root / "top").write_bytes(b"z")


# Columns of mfscli -SSC rows that depend on replication progress (chunk counts per state).
SSC_CHUNK_COLUMNS = slice(7, 13)


def storage_class_rows(cluster):
    rows = [r for r in cluster.mfscli("-SSC") if r[0] == "storage classes:"]
    return [r[:SSC_CHUNK_COLUMNS.start] + r[SSC_CHUNK_COLUMNS.stop:] for r in rows]


def servers_of(cluster, path):
    """The chunkserver ip of every valid copy of every chunk of ``path``."""
    return [sorted(addr.split(":")[0] for addr, status in c["copies"] if status == "VALID")
            for c in cluster.file_chunks(path)]


def wait_servers(cluster, path, expected, timeout):
    deadline = time.time() + timeout
    while True:
        got = servers_of(cluster, path)
        if got and all(copies == expected for copies in got):
            return got
        if time.time() > deadline:
            return got
        time.sleep(1)


def run_on(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real", "real"], exports=EXPORTS,
                              mount=None, start=False,
                              master_options={"REPLICATIONS_DELAY_INIT": 0, "CHUNKS_LOOP_MIN_TIME": 60})
    for cs, label in zip(cluster.chunkservers, LABELS):
        cs.overrides["LABELS"] = label
    cluster.start()
    admin = cluster.mount("real")
    plain = cluster.mount("real")
    build_tree(admin)
    cluster.run_in_ns(["mfssetquota", "-R", "10M", str(admin / "d")])
    results = run_tool_commands(cluster, [admin, plain], COMMANDS)
    entries = changelog_entries(cluster, "SCSET|SCDEL|SCDUP|SCREN|SETSCLASS", 20)
    classes = storage_class_rows(cluster)

    # Label placement: new chunks of a class "-K A,B" are created on the servers labelled A
    # and B; after a change to class "-K C" the copies move to the server labelled C.
    placed = admin / "placed"
    placed.mkdir()
    cluster.run_in_ns(["mfsscadmin", str(admin), "create", "-K", "A,B", "ab"])
    cluster.run_in_ns(["mfsscadmin", str(admin), "create", "-K", "C", "conly"])
    cluster.run_in_ns(["mfssetsclass", "ab", str(placed)])
    (placed / "f").write_bytes(b"p" * 70000)
    created = wait_servers(cluster, placed / "f", ["198.18.0.11", "198.18.0.12"], 30)
    cluster.run_in_ns(["mfssetsclass", "conly", str(placed / "f")])
    moved = wait_servers(cluster, placed / "f", ["198.18.0.13"], 200)
    return cluster, results, entries, classes, created, moved


def test_storage_classes_behave_the_same_on_both_masters(cluster_factory):
    real_cluster, real, real_entries, real_classes, real_created, real_moved = run_on(cluster_factory, "real")
    real_cluster.stop()
    ours_cluster, ours, our_entries, our_classes, our_created, our_moved = run_on(cluster_factory, "ours")
    for expected, got in zip(real, ours):
        assert got == expected
    outputs = {" ".join(cmd): (status, out) for cmd, status, out, _ in real}
    assert outputs["mfsscadmin @ create -K A,B sc1"] == (0, "storage class make sc1: ok\n")
    assert outputs["mfsgetsclass @d/f1"] == (0, "MNT/d/f1: 'sc1'\n")
    assert our_entries == real_entries
    assert our_classes == real_classes
    assert real_created == [["198.18.0.11", "198.18.0.12"]]
    assert our_created == real_created
    assert real_moved == [["198.18.0.13"]]
    assert our_moved == real_moved

    # The classes survive a crash of our master (checkpoint and changelog replay) ...
    root = ours_cluster.mountpoint
    getters = [["mfsscadmin", str(root), "list", "-l"], ["mfsgetsclass", "-r", str(root / "d")],
               ["mfsdirinfo", str(root / "d")]]
    before = [ours_cluster.run_in_ns(cmd).stdout for cmd in getters]
    ours_cluster.restart_master(kill9=True)
    assert [ours_cluster.run_in_ns(cmd).stdout for cmd in getters] == before
    # ... and our clean stop: the real master loads the metadata.mfs we wrote.
    ours_cluster.restart_master(impl="real")
    assert [ours_cluster.run_in_ns(cmd).stdout for cmd in getters] == before
