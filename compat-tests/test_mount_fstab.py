"""Issue 5: /etc/fstab lines mount through mount(8) with our client as with the real 3.0.117
one, in both forms of mfsmount(8): "HOST:PORT:PATH MNT moosefs OPTIONS" (mount(8) runs
/sbin/mount.moosefs, a link to mfsmount) and "mfsmount MNT fuse OPTIONS" (mount.fuse3 runs
mfsmount); a line with an unknown option fails.

Each client runs in a private mount namespace where the client under test is bound over
/usr/bin/mfsmount (for ours: our build's mount.moosefs link, so the link is what runs), and
mount(8) reads the test's own fstab (-T), so the machine's /etc/fstab and /sbin stay as they
are. The mounts live in that namespace only: the script checks them from inside."""
import os

from mfsharness import background_mount_pids, binary, wait_until

SCRIPT = """
set -u
{bind}
/sbin/mount.moosefs -V 2>&1 | grep -q "build: mooseng" && echo "ours runs" >&2
status() {{ "$@" >/dev/null 2>&1; echo $?; }}
echo "mount moosefs type: $(status mount -T {fstab} {typed})"
echo "mount fuse type: $(status mount -T {fstab} {fuse})"
echo "mount unknown option: $(status mount -T {fstab} {bad})"
echo "mount subfolder: $(status mount -T {fstab} {sub})"
awk '$2 ~ "^{folder}/" {{ print "mounted:", $1, $2, $3 }}' /proc/self/mounts
echo written > {typed}/through-typed
echo "read through the fuse-type mount: $(cat {fuse}/through-typed)"
echo "subfolder of the moosefs-type line: $(ls {sub})"
echo "umount: $(status umount {typed}) $(status umount {fuse}) $(status umount {sub})"
"""


def fstab_observations(cluster, tmp_path, impl):
    folder = tmp_path / impl
    points = {name: folder / name for name in ("typed", "fuse", "bad", "sub")}
    for point in points.values():
        point.mkdir(parents=True)
    master = f"{cluster.master.ip}:{cluster.master.matocl_port}"
    options = "rw,_netdev,mfscfgfile=/dev/null"
    fstab = folder / "fstab"
    fstab.write_text(
        f"{master}:/ {points['typed']} moosefs {options} 0 0\n"
        f"mfsmount {points['fuse']} fuse {options},mfsmaster={cluster.master.ip},"
        f"mfsport={cluster.master.matocl_port} 0 0\n"
        f"{master}:/ {points['bad']} moosefs {options},mfsbogus=1 0 0\n"
        f"{master}:/dir {points['sub']} moosefs {options} 0 0\n")
    bind = ""
    if impl == "ours":
        link = os.path.join(os.path.dirname(binary("mount", "ours")), "mount.moosefs")
        bind = f"mount --bind {link} /usr/bin/mfsmount || exit 97"
    script = SCRIPT.format(bind=bind, fstab=fstab, folder=folder, **points)
    r = cluster.run_in_ns(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          check=False, timeout=120)
    for point in points.values():  # the daemons exit by themselves after the umounts
        wait_until(lambda: not background_mount_pids(point), timeout=20,
                   what=f"the {impl} mfsmount of {point} to exit")
    assert ("ours runs" in r.stderr) == (impl == "ours"), r.stderr
    return r.returncode, r.stdout.replace(str(folder), "DIR")


def test_fstab_lines_mount_as_with_the_real_client(cluster_factory, tmp_path):
    cluster = cluster_factory(master="real", chunkservers=["real"], mount="real")
    (cluster.mountpoint / "dir").mkdir()
    (cluster.mountpoint / "dir" / "inside").write_text("x")
    observed = {impl: fstab_observations(cluster, tmp_path, impl) for impl in ("real", "ours")}
    status, output = observed["real"]
    assert status == 0, output
    assert "mount moosefs type: 0" in output, output
    assert "read through the fuse-type mount: written" in output, output
    assert "subfolder of the moosefs-type line: inside" in output, output
    assert observed["ours"] == observed["real"], observed
