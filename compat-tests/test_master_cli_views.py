"""mfscli's views of the master and its session command, against the real master and ours
(spec 40 B.3.3-B.3.4, B.3.7, B.3.12-B.3.16): `-SMS` and `-SMO`
list the same sessions with the same parameters (a root mount, a subfolder mount, a meta
mount), `-SEX` the same export lines, `-SMB` no metalogger, `-SOF` the same open files with
their paths (hard links too), `-SIC` the same chunks matrix, `-SAL` the same locks, and
`-CRS` refuses a connected
or unknown session the same way. Removing a disconnected session is in
test_mount_password.py."""
import fcntl
import os
import time

EXPORTS = ("*\t/\trw,alldirs,maproot=0\n"
           "198.18.0.0/16\t/sub\tro,mapall=1000:1000,password=x,mingoal=2,maxtrashtime=1d\n"
           "*\t.\trw\n")


def mfscli(cluster, *args) -> str:
    out = cluster.run_in_ns(["mfscli", "-H", cluster.master.ip, *args]).stdout
    return out.replace(str(cluster.root), "ROOT")


def session_views(master, cluster_factory) -> list[str]:
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real", exports=EXPORTS)
    (cluster.mountpoint / "sub").mkdir()
    sub = cluster.add_mount("real", subfolder="/sub", options=["mfspassword=x"])
    cluster.add_mount("real", meta=True)
    (cluster.mountpoint / "sub" / "held").write_bytes(b"x")
    with open(cluster.mountpoint / "sub" / "held", "rb"), open(cluster.mountpoint / "top", "wb"):
        os.link(cluster.mountpoint / "top", cluster.mountpoint / "sub" / "toplink")
        views = [mfscli(cluster, view, "-s", "|") for view in ["-SMS", "-SMO", "-SEX", "-SMB", "-SOF"]]
    os.listdir(sub.mountpoint)
    views.append(mfscli(cluster, "-CRS/1"))
    views.append(mfscli(cluster, "-CRS/99"))
    return views


def test_session_views_as_the_real_master(cluster_factory):
    real = session_views("real", cluster_factory)
    ours = session_views("ours", cluster_factory)
    print("\n".join(real), "\n".join(ours), sep="\n----\n")  # shown when the test fails
    assert "|/sub|" in real[0] and "(META)" in real[0] and "|/sub|" in real[2] and "|sub/toplink" in real[4]
    assert "still active" in real[5] and "found" in real[6]
    assert ours == real


def chunks_matrix(master, cluster_factory) -> str:
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], mount="real")
    for goal in (1, 2, 3):  # goal 3 on two chunkservers stays under its goal
        folder = cluster.mountpoint / f"g{goal}"
        folder.mkdir()
        cluster.run_in_ns(["mfssetgoal", str(goal), str(folder)])
        for i in range(goal + 1):
            (folder / f"f{i}").write_bytes(os.urandom(70000 * (i + 1)))
    deadline = time.monotonic() + 60
    while True:  # until the copies settle: goal 2 files get their second copy
        matrix = mfscli(cluster, "-SIC", "-s", "|")
        if "goal/copies/chunks:|2|2|3" in matrix or time.monotonic() > deadline:
            return matrix


def test_chunks_matrix_as_the_real_master(cluster_factory):
    """mfscli -SIC: chunks by goal and copies, and the classes it sums up."""
    real = chunks_matrix("real", cluster_factory)
    ours = chunks_matrix("ours", cluster_factory)
    print(real, ours, sep="\n----\n")  # shown when the test fails
    assert "goal/copies/chunks:|3|2|4" in real and "chunkclass undergoal:|4" in real
    assert ours == real


def acquired_locks(master, cluster_factory) -> list[str]:
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    path = cluster.mountpoint / "a"
    path.write_bytes(b"x" * 1000)

    def listing() -> str:  # the lock owner and pid columns differ between runs
        rows = mfscli(cluster, "-SAL", "-s", "|").splitlines()
        return "\n".join("|".join(row.split("|")[:6] + row.split("|")[8:]) for row in rows)

    seen = []
    # One kind at a time: with both, 3.0.117 writes the flock records over the POSIX ones.
    with open(path, "r+b") as f:
        fcntl.lockf(f, fcntl.LOCK_EX, 100, 10)
        fcntl.lockf(f, fcntl.LOCK_SH, 0, 500)
        seen.append(listing())
    with open(path, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        seen.append(listing())
    seen.append(listing())
    return seen


def test_acquired_locks_as_the_real_master(cluster_factory):
    """mfscli -SAL: POSIX ranges (to the end of the file too) and flock holders."""
    real = acquired_locks("real", cluster_factory)
    ours = acquired_locks("ours", cluster_factory)
    print(real, ours, sep="\n----\n")  # shown when the test fails
    assert "|10|110|WRITE(EXCLUSIVE)" in real[0] and "|500|EOF|READ(SHARED)" in real[0]
    assert "FLOCK" in real[1] and real[2] == ""
    assert ours == real
