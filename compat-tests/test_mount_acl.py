"""Issue 5: POSIX ACLs through our mfsmount (GETFACL/SETFACL), compared with the real
3.0.117 mount, on the real master and ours. The same setfacl/getfacl/permission scenario
runs in one folder through the real mount and in another through ours; the outputs must be
equal. ACLs set through one mount are read back through the other.

The real mount runs with mfsxattrcacheto=0: otherwise it shows ACLs it has just set from its
own xattr cache instead of the master's answer (docs/protocol-notes.md, POSIX ACLs).
Commands of other users run through setpriv with their working folder inside the mount
(the pytest tmp dir above it is mode 0700)."""
import subprocess

import pytest

MASTERS = ["real", "ours"]
NO_CACHES = ["mfsattrcacheto=0", "mfsentrycacheto=0", "mfsdirentrycacheto=0", "mfsnegentrycacheto=0",
             "mfsxattrcacheto=0"]


def run(script, *args, cwd="/", uid=None):
    cmd = ["sh", "-c", script, "sh", *map(str, args)]
    if uid is not None:
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *cmd]
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def scenario(root):
    """(step, result) pairs, paths relative to `root` so that two roots compare equal."""
    seen = []

    def step(what, script, uid=None):
        result = run(script, cwd=root, uid=uid)
        print(f"{root.name} {what}: {result!r}")  # shown when the test fails
        seen.append((what, result))

    root.mkdir(mode=0o777)
    root.chmod(0o777)
    step("access acl", 'echo data > f && chmod 640 f && setfacl -m u:1234:rw,g:501:r f && getfacl -c -n f'
                       ' && stat -c %A f && getfattr -n system.posix_acl_access --only-values f | od -An -tx1 | head -2')
    step("read as named user", 'cat f && echo more >> f', uid=1234)
    step("read as other user", 'cat f', uid=1235)
    step("mask limits", 'setfacl -m m::r f && getfacl -c -n f && stat -c %A f')
    step("write with mask r", 'echo more >> f', uid=1234)
    step("not the owner", 'setfacl -m u:5:r f', uid=1234)
    step("default acl", 'mkdir d && setfacl -d -m u:1234:rwx,g::r-x,o::- d && getfacl -c -n d')
    step("inherited", 'touch d/new && mkdir d/sub && ln -s x d/link && getfacl -c -n d/new d/sub'
                      ' && stat -c "%n %A" d/new d/sub')
    step("create as named user", 'echo x > d/by1234 && stat -c "%A %u" d/by1234', uid=1234)
    step("remove entries", 'setfacl -x u:1234 f && getfacl -c -n f && setfacl -b f && getfacl -c -n f'
                           ' && stat -c %A f')
    step("remove default", 'setfacl -k d && getfacl -c -n d && setfattr -x system.posix_acl_access d/new'
                           ' && getfacl -c -n d/new')
    step("bad values", 'setfattr -n system.posix_acl_access -v 0x01000000 f;'
                       ' setfattr -n system.posix_acl_access -v 0x0200000002000600e8030000 f;'
                       ' setfattr -n system.posix_acl_default -v 0x02000000 f; getfacl -c -n f')
    step("no acl", 'getfattr -n system.posix_acl_access f; getfattr -n system.posix_acl_default d; getfattr -d f')
    return seen


@pytest.mark.parametrize("master", MASTERS)
def test_acls_through_our_mount_as_through_the_real_one(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount=["real", "ours"],
                              mount_options=NO_CACHES)
    real_mnt, our_mnt = (m.mountpoint for m in cluster.mounts)
    real, ours = scenario(real_mnt / "a1"), scenario(our_mnt / "a2")
    differences = [(what, a, b) for (what, a), (_, b) in zip(real, ours) if a != b]
    assert differences == [], "\n".join(f"{what}:\n  real: {a!r}\n  ours: {b!r}" for what, a, b in differences)

    # Set through one mount, read through the other.
    assert run('setfacl -m u:77:rwx,g:88:r a2/d/new && setfacl -d -m g:99:rw a1/d', cwd=our_mnt)[0] == 0
    for path in ["a2/d/new", "a1/d"]:
        assert run('getfacl -c -n "$1"', path, cwd=real_mnt) == run('getfacl -c -n "$1"', path, cwd=our_mnt)
    assert "user:77:rwx" in run('getfacl -c -n a2/d/new', cwd=real_mnt)[1]
