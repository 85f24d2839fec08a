"""A one-machine cluster on 127.0.0.1: MooseFS refuses loopback addresses between master and
chunkservers (spec 20 §1); our daemons accept them when told to (ALLOW_LOOPBACK_MASTER on the
chunkserver, ALLOW_LOOPBACK_CHUNKSERVERS on the master), so no network namespace is needed.
The test still runs in one, whose own loopback interface stands for the machine's."""
import hashlib
import os

from mfsharness.daemons import wait_until

LOOPBACK = "127.0.0.1"


def move_to_loopback(cluster):
    cluster.master.ip = LOOPBACK
    for cs in cluster.chunkservers:
        cs.ip = LOOPBACK  # each keeps its own port (9422, 9423, ...)


def test_our_master_and_chunkservers_work_on_loopback_with_the_real_client(cluster_factory):
    cluster = cluster_factory(master="ours", chunkservers=["ours"] * 3, start=False,
                              master_options={"ALLOW_LOOPBACK_CHUNKSERVERS": 1},
                              chunkserver_options={"ALLOW_LOOPBACK_MASTER": 1})
    move_to_loopback(cluster)
    cluster.start()
    registered = cluster.wait_chunkservers_registered(3)
    assert all(address.startswith(LOOPBACK + ":") for address in registered)
    mountpoint = cluster.mount("real")
    data = os.urandom(3 * 1024 * 1024 + 17)
    (mountpoint / "f").write_bytes(data)
    cluster.wait_copies(mountpoint / "f", 2)
    second = cluster.mount("real")
    assert hashlib.md5((second / "f").read_bytes()).digest() == hashlib.md5(data).digest()


def test_our_master_refuses_loopback_chunkservers_by_default(cluster_factory):
    cluster = cluster_factory(master="ours", chunkservers=["ours"], start=False,
                              chunkserver_options={"ALLOW_LOOPBACK_MASTER": 1})
    move_to_loopback(cluster)
    cluster.start(wait_registered=False)
    wait_until(lambda: "announces a loopback address" in cluster.master.log_text(), 30,
               "the master's refusal logged")
    assert cluster.registered_chunkservers() == {}
