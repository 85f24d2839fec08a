"""mfscli's views of the master's loops and memory (spec 40 B.3.6, B.3.8-B.3.10), on the real
master and ours: `-SIL`'s chunk loop counts what the last pass over the chunks did (here:
chunks under their goal with nowhere to copy them), `-SMU` lists the eleven memory rows, and
our check loop names the files without a valid copy in `-SIL` and `-SMF`."""
import os
import time

import pytest

MEMORY_ROWS = ["chunk hash", "chunks", "cs lists", "edge hash", "edges", "node hash", "nodes",
               "deleted nodes", "chunk tabs", "symlinks", "quota"]


def mfscli_rows(cluster, view: str) -> list[list[str]]:
    out = cluster.run_in_ns(["mfscli", "-H", cluster.master.ip, view, "-s", "|"]).stdout
    return [line.split("|") for line in out.splitlines() if line]


def chunk_loop(cluster) -> dict[str, str]:
    """The chunk loop rows of -SIL by name ("start:", "deletions|unused:"...); empty before a
    pass."""
    rows = mfscli_rows(cluster, "-SIL")
    return {"|".join(row[1:-1]): row[-1] for row in rows if row[0] == "chunk loop" and len(row) > 2}


@pytest.mark.parametrize("master", ["real", "ours"])
def test_chunk_loop_counts_chunks_it_could_not_copy(master, cluster_factory):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], mount="real")
    folder = cluster.mountpoint / "g2"
    folder.mkdir()
    cluster.run_in_ns(["mfssetgoal", "2", str(folder)])
    for i in range(4):
        (folder / f"f{i}").write_bytes(os.urandom(70000))
    for i in range(4):
        cluster.wait_copies(folder / f"f{i}", 2)
    cluster.chunkservers[1].stop()
    stopped = time.time()
    deadline = time.monotonic() + 300  # CHUNKS_LOOP_MIN_TIME 60: a pass a minute
    while True:
        rows = chunk_loop(cluster)
        if "start:" in rows and int(rows["start:"]) >= stopped:
            break
        assert time.monotonic() < deadline, f"no chunk loop pass after the chunkserver stopped: {rows}"
        time.sleep(5)
    print(rows)  # shown when the test fails
    assert 55 <= int(rows["end:"]) - int(rows["start:"]) <= 70  # CHUNKS_LOOP_MIN_TIME
    assert rows["replications|under goal:"] == "0/4"  # four chunks, no server to copy them to
    deletions = [rows[f"deletions|{kind}:"] for kind in ("invalid", "unused", "disk clean", "over goal")]
    assert deletions == ["0/0"] * 4
    assert rows["replications|wrong labels:"] == "0/0/0" and rows["replications|rebalance:"] == "0"
    assert rows["locked|unused:"] == "0" and rows["locked|used:"] == "0"

    memory = mfscli_rows(cluster, "-SMU")
    assert [row[1] for row in memory] == MEMORY_ROWS
    for row in memory:
        assert row[0] == "memory usage detailed info:" and int(row[2]) <= int(row[3]), row
    assert all(int(row[2]) > 0 for row in memory if row[1] in ("chunks", "nodes", "chunk tabs")), memory


def check_loop(cluster) -> tuple[dict[str, str], list[str]]:
    """-SIL's check loop counts by name ("files:"...) and its messages; empty before a pass."""
    rows = [row for row in mfscli_rows(cluster, "-SIL") if row[0] == "check loop" and len(row) == 3]
    counts = {row[1]: row[2] for row in rows if row[1] != "important messages:"}
    return counts, [row[2] for row in rows if row[1] == "important messages:"]


def test_check_loop_names_missing_and_undergoal_files(cluster_factory):
    """Ours only: 3.0.117's check loop has no option to hurry it, and its first pass ends
    about an hour after start (docs/protocol-notes.md, "Loop views"); ours takes
    FS_CHECK_LOOP_TIME seconds. Before a pass both masters print "check loop: no data".
    The counts and -SMF rows expected are those 3.0.117 gave for the same kind of tree."""
    real = cluster_factory(master="real", chunkservers=["real"])
    assert real.run_in_ns(["mfscli", "-H", real.master.ip, "-SIL", "-s", "|"]).stdout.endswith(
        "check loop: no data\n")
    real.stop()
    cluster = cluster_factory(master="ours", chunkservers=["real", "real"], mount="real",
                              master_options={"FS_CHECK_LOOP_TIME": 10})
    assert check_loop(cluster) == ({}, [])
    assert mfscli_rows(cluster, "-SMF") == []
    m = cluster.mountpoint
    for goal in (1, 2):
        (m / f"g{goal}").mkdir()
        cluster.run_in_ns(["mfssetgoal", str(goal), str(m / f"g{goal}")])
        for i in range(6):
            (m / f"g{goal}" / f"f{i}").write_bytes(os.urandom(70000))
    lost_server = cluster.chunkservers[1]
    on_lost_server = [f"f{i}" for i in range(6)
                      if lost_server.ip in cluster.file_chunks(m / "g1" / f"f{i}")[0]["copies"][0][0]]
    assert on_lost_server, "every goal 1 file went to one chunkserver"
    inodes = {name: os.stat(m / "g1" / name).st_ino for name in on_lost_server}
    trashed = on_lost_server[0]
    os.unlink(m / "g1" / trashed)  # to the trash (one day)
    lost_server.stop()
    stopped = time.time()
    deadline = time.monotonic() + 60
    while True:
        counts, messages = check_loop(cluster)
        if counts and int(counts["start:"]) >= stopped:
            break
        assert time.monotonic() < deadline, f"no check loop pass after the chunkserver stopped: {counts}"
        time.sleep(2)
    print(counts, messages, sep="\n")  # shown when the test fails
    missing = len(on_lost_server) - 1
    assert counts["files:"] == "12" and counts["chunks:"] == "12"
    assert counts["missing files:"] == str(missing) and counts["missing trash files:"] == "1"
    assert counts["missing chunks:"] == str(missing + 1) and counts["missing sustained files:"] == "0"
    assert counts["under-goal files:"] == "6" and counts["under-goal chunks:"] == "6"
    assert messages == []  # as 3.0.117: missing chunks are listed by -SMF only
    # path|inode|index|chunk id|why, paths as 3.0.117 resolves them ("./TRASH (g1/f3)", "g1/f1")
    listed = sorted((row[1], row[2], row[3], row[5]) for row in mfscli_rows(cluster, "-SMF"))
    expected = [(f"./TRASH (g1/{name})" if name == trashed else f"g1/{name}", str(inode), "0", "NO COPY")
                for name, inode in inodes.items()]
    assert listed == sorted(expected)
