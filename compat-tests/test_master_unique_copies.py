"""Issue 3: CHUNKS_UNIQUE_MODE (1: one copy per IP, 2: one copy per rack of mfstopology.cfg),
real 3.0.117 master and ours with real chunkservers. Two chunkservers share one address
(different ports). 3.0.117 treats the mode as a preference, not a limit: new chunks and
replicas go to free places first, a chunk with more copies than places gets them all,
surplus copies are taken off shared places, and a copy moves to a free place once a server
there appears (docs/protocol-notes.md)."""
import os
import shutil

import pytest
from mfsharness.daemons import wait_until

MASTERS = ["ours", "real"]


def copy_addresses(cluster, path):
    """The ip:port of each valid copy of the file's only chunk."""
    chunks = cluster.file_chunks(path)
    assert len(chunks) == 1
    return sorted(address for address, status in chunks[0]["copies"] if status == "VALID")


def wait_addresses(cluster, path, condition, what, timeout=60):
    return wait_until(lambda: (lambda a: a if condition(a) else None)(copy_addresses(cluster, path)),
                      timeout, what, interval=0.5)


def ips(addresses):
    return [address.split(":")[0] for address in addresses]


@pytest.mark.parametrize("master", MASTERS)
def test_one_copy_per_ip_while_addresses_allow(cluster_factory, master):
    cluster = cluster_factory(master=master, mount="real", start=False,
                              master_options={"CHUNKS_UNIQUE_MODE": 1, "CHUNKS_LOOP_MIN_TIME": 5})
    shared, alone = cluster.chunkservers[0], cluster.chunkservers[2]
    cluster.chunkservers[1].ip = shared.ip  # second chunkserver on the first one's address
    cluster.start()
    m = cluster.mountpoint
    files = [m / f"f{i}" for i in range(6)]
    for path in files:
        path.write_bytes(os.urandom(1000))
    # Goal 2: always one copy on each address (at random, 1 in 3 chunks would pair the
    # two servers of one address).
    for path in files:
        wait_addresses(cluster, path, lambda a: sorted(set(ips(a))) == [shared.ip, alone.ip],
                       f"{path.name}: copies on {shared.ip} and {alone.ip}")
    # Goal 3 with two addresses: the third copy shares an address.
    cluster.run_in_ns(["mfssetgoal", "3", str(files[0])])
    wait_addresses(cluster, files[0], lambda a: len(a) == 3, "3 copies")
    # Back to 2: the surplus copy is one of the two at the shared address.
    cluster.run_in_ns(["mfssetgoal", "2", str(files[0])])
    wait_addresses(cluster, files[0], lambda a: len(a) == 2 and alone.address in a,
                   f"2 copies, one on {alone.address}")
    # The lone server gone: replicas go to the shared address rather than nowhere.
    alone.kill9()
    for path in files:
        wait_addresses(cluster, path, lambda a: ips(a) == [shared.ip, shared.ip],
                       f"{path.name}: both copies on {shared.ip}")
    # It comes back empty: one copy of each chunk moves there.
    shutil.rmtree(alone.workdir / "hdd")
    (alone.workdir / "hdd").mkdir()
    alone.start()
    for path in files:
        wait_addresses(cluster, path, lambda a: len(a) == 2 and alone.address in a,
                       f"{path.name}: a copy moved to {alone.address}", timeout=90)


@pytest.mark.parametrize("master", MASTERS)
def test_one_copy_per_rack_while_racks_allow(cluster_factory, master):
    cluster = cluster_factory(master=master, mount="real",
                              master_options={"CHUNKS_UNIQUE_MODE": 2},
                              topology="198.18.0.11 1\n198.18.0.12 1\n198.18.0.13 2\n")
    m = cluster.mountpoint
    lone = cluster.chunkservers[2]
    files = [m / f"f{i}" for i in range(6)]
    for path in files:
        path.write_bytes(os.urandom(1000))
    for path in files:
        wait_addresses(cluster, path, lambda a: len(a) == 2 and lone.address in a,
                       f"{path.name}: one copy in rack 2")
    cluster.run_in_ns(["mfssetgoal", "3", str(files[0])])
    wait_addresses(cluster, files[0], lambda a: len(a) == 3, "3 copies in 2 racks")
    cluster.run_in_ns(["mfssetgoal", "2", str(files[0])])
    wait_addresses(cluster, files[0], lambda a: len(a) == 2 and lone.address in a,
                   "2 copies, one in rack 2")
