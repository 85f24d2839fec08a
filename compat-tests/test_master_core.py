"""Issue 2: the real 3.0.117 mfsmount and chunkservers against a master, ours or the real
one (the real one shows the workload itself is right); issue 4: the same workload on the real
master with three of our chunkservers."""
import hashlib
import os
import subprocess
import threading

import pytest

from mfsharness.daemons import wait_until
from mfsharness.tools import changelog_entries

# Our master and the real one (which shows the workload itself is right) with real
# chunkservers, and the real master with three of ours (issue 4).
SERVERS = [pytest.param("ours", "real", id="ours"), pytest.param("real", "real", id="real"),
           pytest.param("real", "ours", id="our-chunkservers")]


def md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_files_of_edge_sizes_are_md5_exact(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    mount = cluster.mountpoint
    expected = {}
    for size in (0, 1, 65535, 65536, 65537, 64 * 1024 * 1024 + 1):
        data = os.urandom(size)
        path = mount / f"file_{size}"
        path.write_bytes(data)
        expected[path] = hashlib.md5(data).hexdigest()
    # Read back through a second mount, which has no cache of what was written.
    other = cluster.mount("real")
    for path, digest in expected.items():
        assert md5(other / path.name) == digest, path.name
        assert (other / path.name).stat().st_size == path.stat().st_size


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_namespace_operations(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    mount = cluster.mountpoint
    (mount / "d").mkdir(mode=0o750)
    assert oct((mount / "d").stat().st_mode & 0o777) == oct(0o750 & ~0o022)
    (mount / "d" / "f").write_text("hello")
    os.link(mount / "d" / "f", mount / "d" / "hard")
    assert (mount / "d" / "f").stat().st_nlink == 2
    os.symlink("f", mount / "d" / "sym")
    assert os.readlink(mount / "d" / "sym") == "f"
    assert (mount / "d" / "sym").read_text() == "hello"
    os.rename(mount / "d" / "f", mount / "moved")
    assert sorted(os.listdir(mount / "d")) == ["hard", "sym"]
    os.mkfifo(mount / "fifo")
    assert (mount / "fifo").is_fifo()
    os.chmod(mount / "moved", 0o600)
    os.chown(mount / "moved", 1234, 5678)
    st = (mount / "moved").stat()
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o600, 1234, 5678)
    os.utime(mount / "moved", (1000000000, 1000000001))
    assert (mount / "moved").stat().st_mtime == 1000000001
    os.truncate(mount / "moved", 2)
    assert (mount / "moved").read_text() == "he"
    os.setxattr(mount / "moved", "user.color", b"blue")
    assert os.getxattr(mount / "moved", "user.color") == b"blue"
    assert "user.color" in os.listxattr(mount / "moved")
    with pytest.raises(OSError):
        os.rmdir(mount / "d")
    os.unlink(mount / "d" / "hard")
    os.unlink(mount / "d" / "sym")
    os.rmdir(mount / "d")
    os.unlink(mount / "moved")
    assert sorted(os.listdir(mount)) == ["fifo"]
    statvfs = os.statvfs(mount)
    assert statvfs.f_files >= 1


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_goal_copies_as_mfsfileinfo_shows_them(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    path = cluster.mountpoint / "f"
    path.write_bytes(os.urandom(3 * 1024 * 1024))
    # The root's default goal is 2: both copies valid, on two different chunkservers.
    chunks = cluster.wait_copies(path, 2, timeout=60)
    holders = {address for address, _ in chunks[0]["copies"]}
    assert len(holders) == 2
    assert holders <= {cs.address for cs in cluster.chunkservers}


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_lost_copy_is_replicated_back_to_goal(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    path = cluster.mountpoint / "f"
    data = os.urandom(1024 * 1024)
    path.write_bytes(data)
    chunks = cluster.wait_copies(path, 2, timeout=60)
    holder = chunks[0]["copies"][0][0]
    victim = next(cs for cs in cluster.chunkservers if cs.address == holder)
    victim.kill9()
    chunks = cluster.wait_copies(path, 2, timeout=120)
    assert holder not in {address for address, _ in chunks[0]["copies"]}
    assert md5(cluster.mount("real") / "f") == hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_concurrent_writers(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    mount = cluster.mountpoint
    writers = [subprocess.Popen(["python3", "-c", f"""
import os
for i in range(20):
    with open(os.path.join({str(mount)!r}, "w{w}_" + str(i)), "wb") as f:
        f.write(bytes([{w}]) * (100000 + i))
"""]) for w in range(4)]
    for writer in writers:
        assert writer.wait(timeout=300) == 0
    for w in range(4):
        for i in range(20):
            assert (mount / f"w{w}_{i}").read_bytes() == bytes([w]) * (100000 + i)


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_client_survives_master_restart(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    mount = cluster.mountpoint
    (mount / "before").write_bytes(b"x" * 100000)
    cluster.restart_master()
    # The mount reconnects by itself; operations in the meantime are retried.
    (mount / "after").write_bytes(b"y" * 100000)
    assert (mount / "before").read_bytes() == b"x" * 100000
    assert sorted(os.listdir(mount)) == ["after", "before"]


# Only our master: 3.0.117 itself does not keep this promise. Killed with -9 while a client
# creates, writes and fsyncs files, it came back (-a) without the last acknowledged file's
# length (read back empty) in about one run of ten, and in others its client hung for
# minutes on the write in flight (docs/compat.md). With real chunkservers and with ours.
@pytest.mark.parametrize("master, chunkservers", [pytest.param("ours", "real", id="ours"),
                                                  pytest.param("ours", "ours", id="all-ours")])
def test_acknowledged_files_survive_kill_9_of_the_master(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    mount = cluster.mountpoint
    writer = subprocess.Popen(["python3", "-c", f"""
import os, sys
i = 0
while True:
    path = os.path.join({str(mount)!r}, f"f{{i}}")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, str(i).encode() * 100)
    os.fsync(fd)
    os.close(fd)
    print(i, flush=True)
    i += 1
"""], stdout=subprocess.PIPE, text=True)
    acknowledged = []
    for line in writer.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 30:
            break
    cluster.master.stop(kill=True)
    # The writer may sit in an uninterruptible FUSE call until a master answers: it can only
    # be reaped once the master is back.
    writer.kill()
    cluster.start_master()
    writer.wait(timeout=120)
    for i in acknowledged:
        assert (mount / f"f{i}").read_bytes() == str(i).encode() * 100


# Killed after logging the version change of a write (WRITE) or of a truncate inside a chunk
# (TRUNC) and before the chunkservers took the new version, our master comes back at a
# version no copy has: the version change is taken back, and the operation in flight,
# retried by the client, goes through.
def overwrite_the_start(path):
    with open(path, "r+b") as f:
        f.write(b"b" * 500)


INTERRUPTED = {
    "write": ("WRITE", overwrite_the_start, b"b" * 500 + b"a" * 500),
    "truncate": ("TRUNC", lambda path: os.truncate(path, 300), b"a" * 300),
}


def kill_9_the_master_during(cluster, entry, operation):
    """Runs ``operation`` with the chunkservers paused, so that the commands the master sends
    wait unread; kills the master (-9) once it logged the ``entry`` line, kills and restarts
    the chunkservers with the commands unread, starts the master again and waits for the
    operation to end. True if it ended without an error."""
    logged = len(changelog_entries(cluster, entry, 0, timeout=0))
    for chunkserver in cluster.chunkservers:
        chunkserver.pause()
    outcome = []

    def operate():
        operation()
        outcome.append("done")

    operator = threading.Thread(target=operate)
    operator.start()
    assert len(changelog_entries(cluster, entry, logged + 1, timeout=30)) == logged + 1, f"no {entry} line"
    cluster.master.stop(kill=True)  # first: the servers' going would make it take the change back
    for chunkserver in cluster.chunkservers:
        chunkserver.kill9()
    for chunkserver in cluster.chunkservers:
        chunkserver.start()
    cluster.start_master()
    operator.join(timeout=90)
    return outcome == ["done"]


@pytest.mark.parametrize("chunkservers", ["real", "ours"])
@pytest.mark.parametrize("operation", INTERRUPTED)
def test_an_operation_interrupted_by_kill_9_of_the_master_goes_through_after_the_restart(cluster_factory,
                                                                                         chunkservers, operation):
    entry, run, expected = INTERRUPTED[operation]
    cluster = cluster_factory(master="ours", chunkservers=[chunkservers] * 2, mount="real")
    path = cluster.mountpoint / "f"
    path.write_bytes(b"a" * 1000)
    cluster.restart_master()  # copies not known to be in step: a rewrite raises the version
    cluster.wait_copies(path, 2)  # the chunkservers' chunk lists are in
    assert kill_9_the_master_during(cluster, entry, lambda: run(path))
    assert path.read_bytes() == expected
    assert "version change to 2 from before the start reached no chunkserver" in cluster.master.log_text()


# Killed after logging the WRITE of a new chunk and before any chunkserver created it, our
# master comes back with a chunk no server has; the client's new request creates it again.
@pytest.mark.parametrize("chunkservers", ["real", "ours"])
def test_a_chunk_creation_interrupted_by_kill_9_of_the_master_is_done_again(cluster_factory, chunkservers):
    cluster = cluster_factory(master="ours", chunkservers=[chunkservers] * 2, mount="real")
    path = cluster.mountpoint / "f"
    path.write_bytes(b"")
    assert kill_9_the_master_during(cluster, "WRITE", lambda: path.write_bytes(b"b" * 500))
    assert path.read_bytes() == b"b" * 500
    assert "its creation from before the start reached no chunkserver" in cluster.master.log_text()


# Chunkservers may hold a chunk whose WRITE line a kill of our master lost: the master sends
# CREATE while the line waits for the changelog writer. After an unclean stop, new chunks do
# not reuse the ids such a lost tail may have used; after a clean stop they go on.
def test_chunk_ids_after_a_kill_skip_those_a_lost_changelog_tail_may_have_used(cluster_factory):
    cluster = cluster_factory(master="ours", chunkservers=["real"] * 2, mount="real")

    def new_chunk_id(name):
        (cluster.mountpoint / name).write_bytes(name.encode())
        return int(changelog_entries(cluster, "WRITE", 1)[-1].split(":")[-1])

    first = new_chunk_id("a")
    cluster.master.stop()
    cluster.start_master()
    assert new_chunk_id("b") == first + 1
    cluster.master.stop(kill=True)
    cluster.start_master()
    assert new_chunk_id("c") >= first + 2 + (1 << 24)
    assert [(cluster.mountpoint / name).read_bytes() for name in "abc"] == [b"a", b"b", b"c"]


# An append reserves its range in the master's memory only, as on 3.0.117: the length is
# logged when the data's write ends, not at the reservation. A reservation logged at once
# was applied twice when a master restart lost its reply and the client asked again.
@pytest.mark.parametrize("master", ["real", "ours"])
def test_appends_log_their_lengths_as_the_real_master(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"] * 2, mount="real")
    path = cluster.mountpoint / "f"
    path.write_bytes(b"x" * 5000)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"a" * 1000)
        os.write(fd, b"b" * 2000)
    finally:
        os.close(fd)
    inode = path.stat().st_ino
    assert changelog_entries(cluster, "LENGTH", 2) == [f"LENGTH({inode},5000,0)", f"LENGTH({inode},8000,0)"]
    assert path.read_bytes() == b"x" * 5000 + b"a" * 1000 + b"b" * 2000


# Observed on 3.0.117: a rewrite keeps the chunk's version (WRITE opflag 0) while every copy
# took that version and none went or came since. A chunkserver leaving or coming back, or a
# master restart, makes the next write raise it (opflag 1).
@pytest.mark.parametrize("master", ["real", "ours"])
def test_rewrites_raise_the_chunk_version_only_after_the_copies_changed(cluster_factory, master):
    # No replication within the test: it would change the copies between rewrites.
    cluster = cluster_factory(master=master, chunkservers=["real"] * 2, mount="real",
                              master_options={"REPLICATIONS_DELAY_INIT": 3600})
    path = cluster.mountpoint / "f"

    def rewrite():
        with open(path, "r+b") as f:
            f.write(b"y" * 1000)

    path.write_bytes(b"x" * 1000)
    rewrite()
    leaving = cluster.chunkservers[0]
    leaving.stop()
    wait_until(lambda: len(cluster.registered_chunkservers()) == 1, 30, "the master to see a chunkserver leave")
    rewrite()
    rewrite()
    leaving.start()
    cluster.wait_chunkservers_registered()
    rewrite()
    rewrite()
    cluster.restart_master()
    rewrite()
    rewrite()
    inode = path.stat().st_ino
    writes = changelog_entries(cluster, "WRITE", 8, timeout=30)
    assert [w.split(",")[2] for w in writes] == ["1", "0", "1", "0", "1", "0", "1", "0"], writes
    assert all(w.startswith(f"WRITE({inode},0,") for w in writes), writes
    assert path.read_bytes() == b"y" * 1000
