"""Issue 3: storage class arch_delay (mfsscadmin -d DAYS). 3.0.117 archives a file once its
ctime lies DAYS in the past: a slow walk over the inodes logs ARCHCHG(inode,0,1) (as
mfssetarchive by root) and the chunks move to the class's archive labels. Observed with the
real master started under libfaketime 10 days ahead: the files went one by one 15 to 35 minutes
after the restart (docs/protocol-notes.md), too slow for a test, so the real master is not
run here with a shifted clock; ours is, with real chunkservers labelled A, B and C, and the
real master then takes over the folder and agrees on the archive flags."""
import os
import subprocess
import time

from mfsharness import ADMIN_EXPORTS
from mfsharness.tools import changelog_entries

FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def copies(cluster, path):
    return [sorted(addr.split(":")[0] for addr, status in c["copies"] if status == "VALID")
            for c in cluster.file_chunks(path)]


def wait_copies(cluster, path, expected, timeout):
    deadline = time.time() + timeout
    while (got := copies(cluster, path)) != expected and time.time() < deadline:
        time.sleep(1)
    return got


def test_old_files_move_to_the_archive_labels_after_the_delay(cluster_factory):
    assert os.path.exists(FAKETIME_LIBRARY), "install the Debian package faketime (scripts/setup.sh)"
    cluster = cluster_factory(master="ours", chunkservers=["real", "real", "real"], exports=ADMIN_EXPORTS,
                              mount=None, start=False)
    for cs, label in zip(cluster.chunkservers, "ABC"):
        cs.overrides["LABELS"] = label
    cluster.start()
    mnt = cluster.mount("real")
    cluster.run_in_ns(["mfsscadmin", str(mnt), "create", "-K", "A", "-A", "C", "-d", "3", "arch"])
    cluster.run_in_ns(["mfssetsclass", "arch", str(mnt)])
    for name in ("young", "old", "touched"):
        (mnt / name).write_bytes(b"x" * 70000)
    # mtime far in the past does not count: only the ctime does.
    subprocess.run(["touch", "-m", "-d", "10 days ago", str(mnt / "young")], check=True)
    for name in ("young", "old", "touched"):
        assert wait_copies(cluster, mnt / name, [["198.18.0.11"]], 30) == [["198.18.0.11"]]

    # Two days later nothing is old enough. Four days later "old" and "young" are (their
    # ctime is the real clock's), "touched" is not: chmod set its ctime on the +2d clock.
    cluster.master.environment = {"LD_PRELOAD": FAKETIME_LIBRARY, "FAKETIME": "+2d"}
    cluster.restart_master()
    time.sleep(5)
    assert copies(cluster, mnt / "old") == [["198.18.0.11"]]
    os.chmod(mnt / "touched", 0o600)
    cluster.master.environment = {"LD_PRELOAD": FAKETIME_LIBRARY, "FAKETIME": "+4d"}
    cluster.restart_master()
    assert wait_copies(cluster, mnt / "old", [["198.18.0.13"]], 60) == [["198.18.0.13"]]
    assert wait_copies(cluster, mnt / "young", [["198.18.0.13"]], 60) == [["198.18.0.13"]]
    assert copies(cluster, mnt / "touched") == [["198.18.0.11"]]
    archived = cluster.run_in_ns(["mfschkarchive", str(mnt / "old"), str(mnt / "touched")]).stdout
    assert archived == (f"{mnt}/old: all chunks are archived\n"
                        f"{mnt}/touched: all chunks are not archived\n")
    entries = changelog_entries(cluster, "ARCHCHG", 2)
    assert sorted(entries) == ["ARCHCHG(2,0,1):1,0,0", "ARCHCHG(3,0,1):1,0,0"]

    # The real master takes over the folder (same shifted clock) and sees the same flags.
    cluster.restart_master(impl="real")
    assert cluster.run_in_ns(["mfschkarchive", str(mnt / "old"), str(mnt / "touched")]).stdout == archived
