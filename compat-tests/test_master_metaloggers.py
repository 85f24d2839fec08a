"""Metaloggers of our master (spec 40 §A): a metalogger, 3.0.117's or ours, registers
(mfscli `-SMB` lists it), downloads our metadata image and changelogs, follows the change
stream (its changelog_ml.0.mfs holds our changelog's lines as they are), goes on after a
restart of our master, and its files restore the file system with `mfsmaster -a`, on the
real master and on ours. Ours next to 3.0.117's, following the real master, is in
test_metalogger.py."""
import hashlib
import os
import pathlib
import shutil
import time

import pytest


def tree(root: pathlib.Path) -> dict[str, str]:
    """Every path under `root` with the md5 of a file's content ("dir" for a folder)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root)] = "dir"
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.md5(f.read()).hexdigest()
    return found


def changelog_lines(path: pathlib.Path) -> list[str]:
    if not path.exists():
        return []
    text = path.read_bytes().split(b"\0", 1)[0].decode()
    return [line for line in text.split("\n") if line]


def wait_until_followed(cluster, metalogger, timeout: float = 30) -> list[str]:
    """Waits until the metalogger's changelog_ml.0.mfs ends with our changelog's last line;
    returns its lines."""
    master_log = cluster.master.data_path / "changelog.0.mfs"
    deadline = time.monotonic() + timeout
    while True:
        ours = changelog_lines(master_log)
        followed = changelog_lines(metalogger.data_path / "changelog_ml.0.mfs")
        if ours and followed and followed[-1] == ours[-1]:
            return followed
        if time.monotonic() > deadline:
            raise AssertionError(f"metalogger did not follow: master ends {ours[-1:]}, metalogger {followed[-1:]}")
        time.sleep(0.3)


def write_files(folder: pathlib.Path, names: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    for i, name in enumerate(names):
        (folder / name).write_bytes(os.urandom(1000 * (i + 1)) * (i + 1))


@pytest.mark.parametrize("metalogger", ["real", "ours"])
@pytest.mark.parametrize("restoring_master", ["real", "ours"])
def test_a_metalogger_follows_our_master_and_restores_it(cluster_factory, metalogger, restoring_master):
    cluster = cluster_factory(master="ours", chunkservers=["real", "real"], mount="real", metaloggers=[metalogger])
    follower = cluster.metaloggers[0]
    rows = cluster.wait_metaloggers_registered()
    assert [row[1:] for row in rows] == [[follower.ip, "3.0.117"]]

    top = cluster.mountpoint
    write_files(top / "a", ["one", "two", "three"])
    os.rename(top / "a" / "two", top / "a" / "renamed")
    os.symlink("a/one", top / "link")
    os.unlink(top / "a" / "three")
    followed = wait_until_followed(cluster, follower)
    image = follower.data_path / "metadata_ml.mfs.back"
    assert image.exists() and (follower.data_path / "changelog_ml_back.0.mfs").exists()
    # A whole image of our master's: mfsmetadump reads it to the end.
    dump = cluster.run_in_ns(["mfsmetadump", str(image)]).stdout
    assert dump.startswith("# header: MFSM 2.0") and "# section header: CHNK" in dump, dump[:2000]
    # The stream is our changelog, line for line.
    ours = changelog_lines(cluster.master.data_path / "changelog.0.mfs")
    assert followed == ours[ours.index(followed[0]):]

    # A restart of our master: the metalogger registers again and follows on.
    cluster.restart_master()
    cluster.wait_metaloggers_registered()
    write_files(top / "b", ["after", "restart"])
    wait_until_followed(cluster, follower)
    expected = tree(top)

    # The master's folder is lost: its metalogger's files bring the file system back.
    cluster.master.stop(kill=True)
    shutil.rmtree(cluster.master.data_path)
    cluster.master.data_path.mkdir()
    copied = []
    for item in sorted(follower.data_path.iterdir()):
        if item.name.startswith(("metadata_ml", "changelog_ml")):
            shutil.copy(item, cluster.master.data_path / item.name)
            copied.append(item.name)
    assert "metadata_ml.mfs.back" in copied and "changelog_ml.0.mfs" in copied, copied
    cluster.start_master(impl=restoring_master, auto_restore=True)
    fresh = cluster.add_mount("real")
    assert tree(fresh.mountpoint) == expected
