"""Spec 10 §11: two real mounts of one file system. One keeps a file open and reads it;
the other writes, appends and truncates it. The reader must see every new content and
length (the master tells it through CHUNK_HAS_CHANGED / FLENG_HAS_CHANGED; attribute
caches may delay it a little, hence the polling). Run against the real master too, which
shows the expectations are MooseFS's own."""
import os
import time

import pytest

MASTERS = ["ours", "real"]
TIMEOUT = 15


def eventually(read, expected, what):
    """Polls `read()` until it returns `expected`; fails after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    got = read()
    while got != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        got = read()
    assert got == expected, what


def reader_and_writer(cluster_factory, master):
    """The roots of two real mounts of one cluster with three real chunkservers."""
    cluster = cluster_factory(master=master, chunkservers=["real", "real", "real"], mount="real")
    return cluster.mountpoint, cluster.mount("real")


@pytest.mark.parametrize("master", MASTERS)
def test_an_open_file_follows_writes_appends_and_truncates_of_another_mount(cluster_factory, master):
    reader_root, writer_root = reader_and_writer(cluster_factory, master)
    (writer_root / "f").write_bytes(b"A" * 1000)

    fd = os.open(reader_root / "f", os.O_RDONLY)
    try:
        def content():
            return os.pread(fd, 1 << 20, 0)

        def length():
            return os.fstat(fd).st_size

        eventually(content, b"A" * 1000, "initial content")

        with open(writer_root / "f", "r+b") as f:
            f.write(b"B" * 1000)
        eventually(content, b"B" * 1000, "overwritten in place")

        with open(writer_root / "f", "ab") as f:
            f.write(b"C" * 500)
        eventually(length, 1500, "length after an append")
        eventually(content, b"B" * 1000 + b"C" * 500, "content after an append")

        os.truncate(writer_root / "f", 300)
        eventually(length, 300, "length after a truncate inside the chunk")
        eventually(content, b"B" * 300, "content after a truncate inside the chunk")

        os.truncate(writer_root / "f", 2000)
        eventually(length, 2000, "length after growing by truncate")
        eventually(content, b"B" * 300 + bytes(1700), "content after growing by truncate")
    finally:
        os.close(fd)


@pytest.mark.parametrize("master", MASTERS)
def test_a_reopened_file_shows_what_another_mount_wrote_meanwhile(cluster_factory, master):
    reader_root, writer_root = reader_and_writer(cluster_factory, master)
    (writer_root / "g").write_bytes(b"1" * 4096)
    # Read twice: the second open may keep the page cache (KEEPCACHE), nothing changed.
    assert (reader_root / "g").read_bytes() == b"1" * 4096
    assert (reader_root / "g").read_bytes() == b"1" * 4096
    with open(writer_root / "g", "r+b") as f:
        f.write(b"2" * 4096)
    eventually(lambda: (reader_root / "g").read_bytes(), b"2" * 4096, "content written by the other mount")
