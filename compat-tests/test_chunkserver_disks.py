"""Issue 4: disks of our mfschunkserver as the real 3.0.117 one handles them: mfshdd.cfg
markers and size limits as mfscli shows them, chunks on a disk marked for removal copied
away by the master, and a corrupt block answered with a CRC error, reported, and repaired
from a good copy while clients read correct data."""
import hashlib
import os
import pathlib
import struct

import pytest

from mfsharness.daemons import wait_until
from test_chunkserver import MASTERS, set_goal, wait_identical_copies

CLTOCS_READ, CSTOCL_READ_STATUS = 200, 201
STATUS_CRC = 29
CHUNK_HEADER = 8192  # header and CRC table of a chunk file written by 3.0.117 or ours


def chunk_files(chunkserver):
    """The chunk files on the chunkserver's disks (mfshdd.cfg lines without markers and limits)."""
    folders = [pathlib.Path(line.lstrip("*<>~").split()[0]) for line in chunkserver.disks]
    return sorted(path for folder in folders for path in folder.glob("*/chunk_*.mfs"))


def read_status(cluster, chunkserver, chunkid, version, offset, size):
    """The READ_STATUS a chunkserver answers to a raw CLTOCS_READ (protover 1)."""
    with cluster.ns.connect(chunkserver.ip, chunkserver.port) as s:
        s.sendall(struct.pack(">IIBQIII", CLTOCS_READ, 21, 1, chunkid, version, offset, size))
        stream = s.makefile("rb")
        while True:
            kind, length = struct.unpack(">II", stream.read(8))
            payload = stream.read(length)
            if kind == CSTOCL_READ_STATUS:
                return payload[8]


def three_of_ours_with_a_file(cluster_factory, master, goal):
    """Real mount, three of our chunkservers, a 300000-byte file `f` with all its copies:
    (cluster, path, data, goal files have, the chunk as mfsfileinfo lists it)."""
    cluster = cluster_factory(master=master, chunkservers=["ours", "ours", "ours"], mount="real")
    goal = set_goal(cluster, master, goal)
    path = cluster.mountpoint / "f"
    data = os.urandom(300000)
    path.write_bytes(data)
    wait_identical_copies(cluster, path, goal)
    [chunk] = cluster.file_chunks(path)
    return cluster, path, data, goal, chunk


def same_md5(path, data):
    return hashlib.md5(path.read_bytes()).digest() == hashlib.md5(data).digest()


def shd_rows(cluster, chunkserver):
    """mfscli -SHD rows of one chunkserver: (folder name, status, used, total)."""
    rows = []
    for row in cluster.mfscli("-SHD"):
        if row[0] == "disks:" and row[1].startswith(chunkserver.address + ":"):
            rows.append((row[1].rstrip("/").rsplit("/", 1)[1], row[4], int(row[-2]), int(row[-1])))
    return sorted(rows)


def test_hdd_markers_and_limits_shown_as_by_the_real_chunkserver(cluster_factory, tmp_path):
    # The same mfshdd.cfg lines for a real chunkserver and one of ours, side by side.
    def lines(impl):
        folders = [tmp_path / impl / f"d{i}" for i in range(6)]
        for folder in folders:
            folder.mkdir(parents=True)
        d = [str(f) for f in folders]
        return [f"*{d[0]}", f"<{d[1]}", f">{d[2]} 2GiB", f"~{d[3]} -1GiB", f"{d[4]} 500MiB", f"*<{d[5]} 1GiB"]
    cluster = cluster_factory(master="real", chunkservers=[])
    real = cluster.add_chunkserver("real", disks=lines("real"))
    ours = cluster.add_chunkserver("ours", disks=lines("ours"))
    cluster.wait_chunkservers_registered(2)
    real_rows, our_rows = shd_rows(cluster, real), shd_rows(cluster, ours)
    assert [r[:2] for r in our_rows] == [r[:2] for r in real_rows]
    assert [r[1] for r in real_rows] == ["marked for removal", "ok", "ok", "ok", "ok", "marked for removal"]
    for (name, _, real_used, real_total), (_, _, used, total) in zip(real_rows, our_rows):
        assert total == real_total, name
        # Others write to the machine's disk meanwhile; limited disks are exact (full).
        assert abs(used - real_used) < 256 << 20, name
    assert real_rows[2][2:] == our_rows[2][2:] == (2 << 30, 2 << 30)


@pytest.mark.parametrize("master", MASTERS)
def test_chunks_on_a_disk_marked_for_removal_are_copied_away(cluster_factory, master):
    # A third server has room for the copy whichever goal files get.
    cluster, path, data, _, chunk = three_of_ours_with_a_file(cluster_factory, master, 1)
    holders = {address for address, _ in chunk["copies"]}
    marked = next(cs for cs in cluster.chunkservers if cs.address in holders)
    marked.disks = ["*" + marked.disks[0]]
    marked.restart()

    def copied_away():
        copies = cluster.file_chunks(path)[0]["copies"]
        return any(status == "VALID" and address not in holders for address, status in copies)
    # The real master copies chunks of marked disks in its chunk loop (CHUNKS_LOOP_MIN_TIME 60 s).
    wait_until(copied_away, 90, "a copy outside the disk marked for removal", interval=0.5)
    assert same_md5(cluster.mount("real") / "f", data)


@pytest.mark.parametrize("master", MASTERS)
def test_corrupt_block_is_reported_served_from_a_good_copy_and_repaired(cluster_factory, master):
    cluster, path, data, goal, chunk = three_of_ours_with_a_file(cluster_factory, master, 2)
    holder = chunk["copies"][0][0]
    damaged = next(cs for cs in cluster.chunkservers if cs.address == holder)
    [chunk_file] = chunk_files(damaged)
    with open(chunk_file, "r+b") as f:  # one byte of block 1
        f.seek(CHUNK_HEADER + 70000)
        byte = f.read(1)
        f.seek(CHUNK_HEADER + 70000)
        f.write(bytes([byte[0] ^ 0xFF]))

    # As the real chunkserver: block 0 still reads, block 1 answers CRC (29), which makes
    # the real client try another copy, and the copy is reported damaged to the master.
    assert read_status(cluster, damaged, chunk["id"], chunk["version"], 0, 65536) == 0
    assert read_status(cluster, damaged, chunk["id"], chunk["version"], 65536, 65536) == STATUS_CRC
    assert "crc error" in damaged.log_text()
    assert same_md5(cluster.mount("real") / "f", data)

    # The master drops the damaged copy and makes a new one from the good copy.
    def repaired():
        valid = [address for address, status in cluster.file_chunks(path)[0]["copies"] if status == "VALID"]
        return len(valid) == goal and holder not in valid
    wait_until(repaired, 120, f"{goal} valid copies, none on the damaged chunkserver", interval=0.5)
    wait_identical_copies(cluster, path, goal)
    assert same_md5(cluster.mount("real") / "f", data)
