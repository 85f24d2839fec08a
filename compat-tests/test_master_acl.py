"""POSIX ACLs through the real 3.0.117 mfsmount (setfacl/getfacl), against the real master
and ours: access and default ACLs, inheritance, their effect on a non-root user, chmod,
removal, and that they survive master restarts and a swap between the two masters.

The mounts run without attribute, entry and xattr caches: the client keeps ACL values it
set in its xattr cache (30 s by default), which would hide what the master stored.
Commands of other users run with their working folder inside the mount (the pytest tmp
dir above it is mode 0700), through setpriv.
"""
import os
import pathlib
import stat
import subprocess

import pytest

MASTERS = ["real", "ours"]
NO_CACHES = ["mfsattrcacheto=0", "mfsentrycacheto=0", "mfsdirentrycacheto=0", "mfsnegentrycacheto=0",
             "mfsxattrcacheto=0"]


def cluster_with_mount(cluster_factory, master):
    return cluster_factory(master=master, mount="real", mount_options=NO_CACHES)


def run(*cmd, cwd="/"):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=60)


def getfacl(path):
    """The ACL lines of getfacl (numeric ids, no header)."""
    result = run("getfacl", "-c", "-n", path)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def setfacl(*args):
    result = run("setfacl", *args)
    assert result.returncode == 0, result.stderr


def has_access_acl_xattr(path):
    return run("getfattr", "-n", "system.posix_acl_access", path).returncode == 0


def as_user(uid, gid, *cmd, cwd, groups=()):
    ids = [f"--reuid={uid}", f"--regid={gid}"]
    ids += [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
    return run("setpriv", *ids, *cmd, cwd=cwd)


def can_read(uid, gid, path: pathlib.Path, groups=()):
    return as_user(uid, gid, "cat", path.name, cwd=path.parent, groups=groups).returncode == 0


def can_append(uid, gid, path: pathlib.Path, groups=()):
    return as_user(uid, gid, "sh", "-c", 'echo more >> "$1"', "sh", path.name, cwd=path.parent,
                   groups=groups).returncode == 0


def can_read_write(uid, gid, path: pathlib.Path, groups=()):
    return as_user(uid, gid, "sh", "-c", 'exec 3<>"$1"', "sh", path.name, cwd=path.parent,
                   groups=groups).returncode == 0


def mode(path):
    return os.stat(path).st_mode & 0o7777


@pytest.mark.parametrize("master", MASTERS)
def test_access_acl_grants_denies_and_follows_chmod(cluster_factory, master):
    cluster = cluster_with_mount(cluster_factory, master)
    f = cluster.mountpoint / "file"
    f.write_text("secret\n")
    os.chmod(f, 0o600)
    assert not has_access_acl_xattr(f)

    setfacl("-m", "u:1234:r", f)
    assert getfacl(f) == ["user::rw-", "user:1234:r--", "group::---", "mask::r--", "other::---"]
    assert mode(f) == 0o640  # the group bits show the mask
    assert can_read(1234, 1234, f)
    assert not can_append(1234, 1234, f)
    assert not can_read(1235, 1235, f)

    setfacl("-m", "g:777:rw", f)
    assert can_append(1235, 777, f)
    setfacl("-m", "m::r", f)
    assert not can_append(1235, 777, f)
    assert can_read(1235, 777, f)

    # chmod sets owner, mask and other; the entries stay.
    os.chmod(f, 0o660)
    assert getfacl(f) == ["user::rw-", "user:1234:r--", "group::---", "group:777:rw-", "mask::rw-", "other::---"]
    assert can_append(1235, 777, f)
    os.chmod(f, 0o600)
    assert mode(f) == 0o600
    assert "user:1234:r--\t#effective:---" in getfacl(f)
    assert not can_read(1234, 1234, f)
    os.chmod(f, 0o640)

    # One group entry must grant everything asked for.
    setfacl("-m", "g:501:r,g:502:w", f)
    assert can_read(1500, 501, f, groups=[501, 502])
    assert can_append(1500, 501, f, groups=[501, 502])
    assert not can_read_write(1500, 501, f, groups=[501, 502])

    # A member of the group class gets nothing from the other entry.
    o = cluster.mountpoint / "o"
    o.write_text("data\n")
    os.chown(o, 0, 5)
    os.chmod(o, 0o604)
    setfacl("-m", "g:77:-,m::rwx", o)
    assert not can_read(1500, 77, o)
    assert not can_read(1500, 5, o)
    assert can_read(1500, 1500, o)

    # Only the owner may change the ACL.
    assert as_user(1234, 1234, "setfacl", "-m", "u:99:r", f.name, cwd=f.parent).returncode != 0
    os.chown(f, 1234, 0)
    assert as_user(1234, 1234, "setfacl", "-m", "u:99:r", f.name, cwd=f.parent).returncode == 0
    assert "user:99:r--" in getfacl(f)

    setfacl("-x", "u:1234", f)
    assert not any(line.startswith("user:1234:") for line in getfacl(f))
    setfacl("-b", f)
    assert getfacl(f) == ["user::rw-", "group::---", "other::---"]
    assert not has_access_acl_xattr(f)
    assert mode(f) == 0o600
    assert f.read_text().startswith("secret\n")


@pytest.mark.parametrize("master", MASTERS)
def test_default_acl_is_inherited(cluster_factory, master):
    cluster = cluster_with_mount(cluster_factory, master)
    d = cluster.mountpoint / "d"
    d.mkdir(mode=0o755)
    setfacl("-d", "-m", "u:1234:rwx,g:77:r", d)
    assert getfacl(d) == ["user::rwx", "group::r-x", "other::r-x", "default:user::rwx", "default:user:1234:rwx",
                          "default:group::r-x", "default:group:77:r--", "default:mask::rwx", "default:other::r-x"]
    # The umask is not applied in a directory with a default ACL.
    assert run("sh", "-c", f"umask 077; touch {d}/f1; mkdir {d}/sub; mkdir -m 700 {d}/sub700").returncode == 0
    assert getfacl(d / "f1") == ["user::rw-", "user:1234:rwx\t#effective:rw-", "group::r-x\t#effective:r--",
                                 "group:77:r--", "mask::rw-", "other::r--"]
    assert mode(d / "f1") == 0o664
    assert getfacl(d / "sub") == ["user::rwx", "user:1234:rwx", "group::r-x", "group:77:r--", "mask::rwx",
                                  "other::r-x", "default:user::rwx", "default:user:1234:rwx", "default:group::r-x",
                                  "default:group:77:r--", "default:mask::rwx", "default:other::r-x"]
    assert mode(d / "sub") == 0o775
    assert mode(d / "sub700") == 0o700
    assert "mask::---" in getfacl(d / "sub700")
    os.mkfifo(d / "fifo", 0o666)
    os.mknod(d / "cdev", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for special in ("fifo", "cdev"):
        assert "user:1234:rwx\t#effective:rw-" in getfacl(d / special)

    # The inherited entries act: 1234 may write f1, others only read it.
    assert can_append(1234, 1234, d / "f1")
    assert not can_append(1235, 1235, d / "f1")
    assert can_read(1235, 1235, d / "f1")
    # d itself has no access entry for 1234 yet: creating there needs one.
    assert as_user(1234, 1234, "touch", "byuser", cwd=d).returncode != 0
    setfacl("-m", "u:1234:rwx", d)
    assert as_user(1234, 1234, "touch", "byuser", cwd=d).returncode == 0
    assert os.stat(d / "byuser").st_uid == 1234
    assert "user:1234:rwx\t#effective:rw-" in getfacl(d / "byuser")

    # Without the default ACL, new files get the umask and no ACL.
    setfacl("-k", d)
    assert not any(line.startswith("default:") for line in getfacl(d))
    assert run("sh", "-c", f"umask 022; touch {d}/plain").returncode == 0
    assert mode(d / "plain") == 0o644
    assert not has_access_acl_xattr(d / "plain")


def make_acls(mount):
    """A file with an access ACL, a directory with both ACLs and a file that inherited."""
    f = mount / "f"
    f.write_text("x")
    setfacl("-m", "u:1234:rw,g:555:r-x", f)
    d = mount / "d"
    d.mkdir(mode=0o750)
    setfacl("-m", "u:7:rx", d)
    setfacl("-d", "-m", "u:1234:rwx,g:77:r", d)
    (d / "inherited").write_text("y")
    return [f, d, d / "inherited"]


def acl_state(paths):
    return {path.name: (getfacl(path), mode(path)) for path in paths}


@pytest.mark.parametrize("master", MASTERS)
def test_acls_survive_master_restarts(cluster_factory, master):
    cluster = cluster_with_mount(cluster_factory, master)
    paths = make_acls(cluster.mountpoint)
    before = acl_state(paths)
    cluster.restart_master()
    assert acl_state(paths) == before
    # After kill -9 the changes come back from the changelog.
    setfacl("-m", "u:4321:r", paths[0])
    before = acl_state(paths)
    cluster.restart_master(kill9=True)
    assert acl_state(paths) == before
    other = cluster.mount("real", options=NO_CACHES)
    assert acl_state([other / "f", other / "d", other / "d" / "inherited"]) == before


def test_acls_survive_swapping_real_and_our_master(cluster_factory):
    """metadata.mfs with ACLs: ours loads the real master's, and the real master ours."""
    cluster = cluster_with_mount(cluster_factory, "real")
    paths = make_acls(cluster.mountpoint)
    before = acl_state(paths)
    cluster.restart_master(impl="ours")
    assert acl_state(paths) == before
    setfacl("-m", "g:888:w", paths[0])
    (paths[1] / "under_ours").write_text("z")
    paths.append(paths[1] / "under_ours")
    before = acl_state(paths)
    cluster.restart_master(impl="real")
    assert acl_state(paths) == before
