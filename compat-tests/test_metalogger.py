"""The metalogger (spec 40 §A): ours next to MooseFS 3.0.117's, both following the real
master. Both download the same metadata and change logs and write the same change stream;
a master restored with `-a` from our files has what was made through the mount; after a
master restart (the real one or ours) the stream goes on without a hole, and a hole leads
to a new download; a master sending malformed packets gets the same reconnections from
both. Metaloggers of our master: test_master_metaloggers.py."""
import os
import pathlib
import shutil
import socket
import struct
import time
import zlib

import pytest

from mfsharness import Cluster, wait_until

DOWNLOADED = {"metadata_ml.mfs.back", "changelog_ml_back.0.mfs", "changelog_ml_back.1.mfs"}


def files(ml) -> set[str]:
    return {name for name in os.listdir(ml.data_path) if not name.startswith(".")}


def stream(ml, *names: str) -> dict[int, str]:
    """Change lines by version, from the given files (default: the live change log)."""
    lines = {}
    for name in names or ("changelog_ml.0.mfs",):
        path = ml.data_path / name
        text = path.read_text() if path.exists() else ""
        for line in text.splitlines():
            version, _, change = line.partition(": ")
            lines[int(version)] = change
    return lines


def wait_for_change(ml, text: str, *names: str, timeout: float = 30) -> dict[int, str]:
    """Waits until the change log holds a change containing ``text`` (flushed once a second)."""
    return wait_until(lambda: (s := stream(ml, *names)) and any(text in c for c in s.values()) and s,
                      timeout, f"{ml.name} ({ml.impl}): a change with {text!r}")


def metadump(cluster: Cluster, path: pathlib.Path) -> str:
    return cluster.run_in_ns(["mfsmetadump", str(path)]).stdout


def cluster_with_saved_metadata(cluster_factory, master: str = "real", **kwargs) -> Cluster:
    """A cluster whose master has stored its metadata once (a clean restart), so that there
    is a metadata.mfs.back for metaloggers to download (a new master only has "MFSM NEW")."""
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real", **kwargs)
    (cluster.mountpoint / "before").write_bytes(b"in the stored metadata")
    cluster.restart_master()
    return cluster


def make_changes(mnt: pathlib.Path, tag: str) -> None:
    (mnt / f"dir_{tag}").mkdir()
    with open(mnt / f"dir_{tag}" / "file", "wb") as f:
        f.write(os.urandom(100_000))
        f.flush()
        os.fsync(f.fileno())
    os.symlink("file", mnt / f"dir_{tag}" / "link")
    os.rename(mnt / f"dir_{tag}" / "file", mnt / f"dir_{tag}" / f"done_{tag}")


def test_same_files_and_stream_as_the_real_metalogger(cluster_factory):
    cluster = cluster_with_saved_metadata(cluster_factory)
    real, ours = cluster.add_metalogger("real"), cluster.add_metalogger("ours")
    cluster.wait_metaloggers_registered()
    for ml in (real, ours):
        wait_until(lambda: DOWNLOADED <= files(ml), 30, f"{ml.name} ({ml.impl}): downloaded files")
    make_changes(cluster.mountpoint, "a")
    real_stream = wait_for_change(real, "done_a")
    ours_stream = wait_for_change(ours, "done_a")

    assert files(ours) == files(real) == DOWNLOADED | {"changelog_ml.0.mfs"}
    assert metadump(cluster, ours.data_path / "metadata_ml.mfs.back") == \
        metadump(cluster, real.data_path / "metadata_ml.mfs.back")
    for name in ("metadata_ml.mfs.back", "changelog_ml_back.1.mfs"):
        assert (ours.data_path / name).read_bytes() == (real.data_path / name).read_bytes(), name
    # Each connected at its own moment: compare from the later first change on.
    first = max(min(real_stream), min(ours_stream))
    assert {v: c for v, c in ours_stream.items() if v >= first} == \
        {v: c for v, c in real_stream.items() if v >= first}
    # No hole between what was downloaded and the stream.
    ours_all = stream(ours, "changelog_ml_back.0.mfs", "changelog_ml.0.mfs")
    assert sorted(ours_all) == list(range(min(ours_all), max(ours_all) + 1))
    assert any("|MOVE(" in c for c in ours_stream.values())


def test_master_restored_from_our_metalogger(cluster_factory):
    cluster = cluster_with_saved_metadata(cluster_factory)
    ours = cluster.add_metalogger("ours")
    cluster.wait_metaloggers_registered()
    wait_until(lambda: DOWNLOADED <= files(ours), 30, "our metalogger's downloaded files")
    mnt = cluster.mountpoint
    contents = {}
    make_changes(mnt, "b")
    contents["dir_b/done_b"] = (mnt / "dir_b" / "done_b").read_bytes()
    (mnt / "small").write_bytes(b"last change before the kill")
    contents["small"] = b"last change before the kill"
    os.rename(mnt / "before", mnt / "renamed")
    contents["renamed"] = b"in the stored metadata"
    wait_for_change(ours, "renamed")

    cluster.master.kill9()
    for entry in cluster.master.data_path.iterdir():
        entry.unlink()
    for name in files(ours):
        shutil.copyfile(ours.data_path / name, cluster.master.data_path / name)
    cluster.start_master()  # after kill -9 the harness adds -a: restore from the copied files
    assert "-a" in cluster.master.process.args
    assert sorted(os.listdir(mnt)) == ["dir_b", "renamed", "small"]
    assert os.readlink(mnt / "dir_b" / "link") == "file"
    for name, data in contents.items():
        assert (mnt / name).read_bytes() == data, name


def both_following(cluster: Cluster) -> list:
    """The real metalogger and ours, registered, with a first change made through the mount
    in their change logs."""
    mls = [cluster.add_metalogger("real"), cluster.add_metalogger("ours")]
    cluster.wait_metaloggers_registered()
    (cluster.mountpoint / "one").write_text("1")
    for ml in mls:
        wait_for_change(ml, "one")
    return mls


@pytest.mark.parametrize("master", ["real", "ours"])
def test_stream_goes_on_after_a_master_restart(cluster_factory, master):
    cluster = cluster_with_saved_metadata(cluster_factory, master)
    mls = both_following(cluster)
    mnt = cluster.mountpoint
    cluster.restart_master()
    cluster.wait_metaloggers_registered()
    (mnt / "two").write_text("2")
    names = {}
    for ml in mls:
        lines = wait_for_change(ml, "two", "changelog_ml.1.mfs", "changelog_ml.0.mfs")
        versions = sorted(lines)
        assert versions == list(range(versions[0], versions[-1] + 1)), f"{ml.impl}: hole in {versions}"
        assert ml.log_text().count("metadata downloaded") == 1, ml.impl  # no new download
        names[ml.impl] = files(ml)
    assert names["ours"] == names["real"]


@pytest.mark.parametrize("master", ["real", "ours"])
def test_hole_in_the_stream_leads_to_a_new_download(cluster_factory, master):
    # No changes kept for reconnecting metaloggers: what happened while they were away is lost.
    cluster = cluster_with_saved_metadata(cluster_factory, master,
                                          master_options={"CHANGELOG_PRESERVE_SECONDS": 0})
    mls = both_following(cluster)
    mnt = cluster.mountpoint
    for ml in mls:
        ml.pause()
    # The master drops them after their MASTER_TIMEOUT (10 s) without a keep-alive.
    wait_until(lambda: not [r for r in cluster.mfscli("-SMB") if r[0] == "metadata backup loggers:"],
               30, "the paused metaloggers to be dropped", interval=0.5)
    (mnt / "lost").write_text("made while they were away")
    for ml in mls:
        ml.resume()
    cluster.wait_metaloggers_registered()
    (mnt / "two").write_text("2")
    for ml in mls:
        wait_until(lambda: ml.log_text().count("metadata downloaded") == 2, 30,
                   f"{ml.impl}: a second download")
        assert "some changes lost" in ml.log_text()
        wait_until(lambda: DOWNLOADED <= files(ml), 30, f"{ml.impl}: downloaded files")
        assert "changelog_ml.1.mfs" not in files(ml)


# -- a scripted master ---------------------------------------------------------------------

def recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def receive(conn: socket.socket) -> tuple[int, bytes]:
    """The next packet that is not a NOP."""
    while True:
        kind, length = struct.unpack(">II", recv_exact(conn, 8))
        payload = recv_exact(conn, length)
        if kind != 0:
            return kind, payload


def send(conn: socket.socket, kind: int, payload: bytes = b"") -> None:
    conn.sendall(struct.pack(">II", kind, len(payload)) + payload)


def change(version: int, text: str, first: int = 0xFF, nul: bool = True) -> bytes:
    return bytes([first]) + struct.pack(">Q", version) + text.encode() + (b"\0" if nul else b"")


def closed_within(conn: socket.socket, seconds: float) -> bool:
    """Whether the peer closes the connection within ``seconds`` (keep-alives aside; the
    metalogger itself would close it only after its 10 s timeout)."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            receive(conn)
    except (EOFError, ConnectionResetError):
        return True
    except socket.timeout:
        pass
    return False


def scripted_master_session(tmp_path, impl: str) -> list[str]:
    """What the metalogger does against a master that sends bad packets: one line per
    connection with its registration and what followed."""
    cluster = Cluster(tmp_path / impl, master="real", chunkservers=[], metaloggers=[impl])
    cluster.ns.create()
    cluster.started = True
    events = []
    try:
        listener = cluster.ns.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((cluster.master.ip, cluster.master.matoml_port))
        listener.listen(4)
        listener.settimeout(10)
        ml = cluster.metaloggers[0]
        ml.start()

        def connection(script) -> None:
            conn, _ = listener.accept()
            conn.settimeout(5)
            with conn:
                kind, payload = receive(conn)
                line = [f"register {kind} {payload.hex()}"]
                script(conn, line)
                line.append("closed" if closed_within(conn, 3) else "still connected")
            events.append(" | ".join(line))

        def start_download(conn, line, size):
            kind, payload = receive(conn)
            line.append(f"{kind} {payload.hex()}")
            send(conn, 61, b"\xff" if size is None else struct.pack(">Q", size))

        def malformed_after_changes(conn, line):
            start_download(conn, line, None)
            send(conn, 51, change(5, "1|ACCESS(1)"))
            send(conn, 51, change(6, "1|ACCESS(1)"))
            send(conn, 51, change(7, "no NUL", nul=False))

        def wrong_entry_kind(conn, line):
            send(conn, 51, change(7, "1|ACCESS(1)", first=0xAA))

        def unknown_type(conn, line):
            send(conn, 0, b"")
            send(conn, 1, b"anything")  # ANTOAN_UNKNOWN_COMMAND: ignored
            send(conn, 77)

        def gap(conn, line):
            send(conn, 51, change(9, "1|ACCESS(1)"))

        def data_at_wrong_offset(conn, line):
            start_download(conn, line, 100)
            kind, payload = receive(conn)
            line.append(f"{kind} {payload.hex()}")
            data = b"x" * 50
            send(conn, 63, struct.pack(">QII", 50, len(data), zlib.crc32(data)) + data)

        connection(malformed_after_changes)
        live = ml.data_path / "changelog_ml.0.mfs"
        wait_until(lambda: live.exists() and live.read_text().count("\n") >= 2, 5,
                   f"{impl}: the changes in {live.name}")
        events.append(f"{live.name}: {live.read_text()}")
        for script in (wrong_entry_kind, unknown_type, gap, data_at_wrong_offset,
                       lambda conn, line: start_download(conn, line, None)):
            connection(script)
        assert ml.running
        events.append("files: " + " ".join(sorted(files(ml))))
    finally:
        cluster.stop()
    return events


def test_malformed_packets_from_the_master(tmp_path):
    real = scripted_master_session(tmp_path, "real")
    ours = scripted_master_session(tmp_path, "ours")
    print("\n".join(real), "\n".join(ours), sep="\n----\n")  # shown when the test fails
    assert real[:3] == ["register 50 01000300ea000a | 60 01 | closed",
                        "changelog_ml.0.mfs: 5: 1|ACCESS(1)\n6: 1|ACCESS(1)\n",
                        "register 50 02000300ea000a0000000000000007 | closed"]
    assert real[5] == "register 50 01000300ea000a | 60 01 | 62 000000000000000000000064 | closed"
    assert real[6] == "register 50 01000300ea000a | 60 01 | still connected"
    assert ours == real
