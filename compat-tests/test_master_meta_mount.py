"""Issue 3: the meta file system (mfsmount -m) of the real 3.0.117 mount against the real
master and ours (real chunkservers; one normal mount, one meta mount). The same scenario
runs on both masters and must give the texts the real master gives (written out below):
the trash and sustained folders, a trash file's path (read, changed), undelete into existing
and into removed folders (data checked by md5), its refusals, purge, a file deleted while
open (sustained), the tools inside the meta mount, a crash of the master, and trash expiry
(EMPTYTRASH, one bucket a second) of a file deleted two hours "ago" with a trash time of
one hour, the shortest there is (trash time is kept in hours)."""
import hashlib
import os
import time

import pytest

MASTERS = ["real", "ours"]

F1 = os.urandom(100000)
F2 = os.urandom(70000)
Z = b"zzz"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sh(cluster, script, *args):
    """A shell script in the cluster's namespace: (exit status, stdout, stderr)."""
    r = cluster.run_in_ns(["sh", "-c", script, "sh", *map(str, args)], check=False, timeout=60)
    return r.returncode, r.stdout, r.stderr


def trash_entries(cluster, meta):
    """The trash files as "bucket/name", sorted."""
    _, out, _ = sh(cluster, 'cd "$1/trash" && ls -d */*"|"* 2>/dev/null | sort', meta)
    return out.split("\n")[:-1]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def build_tree(root):
    """Inodes: d 2, d/sub 3, d/sub/f1 4, d/f2 5, top 6 (= d/toplink), x 7, x/y 8, x/y/z 9."""
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "sub" / "f1").write_bytes(F1)
    (root / "d" / "f2").write_bytes(F2)
    (root / "top").write_bytes(b"top")
    os.link(root / "top", root / "d" / "toplink")
    (root / "x" / "y").mkdir(parents=True)
    (root / "x" / "y" / "z").write_bytes(Z)


@pytest.mark.parametrize("master", MASTERS)
def test_meta_mount_trash_undelete_purge_and_sustained(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], mount="real")
    mnt = cluster.mountpoint
    meta = cluster.mount("real", meta=True)
    build_tree(mnt)

    # The meta file system's folders.
    assert sh(cluster, 'cd "$1" && stat -c "%n %a %h %i" . trash trash/000 trash/FFF trash/undel sustained'
              ' && ls trash | wc -l && ls -a', meta) == (0, (
                  ". 555 4 1\ntrash 700 4099 2147483640\ntrash/000 700 3 2147418112\n"
                  "trash/FFF 700 3 2147422207\ntrash/undel 200 4098 2147483641\nsustained 500 2 2147483642\n"
                  "4097\n.\n..\nsustained\ntrash\n"), "")
    assert trash_entries(cluster, meta) == []
    assert sh(cluster, 'stat -f -c "%b %f %a %c" "$1"', meta) == (0, "0 0 0 1003000234\n", "")

    held_f1 = open(mnt / "d" / "sub" / "f1", "rb")  # keeps f1 open through its purge below
    os.unlink(mnt / "d" / "sub" / "f1")
    os.unlink(mnt / "d" / "f2")
    os.unlink(mnt / "x" / "y" / "z")
    os.rmdir(mnt / "x" / "y")
    os.rmdir(mnt / "x")
    assert trash_entries(cluster, meta) == ["004/00000004|d|sub|f1", "005/00000005|d|f2", "009/00000009|x|y|z"]
    assert sh(cluster, 'cd "$1/trash" && stat -c "%n %s %a %h %u %g" */*"|"*', meta) == (0, (
        "004/00000004|d|sub|f1 100000 644 0 0 0\n005/00000005|d|f2 70000 644 0 0 0\n"
        "009/00000009|x|y|z 3 644 0 0 0\n"), "")

    # Reading a trash file gives its path; the tools work on it inside the meta mount.
    f2 = meta / "trash" / "005" / "00000005|d|f2"
    assert sh(cluster, 'cat "$1" && mfsfilepaths "$1" && mfsgetgoal "$1" && mfsgettrashtime "$1"', f2) == (
        0, f"d/f2\n{f2}:\n./TRASH (d/f2)\n{f2}: 2\n{f2}: 86400\n", "")

    # A new path, then undelete (rename into trash/undel) to it.
    assert sh(cluster, 'printf d/renamed > "$1"', f2)[0] == 0
    renamed = meta / "trash" / "005" / "00000005|d|renamed"
    assert trash_entries(cluster, meta)[1] == "005/00000005|d|renamed"
    assert sh(cluster, 'cat "$1"', renamed) == (0, "d/renamed\n", "")
    assert sh(cluster, 'mv "$1" "$2/trash/undel/"', renamed, meta) == (0, "", "")
    assert md5((mnt / "d" / "renamed").read_bytes()) == md5(F2)
    # Into folders removed meanwhile: they are made again (0755, root).
    assert sh(cluster, 'mv "$1"/trash/009/0* "$1/trash/undel/" && cd "$2" && stat -c "%n %a %u %g %h" x x/y x/y/z',
              meta, mnt) == (0, "x 755 0 0 3\nx/y 755 0 0 2\nx/y/z 644 0 0 1\n", "")
    assert (mnt / "x" / "y" / "z").read_bytes() == Z

    # Refusals: the name is taken (EEXIST), or a file is in the way (the mount shows EINVAL).
    f1 = meta / "trash" / "004" / "00000004|d|sub|f1"
    (mnt / "d" / "sub" / "f1").write_bytes(b"new")
    status, _, err = sh(cluster, 'mv "$1" "$2/trash/undel/"', f1, meta)
    # mv's message depends on the kernel's cached entries in undel ("File exists", or now and
    # then with the real master too "cannot overwrite directory"): the refusal is what counts.
    assert (status, err.startswith("mv: cannot ")) == (1, True), err
    assert "004/00000004|d|sub|f1" in trash_entries(cluster, meta)
    assert sh(cluster, 'printf top/f1 > "$1"', f1)[0] == 0
    f1 = meta / "trash" / "004" / "00000004|top|f1"
    status, _, err = sh(cluster, 'mv "$1" "$2/trash/undel/"', f1, meta)
    assert (status, "subdirectory of itself" in err) == (1, True), err

    # Purge: an open file goes on as sustained, under its trash path.
    assert sh(cluster, 'rm "$1"', f1) == (0, "", "")
    assert trash_entries(cluster, meta) == []
    assert sh(cluster, 'ls "$1/sustained"', meta) == (0, "00000004|top|f1\n", "")
    held_f1.close()

    # A file deleted while open, without trash time: sustained; it cannot be read there.
    assert sh(cluster, 'mfssettrashtime 0 "$1"', mnt / "top")[0] == 0
    with open(mnt / "top", "rb") as held_top:
        os.unlink(mnt / "top")
        os.unlink(mnt / "d" / "toplink")
        assert sh(cluster, 'cd "$1/sustained" && ls && stat -c "%s %h" * && mfsfilepaths 00000006*', meta) == (
            0, "00000004|top|f1\n00000006|d|toplink\n100000 0\n3 0\n00000006|d|toplink:\n./SUSTAINED (d/toplink)\n", "")
        assert held_top.read() == b"top"
    status, _, err = sh(cluster, 'cat "$1"/sustained/00000006*', meta)
    assert status == 1 and "No such file or directory" in err

    # The trash, with a changed path, survives a crash of the master.
    (mnt / "d" / "gone").write_bytes(b"g")
    os.unlink(mnt / "d" / "gone")
    gone = trash_entries(cluster, meta)
    assert len(gone) == 1 and gone[0].endswith("|d|gone"), gone
    assert sh(cluster, 'printf d/kept > "$1/trash/$2"', meta, gone[0])[0] == 0
    before = trash_entries(cluster, meta)
    assert before == [gone[0].replace("|gone", "|kept")]
    cluster.restart_master(kill9=True)
    wait_for(lambda: trash_entries(cluster, meta) == before, 30, "the trash after the restart")
    assert md5((mnt / "d" / "renamed").read_bytes()) == md5(F2)
    if master == "ours":  # our metadata.mfs: the real master takes the trash over
        cluster.restart_master(impl="real")
        wait_for(lambda: trash_entries(cluster, meta) == before, 30, "the trash under the real master")
        assert sh(cluster, 'cat "$1/trash/$2"', meta, before[0]) == (0, "d/kept\n", "")


@pytest.mark.parametrize("master", MASTERS)
def test_trash_expires_one_bucket_a_second_with_emptytrash(cluster_factory, master):
    """Files deleted two hours ago (changelog lines with old timestamps, replayed at start)
    with trash times of 1 h and 3 h: the first goes when its bucket's turn comes (bucket 2,
    about 3 s after start), the second stays."""
    cluster = cluster_factory(master=master, chunkservers=["real"])
    cluster.master.stop()
    changelog = cluster.master.data_path / "changelog.0.mfs"
    last = int(changelog.read_text().splitlines()[-1].split(":")[0])
    old = int(time.time()) - 7200
    lines = ["CREATE(1,old,1,438,18,0,0,0):2", "SETTRASHTIME(2,0,3600,0):1,0,0", "UNLINK(1,old):2",
             "CREATE(1,young,1,438,18,0,0,0):3", "SETTRASHTIME(3,0,10800,0):1,0,0", "UNLINK(1,young):3"]
    with open(changelog, "a") as f:
        f.writelines(f"{last + 1 + i}: {old}|{line}\n" for i, line in enumerate(lines))
    cluster.master.start(extra_args=["-a"])  # the real master replays changelogs only with -a
    meta = cluster.mount("real", meta=True)
    started = time.time()
    assert "003/00000003|young" in trash_entries(cluster, meta)
    wait_for(lambda: trash_entries(cluster, meta) == ["003/00000003|young"], 30, "the expiry of 'old'")
    assert time.time() - started < 15
    wait_for(lambda: "|EMPTYTRASH(2):1,0,2\n" in changelog.read_text(), 10, "EMPTYTRASH in the changelog")
