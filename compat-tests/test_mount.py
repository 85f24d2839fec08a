"""Our mfsmount (issue 5) against the real 3.0.117 master and ours, with three real
chunkservers, and (SERVERS) with our master and chunkservers: namespace operations compared
with a real mount doing the same, exact data of files around block and chunk sizes, and data
crossing between our mount and a real one."""

import errno
import hashlib
import os
import random
import stat
import subprocess
import threading
import time

import pytest

from mfsharness import ADMIN_EXPORTS, background_mount_pids, binary, is_mounted, unmount_background, wait_until
from mfsharness.daemons import mount_table
from test_harness_real import md5_file, write_synced

MASTERS = ["real", "ours"]
# (master, chunkservers) for the data and namespace workload: real chunkservers with either
# master, and all ours (our master and chunkservers; only the comparison mounts are real).
SERVERS = [pytest.param("real", "real", id="real"), pytest.param("ours", "real", id="ours"),
           pytest.param("ours", "ours", id="all-ours")]
CHUNK = 64 << 20
SIZES = [0, 1, 65535, 65536, 65537, CHUNK + 1]


def describe(path) -> tuple:
    """What a scenario compares: type, permission bits, size (files, symlinks), link count."""
    st = os.lstat(path)
    size = st.st_size if not stat.S_ISDIR(st.st_mode) else None
    return (stat.S_IFMT(st.st_mode), oct(stat.S_IMODE(st.st_mode)), size, st.st_nlink)


def namespace_scenario(root) -> list:
    """Namespace operations in `root`, returning what was observed (no ids, no times)."""
    seen = []

    def note(what, value):
        print(f"{root.name}: {what}: {value!r}")  # shown when the test fails
        seen.append((what, value))

    def error_of(call):
        try:
            call()
        except OSError as e:
            return errno.errorcode[e.errno]
        return "ok"

    root.mkdir()
    (root / "dir").mkdir(mode=0o750)
    (root / "dir" / "sub").mkdir()
    (root / "file").write_bytes(b"hello")
    os.chmod(root / "file", 0o640)
    note("listing", sorted(os.listdir(root)))
    note("file", describe(root / "file"))
    note("dir", describe(root / "dir"))
    note("mkdir again", error_of(lambda: (root / "dir").mkdir()))
    note("rmdir non-empty", error_of(lambda: (root / "dir").rmdir()))
    note("unlink dir", error_of(lambda: os.unlink(root / "dir")))
    note("rmdir file", error_of(lambda: os.rmdir(root / "file")))
    os.symlink("file", root / "link")
    note("readlink", os.readlink(root / "link"))
    note("link", describe(root / "link"))
    note("through link", (root / "link").read_bytes())
    os.link(root / "file", root / "hard")
    note("hard link count", os.stat(root / "file").st_nlink)
    note("same inode", os.stat(root / "file").st_ino == os.stat(root / "hard").st_ino)
    os.rename(root / "file", root / "dir" / "moved")
    note("after rename", sorted(os.listdir(root)))
    note("moved", (root / "dir" / "moved").read_bytes())
    note("dangling link", error_of(lambda: (root / "link").read_bytes()))
    os.rename(root / "hard", root / "dir" / "moved")  # links of one node: rename(2) does nothing
    note("rename onto the same node", (sorted(os.listdir(root)), sorted(os.listdir(root / "dir"))))
    (root / "other").write_bytes(b"other")
    os.rename(root / "other", root / "hard")  # replaces another node
    note("rename replacing", ((root / "hard").read_bytes(), os.stat(root / "dir" / "moved").st_nlink))
    os.truncate(root / "dir" / "moved", 2)
    note("truncated", (root / "dir" / "moved").read_bytes())
    os.truncate(root / "dir" / "moved", 70000)
    data = (root / "dir" / "moved").read_bytes()
    note("grown", (len(data), data[:2], data[2:] == bytes(69998)))
    os.utime(root / "dir" / "moved", (1000000000, 1200000000))
    st = os.stat(root / "dir" / "moved")
    note("utime", (int(st.st_atime), int(st.st_mtime)))
    os.setxattr(root / "dir" / "moved", "user.colour", b"blue")
    os.setxattr(root / "dir" / "moved", "user.size", b"")
    note("xattr", (os.getxattr(root / "dir" / "moved", "user.colour"),
                   sorted(os.listxattr(root / "dir" / "moved"))))
    note("xattr create existing", error_of(lambda: os.setxattr(root / "dir" / "moved", "user.colour", b"x",
                                                               os.XATTR_CREATE)))
    os.removexattr(root / "dir" / "moved", "user.colour")
    note("xattr removed", error_of(lambda: os.getxattr(root / "dir" / "moved", "user.colour")))
    os.mkfifo(root / "fifo", 0o600)
    note("fifo", describe(root / "fifo"))
    note("missing", error_of(lambda: os.stat(root / "missing")))
    note("unlink missing", error_of(lambda: os.unlink(root / "missing")))
    os.unlink(root / "link")
    os.unlink(root / "fifo")
    os.unlink(root / "hard")
    os.unlink(root / "dir" / "moved")
    os.rmdir(root / "dir" / "sub")
    os.rmdir(root / "dir")
    note("emptied", os.listdir(root))
    os.rmdir(root)
    note("gone", root.exists())
    return seen


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_namespace_operations_as_a_real_mount(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    real = cluster.mount("real")
    ours_seen = namespace_scenario(cluster.mountpoint / "ours")
    real_seen = namespace_scenario(real / "real")
    assert ours_seen == real_seen


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_data_exact_and_shared_with_a_real_mount(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    ours = cluster.mountpoint
    real = cluster.mount("real")
    for size in SIZES:
        data = os.urandom(size)
        digest = hashlib.md5(data).hexdigest()
        write_synced(ours / f"by_ours_{size}", data)
        assert os.stat(ours / f"by_ours_{size}").st_size == size
        assert md5_file(ours / f"by_ours_{size}") == digest, f"ours reading its own {size} bytes"
        assert md5_file(real / f"by_ours_{size}") == digest, f"real mount reading {size} bytes of ours"
        write_synced(real / f"by_real_{size}", data)
        assert os.stat(ours / f"by_real_{size}").st_size == size
        assert md5_file(ours / f"by_real_{size}") == digest, f"ours reading {size} bytes of a real mount"
        os.unlink(ours / f"by_ours_{size}")
        os.unlink(ours / f"by_real_{size}")


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_partial_overwrites_and_appends(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    ours = cluster.mountpoint
    real = cluster.mount("real")
    expected = bytearray(os.urandom(200000))
    write_synced(ours / "f", bytes(expected))
    with open(ours / "f", "r+b") as f:  # unaligned pieces inside and across blocks
        for offset, size in [(10, 5), (65530, 20), (131072, 1), (199990, 30)]:
            piece = os.urandom(size)
            f.seek(offset)
            f.write(piece)
            expected[offset:offset + size] = piece
    with open(ours / "f", "ab") as f:
        tail = os.urandom(1000)
        f.write(tail)
        expected += tail
    assert (ours / "f").read_bytes() == bytes(expected)
    assert md5_file(real / "f") == hashlib.md5(expected).hexdigest()


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_long_write_with_rewrites_behind_it(cluster_factory, master, chunkservers):
    """A file of several chunks written in 1 MiB pieces, with pieces already written (some
    on their way to the chunkservers, some stored) written again as it goes: our mount
    writes the chunks side by side, and those of one chunk in order, so the last bytes
    written win everywhere."""
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    ours = cluster.mountpoint
    real = cluster.mount("real")
    size = 2 * CHUNK + (20 << 20) + 12345
    expected = bytearray(os.urandom(size))
    rewrites = random.Random(5)
    with open(ours / "f", "wb") as f:
        for offset in range(0, size, 1 << 20):
            f.seek(offset)
            f.write(expected[offset:offset + (1 << 20)])
            if offset % (8 << 20) == 0 and offset > 0:
                at = rewrites.randrange(max(0, offset - (40 << 20)), offset)
                piece = os.urandom(100000)
                expected[at:at + len(piece)] = piece[:size - at]
                f.seek(at)
                f.write(piece[:size - at])
    digest = hashlib.md5(expected).hexdigest()
    assert os.stat(ours / "f").st_size == size
    assert md5_file(real / "f") == digest
    assert md5_file(ours / "f") == digest


# 3.0.117's client loses the append here: closing the first descriptor sets the file's
# length back to that of its own writes (docs/compat.md).
@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_append_through_a_second_descriptor_survives_the_close_of_the_first(cluster_factory, master,
                                                                            chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    path = cluster.mountpoint / "f"
    path.write_bytes(b"a" * 1000)
    first = os.open(path, os.O_RDWR)
    try:
        os.pwrite(first, b"b" * 1000, 100000)  # buffered by the client until the close
        with open(path, "ab") as second:
            second.write(b"c" * 50000)
        assert os.fstat(first).st_size == 151000
    finally:
        os.close(first)
    expected = b"a" * 1000 + bytes(99000) + b"b" * 1000 + b"c" * 50000
    assert path.read_bytes() == expected
    assert md5_file(cluster.mount("real") / "f") == hashlib.md5(expected).hexdigest()


@pytest.mark.parametrize("master", MASTERS)
@pytest.mark.parametrize("mount", ["real", "ours"])
def test_times_set_after_a_write_stay(cluster_factory, master, mount):
    """What cp -p, tar and rsync -t do: write, then set the times. The times a mount observed
    for the write (AMTIME_INODES, sent twice over two seconds) must not overwrite them later;
    data written before a futimens is older than it, data written after it is not."""
    cluster = cluster_factory(master=master, chunkservers=["real"], mount=mount, mount_options=["mfsattrcacheto=0"])
    closed, buffered, written_after = (cluster.mountpoint / name for name in ("closed", "buffered", "after"))
    closed.write_bytes(b"x" * 70000)
    os.utime(closed, (123456789, 1000))
    for path, late_write in ((buffered, b""), (written_after, b"y")):
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            os.write(fd, b"x" * 70000)
            os.utime(fd, (123456789, 1000))
            os.write(fd, late_write)
        finally:
            os.close(fd)
    time.sleep(2.5)  # both rounds of the mount's time reports are over
    assert [(os.stat(p).st_mtime, os.stat(p).st_atime) for p in (closed, buffered)] == [(1000, 123456789)] * 2
    assert os.stat(written_after).st_mtime > time.time() - 60


@pytest.mark.parametrize("mount", ["real", "ours"])
def test_opening_a_directory_is_not_listing_it(cluster_factory, mount):
    """Only a listing moves a directory's atime (the master's READDIR): an open without a
    read does not, and a reader without R permission is refused at the open."""
    cluster = cluster_factory(master="real", chunkservers=[], mount=mount, mount_options=["mfsattrcacheto=0"])
    folder = cluster.mountpoint / "d"
    folder.mkdir(mode=0o700)
    os.utime(folder, (0, 0))
    os.close(os.open(folder, os.O_RDONLY | os.O_DIRECTORY))
    assert os.stat(folder).st_atime == 0
    assert os.listdir(folder) == [] and os.stat(folder).st_atime > 0
    child = os.fork()
    if child == 0:  # a user other than the owner
        os.setgid(1000)
        os.setuid(1000)
        try:
            os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except PermissionError:
            os._exit(0)
        os._exit(1)
    assert os.waitpid(child, 0)[1] == 0, "a reader without R permission opened the directory"


@pytest.mark.parametrize("master", MASTERS)
def test_a_file_grown_by_a_tool_reads_to_its_new_end(cluster_factory, master):
    """Our master's LOOKUP answer carries the location of a one-chunk file's chunk 0, with the
    file's length. A file grown past one chunk (here by mfsappendchunks) must not be read up
    to the length an earlier LOOKUP gave (found by test_differential_model.py)."""
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="ours")
    data, grown = cluster.mountpoint / "data", cluster.mountpoint / "grown"
    data.write_bytes(b"d" * 70000)
    grown.write_bytes(b"g" * 70000)
    os.stat(grown)  # a LOOKUP: chunk 0 and the length 70000
    cluster.run_in_ns(["mfsappendchunks", grown, data])
    content = grown.read_bytes()
    assert len(content) == CHUNK + 70000
    assert content[:70000] == b"g" * 70000 and content[CHUNK:] == b"d" * 70000


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_open_file_sees_changes_of_another_mount(cluster_factory, master, chunkservers):
    """CHUNK_HAS_CHANGED from the master drops our cached locations and the kernel's pages."""
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    real = cluster.mount("real")
    write_synced(real / "shared", b"a" * 100000)
    fd = os.open(cluster.mountpoint / "shared", os.O_RDONLY)
    try:
        assert os.pread(fd, 100000, 0) == b"a" * 100000
        with open(real / "shared", "r+b") as f:
            f.seek(50000)
            f.write(b"b" * 100)
            f.flush()
            os.fsync(f.fileno())
        expected = b"a" * 50000 + b"b" * 100 + b"a" * 49900
        wait_until(lambda: os.pread(fd, 100000, 0) == expected, timeout=10,
                   what="our open file to show the other mount's write")
    finally:
        os.close(fd)


@pytest.mark.parametrize("master, chunkservers", [SERVERS[0], SERVERS[2]])
def test_data_read_ahead_is_exact_and_dropped_when_the_file_changes(cluster_factory, master, chunkservers):
    """Our read-ahead, here in 256 KiB windows after 256 KiB read in sequence (the kernel
    asks for 128 KiB at a time), so most reads are served from windows fetched in the
    background: exact across a chunk boundary, and what it fetched goes when the file
    changes, by a write of the same mount in the middle of a read or by another mount."""
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="real")
    real = cluster.mountpoint
    ours = cluster.mount("ours", options=["mfsreadaheadleng=262144", "mfsreadaheadtrigger=262144"])
    expected = bytearray(os.urandom(CHUNK + (2 << 20)))
    write_synced(real / "f", bytes(expected))
    mib = 1 << 20
    start = CHUNK - 2 * mib
    with open(ours / "f", "r+b", buffering=0) as f:
        f.seek(start)
        assert f.read(mib) == expected[start:start + mib]
        f.seek(start + mib + 1000)  # into what was fetched ahead
        f.write(b"x" * 5000)
        expected[start + mib + 1000:start + mib + 6000] = b"x" * 5000
        f.seek(start + mib)
        assert f.read(3 * mib) == expected[start + mib:start + 4 * mib]
    with open(ours / "f", "rb", buffering=0) as f:
        assert f.read(mib) == expected[:mib]
        with open(real / "f", "r+b") as other:
            other.seek(mib + 100)
            other.write(b"y" * 3000)
            other.flush()
            os.fsync(other.fileno())
        expected[mib + 100:mib + 3100] = b"y" * 3000
        wait_until(lambda: os.pread(f.fileno(), mib, mib) == expected[mib:2 * mib], timeout=10,
                   what="our open file to show the other mount's write")
    assert md5_file(ours / "f") == hashlib.md5(expected).hexdigest()


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_read_falls_over_to_another_copy(cluster_factory, master, chunkservers):
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    path = cluster.mountpoint / "two_copies"
    data = os.urandom(3 << 20)
    write_synced(path, data)
    chunks = cluster.wait_copies(path, 2, timeout=60)  # mfsfileinfo through our mount's proxy
    holder = chunks[0]["copies"][0][0]
    victim = next(cs for cs in cluster.chunkservers if cs.address == holder)
    victim.kill9()
    other = cluster.mount("ours")  # nothing cached: asks the master, which may still list the dead copy
    assert md5_file(other / "two_copies") == hashlib.md5(data).hexdigest()
    victim.start()


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_write_goes_on_when_a_chunkserver_of_the_chain_dies(cluster_factory, master, chunkservers):
    """A failed chain write is retried with a new chain from the master; nothing fsynced is lost."""
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    path = cluster.mountpoint / "chain"
    first, second = os.urandom(5 << 20), os.urandom(5 << 20)
    with open(path, "wb") as f:
        f.write(first)
        f.flush()
        os.fsync(f.fileno())
        holder = cluster.wait_copies(path, 2, timeout=60)[0]["copies"][0][0]
        victim = next(cs for cs in cluster.chunkservers if cs.address == holder)
        victim.kill9()
        f.write(second)
        f.flush()
        os.fsync(f.fileno())
    real = cluster.mount("real")
    assert md5_file(real / "chain") == hashlib.md5(first + second).hexdigest()
    victim.start()


def write_then_close(path, blocks: int, pause_before: int | None = None):
    """Writes `blocks` MiB, stopping at the first failure, and closes: (the failing write and
    its errno name, or None; the close's errno name, or None). With `pause_before`, waits 2 s
    before that write."""
    block = os.urandom(1 << 20)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    failed_write = closed = None
    for i in range(blocks):
        if i == pause_before:
            time.sleep(2)
        try:
            os.write(fd, block)
        except OSError as e:
            failed_write = (i, errno.errorcode[e.errno])
            break
    try:
        os.close(fd)
    except OSError as e:
        closed = errno.errorcode[e.errno]
    return failed_write, closed


# Found by test_kill_model.py: a truncate in flight when our master was killed came back,
# retried, before the chunkservers had registered again, was answered "chunk lost" and
# failed with EIO. It now waits for them as a write does.
@pytest.mark.parametrize("master", MASTERS)
def test_truncate_waits_for_the_chunkservers_of_its_chunk(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], mount="ours")
    path = cluster.mountpoint / "f"
    data = os.urandom(200000)
    write_synced(path, data)
    for chunkserver in cluster.chunkservers:
        chunkserver.stop()
    outcome = []
    truncation = threading.Thread(target=lambda: outcome.append(os.truncate(path, 1000)))
    truncation.start()
    truncation.join(timeout=3)
    assert truncation.is_alive(), "the truncate ended while no chunkserver held the chunk"
    for chunkserver in cluster.chunkservers:
        chunkserver.start()
    truncation.join(timeout=60)
    assert outcome == [None]
    assert path.read_bytes() == data[:1000]


@pytest.mark.parametrize("master", MASTERS)
def test_a_failed_write_of_a_full_buffer_is_reported(cluster_factory, master):
    """Our mount writes full 16 MiB buffers in the background while the next one fills. When
    the master refuses such a write (a hard length quota of 20 MiB: the write that reaches
    32 MiB), the close fails, as the real mount's close does: data was lost. Once the
    failure is known (the pause before the 41st MiB), a later write fails too."""
    cluster = cluster_factory(master=master, chunkservers=["real"] * 3, mount="ours",
                              exports="*\t/\trw,alldirs,maproot=0,admin\n")
    real = cluster.mount("real")
    outcome = {}
    for name, root in (("ours", cluster.mountpoint), ("real", real)):
        (root / name).mkdir()
        cluster.run_in_ns(["mfssetquota", "-L", "20M", root / name])
        outcome[name] = write_then_close(root / name / "f", 64, pause_before=40)
        assert os.stat(root / name / "f").st_size < 64 << 20, name
    print(outcome)  # shown when the test fails
    assert outcome["real"][1] == "EDQUOT"
    (failed_at, write_error), close_error = outcome["ours"]
    assert 32 < failed_at <= 40 and write_error == close_error == "EDQUOT"


def refused_append_past_quota(cluster, root):
    """Writes 70000 random bytes to root/d/a, sets a hard length quota of 2 bytes on d,
    and checks that an append then fails with EDQUOT (the master refuses the new length
    at WRITE_CHUNK_END). Returns the file's data."""
    data = os.urandom(70000)
    (root / "d").mkdir()
    (root / "d" / "a").write_bytes(data)
    cluster.run_in_ns(["mfssetquota", "-L", "2", root / "d"])
    with pytest.raises(OSError) as refused:
        with open(root / "d" / "a", "ab") as f:
            f.write(b"x" * 38637)
    assert refused.value.errno == errno.EDQUOT
    return data


@pytest.mark.parametrize("master", MASTERS)
def test_a_write_past_the_quota_leaves_its_chunk_unlocked(cluster_factory, master):
    """A write into an existing chunk that would grow the file past a hard length quota: the
    master refuses the new length at WRITE_CHUNK_END, and 3.0.117's keeps the chunk locked
    then (the real mount leaves it so). Ours unlocks it at once: a read through our mount
    or through a new mount does not wait for the lock. Found by test_differential_model.py."""
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="ours", exports=ADMIN_EXPORTS)
    root = cluster.mountpoint
    data = refused_append_past_quota(cluster, root)
    other = cluster.mount("real")
    start = time.monotonic()
    assert (root / "d" / "a").read_bytes() == data
    assert (other / "d" / "a").read_bytes() == data
    assert time.monotonic() - start < 10


def test_a_read_waits_for_a_locked_chunk(cluster_factory):
    """LOCKED is retried without counting as an error (spec 10 §8.5). After 3.0.117's master
    refused a write's new length at WRITE_CHUNK_END, it keeps the chunk locked for about two
    minutes, and the real mount leaves it so. A read of it through our mount waits (the
    master parks each READ_CHUNK 30 s, then answers LOCKED) and returns the data, even with
    a single try allowed; it used to fail with EAGAIN, then after the one try."""
    cluster = cluster_factory(master="real", chunkservers=["real"], mount="real", exports=ADMIN_EXPORTS)
    ours = cluster.mount("ours", options=["mfsioretries=1"])
    data = refused_append_past_quota(cluster, cluster.mountpoint)
    start = time.monotonic()
    assert (ours / "d" / "a").read_bytes() == data
    print(f"read after {time.monotonic() - start:.0f} s")  # shown when the test fails


@pytest.mark.parametrize("master", MASTERS)
def test_supplementary_groups_grant_access(cluster_factory, master):
    """An ordinary user gets into a 0770 directory through a supplementary group (spec 10 §4)."""
    import sys

    cluster = cluster_factory(master=master, chunkservers=["real"], mount="ours")
    real = cluster.mount("real")
    # pytest's tmp folders are 0700: the process enters the directory as root (cwd), then
    # drops to the user, and works with relative paths.
    script = "import os; os.listdir('.'); open('by_user', 'w').close()"
    results = {}
    for name, root in [("ours", cluster.mountpoint), ("real", real)]:
        d = root / f"group_dir_{name}"
        d.mkdir()
        os.chown(d, 0, 4242)
        os.chmod(d, 0o770)
        as_member = subprocess.run([sys.executable, "-c", script], user=1234, group=1234, extra_groups=[4242],
                                   capture_output=True, text=True, cwd=d, timeout=30)
        as_stranger = subprocess.run([sys.executable, "-c", script], user=1235, group=1235, extra_groups=[],
                                     capture_output=True, text=True, cwd=d, timeout=30)
        results[name] = (as_member.returncode, as_stranger.returncode, "PermissionError" in as_stranger.stderr)
        assert os.stat(d / "by_user").st_uid == 1234
    assert results["ours"] == results["real"] == (0, 1, True)


@pytest.mark.parametrize("master", MASTERS)
def test_locks_are_cluster_wide(cluster_factory, master):
    """flock and fcntl locks taken through our mount hold against a real mount, and back."""
    import fcntl

    cluster = cluster_factory(master=master, chunkservers=["real"], mount="ours")
    real = cluster.mount("real")
    (cluster.mountpoint / "lock").write_bytes(b"")
    ours_fd = os.open(cluster.mountpoint / "lock", os.O_RDWR)
    real_fd = os.open(real / "lock", os.O_RDWR)
    try:
        fcntl.flock(ours_fd, fcntl.LOCK_EX)
        with pytest.raises(BlockingIOError):
            fcntl.flock(real_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(ours_fd, fcntl.LOCK_UN)
        fcntl.flock(real_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        with pytest.raises(BlockingIOError):
            fcntl.flock(ours_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(ours_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # shared with the real mount's
        fcntl.flock(real_fd, fcntl.LOCK_UN)
        fcntl.flock(ours_fd, fcntl.LOCK_UN)

        fcntl.lockf(ours_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)  # bytes 0..9
        with pytest.raises(OSError):
            fcntl.lockf(real_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 5)
        fcntl.lockf(real_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 10)  # bytes 10..19: free
        # A blocking lock through our mount waits until the real mount's lock goes away.
        granted = threading.Event()
        waiter = threading.Thread(target=lambda: (fcntl.lockf(ours_fd, fcntl.LOCK_EX, 10, 10), granted.set()))
        waiter.start()
        assert not granted.wait(1.0)
        fcntl.lockf(real_fd, fcntl.LOCK_UN, 10, 10)
        waiter.join(timeout=20)
        assert granted.is_set()
    finally:
        os.close(ours_fd)  # releases our locks on the master
        os.close(real_fd)
    fd = os.open(real / "lock", os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)  # everything is free again
    finally:
        os.close(fd)


@pytest.mark.parametrize("master", MASTERS)
def test_real_tools_work_through_our_mount(cluster_factory, master):
    """.masterinfo and the master proxy (spec 11 §2.2, §2.5)."""
    cluster = cluster_factory(master=master, chunkservers=["real", "real", "real"], mount="ours")
    ours = cluster.mountpoint
    (ours / "dir").mkdir()
    write_synced(ours / "dir" / "f", b"x" * 1000)
    info = (ours / "dir" / ".masterinfo").stat()
    assert (info.st_ino, info.st_size, oct(info.st_mode)) == (0x7FFFFFFF, 14, "0o100444")
    assert ".masterinfo" not in os.listdir(ours)
    out = cluster.run_in_ns(["mfssetgoal", "3", ours / "dir" / "f"]).stdout
    assert out.strip().endswith("3"), out
    assert cluster.run_in_ns(["mfsgetgoal", ours / "dir" / "f"]).stdout.strip() == f"{ours}/dir/f: 3"
    cluster.wait_copies(ours / "dir" / "f", 3, timeout=60)


def test_command_line_errors():
    mfsmount = binary("mount", "ours")
    for args, text in [(["/mnt", "-o", "mfsbogus=1"], "mfsbogus"), (["/mnt", "-o", "mfsport=99999"], "mfsport"),
                       (["-f"], "mount point")]:
        result = subprocess.run([mfsmount, *args], capture_output=True, text=True, timeout=10)
        assert result.returncode == 1, (args, result)
        assert text in result.stderr, (args, result.stderr)


@pytest.mark.parametrize("master, chunkservers", SERVERS)
def test_master_restart_does_not_fail_operations(cluster_factory, master, chunkservers):
    """Open files stay usable across a master restart; an operation issued while the master
    is down waits for it and succeeds (spec 10 §14)."""
    cluster = cluster_factory(master=master, chunkservers=[chunkservers] * 3, mount="ours")
    ours = cluster.mountpoint
    first, second = os.urandom(300000), os.urandom(300000)
    f = open(ours / "open_across", "wb")
    try:
        f.write(first)
        f.flush()
        os.fsync(f.fileno())
        cluster.master.stop()
        created = {}
        # Issued while the master is down: must wait, not fail.
        waiter = threading.Thread(target=lambda: created.update(ok=(ours / "made_while_down").mkdir() or True))
        waiter.start()
        cluster.start_master()
        waiter.join(timeout=60)
        assert created.get("ok"), "mkdir issued while the master was down did not succeed"
        f.write(second)
        f.flush()
        os.fsync(f.fileno())
    finally:
        f.close()
    assert md5_file(ours / "open_across") == hashlib.md5(first + second).hexdigest()
    real = cluster.mount("real")
    assert md5_file(real / "open_across") == hashlib.md5(first + second).hexdigest()
    assert (real / "made_while_down").is_dir()


@pytest.mark.parametrize("master", MASTERS)
def test_password_and_subfolder(cluster_factory, master, tmp_path):
    """The password challenge (spec 10 §3.2): the right password mounts the subfolder, a
    wrong one is refused with the master's status and exit status 1."""
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real",
                              exports="*\t/\trw,alldirs,maproot=0,password=secret\n",
                              mount_options=["mfspassword=secret"])
    (cluster.mountpoint / "sub").mkdir()
    (cluster.mountpoint / "sub" / "inside").write_bytes(b"x")
    ours = cluster.mount("ours", subfolder="/sub")
    assert os.listdir(ours) == ["inside"]
    point = tmp_path / "refused"
    point.mkdir()
    address = cluster.ns.add_address("mount", "refused")
    refused = cluster.run_in_ns([binary("mount", "ours"), point, "-f", "-o",
                                 f"mfsmaster={cluster.master.ip},mfsport={cluster.master.matocl_port},"
                                 f"mfsbind={address},mfspassword=wrong"], check=False, timeout=30)
    assert refused.returncode == 1
    assert "Incorrect password" in refused.stderr, refused.stderr
    assert not is_mounted(point)


def test_background_mount_reports_success_and_unmounts(cluster_factory, tmp_path):
    """Without -f the command returns once mounted (status 0) and the daemon goes on."""
    cluster = cluster_factory(master="real", chunkservers=["real"])
    point = tmp_path / "background"
    result, pids = _mount_in_background(cluster, point)
    try:
        assert result.returncode == 0, result.stderr
        assert is_mounted(point)
        (point / "f").write_bytes(b"background")
        assert (point / "f").read_bytes() == b"background"
        assert len(pids) == 1, pids
    finally:
        unmount_background(point)


def test_delayed_init_mounts_while_the_master_is_down(cluster_factory, tmp_path):
    """mfsdelayedinit: mounted at once; operations wait for the master and then work."""
    cluster = cluster_factory(master="real", chunkservers=["real"])
    cluster.master.stop()
    point = tmp_path / "delayed"
    result, _ = _mount_in_background(cluster, point, ",mfsdelayedinit")
    try:
        assert result.returncode == 0, result.stderr
        # Not is_mounted(): its realpath() stats the mount point, which waits for the master.
        assert any(mp == str(point) for _, mp, _ in mount_table())
        done = threading.Event()
        writer = threading.Thread(target=lambda: ((point / "f").write_bytes(b"late"), done.set()))
        writer.start()
        assert not done.wait(1.0)
        cluster.start_master()
        writer.join(timeout=60)
        assert done.is_set()
        assert (point / "f").read_bytes() == b"late"
    finally:
        unmount_background(point)


def _mount_in_background(cluster, point, extra_options: str = ""):
    """Runs our mfsmount without -f in the namespace; returns its result and the daemon's pids."""
    point.mkdir()
    address = cluster.ns.add_address("mount", point.name)
    command = [binary("mount", "ours"), point, "-o",
               f"mfsmaster={cluster.master.ip},mfsport={cluster.master.matocl_port},mfsbind={address}"
               + extra_options]
    result = cluster.run_in_ns(command, check=False, timeout=30)
    return result, background_mount_pids(point)
