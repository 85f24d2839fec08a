"""Issue 3: sustained files. 3.0.117 frees a sustained file (unlinked while open) not when its
last holder lets it go but when its sustained bucket (inode % 256, one a second from the
master's start) comes, logging EMPTYSUSTAINED(bucket):freed,inode_checksum. Ours writes the
same entries, and replays its own and the real master's after a kill -9.

Our mount holds the files: it drops a closed file from the open list it sends every 60 s,
where the real mount keeps files it created until its session goes (after the master's
120 s start-up grace and SESSION_SUSTAIN_TIME), which would make the test wait minutes. The
files get inode numbers whose buckets come after that first list."""
import subprocess

import pytest

from mfsharness.tools import changelog_entries

FIRST_INODE = 90  # bucket 90 comes 90 s after the master's start, 256 s later again


def sustained_files(cluster):
    return [r[2] for r in cluster.mfscli("-SIN") if r[:2] == ["master info:", "sustained files"]]


def sustain_two_files(cluster):
    """Files FIRST_INODE and the next, opened, unlinked without trash time, closed."""
    mount = cluster.mountpoint
    for i in range(FIRST_INODE - 2):  # inodes 2 .. FIRST_INODE - 1
        (mount / f"d{i}").mkdir()
    held = []
    for name in ("a", "b"):
        path = mount / name
        path.write_bytes(b"x" * 1000)
        cluster.run_in_ns(["mfssettrashtime", "0", str(path)])
        held.append(subprocess.Popen(["sleep", "600"], stdin=open(path, "rb")))
        path.unlink()
    for holder in held:
        holder.kill()
        holder.wait()
    assert sustained_files(cluster) == ["2"]


@pytest.mark.parametrize("master", ["real", "ours"])
def test_sustained_files_go_at_their_bucket_and_replay(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="ours")
    sustain_two_files(cluster)
    entries = changelog_entries(cluster, "EMPTYSUSTAINED", 2, timeout=150)
    assert entries == [f"EMPTYSUSTAINED({FIRST_INODE}):1,{FIRST_INODE}",
                       f"EMPTYSUSTAINED({FIRST_INODE + 1}):1,{FIRST_INODE + 1}"]
    assert sustained_files(cluster) == ["0"]
    # Our master takes over the folder after a kill -9: it replays the changelog, the real
    # master's with its CSDBOP lines too.
    cluster.master.stop(kill=True)
    cluster.start_master(impl="ours")
    assert sustained_files(cluster) == ["0"]
    all_objects = [r[2] for r in cluster.mfscli("-SIN") if r[:2] == ["master info:", "all fs objects"]]
    assert all_objects == [str(FIRST_INODE - 1)]  # the root and the folders
