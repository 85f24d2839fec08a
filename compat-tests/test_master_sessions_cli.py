"""mfscli's session views and commands against the real master and ours (spec 40 B.3.3,
B.3.4): `-SMS` and `-SMO` list the same sessions with the same parameters (a root mount,
a subfolder mount, a meta mount), and `-CRS` refuses a connected or unknown session the
same way. Removing a disconnected session is in test_mount_password.py."""
import pytest


def mfscli(cluster, *args) -> str:
    out = cluster.run_in_ns(["mfscli", "-H", cluster.master.ip, *args]).stdout
    return out.replace(str(cluster.root), "ROOT")


def session_views(master, cluster_factory) -> list[str]:
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    (cluster.mountpoint / "sub").mkdir()
    sub = cluster.add_mount("real", subfolder="/sub")
    cluster.add_mount("real", meta=True)
    (sub.mountpoint / "d").mkdir()
    views = [mfscli(cluster, "-SMS", "-s", "|"), mfscli(cluster, "-SMO", "-s", "|")]
    views.append(mfscli(cluster, "-CRS/1"))
    views.append(mfscli(cluster, "-CRS/99"))
    return views


def test_session_views_as_the_real_master(cluster_factory):
    real = session_views("real", cluster_factory)
    ours = session_views("ours", cluster_factory)
    print("\n".join(real), "\n".join(ours), sep="\n----\n")  # shown when the test fails
    assert "|/sub|" in real[0] and "(META)" in real[0] and "still active" in real[2]
    assert ours == real
