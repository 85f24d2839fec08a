"""Issue 4: our mfschunkserver with the real 3.0.117 mfsmount, real chunkservers and a
master (the real one, or ours where it works): chained writes, reads, replication both
ways, and disks taken over from a real chunkserver and given back."""
import hashlib
import os
import pathlib
import re
import struct

import pytest

from mfsharness.daemons import wait_until

MASTERS = ["real", "ours"]
MiB = 1024 * 1024
EDGE_SIZES = (0, 1, 65535, 65536, 65537, 64 * MiB + 1)
# Replicate at once after a chunkserver disappears (the default waits an hour).
FAST_REPLICATION = {"REPLICATIONS_DELAY_DISCONNECT": 0}


def set_goal(cluster, master, goal):
    """Sets the goal of everything in the mount; returns the goal files have. Our master
    has no SETSCLASS yet (mfssetgoal's command 448), so with it the default goal 2 stays."""
    if master == "ours":
        return 2
    cluster.run_in_ns(["mfssetgoal", "-r", str(goal), str(cluster.mountpoint)])
    return goal


def wait_identical_copies(cluster, path, copies, timeout=60):
    """Waits until every chunk of the file has `copies` copies whose checksums the
    chunkservers report and agree on. mfsfileinfo lists a copy still being replicated as
    VALID already (see docs/protocol-notes.md), so cluster.wait_copies is not enough
    before a test takes the source away; `-c` asks each chunkserver for its checksum."""
    def done():
        out = cluster.run_in_ns(["mfsfileinfo", "-c", str(path)], check=False).stdout
        chunks = out.split("\tchunk ")[1:]
        digests = [re.findall(r"\(status:VALID ; blocks: \d+ ; checksum digest: ([0-9A-F]+)\)", chunk)
                   for chunk in chunks]
        return chunks and all(len(d) == copies and len(set(d)) == 1 for d in digests)
    wait_until(done, timeout, f"{copies} identical copies of every chunk of {path}", interval=0.3)


def md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def write_files(directory, sizes, prefix="file"):
    """Random files of the given sizes; returns {name: md5}."""
    expected = {}
    for size in sizes:
        data = os.urandom(size)
        name = f"{prefix}_{size}"
        (directory / name).write_bytes(data)
        expected[name] = hashlib.md5(data).hexdigest()
    return expected


def check_files(directory, expected):
    for name, digest in expected.items():
        assert md5(directory / name) == digest, name


@pytest.mark.parametrize("master", MASTERS)
def test_three_of_ours_store_files_of_edge_sizes(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["ours", "ours", "ours"], mount="real")
    mount = cluster.mountpoint
    goal = set_goal(cluster, master, 3)
    expected = write_files(mount, EDGE_SIZES)
    for name in expected:
        if (mount / name).stat().st_size > 0:
            wait_identical_copies(cluster, mount / name, goal, timeout=30)
    # A second mount has no cache of what was written: the data comes from the chunkservers.
    other = cluster.mount("real")
    check_files(other, expected)
    for name in expected:
        assert (other / name).stat().st_size == (mount / name).stat().st_size


@pytest.mark.parametrize("master", MASTERS)
def test_mixed_chain_and_replication_both_ways(cluster_factory, master):
    # Goal 3 on two real and two of ours: every chain mixes both kinds, and after a kill
    # the master restores the lost copy on the remaining servers, by replication from a
    # real chunkserver to ours or the other way round (a fourth server makes room for it).
    cluster = cluster_factory(master=master, chunkservers=["real", "real", "ours", "ours"], mount="real",
                              master_options=FAST_REPLICATION)
    mount = cluster.mountpoint
    goal = set_goal(cluster, master, 3)
    expected = write_files(mount, (65537, 3 * MiB + 5, 5 * 64 * 1024))
    for name in expected:
        wait_identical_copies(cluster, mount / name, goal, timeout=30)
    for victim in (cluster.chunkservers[2], cluster.chunkservers[0]):  # one of ours, then a real one
        victim.kill9()
        for name in expected:
            wait_identical_copies(cluster, mount / name, goal)
        check_files(cluster.mount("real"), expected)
        victim.start()
        cluster.wait_chunkservers_registered(4)


@pytest.mark.parametrize("master", MASTERS)
def test_replication_from_real_to_ours_and_back(cluster_factory, master):
    # Each step leaves one server alone with the data, so the direction is certain. A goal
    # change makes the real master replicate at once (else it waits for its chunk loop).
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real", master_options=FAST_REPLICATION)
    mount = cluster.mountpoint
    set_goal(cluster, master, 1)
    expected = write_files(mount, (1, 65537, 64 * MiB + 1))
    real, ours = cluster.chunkservers[0], cluster.add_chunkserver("ours")
    cluster.wait_chunkservers_registered()
    set_goal(cluster, master, 2)
    for name in expected:
        wait_identical_copies(cluster, mount / name, 2)  # real -> ours
    real.kill9()
    check_files(cluster.mount("real"), expected)
    cluster.add_chunkserver("real")
    cluster.wait_chunkservers_registered()
    set_goal(cluster, master, 3)
    for name in expected:
        wait_identical_copies(cluster, mount / name, 2)  # ours -> real, the only two servers
    ours.kill9()
    check_files(cluster.mount("real"), expected)


@pytest.mark.parametrize("master", MASTERS)
def test_disk_of_a_real_chunkserver_served_by_ours_and_back(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    mount = cluster.mountpoint
    set_goal(cluster, master, 1)
    expected = write_files(mount, (1, 65536, 200000, 64 * MiB + 1), prefix="by_real")
    chunkserver = cluster.chunkservers[0]
    chunkserver.restart(impl="ours")
    cluster.wait_chunkservers_registered(1)
    check_files(cluster.mount("real"), expected)
    # Ours changes the disk: new files, and an old one overwritten in its middle.
    expected.update(write_files(mount, (70000, 3 * MiB), prefix="by_ours"))
    with open(mount / "by_real_200000", "r+b") as f:
        f.seek(100000)
        f.write(b"written by ours")
    expected["by_real_200000"] = md5(mount / "by_real_200000")
    # After a clean stop ours starts from its chunk index instead of a scan.
    chunkserver.restart()
    cluster.wait_chunkservers_registered(1)
    assert "chunk list read from the index" in chunkserver.log_text()
    check_files(cluster.mount("real"), expected)
    chunkserver.restart(impl="real")
    cluster.wait_chunkservers_registered(1)
    check_files(cluster.mount("real"), expected)


def put_empty_chunk(disk, chunkid, version):
    """An empty chunk file as spec 30 §5.3 lays it out, in folder XX = low byte of the id."""
    folder = pathlib.Path(disk) / f"{chunkid & 0xFF:02X}"
    folder.mkdir(parents=True, exist_ok=True)
    header = b"MFSC 1.0" + struct.pack(">QI", chunkid, version)
    (folder / f"chunk_{chunkid:016X}_{version:08X}.mfs").write_bytes(
        header.ljust(4096, b"\0") + struct.pack(">I", 0xD7978EEB) * 1024)


def test_registration_in_batches(cluster_factory):
    # 2500 chunks with CHUNKS_PER_REGISTER_PACKET = 1000 (the lowest allowed): three
    # batches, each acknowledged by the master before the next one.
    cluster = cluster_factory(master="real", chunkservers=["ours"], start=False,
                              chunkserver_options={"CHUNKS_PER_REGISTER_PACKET": 1000})
    chunkserver = cluster.chunkservers[0]
    for chunkid in range(1, 2501):
        put_empty_chunk(chunkserver.disks[0], chunkid, 1)
    cluster.start()
    registered = cluster.wait_chunkservers_registered()
    assert registered[chunkserver.address]["chunks"] == 2500


def test_disk_or_master_of_another_file_system_is_refused(cluster_factory):
    cluster = cluster_factory(master="real", chunkservers=["ours"])
    chunkserver = cluster.chunkservers[0]
    chunkserver.stop()
    identity = chunkserver.data_path / "chunkserverid.mfs"
    disk_metaid = pathlib.Path(chunkserver.disks[0]) / ".metaid"
    csid, metaid = struct.unpack(">HQ", identity.read_bytes())
    assert metaid != 0 and disk_metaid.read_bytes() == struct.pack(">Q", metaid)
    # The disk belongs to another instance than the chunkserver: not used (spec 30 §5.6).
    identity.write_bytes(struct.pack(">HQ", csid, metaid ^ 1))
    chunkserver.start(wait=False)
    assert chunkserver.wait_exit() == 1
    assert "belongs to a different mfs instance" in chunkserver.log_text()
    # Both agree, the master does not: the chunkserver ends (spec 20 §2.3 step 4).
    disk_metaid.write_bytes(struct.pack(">Q", metaid ^ 1))
    chunkserver.start(wait=False)
    assert chunkserver.wait_exit() == 1
    assert "wrong meta data id" in chunkserver.log_text()


def test_acknowledged_writes_survive_kill9(cluster_factory):
    cluster = cluster_factory(master="real", chunkservers=["ours"], mount="real")
    mount = cluster.mountpoint
    cluster.run_in_ns(["mfssetgoal", "1", str(mount)])
    data = os.urandom(5 * MiB + 3)
    with open(mount / "f", "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())  # every block acknowledged by the chunkserver
    chunkserver = cluster.chunkservers[0]
    chunkserver.kill9()
    chunkserver.start()
    cluster.wait_chunkservers_registered(1)
    assert md5(cluster.mount("real") / "f") == hashlib.md5(data).hexdigest()
