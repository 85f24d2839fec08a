"""Issue 5: `mfsmount -p` asks for the password (getpass: the terminal, or stdin without
one) before it registers; ours and the real 3.0.117 mount, on an export with a password,
through a pipe and through a pseudo terminal (script(1)), with the right and a wrong one."""
import pytest

from mfsharness import binary, is_mounted, unmount_background

EXPORTS = "*\t/\trw,alldirs,maproot=0,password=secret\n*\t.\trw\n"


def mount_with_prompt(cluster, impl, mountpoint, typed, tty):
    """Runs `mfsmount MNT -p` (in the background, as a user would) and returns (exit status,
    stderr with the mount point masked)."""
    mountpoint.mkdir(exist_ok=True)
    opts = f"mfsmaster={cluster.master.ip},mfsport={cluster.master.matocl_port},mfscfgfile=/dev/null"
    command = f'{binary("mount", impl)} "{mountpoint}" -p -o {opts}'
    typing = 'printf "%s\\n" "$1"'
    if tty:
        # getpass() flushes what was typed before its prompt: type after it.
        command = f"script -q -e -c '{command}' /dev/null"
        typing = f"sleep 1; {typing}"
    r = cluster.run_in_ns(["sh", "-c", f'({typing}) | {command}', "sh", typed], check=False, timeout=60)
    return r.returncode, (r.stdout + r.stderr).replace(str(mountpoint), "MNT")


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "pty"])
def test_password_prompt(cluster_factory, tmp_path, tty):
    cluster = cluster_factory(master="real", chunkservers=[], exports=EXPORTS)
    results = {}
    for impl in ["real", "ours"]:
        mnt = tmp_path / f"mnt-{impl}"
        try:
            wrong = mount_with_prompt(cluster, impl, mnt, "wrong", tty)
            assert not is_mounted(mnt)
            right = mount_with_prompt(cluster, impl, mnt, "secret", tty)
            assert is_mounted(mnt), right
        finally:
            unmount_background(mnt)
        results[impl] = (wrong[0], "MFS Password:" in wrong[1], right[0], "MFS Password:" in right[1])
    assert results["ours"] == results["real"] == (1, True, 0, True), results
