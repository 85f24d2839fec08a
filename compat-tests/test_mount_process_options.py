"""mfsmount's process and switch options on the real 3.0.117 client and ours, against the
same servers: mfsnice and mfsrlimitnofile (read back from /proc, defaults included),
mfsnoxattrs (every xattr request fails with EOPNOTSUPP, getfacl falls back to the mode),
mfsnobsdlocks and mfsnoposixlocks (locks stay local to the mount: a lock held through
another mount does not conflict). Both clients must give the same observations.
"""
import errno
import fcntl
import os
import subprocess

SWITCHES = ["mfsnoxattrs", "mfsnoposixlocks", "mfsnobsdlocks"]


def process_values(pid):
    def nice(stat_path):
        return int(open(stat_path).read().rsplit(")", 1)[1].split()[16])
    # On Linux the nice value is per thread: every thread must have it, not only the first.
    threads = {nice(f"/proc/{pid}/task/{task}/stat") for task in os.listdir(f"/proc/{pid}/task")}
    [open_files] = [line.split()[3:5] for line in open(f"/proc/{pid}/limits") if line.startswith("Max open files")]
    return {"nice": nice(f"/proc/{pid}/stat"), "nice of all threads": sorted(threads),
            "open files (soft, hard)": open_files}


def outcome(call):
    try:
        call()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]


def held_elsewhere(path, code):
    """A process holding a lock on `path` (through another mount) for a few seconds."""
    holder = subprocess.Popen(["python3", "-c", f"import fcntl, os, sys, time\n"
                               f"fd = os.open({str(path)!r}, os.O_RDWR)\n{code}\n"
                               "print('held', flush=True)\ntime.sleep(30)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def switch_observations(cluster, mountpoint):
    path = mountpoint / "f"
    observed = {
        "getxattr": outcome(lambda: os.getxattr(path, "user.a")),
        "listxattr": outcome(lambda: os.listxattr(path)),
        "setxattr": outcome(lambda: os.setxattr(path, "user.b", b"2")),
        "removexattr": outcome(lambda: os.removexattr(path, "user.a")),
        "getfacl": subprocess.run(["getfacl", "-n", "--omit-header", str(path)], capture_output=True,
                                  text=True).stdout,
    }
    fd = os.open(path, os.O_RDWR)
    try:
        for kind, code, take in (
                ("flock", "fcntl.flock(fd, fcntl.LOCK_EX)", lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                ("lockf", "fcntl.lockf(fd, fcntl.LOCK_EX)", lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))):
            holder = held_elsewhere(cluster.mountpoint / "f", code)
            try:
                observed[f"{kind} held through another mount"] = outcome(take)
            finally:
                holder.kill()
                holder.wait()
    finally:
        os.close(fd)
    return observed


def test_process_and_switch_options_as_the_real_client(cluster_factory):
    cluster = cluster_factory(master="real", chunkservers=["real"], mount="real")
    (cluster.mountpoint / "f").write_bytes(b"x")
    os.setxattr(cluster.mountpoint / "f", "user.a", b"1")
    observed = {}
    for impl in ("real", "ours"):
        defaults = cluster.add_mount(impl)
        tuned = cluster.add_mount(impl, options=["mfsnice=5", "mfsrlimitnofile=3000", *SWITCHES])
        observed[impl] = {"defaults": process_values(defaults.pid), "tuned": process_values(tuned.pid),
                          "switches": switch_observations(cluster, tuned.mountpoint)}
        defaults.stop()
        tuned.stop()
    assert observed["real"]["tuned"] == {"nice": 5, "nice of all threads": [5],
                                         "open files (soft, hard)": ["3000", "3000"]}
    assert observed["real"]["switches"]["getxattr"] == errno.errorcode[errno.EOPNOTSUPP]
    assert observed["real"]["switches"]["flock held through another mount"] == "ok"
    assert observed["ours"] == observed["real"]
