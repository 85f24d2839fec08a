"""Issue 5: what mfsmount tells the operator when it starts in the background, ours against
the real 3.0.117 client, on the same master and exports: the "mfsmaster accepted connection
with parameters: ..." line (flags, uid mapping with local names, goal and trash-time limits
in 3.0.117's duration format), the open-files limit lines, and the lines of a refused
registration and of a master that does not answer; the daemon's process title; `-V`."""
import resource
import subprocess

from mfsharness import background_mount_pids, binary, unmount_background, wait_until

# Mount i binds to 198.18.0.(50+i), so each mount meets its own export line.
EXPORTS = """\
198.18.0.51\t/\tro,alldirs,mapall=2000:3000,admin,ignoregid,dynamicip,maproot=0
198.18.0.52\t/\trw,alldirs,maproot=nobody,mintrashtime=1,maxtrashtime=90
198.18.0.53\t/\trw,alldirs,mintrashtime=2h,maxtrashtime=25h,mingoal=2,maxgoal=3
198.18.0.54\t/\trw,alldirs,maproot=1234:0,mintrashtime=3601,maxtrashtime=86401
198.18.0.55\t/\trw,alldirs,mintrashtime=1w,maxtrashtime=4294967295
198.18.0.56\t/\trw,alldirs,password=secret
198.18.0.57\t.\tro,mingoal=2,maxtrashtime=1d
"""
# Only ours says that it could not protect itself from the OOM killer (the container
# refuses it); 3.0.117 fails at it silently.
OURS_ONLY = "can't disable the out of memory killer"


def start_messages(cluster, point, index, impl, extra_options=""):
    point.mkdir()
    address = f"198.18.0.{50 + index}"
    options = (f"mfsmaster={cluster.master.ip},mfsport={cluster.master.matocl_port},mfsbind={address},"
               f"mfscfgfile=/dev/null,mfsrlimitnofile=1000000{extra_options}")
    result = cluster.run_in_ns([binary("mount", impl), point, "-o", options], check=False, timeout=60)
    # The daemon renames itself once mounted, which may come just after the parent returns.
    if result.returncode == 0:
        wait_until(lambda: all(process_title(pid).startswith("mfsmount (") for pid in background_mount_pids(point)),
                   timeout=5, what="the process title")
    titles = [process_title(pid).replace(str(point), "MNT") for pid in background_mount_pids(point)]
    unmount_background(point)
    lines = [line for line in result.stderr.splitlines() if not line.startswith(OURS_ONLY)]
    return result.returncode, lines, titles


def process_title(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().rstrip(b"\0").decode()


def test_start_messages_as_the_real_client(cluster_factory, tmp_path):
    cluster = cluster_factory(master="real", chunkservers=[], exports=EXPORTS)
    for index in range(1, 8):
        cluster.ns.add_address("mount", f"export line {index}")
    cases = {f"line {i}": (i, ",mfsmeta" if i == 7 else ",mfspassword=secret" if i == 6 else "")
             for i in range(1, 8)}
    cases["wrong password"] = (6, ",mfspassword=wrong")
    cases["no password"] = (6, "")
    cases["no master"] = (1, ",mfsport=9")
    observed = {impl: {name: start_messages(cluster, tmp_path / f"{impl} {name}", index, impl, extra)
                       for name, (index, extra) in cases.items()} for impl in ("real", "ours")}
    real, ours = observed["real"], observed["ours"]
    limit = 1000000  # halved until the hard limit allows it
    while limit > resource.getrlimit(resource.RLIMIT_NOFILE)[1]:
        limit //= 2
    limit_lines = [] if limit == 1000000 else ["can't set open file limit to 1000000",
                                               f"open file limit set to: {limit}"]
    assert real["line 1"] == (0, [
        "mfsmaster accepted connection with parameters: read-only,not_restricted_ip,ignore_gid,admin,map_all"
        " ; root mapped to root:root ; users mapped to 2000:3000", *limit_lines],
        ["mfsmount (mounted on: MNT)"]), real["line 1"]
    assert real["no password"] == (1, ["mfsmaster register error: Password is needed"], [])
    # 3.0.117 gives no reason for a failed connection; ours adds it after a colon.
    for impl in observed.values():
        status, lines, _ = impl.pop("no master")
        assert status == 1 and lines[0].startswith("can't connect to mfsmaster (\"198.18.0.1\":\"9\")"), lines
    assert ours == real


def test_version_output_as_the_real_client():
    """`mfsmount -V`: the MooseFS version on stderr (the build differs), libfuse's on stdout."""
    outputs = {impl: subprocess.run([binary("mount", impl), "-V"], capture_output=True, text=True)
               for impl in ("real", "ours")}
    assert outputs["real"].stderr == "MFS version: 3.0.117-1 ; build: 1341\n"
    assert outputs["ours"].stderr == "MFS version: 3.0.117-1 ; build: mooseng\n"
    assert outputs["ours"].stdout == outputs["real"].stdout != ""
    assert outputs["ours"].returncode == outputs["real"].returncode == 0
