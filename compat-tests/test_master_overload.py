"""Issue 3: chunkserver overload (spec 20 §2.5 CSTOMA_CURRENT_LOAD, spec 40 CS_HEAVY_LOAD_*,
BACKTOWORK, SCLASS_INFO "can be fulfilled"), real 3.0.117 master and ours. Real chunkservers
beside a fake one (this file) that registers like a 3.0.117 chunkserver, answers the
master's commands and reports the load and hlstatus the test chooses. Compared: the
marks mfscli shows, where new chunks go, when writes wait, and "can be fulfilled"
(docs/protocol-notes.md, "Chunkserver overload")."""
from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
import time

import pytest
from mfsharness import ADMIN_EXPORTS
from mfsharness.daemons import wait_until

MASTERS = ["ours", "real"]
VERSION_3_0_117 = 0x000300EA
GIB = 1 << 30

CSTOMA_REGISTER, CSTOMA_SPACE, CSTOMA_CURRENT_LOAD, MATOCS_MASTER_ACK = 100, 101, 103, 104
CSTOMA_LABELS = 109
# Commands the fake answers with OK: request id -> (reply id, bytes of the request echoed).
REPLIES = {110: (111, 8), 120: (121, 8), 130: (131, 8), 140: (141, 8), 160: (161, 8), 170: (171, 8)}
MATOCS_REPLICATE, CSTOMA_REPLICATE = 150, 151
OK, HL_OK, HL_OVERLOADED, HL_REBALANCE = 0, 1, 2, 3


def frame(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack(">II", kind, len(payload)) + payload


class FakeChunkserver:
    """Registers at the master from `ip` (data port `port`, nothing listens there) with
    10 GiB free and answers every command with OK; `report_load` sends CURRENT_LOAD."""

    def __init__(self, ns, master, port: int = 9500, labels: int = 0):
        self.ns, self.master, self.port, self.labels = ns, master, port, labels
        self.ip = ns.add_address("other", f"fake{port}")
        self.created: list[int] = []
        self.sock = None
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = None

    def start(self) -> "FakeChunkserver":
        self.sock = self.ns.connect(self.master.ip, self.master.matocs_port, source_ip=self.ip)
        self.sock.settimeout(None)
        used, total = GIB, 11 * GIB
        begin = struct.pack(">BIIHHHQQIQQI", 60, VERSION_3_0_117, struct.unpack(">I", socket.inet_aton(self.ip))[0],
                            self.port, 0, 0, used, total, 0, 0, 0, 0)
        self.send(CSTOMA_REGISTER, begin)
        kind, _ = self.receive()
        assert kind == MATOCS_MASTER_ACK
        self.send(CSTOMA_LABELS, struct.pack(">I", self.labels))
        self.send(CSTOMA_REGISTER, bytes([62]))
        self.send(CSTOMA_SPACE, struct.pack(">QQIQQI", used, total, 0, 0, 0, 0))
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        return self

    def send(self, kind: int, payload: bytes = b"") -> None:
        with self.lock:
            self.sock.sendall(frame(kind, payload))

    def receive(self) -> tuple[int, bytes]:
        header = self._exactly(8)
        kind, length = struct.unpack(">II", header)
        return kind, self._exactly(length)

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = self.sock.recv(n - len(data))
            if not part:
                raise ConnectionError("master closed the connection")
            data += part
        return data

    def report_load(self, load: int, hlstatus: int) -> None:
        self.send(CSTOMA_CURRENT_LOAD, struct.pack(">IB", load, hlstatus))

    def serve(self) -> None:
        try:
            while not self.stopping:
                kind, payload = self.receive()
                if kind == 0:
                    self.send(0)
                elif kind in REPLIES:
                    reply, echoed = REPLIES[kind]
                    if kind == 110:
                        self.created.append(struct.unpack(">Q", payload[:8])[0])
                    self.send(reply, payload[:echoed] + bytes([OK]))
                elif kind == MATOCS_REPLICATE:
                    self.send(CSTOMA_REPLICATE, payload[:12] + bytes([OK]))
        except (ConnectionError, OSError):
            pass

    def stop(self) -> None:
        self.stopping = True
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


def scs(cluster):
    return [r for r in cluster.mfscli("-SCS") if r[0] == "chunk servers:"]


def ssc(cluster):
    return [r for r in cluster.mfscli("-SSC") if r[0] == "storage classes:"]


def fake_row(cluster, fake):
    """The fake's -SCS row without its space and chunk counts: ip, port, labels, load, ..."""
    row = next(r for r in scs(cluster) if r[1] == fake.ip)
    return [row[1], row[2], row[4], row[6], row[7]]


def ssc_can(cluster):
    """Per storage class name: "can be fulfilled" of create, keep and archive (as printed)."""
    return {r[2]: (r[13], r[16], r[19]) for r in ssc(cluster)}


def copy_addresses(cluster, path):
    return sorted(a for c in cluster.file_chunks(path) for a, status in c["copies"] if status == "VALID")


def start_cluster(cluster_factory, master, **options):
    cluster = cluster_factory(master=master, mount="real", chunkservers=["real", "real"], exports=ADMIN_EXPORTS,
                              master_options=options)
    fake = FakeChunkserver(cluster.ns, cluster.master, labels=1 << 5).start()
    wait_until(lambda: any(r[1] == fake.ip for r in scs(cluster)), 10, "fake chunkserver listed")
    return cluster, fake


@pytest.mark.parametrize("master", MASTERS)
def test_overloaded_server_gets_no_new_copies(cluster_factory, master):
    cluster, fake = start_cluster(cluster_factory, master)
    m = cluster.mountpoint
    reals = sorted(cs.address for cs in cluster.chunkservers)
    try:
        for name, mode in (("stdF", "d"), ("looseF", "l")):
            cluster.run_in_ns(["mfsscadmin", str(m), "create", "-m", mode, "-K", "F,*", name])
        fake.report_load(0, HL_OVERLOADED)
        wait_until(lambda: fake_row(cluster, fake)[3] == "<0>", 10, "overloaded mark in mfscli -SCS")
        assert fake_row(cluster, fake) == [fake.ip, str(fake.port), "F", "<0>", "maintenance_off"]
        # 2 copies fit on the two other servers; 3 and the F copies only with the busy one.
        can = ssc_can(cluster)
        assert can["2"] == ("YES", "YES", "YES")
        assert can["3"] == ("NO SPACE", "NO SPACE", "NO SPACE")
        assert can["stdF"] == can["looseF"] == ("NO SPACE", "NO SPACE", "NO SPACE")
        for i in range(3):
            (m / f"f{i}").write_bytes(os.urandom(1000))
            assert copy_addresses(cluster, m / f"f{i}") == reals
        assert fake.created == []
        # No replica for a third copy while the only other server is overloaded...
        cluster.run_in_ns(["mfssetgoal", "3", str(m / "f0")])
        time.sleep(5)
        assert copy_addresses(cluster, m / "f0") == reals
        # ... until it is back.
        fake.report_load(0, HL_OK)
        wait_until(lambda: len(copy_addresses(cluster, m / "f0")) == 3, 30, "third copy on the fake")
        assert ssc_can(cluster)["3"] == ("YES", "YES", "YES")
        fake.report_load(0, HL_OVERLOADED)
        wait_until(lambda: fake_row(cluster, fake)[3] == "<0>", 10, "overloaded again")
        # LOOSE: the F copy goes elsewhere at once.
        (m / "looseF").mkdir()
        cluster.run_in_ns(["mfssetsclass", "looseF", str(m / "looseF")])
        (m / "looseF" / "x").write_bytes(os.urandom(1000))
        assert copy_addresses(cluster, m / "looseF" / "x") == reals
        # STD: the write waits (EAGAIN, retried by the client) while the F server is only
        # overloaded; once it is gone the copy goes to other servers.
        (m / "stdF").mkdir()
        cluster.run_in_ns(["mfssetsclass", "stdF", str(m / "stdF")])
        proc = subprocess.Popen(["dd", "if=/dev/urandom", f"of={m / 'stdF' / 'x'}", "bs=1000", "count=1",
                                 "conv=fsync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(6)
        waited = proc.poll() is None
        fake.stop()
        proc.wait(60)
        assert waited
        assert proc.returncode == 0
        assert copy_addresses(cluster, m / "stdF" / "x") == reals
        assert fake.created == []
    finally:
        fake.stop()


@pytest.mark.parametrize("master", MASTERS)
def test_rebalancing_server_is_marked(cluster_factory, master):
    cluster, fake = start_cluster(cluster_factory, master)
    try:
        fake.report_load(7, HL_REBALANCE)
        wait_until(lambda: fake_row(cluster, fake)[3] == "(7)", 10, "rebalance mark in mfscli -SCS")
        assert ssc_can(cluster)["3"] == ("YES", "YES", "YES")
        fake.report_load(7, HL_OK)
        wait_until(lambda: fake_row(cluster, fake)[3] == "7", 10, "plain load in mfscli -SCS")
    finally:
        fake.stop()


@pytest.mark.parametrize("master", MASTERS)
def test_back_to_work(cluster_factory, master):
    # 3.0.117 showed no grace for a server reporting load 1000 beside two at 0, even with
    # CS_HEAVY_LOAD_RATIO_THRESHOLD 1.5 (docs/protocol-notes.md): only BACKTOWORK's replies
    # are compared.
    cluster, fake = start_cluster(cluster_factory, master)

    def back_to_work(ip, port):
        r = cluster.run_in_ns(["mfscli", "-H", cluster.master.ip, "-P", str(cluster.master.matocl_port),
                               f"-CBW/{ip}/{port}"], check=False)
        return r.returncode, r.stdout.strip()
    try:
        fake.report_load(0, HL_OK)
        assert back_to_work(fake.ip, fake.port) == (0, f"Chunkserver {fake.ip}/{fake.port} has back to work")
        assert back_to_work("198.18.0.200", 5) == (0, "Chunkserver 198.18.0.200/5 hasn't been found")
    finally:
        fake.stop()
