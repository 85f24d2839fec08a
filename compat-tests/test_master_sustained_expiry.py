"""Issue 3: sustained files. 3.0.117 frees a sustained file (unlinked while open) not when the
last session holding it ends but when its sustained bucket (inode % 256, one a second) comes,
logging EMPTYSUSTAINED(bucket):freed,inode_checksum. Ours writes the same entries and replays
them after a kill -9."""
import subprocess
import time

import pytest

from mfsharness.tools import changelog_entries

# Sessions are deleted 60 s after their mount is gone (after the master's 120 s start-up
# grace); a bucket's turn comes within 256 s after that.
OPTIONS = {"SESSION_SUSTAIN_TIME": 60}


def sustained_files(cluster):
    return [r[2] for r in cluster.mfscli("-SIN") if r[:2] == ["master info:", "sustained files"]]


def sustain_two_files(cluster):
    """Two files, each held by its own mount, unlinked without trash time; both mounts go."""
    cluster.mount("real")
    cluster.mount("real")
    held = []
    for mount, name in zip(cluster.mounts, ("a", "b")):
        path = mount.mountpoint / name
        path.write_bytes(b"x" * 1000)
        cluster.run_in_ns(["mfssettrashtime", "0", str(path)])
        held.append(subprocess.Popen(["sleep", "600"], stdin=open(path, "rb")))
        path.unlink()
    for holder in held:
        holder.kill()
        holder.wait()
    assert sustained_files(cluster) == ["2"]
    for mount in list(cluster.mounts):
        mount.stop()


@pytest.mark.parametrize("master", ["real", "ours"])
def test_sustained_files_go_at_their_bucket_and_replay(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], master_options=OPTIONS)
    sustain_two_files(cluster)
    entries = changelog_entries(cluster, "SESDEL|EMPTYSUSTAINED", 4, timeout=500)
    assert entries == ["SESDEL(1)", "SESDEL(2)", "EMPTYSUSTAINED(2):1,2", "EMPTYSUSTAINED(3):1,3"]
    assert sustained_files(cluster) == ["0"]
    # Our master takes over the folder: ours after a kill -9 (changelog replay), the real one's
    # after a clean stop (our replay stops at the real master's CSDBOP lines, which are not
    # replayed yet; metadata_replay_test replays a real changelog with EMPTYSUSTAINED).
    cluster.master.stop(kill=master == "ours")
    cluster.start_master(impl="ours")
    assert sustained_files(cluster) == ["0"]
    assert [r[2] for r in cluster.mfscli("-SIN") if r[:2] == ["master info:", "all fs objects"]] == ["1"]
