"""Issue 2: exports, sessions and permission checks, the real 3.0.117 mfsmount against a
master, ours or the real one (the real one shows the expectations are right)."""
import errno
import os
import subprocess

import pytest

from mfsharness import unmount_background

MASTERS = ["ours", "real"]

# Mount i binds to 198.18.0.(50+i) (compat-tests/README.md), so each mount meets its own
# export line.
EXPORTS = """\
198.18.0.51\t/\trw,alldirs,maproot=0
198.18.0.52\t/\tro
198.18.0.53\t/\trw,alldirs,maproot=1234:5678
198.18.0.54\t/sub\trw
198.18.0.55\t/\trw,alldirs,maproot=0,password=secret
198.18.0.56\t/\trw,alldirs,mapall=2000:3000
*\t.\trw
"""


def as_user(mount, uid, gid, *cmd):
    """Runs a command as another user (no supplementary groups) in the mount's root, with
    paths relative to it: pytest's tmp dir above the mount is closed to other users.
    Returns its exit status."""
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                           *cmd], cwd=mount, capture_output=True).returncode


def refused_mount(cluster, tmp_path, options):
    """Starts the real mfsmount in the background mode with these extra options; returns
    its exit status (unmounting first if it did mount)."""
    point = tmp_path / "refused"
    point.mkdir()
    address = cluster.ns.add_address("mount", "refused")
    master = cluster.master
    opts = [f"mfsmaster={master.ip}", f"mfsport={master.matocl_port}", f"mfsbind={address}",
            f"mfscfgfile={tmp_path / 'empty.cfg'}", *options]
    (tmp_path / "empty.cfg").write_text("")
    result = cluster.run_in_ns(["mfsmount", str(point), "-o", ",".join(opts)], check=False)
    unmount_background(point)
    return result.returncode


@pytest.mark.parametrize("master", MASTERS)
def test_export_options(cluster_factory, master, tmp_path):
    cluster = cluster_factory(master=master, exports=EXPORTS, mount="real")
    admin = cluster.mountpoint  # .51: rw, root stays root
    (admin / "sub").mkdir()
    (admin / "sub" / "inside").write_text("in sub")
    (admin / "top").write_text("top")

    readonly = cluster.mount("real")  # .52
    assert (readonly / "top").read_text() == "top"
    with pytest.raises(OSError) as e:
        (readonly / "new").write_text("x")
    assert e.value.errno == errno.EROFS

    squashed = cluster.mount("real")  # .53: root mapped to 1234:5678
    (squashed / "by_root").write_text("x")
    st = (admin / "by_root").stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678)

    subfolder = cluster.mount("real", subfolder="/sub")  # .54: only /sub
    assert os.listdir(subfolder) == ["inside"]
    assert (subfolder / "inside").read_text() == "in sub"

    with_password = cluster.mount("real", options=["mfspassword=secret"])  # .55
    assert (with_password / "top").read_text() == "top"

    mapped = cluster.mount("real")  # .56: everybody is 2000:3000
    (mapped / "by_anyone").write_text("x")
    st = (admin / "by_anyone").stat()
    assert (st.st_uid, st.st_gid) == (2000, 3000)


@pytest.mark.parametrize("master", MASTERS)
def test_refused_mounts(cluster_factory, master, tmp_path):
    cluster = cluster_factory(master=master, chunkservers=["real"],
                              exports="198.18.0.51\t/\trw,alldirs,password=secret\n")
    # Address .51, wrong password: refused.
    assert refused_mount(cluster, tmp_path, ["mfspassword=wrong"]) != 0


@pytest.mark.parametrize("master", MASTERS)
def test_no_export_for_the_address_refuses_the_mount(cluster_factory, master, tmp_path):
    cluster = cluster_factory(master=master, chunkservers=["real"],
                              exports="198.18.0.99\t/\trw\n")
    assert refused_mount(cluster, tmp_path, []) != 0


@pytest.mark.parametrize("master", MASTERS)
def test_permission_checks_for_an_ordinary_user(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    mount = cluster.mountpoint
    os.chmod(mount, 0o755)
    secret = mount / "secret"
    secret.write_text("root only")
    os.chmod(secret, 0o600)
    public = mount / "public"
    public.write_text("everyone")
    os.chmod(public, 0o644)
    shared = mount / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    (shared / "roots").write_text("x")

    assert as_user(mount, 1234, 1234, "cat", "public") == 0
    assert as_user(mount, 1234, 1234, "cat", "secret") != 0
    assert as_user(mount, 1234, 1234, "sh", "-c", "echo x >> public") != 0
    assert as_user(mount, 1234, 1234, "touch", "mine") != 0  # root dir is 0755
    assert as_user(mount, 1234, 1234, "touch", "shared/mine") == 0
    assert (shared / "mine").stat().st_uid == 1234
    # Sticky directory: others' files cannot be removed, one's own can.
    assert as_user(mount, 1234, 1234, "rm", "-f", "shared/roots") != 0
    assert as_user(mount, 1234, 1234, "rm", "-f", "shared/mine") == 0
    assert as_user(mount, 1234, 1234, "chmod", "777", "public") != 0
    assert as_user(mount, 1234, 1234, "chown", "1234", "shared/roots") != 0
    assert sorted(os.listdir(shared)) == ["roots"]


@pytest.mark.parametrize("master", MASTERS)
def test_files_and_sessions_survive_a_master_restart(cluster_factory, master):
    cluster = cluster_factory(master=master, mount="real")
    mount = cluster.mountpoint
    (mount / "d").mkdir()
    (mount / "d" / "f").write_bytes(b"x" * 100000)
    handle = open(mount / "d" / "f", "rb")  # an open file keeps the session busy
    try:
        cluster.restart_master()
        assert handle.read(10) == b"x" * 10
        cluster.restart_master(kill9=True)
        assert handle.read() == b"x" * 99990
    finally:
        handle.close()
    assert (mount / "d" / "f").stat().st_size == 100000
    (mount / "d" / "after").write_text("new file, same session")
    assert sorted(os.listdir(mount / "d")) == ["after", "f"]
