"""Our mount's local disk cache (mfsdiskcachepath, mfsdiskcachesize; DESIGN §5, ADR 0007),
against the real 3.0.117 master and ours, with a real chunkserver:
- data read once is read again from the cache folder, also with the chunkserver gone, and
  is the data written;
- the cache keeps the page cache's consistency rules: a change made through another mount
  is seen exactly when the real client and our mount without the cache see it, while the
  file is open and after a close and a new open;
- a folder serves one mount only, and the folder's size stays within mfsdiskcachesize;
- reads in direct mode (`mfscachemode=DIRECT`) neither use nor fill it.
"""
from __future__ import annotations

import os
import time

import pytest

MIB = 1 << 20
MASTERS = ("real", "ours")


def cache_files(folder) -> list:
    return sorted(folder.glob("*.mfscache"))


def cached_bytes(folder) -> int:
    return sum(path.stat().st_blocks * 512 for path in cache_files(folder))


def read_again(fd: int, size: int) -> bytes:
    """The file's bytes read anew: the kernel's pages of it dropped first."""
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    return os.pread(fd, size, 0)


@pytest.mark.parametrize("master", MASTERS)
def test_data_read_once_is_read_again_from_the_disk_cache(cluster_factory, tmp_path, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    data = os.urandom(3 * MIB + 12345)  # the last block is short
    (cluster.mountpoint / "f").write_bytes(data)
    (cluster.mountpoint / "unread").write_bytes(os.urandom(MIB))
    folder = tmp_path / "cache"
    reader = cluster.add_mount("ours", options=[f"mfsdiskcachepath={folder}", "mfsdiskcachesize=64",
                                                "mfscachemode=YES", "mfsreadaheadsize=0", "mfsioretries=2"])
    fd = os.open(reader.mountpoint / "f", os.O_RDONLY)
    try:
        assert read_again(fd, len(data)) == data
        assert len(cache_files(folder)) == 1 and cached_bytes(folder) >= len(data)
        cluster.chunkservers[0].stop()
        assert read_again(fd, len(data)) == data  # within the open
    finally:
        os.close(fd)
    assert (reader.mountpoint / "f").read_bytes() == data  # a new open keeps it (mfscachemode=YES)
    with pytest.raises(OSError):  # the chunkserver is really gone
        (reader.mountpoint / "unread").read_bytes()
    assert "disk cache in" in reader.log_text()


def rewrite(path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as change:
        change.seek(offset)
        change.write(data)


def read_through_new_open(path, size: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return read_again(fd, size)
    finally:
        os.close(fd)


def observe_changes(cluster, reader_mount) -> list:
    """What a reader sees of changes made through the writer mount: while it holds the file
    open, and at an open after a change made while it was closed. Each change rewrites a
    piece in place, which keeps the file's length."""
    writer, reader = cluster.mountpoint, reader_mount.mountpoint
    size = 2 * MIB
    (writer / "g").write_bytes(b"a" * size)
    seen = []
    fd = os.open(reader / "g", os.O_RDONLY)
    try:
        seen.append(read_again(fd, size).count(b"b"))
        rewrite(writer / "g", MIB, b"b" * 100000)
        time.sleep(2)  # time for the master's notification, if it sends one
        seen.append(read_again(fd, size).count(b"b"))
    finally:
        os.close(fd)
    # The second change comes right after the first, which the reader read: the chunk is
    # still locked by the first, so both masters keep its version.
    rewrite(writer / "g", 100, b"c" * 5000)
    seen.append(read_through_new_open(reader / "g", size).count(b"c"))
    rewrite(writer / "g", 100, b"d" * 5000)
    seen.append(read_through_new_open(reader / "g", size).count(b"d"))
    return seen


@pytest.mark.parametrize("master", MASTERS)
def test_disk_cache_sees_changes_as_the_page_cache_does(cluster_factory, tmp_path, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    observed = {}
    for name, impl, options in (("real", "real", []), ("ours", "ours", []),
                                ("ours, disk cache", "ours", [f"mfsdiskcachepath={tmp_path / 'cache'}"])):
        reader = cluster.add_mount(impl, options=options)
        observed[name] = observe_changes(cluster, reader)
        reader.stop()
    assert observed["real"][0] == 0 and observed["real"][2:] == [5000, 5000], observed  # close-to-open
    assert observed["ours, disk cache"] == observed["ours"] == observed["real"], observed


def test_a_disk_cache_folder_serves_one_mount_within_its_size(cluster_factory, tmp_path):
    cluster = cluster_factory(master="ours", chunkservers=["real"], mount="real")
    for i in range(6):
        (cluster.mountpoint / f"f{i}").write_bytes(bytes([i]) * (2 * MIB))
    folder = tmp_path / "cache"
    options = [f"mfsdiskcachepath={folder}", "mfsdiskcachesize=5", "mfscachemode=YES"]
    reader = cluster.add_mount("ours", options=options)
    for i in range(6):
        assert (reader.mountpoint / f"f{i}").read_bytes() == bytes([i]) * (2 * MIB)
        assert cached_bytes(folder) <= 5 * MIB
    assert cached_bytes(folder) >= 4 * MIB
    second = cluster.add_mount("ours", options=options, start=False)
    second.write_config()
    refused = cluster.ns.run([arg for arg in second.command() if arg != "-f"], check=False, timeout=30)
    assert refused.returncode == 1
    assert "used by another mfsmount" in refused.stderr
    reader.stop()
    assert cache_files(folder) == []  # the unmount empties it


def test_direct_mode_reads_bypass_the_disk_cache(cluster_factory, tmp_path):
    cluster = cluster_factory(master="ours", chunkservers=["real"], mount="real")
    data = os.urandom(MIB)
    (cluster.mountpoint / "f").write_bytes(data)
    folder = tmp_path / "cache"
    reader = cluster.add_mount("ours", options=[f"mfsdiskcachepath={folder}", "mfscachemode=DIRECT"])
    assert (reader.mountpoint / "f").read_bytes() == data
    assert cache_files(folder) == []
