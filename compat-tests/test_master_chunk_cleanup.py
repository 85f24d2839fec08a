"""Issue 2: the master deletes chunk copies nobody needs: chunks of truncated files, and the
surplus copy a returning chunkserver brings back after the goal was restored elsewhere."""
import os
import time

import pytest
from mfsharness.daemons import wait_until

MASTERS = ["ours", "real"]


def chunk_files(chunkserver):
    return list((chunkserver.workdir / "hdd").glob("*/chunk_*.mfs"))


def all_chunk_files(cluster):
    return [path for cs in cluster.chunkservers for path in chunk_files(cs)]


@pytest.mark.parametrize("master", MASTERS)
def test_chunks_of_a_truncated_file_are_deleted_from_the_disks(cluster_factory, master):
    cluster = cluster_factory(master=master, mount="real")
    path = cluster.mountpoint / "f"
    path.write_bytes(os.urandom(2 * 1024 * 1024))
    cluster.wait_copies(path, 2)
    assert len(all_chunk_files(cluster)) == 2
    os.truncate(path, 0)
    wait_until(lambda: not all_chunk_files(cluster), 90, "no chunk file left on any disk",
               interval=0.5)
    assert path.stat().st_size == 0


@pytest.mark.parametrize("master", MASTERS)
def test_surplus_copy_of_a_returning_chunkserver_is_deleted(cluster_factory, master):
    cluster = cluster_factory(master=master, mount="real")
    path = cluster.mountpoint / "f"
    data = os.urandom(1024 * 1024)
    path.write_bytes(data)
    chunks = cluster.wait_copies(path, 2)
    holder = chunks[0]["copies"][0][0]
    away = next(cs for cs in cluster.chunkservers if cs.address == holder)
    # kill -9: after a clean stop the real master waits (temporary maintenance) before it
    # replicates.
    away.kill9()
    cluster.wait_copies(path, 2, timeout=120)  # goal restored on the third chunkserver
    away.start()
    # Three copies for a goal of 2 until the master deletes one of them.
    wait_until(lambda: len(all_chunk_files(cluster)) == 2, 120, "the surplus copy deleted",
               interval=0.5)
    chunks = cluster.wait_copies(path, 2)
    assert (cluster.mount("real") / "f").read_bytes() == data


@pytest.mark.parametrize("master", MASTERS)
def test_gracefully_stopped_chunkserver_is_waited_for_then_replaced(cluster_factory, master):
    # Spec 20 §2.10: a clean stop puts the chunkserver in temporary maintenance, during which
    # its copies are not replicated elsewhere.
    cluster = cluster_factory(master=master, mount="real",
                              master_options={"CS_TEMP_MAINTENANCE_MODE_TIMEOUT": 30})
    path = cluster.mountpoint / "f"
    path.write_bytes(os.urandom(1024 * 1024))
    holder = cluster.wait_copies(path, 2)[0]["copies"][0][0]
    away = next(cs for cs in cluster.chunkservers if cs.address == holder)
    stopping = time.monotonic()
    away.stop()  # the real chunkserver takes seconds to stop when the machine is busy
    time.sleep(max(0.0, stopping + 10 - time.monotonic()))
    assert time.monotonic() - stopping < 25, "the stop took most of the maintenance window"
    assert cluster.valid_copies(path) == [1], "replicated during the maintenance"
    cluster.wait_copies(path, 2, timeout=120)  # maintenance over: goal restored elsewhere


@pytest.mark.parametrize("master", MASTERS)
def test_a_chunk_unknown_to_the_metadata_is_recorded_for_deletion_in_a_week(cluster_factory,
                                                                           master):
    # A disk from another cluster: spec 20 §2.9, the master records the chunk locked for
    # 7 days (CHUNKADD) and deletes it only when the lock expires.
    donor = cluster_factory(master="real", chunkservers=["real"], mount="real")
    (donor.mountpoint / "f").write_bytes(os.urandom(100_000))
    donor.wait_copies(donor.mountpoint / "f", 1)
    donor.stop()
    [foreign] = chunk_files(donor.chunkservers[0])

    cluster = cluster_factory(master=master, chunkservers=["real"], start=False)
    disk = cluster.chunkservers[0].workdir / "hdd"
    (disk / foreign.parent.name).mkdir(parents=True, exist_ok=True)
    (disk / foreign.parent.name / foreign.name).write_bytes(foreign.read_bytes())
    started = int(time.time())
    cluster.start()
    changelog = cluster.master.workdir / "data" / "changelog.0.mfs"
    wait_until(lambda: "|CHUNKADD(" in changelog.read_text(), 30, "CHUNKADD logged")
    [line] = [line for line in changelog.read_text().splitlines() if "|CHUNKADD(" in line]
    chunk_id, version, locked_to = line.split("|CHUNKADD(")[1].rstrip(")").split(",")
    assert (int(chunk_id), int(version)) == (1, 1)
    assert started + 7 * 24 * 3600 <= int(locked_to) <= int(time.time()) + 7 * 24 * 3600
    time.sleep(3)
    assert chunk_files(cluster.chunkservers[0]), "deleted before its lock expired"
