"""Issue 2 (persistence, and the in-place swap both ways): random states survive a restart of
our master and a hand-over between 3.0.117's master and ours. hypothesis draws the
operations of test_differential_model.py (owners, times, xattrs, ACLs, special files, goals,
trash times, extra attributes, snapshots, quotas, appended chunks, deletions into the trash)
and one of these restarts:
- kill -9 of our master, start of ours with -a (LevelDB checkpoint + changelog tail);
- stop and start of our master;
- stop of ours, start of 3.0.117's on the metadata.mfs ours wrote;
- stop of 3.0.117's, start of ours on the metadata.mfs it wrote;
- kill -9 of 3.0.117's, start of ours with -a on its metadata.mfs.back and changelogs.
What the mount shows (inode numbers, modes, owners, times, sizes, sampled data, xattrs,
ACLs), what the real tools show (goal, trash time, extra attributes, quotas, chunk ids and
versions, directory totals) and the deleted files the meta mount's trash lists must be the
same before and after. MFSNG_RESTART_EXAMPLES=N runs more examples per restart (default 6,
about a minute per restart; longer hunts found nothing more).
"""

from __future__ import annotations

import os
import re
import stat
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfsharness import ADMIN_EXPORTS
from mfsharness.fs_differential import NO_CACHE, DifferentialSide, tree
from mfsharness.fs_strategies import DIFFERENTIAL_START, differential_operations

# (master before, kill -9 rather than stop, master after)
RESTARTS = [("ours", True, "ours"), ("ours", False, "ours"), ("ours", False, "real"),
            ("real", False, "ours"), ("real", True, "ours")]
TIME_REPORT_SECONDS = 2
# One invocation each, on every node of the example; mfsgetquota and mfsfileinfo fail
# (the same way) on nodes that are not directories, or not files.
TOOLS = ["mfsgetgoal", "mfsgettrashtime", "mfsgeteattr", "mfsgetquota", "mfsfileinfo"]


def tool_state(side: DifferentialSide) -> dict:
    """The tools' answers for every node but symlinks (the tools would follow them), with
    the chunks' copies left out: a restarted master lists them only once the chunkservers'
    lists have come, and the copies are the chunkservers' anyway."""
    nodes = ["@."] + sorted("@" + os.path.relpath(os.path.join(d, n), side.root)
                            for d, dirs, files in os.walk(side.root) for n in dirs + files
                            if not os.path.islink(os.path.join(d, n)))
    answers = {tool: side.tool(tool, *nodes) for tool in TOOLS}
    answers["mfsdirinfo"] = side.tool("mfsdirinfo", "@.")
    status, out, err = answers["mfsfileinfo"]
    answers["mfsfileinfo"] = (status, re.sub(r"\n\t\t(copy \d+: .*|no valid copies !!!)", "", out), err)
    return answers


def trash_state(meta, name: str) -> dict:
    """The example's deleted files as the meta mount's trash lists them ("inode|path")."""
    found = {}
    trash = meta / "trash"
    for bucket in os.listdir(trash):
        if bucket == "undel":
            continue
        for entry in os.listdir(trash / bucket):
            if entry.split("|", 2)[1:2] == [name]:
                s = os.lstat(trash / bucket / entry)
                found[entry] = (stat.filemode(s.st_mode), s.st_size, s.st_uid, s.st_gid, int(s.st_mtime))
    return found


@pytest.mark.parametrize("restart", RESTARTS, ids=[f"{b}-{'kill9' if k else 'stop'}-{a}" for b, k, a in RESTARTS])
def test_random_states_survive_restarts_and_swaps(cluster_factory, restart):
    before_impl, kill, after_impl = restart
    cluster = cluster_factory(master=before_impl, chunkservers=["real", "real"], mount="real",
                              mount_options=NO_CACHE, exports=ADMIN_EXPORTS)
    meta = cluster.mount("real", meta=True)
    examples = 0

    @settings(max_examples=int(os.environ.get("MFSNG_RESTART_EXAMPLES", 6)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(differential_operations, min_size=5, max_size=30))
    def run(sequence):
        nonlocal examples
        if cluster.master.impl != before_impl:  # back to the master the example starts on
            cluster.restart_master(impl=before_impl)
        name = f"example{examples}"
        examples += 1
        side = DifferentialSide(cluster.mountpoint / name, cluster.run_in_ns)
        side.create()
        try:
            for operation in DIFFERENTIAL_START + sequence:
                side.apply(operation)
        finally:
            side.release()
        # Both mounts report a write's times again at their next tick (AMTIME_INODES, each
        # second), which moves the ctime: that must reach the master before the first look.
        time.sleep(TIME_REPORT_SECONDS)

        def state():
            return tree(str(side.root), identity=True), tool_state(side), trash_state(meta, name)
        before = state()
        cluster.restart_master(kill9=kill, impl=after_impl)
        after = state()
        for part, was, now in zip(("nodes", "tools", "trash"), before, after):
            differences = {key: (was.get(key), now.get(key)) for key in was.keys() | now.keys()
                           if was.get(key) != now.get(key)}
            assert not differences, (f"{part} changed by {restart} after {sequence}: "
                                     f"(before, after) {differences}")
        side.remove()

    run()
    print(f"{examples} examples, each then {restart}")
