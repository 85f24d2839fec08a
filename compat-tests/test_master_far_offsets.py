"""A file written far past its end (spec 00: chunk indexes up to 0x7FFFFFFF, so files up to
2^57 bytes), through the real mount: on both masters the write and its read back work and a
write at 2^57 fails with EFBIG. Our master keeps the file across a kill -9, holds no more
than the file's chunk table meanwhile (its checkpoint records leave the holes out), and
gives the table's memory back when the file is cut short (docs/protocol-notes.md, "A write
far past a file's end")."""

from __future__ import annotations

import errno
import os
import time

import pytest

FAR = 1 << 52  # chunk index 2^26: a table of 512 MiB in our master, 8 bytes per index
TABLE_MIB = (FAR >> 26) * 8 >> 20


def memory_mib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in MiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, value = line.split(":", 1)
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(value.split()[0]) >> 10
    return values


@pytest.mark.parametrize("master", ["real", "ours"])
def test_a_write_far_past_the_end_of_a_file(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    path = cluster.mountpoint / "far"
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        assert os.pwrite(fd, b"start", 0) == 5
        assert os.pwrite(fd, b"far", FAR) == 3
        with pytest.raises(OSError) as refused:
            os.pwrite(fd, b"x", 1 << 57)
        assert refused.value.errno == errno.EFBIG
        os.fsync(fd)
    finally:
        os.close(fd)
    assert os.stat(path).st_size == FAR + 3
    if master == "ours":
        time.sleep(5)  # the checkpoint takes the change within a second or two
        peak = memory_mib(cluster.master.pid)["VmHWM"]
        # The table once more for the checkpoint's record was 4 times it in all.
        assert peak < 2 * TABLE_MIB, peak
        cluster.restart_master(kill9=True)
    with open(path, "rb") as f:
        assert f.read(5) == b"start"
        f.seek(FAR - 2)
        assert f.read(10) == b"\0\0far"
    os.truncate(path, 5)
    assert path.read_bytes() == b"start"
    if master == "ours":
        assert memory_mib(cluster.master.pid)["VmRSS"] < TABLE_MIB / 2
