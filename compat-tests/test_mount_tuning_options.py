"""mfsmount's tuning options on the real 3.0.117 client and ours, against the same servers;
both clients must give the same observations (docs/protocol-notes.md, "mfsmount tuning
options"):
- mfsmemlock and mfsallowoomkiller: the calls the process makes (strace), VmLck and
  oom_score_adj in /proc; with a stand-in that lets raising RLIMIT_MEMLOCK succeed too,
  since this machine refuses it even to root (then neither client locks its memory);
- mfsxattrcacheto: getxattr answers (values and "no such attribute") kept per user for that
  time; a value set through the same mount is what the setter reads next and drops the other
  users' answers, a removal changes the remover's only; a change through another mount is
  seen once the time is over;
- mfspreflabels: which chunkserver a read goes to, and which expressions are refused;
- mfstimeout and mfslogretry: when a read of a chunk without copies fails, and how many
  failed tries are logged.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import time

import pytest

from mfsharness.daemons import Mount

IMPLS = ("real", "ours")
# Lets setrlimit(RLIMIT_MEMLOCK) succeed without changing anything, as on a machine where
# root may raise its limits (this one refuses any hard limit raise).
MEMLOCK_LIMIT_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/resource.h>
int setrlimit(__rlimit_resource_t resource, const struct rlimit *limit) {
  if (resource == RLIMIT_MEMLOCK) return 0;
  int (*next)(__rlimit_resource_t, const struct rlimit *) = dlsym(RTLD_NEXT, "setrlimit");
  return next(resource, limit);
}
int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *limit) {
  return setrlimit(resource, (const struct rlimit *)limit);
}
"""


def wrapped(mount: Mount, prefix: list[str]) -> Mount:
    """The mount's command behind `prefix` (a program that ends by exec'ing it)."""
    mount.command = lambda: [*prefix, *Mount.command(mount)]
    return mount


def memlock_limit_can_be_raised() -> bool:
    probe = subprocess.run(["/usr/bin/python3", "-c", "import resource; resource.setrlimit(resource.RLIMIT_MEMLOCK, "
                            "(resource.RLIM_INFINITY, resource.RLIM_INFINITY))"], capture_output=True)
    return probe.returncode == 0


def memory_values(pid: int) -> dict:
    [locked] = [line.split(":", 1)[1].strip() for line in open(f"/proc/{pid}/status") if line.startswith("VmLck:")]
    return {"memory locked": locked != "0 kB",
            "oom_score_adj": open(f"/proc/{pid}/oom_score_adj").read().strip()}


def process_calls(strace_output: str) -> list[str]:
    """The calls that mfsmemlock and the OOM protection make, in order."""
    calls = []
    for line in strace_output.splitlines():
        if "RLIMIT_MEMLOCK" in line and not line.startswith("prlimit64(0, RLIMIT_MEMLOCK, NULL"):
            calls.append("raise RLIMIT_MEMLOCK to " + re.search(r"\{rlim_cur=([^,]+),", line).group(1))
        elif line.startswith("mlockall("):
            calls.append(line.split(")", 1)[0] + ")")
        elif line.startswith("write(") and "oom_score_adj>" in line:
            calls.append("write oom_score_adj " + line.split(", ")[1])
    return calls


def test_memory_lock_and_oom_protection_as_the_real_client(cluster_factory, tmp_path):
    cluster = cluster_factory(master="real", chunkservers=["real"])
    shim = tmp_path / "memlock_limit_shim.so"
    source = tmp_path / "memlock_limit_shim.c"
    source.write_text(MEMLOCK_LIMIT_SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(shim), str(source), "-ldl"], check=True)
    observed = {}
    for impl in IMPLS:
        plain = cluster.add_mount(impl)
        tuned = cluster.add_mount(impl, options=["mfsmemlock", "mfsallowoomkiller"])
        shimmed = wrapped(cluster.add_mount(impl, options=["mfsmemlock"], start=False),
                          ["env", f"LD_PRELOAD={shim}"]).start()
        observed[impl] = {"defaults": memory_values(plain.pid), "mfsmemlock,mfsallowoomkiller": memory_values(tuned.pid),
                          "mfsmemlock, limit raised": memory_values(shimmed.pid)}
        for mount in (plain, tuned, shimmed):
            mount.stop()
    # Locked only where the limit could be raised (this machine refuses it, and -1000 for
    # oom_score_adj, even to root).
    assert observed["real"]["mfsmemlock, limit raised"]["memory locked"]
    assert observed["real"]["mfsmemlock,mfsallowoomkiller"]["memory locked"] == memlock_limit_can_be_raised()
    assert observed["ours"] == observed["real"]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_memory_lock_and_oom_protection_calls_as_the_real_client(cluster_factory, tmp_path):
    cluster = cluster_factory(master="real", chunkservers=["real"])
    observed = {}
    for impl in IMPLS:
        probe = cluster.add_mount(impl, start=False)
        base = list(probe.mount_options)
        for options in ([], ["mfsmemlock"], ["mfsallowoomkiller"], ["mfsmemlock", "mfsallowoomkiller"]):
            trace = tmp_path / f"{impl}-{'-'.join(options)}.strace"
            probe.mount_options = base + options
            wrapped(probe, ["strace", "-qq", "-y", "-e", "trace=prlimit64,setrlimit,mlockall,write", "-o", str(trace)])
            probe.start()
            probe.stop()
            observed[(impl, ",".join(options))] = process_calls(trace.read_text())
    assert observed[("real", "")] == ["write oom_score_adj \"-1000\\n\""]
    assert observed[("real", "mfsmemlock,mfsallowoomkiller")] == ["raise RLIMIT_MEMLOCK to RLIM64_INFINITY"]
    for (impl, options), calls in observed.items():
        assert calls == observed[("real", options)], (impl, options)


def as_user(uid: int, call):
    """`call()` in a child process running as uid:gid `uid`: its value, or the errno name."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        answer = "the child failed"
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            answer = repr(call())
        except OSError as e:
            answer = errno.errorcode.get(e.errno, str(e.errno))
        finally:
            os.write(write_end, answer.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(child, 0)
    return answer


def xattr_observations(writer, mountpoint) -> list:
    """getxattr answers through `mountpoint` (mfsxattrcacheto=3) while `writer` (another
    mount) and the mount itself change the attributes."""
    fd = os.open(mountpoint / "f", os.O_RDONLY)
    try:
        def get(name, uid=0):
            return as_user(uid, lambda: os.getxattr(fd, name))

        seen = [("first reads", get("user.a"), get("user.z"), get("user.a", 65534))]
        os.setxattr(writer / "f", "user.a", b"2")
        os.setxattr(writer / "f", "user.z", b"9")
        seen.append(("changed through another mount", get("user.a"), get("user.z"), get("user.a", 65534),
                     get("user.a", 1000), sorted(os.listxattr(fd))))
        os.setxattr(mountpoint / "f", "user.q", b"5")
        seen.append(("another name set here", get("user.a"), get("user.z")))
        os.setxattr(mountpoint / "f", "user.a", b"3")
        os.setxattr(writer / "f", "user.a", b"4")
        seen.append(("set here, then through another mount", get("user.a"), get("user.a", 65534)))
        os.removexattr(mountpoint / "f", "user.a")
        os.setxattr(writer / "f", "user.a", b"6")
        seen.append(("removed here, then set through another mount", get("user.a"), get("user.a", 65534)))
        os.removexattr(writer / "f", "user.z")
        time.sleep(3.5)
        seen.append(("expired", get("user.a"), get("user.z"), get("user.a", 65534)))
        return seen
    finally:
        os.close(fd)


def test_xattr_cache_as_the_real_client(cluster_factory):
    cluster = cluster_factory(master="real", chunkservers=["real"], mount="real")
    writer = cluster.mountpoint
    (writer / "f").write_bytes(b"x")
    os.chmod(writer / "f", 0o644)
    observed = {}
    for impl in IMPLS:
        os.setxattr(writer / "f", "user.a", b"1")
        for name in ("user.q", "user.z"):
            try:
                os.removexattr(writer / "f", name)
            except OSError:
                pass
        mount = cluster.add_mount(impl, options=["mfsxattrcacheto=3"])
        observed[impl] = xattr_observations(writer, mount.mountpoint)
        uncached = cluster.add_mount(impl, options=["mfsxattrcacheto=0"])
        fd = os.open(uncached.mountpoint / "f", os.O_RDONLY)
        first = os.getxattr(fd, "user.a")
        os.setxattr(writer / "f", "user.a", b"5")
        observed[impl].append(("mfsxattrcacheto=0", first, os.getxattr(fd, "user.a")))
        os.close(fd)
        mount.stop()
        uncached.stop()
    assert observed["real"][1][1] == "b'1'", observed  # kept although changed elsewhere
    assert observed["real"][1][4] == "b'2'", observed  # another user's first read goes to the master
    assert observed["ours"] == observed["real"]


def connected_chunkservers(cluster, pid: int) -> list[str]:
    """The chunkserver addresses the process `pid` has connections to."""
    ports = {f":{cs.port}" for cs in cluster.chunkservers}
    listing = cluster.run_in_ns(["ss", "-tnpH"]).stdout
    return sorted({line.split()[4] for line in listing.splitlines()
                   if f"pid={pid}," in line and any(line.split()[4].endswith(p) for p in ports)})


def test_preferred_labels_as_the_real_client(cluster_factory):
    cluster = cluster_factory(master="real", chunkservers=[], mount=None)
    cluster.add_chunkserver("real", options={"LABELS": "A"})
    cluster.add_chunkserver("real", options={"LABELS": "B"})
    cluster.wait_chunkservers_registered()
    writer = cluster.add_mount("real").mountpoint
    data = os.urandom(1 << 20)
    (writer / "g").write_bytes(data)
    cluster.run_in_ns(["mfssetgoal", "2", str(writer / "g")])
    deadline = time.monotonic() + 60
    while cluster.run_in_ns(["mfsfileinfo", str(writer / "g")]).stdout.count("(status:VALID)") < 2:
        assert time.monotonic() < deadline, "the second copy was not made"
        time.sleep(1)
    observed = {}
    for impl in IMPLS:
        probe = cluster.add_mount(impl, start=False)
        base = list(probe.mount_options)
        for expression in ("A", "b", "B;A", "C;B", "a&b+B", "c|a", "2a", "3b;a", "*"):
            probe.mount_options = base + ["mfscachemode=DIRECT", f"mfspreflabels={expression}"]
            probe.start()
            assert (probe.mountpoint / "g").read_bytes() == data
            servers = connected_chunkservers(cluster, probe.pid)
            # '*' puts no copy first: the real client then spreads reads over both.
            observed[(impl, expression)] = len(servers) if expression == "*" else servers
            probe.stop()
        for expression in ("A+", "A;B;C;D;E;F;G;H;I;J", "(A", "A-B", "*B", "A&*", "2;a", "10a"):
            probe.mount_options = base + [f"mfspreflabels={expression}"]
            probe.write_config()
            refused = cluster.ns.run([arg for arg in probe.command() if arg != "-f"], check=False, timeout=30)
            observed[(impl, f"refused {expression}")] = refused.returncode
    cs_a, cs_b = (f"{cs.ip}:{cs.port}" for cs in cluster.chunkservers)
    assert observed[("real", "A")] == [cs_a] and observed[("real", "C;B")] == [cs_b]
    assert observed[("real", "refused A+")] == 1 and observed[("real", "refused 2;a")] == 1
    assert observed[("real", "2a")] == [cs_a]  # a copy count changes nothing for reads
    for (impl, what), value in observed.items():
        if impl == "ours" and what != "*":
            assert value == observed[("real", what)], what
    assert observed[("ours", "*")] >= 1


def failed_read(mount: Mount) -> tuple[str, float, str]:
    """Reading a file whose only chunkserver is gone: the errno, the time it took, and what
    the mount logged meanwhile."""
    logged_before = len(mount.log_text())
    start = time.monotonic()
    with pytest.raises(OSError) as failure:
        (mount.mountpoint / "g").read_bytes()
    return errno.errorcode[failure.value.errno], time.monotonic() - start, mount.log_text()[logged_before:]


def test_io_timeout_and_log_retry_as_the_real_client(cluster_factory):
    cluster = cluster_factory(master="real", chunkservers=["real"], mount="real")
    (cluster.mountpoint / "g").write_bytes(os.urandom(1 << 16))
    cluster.chunkservers[0].stop()
    # Both clients log this once per logged try (with their own details around it).
    no_copies = "there are no valid copies"
    observed = {}
    for impl in IMPLS:
        probe = cluster.add_mount(impl, start=False)
        base = list(probe.mount_options) + ["mfscachemode=DIRECT"]
        probe.mount_options = base + ["mfsioretries=1000", "mfstimeout=3"]
        probe.start()
        error, seconds, log = failed_read(probe)
        observed[(impl, "timeout")] = (error, 2.5 < seconds < 6)
        probe.stop()
        for log_retry in ("2", "0"):
            probe.mount_options = base + ["mfsioretries=4", f"mfslogretry={log_retry}"]
            probe.start()
            error, seconds, log = failed_read(probe)
            observed[(impl, f"mfslogretry={log_retry}")] = log.count(no_copies)
            probe.stop()
    assert observed[("real", "timeout")] == ("EIO", True)
    assert observed[("real", "mfslogretry=2")] == 2
    for (impl, what), value in observed.items():
        assert value == observed[("real", what)], what


def test_debug_logs_each_request_as_the_real_client(cluster_factory):
    """mfsdebug: each kernel request is logged with its inode and name, e.g. `lookup (1,x)`
    for a stat of /x, but not the bytes written, and each error answer in 3.0.117's words;
    without the option nothing of the sort."""
    cluster = cluster_factory(master="real", chunkservers=["real"])
    for impl in IMPLS:
        for debug in (True, False):
            mount = cluster.add_mount(impl, options=["mfsdebug"] if debug else [], name=f"{impl}-{debug}")
            name = f"{impl}-{debug}"
            logged_before = len(mount.log_text())
            with pytest.raises(FileNotFoundError):
                os.stat(mount.mountpoint / name)
            (mount.mountpoint / name).mkdir()
            (mount.mountpoint / name / "f").write_bytes(b"written-bytes-" * 300)
            with pytest.raises(OSError, match="Directory not empty"):
                os.rmdir(mount.mountpoint / name)
            logged = mount.log_text()[logged_before:]
            print(impl, debug, logged)  # shown when the test fails
            assert (f"lookup (1,{name})" in logged) == debug, (impl, debug)
            assert bool(re.search(rf"mkdir \(1,{name}\b", logged)) == debug, (impl, debug)
            assert "written-bytes" not in logged, (impl, debug)
            assert ("status: No such file or directory" in logged) == debug, (impl, debug)
            assert ("status: Directory not empty" in logged) == debug, (impl, debug)
            mount.stop()
