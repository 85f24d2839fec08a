"""Directory listings and symlink reads move the atime as the real master's ATIME_MODE
(default 2, relatime) says, with the same ACCESS changelog entries (spec 10 §8.7)."""

import os
import time

import pytest

from mfsharness.tools import changelog_entries


@pytest.mark.parametrize("master", ["real", "ours"])
def test_listing_and_readlink_log_access_once(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=[], mount="real")
    (cluster.mountpoint / "d").mkdir()
    os.symlink("target", cluster.mountpoint / "s")
    before = os.stat(cluster.mountpoint / "d").st_atime
    for _ in range(2):  # relatime: the second time the atime is already after the change
        time.sleep(1.5)  # a later second, and the mount's 1 s caches expired
        os.listdir(cluster.mountpoint / "d")
        os.readlink(cluster.mountpoint / "s")
    assert changelog_entries(cluster, "ACCESS", 2) == ["ACCESS(2)", "ACCESS(3)"]
    time.sleep(1.5)
    assert os.stat(cluster.mountpoint / "d").st_atime > before
