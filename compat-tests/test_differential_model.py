"""Model-based random test of our programs against 3.0.117's: hypothesis draws sequences of
operations that the local-file-system model of test_mount_model.py cannot judge (owners,
times set by utime, extended attributes, POSIX ACLs, FIFOs and device nodes, offsets in
later chunks, operations as other users, the real tools: goals, trash time, extra
attributes such as immutable, snapshots, quotas, appended chunks). They run on a cluster of
3.0.117 programs and on one with our master ("master"), our mount ("mount") or all of ours
("all"); each result (value, errno, or a tool's exit status and output) and the final trees
must be the same. MFSNG_DIFFERENTIAL_EXAMPLES=N runs more examples (default 100, about 30 s
per variant).
"""

from __future__ import annotations

import collections
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfsharness.fs_differential import CHUNK, DifferentialSide, tree
from mfsharness.fs_model import ERRNO_NAMES, remove
from mfsharness.fs_strategies import file_system_operations

PATHS = ["a", "b", "d", "e", "d/a", "d/b", "d/e", "d/e/a", "e/a"]
MODES = [0o644, 0o755, 0o600, 0o000, 0o777, 0o4755, 0o2770, 0o1777, 0o640]
USERS = [(1000, (1000,)), (1001, (1001, 1000)), (65534, (65534,))]
OWNERS = [0, 1000, 1001, -1]
TIMES = [0, 86400, 123456789]
KEYS = ["user.a", "user.b", "trusted.t", "security.s"]
VALUES = [b"", b"v1", b"x" * 300]
FLAGS = [0, os.XATTR_CREATE, os.XATTR_REPLACE]
EATTRS = ["noowner", "noattrcache", "noentrycache", "nodatacache", "snapshot", "undeletable",
          "appendonly", "immutable"]
ACL_ENTRIES = ["u:1000:rw", "u:1001:r", "g:1000:rwx", "g::r", "m::r", "o::-", "d:u:1000:rwx", "d:g:1001:r"]
NO_CACHE = ["mfsattrcacheto=0", "mfsdirentrycacheto=0", "mfsxattrcacheto=0"]
START = [("create", "a", 0o644), ("write", "a", 0, 70000, 1), ("mkdir", "d", 0o755),
         ("create", "d/a", 0o600), ("mkdir", "e", 0o777), ("chown", "e", 1000, 1000)]

paths = st.sampled_from(PATHS)
any_path = st.sampled_from(PATHS + ["."])
at_path = st.sampled_from(["@" + p for p in PATHS + ["."]])
offsets = st.one_of(st.integers(0, 200000), st.sampled_from([CHUNK - 3, CHUNK, 2 * CHUNK + 7]))

file_operations = st.one_of(
    *file_system_operations(PATHS, MODES, offsets),
    st.tuples(st.sampled_from(["stat", "listdir"]), st.just(".")),
    st.tuples(st.just("mkfifo"), paths, st.sampled_from(MODES)),
    st.tuples(st.just("mknod"), paths, st.sampled_from(["chr", "blk", "sock"]), st.sampled_from(MODES)),
    st.tuples(st.just("setfacl"), st.just("-m"), st.sampled_from(ACL_ENTRIES), any_path),
    st.tuples(st.just("setfacl"), st.sampled_from(["-b", "-k"]), any_path),
    st.tuples(st.just("setfacl"), st.just("-x"), st.sampled_from(["u:1000", "g:1000", "d:u:1000"]), any_path),
    st.tuples(st.just("getfacl"), any_path),
    st.tuples(st.just("chmod"), st.just("."), st.sampled_from(MODES)),
    st.tuples(st.just("chown"), any_path, st.sampled_from(OWNERS), st.sampled_from(OWNERS)),
    st.tuples(st.just("utime"), any_path, st.sampled_from(TIMES), st.sampled_from(TIMES)),
    st.tuples(st.just("setxattr"), any_path, st.sampled_from(KEYS), st.sampled_from(VALUES),
              st.sampled_from(FLAGS)),
    st.tuples(st.just("getxattr"), any_path, st.sampled_from(KEYS)),
    st.tuples(st.just("listxattr"), any_path),
    st.tuples(st.just("removexattr"), any_path, st.sampled_from(KEYS)),
)
tool_operations = st.one_of(
    st.tuples(st.just("tool"), st.just("mfsgetgoal"), at_path),
    st.tuples(st.just("tool"), st.just("mfssetgoal"), st.sampled_from(["1", "2", "3"]), at_path),
    st.tuples(st.just("tool"), st.just("mfssetgoal"), st.just("-r"), st.sampled_from(["1", "4"]), at_path),
    st.tuples(st.just("tool"), st.just("mfsgettrashtime"), at_path),
    st.tuples(st.just("tool"), st.just("mfssettrashtime"), st.sampled_from(["0", "3600"]), at_path),
    st.tuples(st.just("tool"), st.just("mfsgeteattr"), at_path),
    st.tuples(st.just("tool"), st.sampled_from(["mfsseteattr", "mfsdeleattr"]), st.just("-f"),
              st.sampled_from(EATTRS), at_path),
    st.tuples(st.just("tool"), st.just("mfsmakesnapshot"), at_path, at_path),
    st.tuples(st.just("tool"), st.just("mfsrmsnapshot"), st.sampled_from(["@" + p for p in PATHS])),
    st.tuples(st.just("tool"), st.just("mfsappendchunks"), at_path, at_path),
    st.tuples(st.just("tool"), st.just("mfsdirinfo"), at_path),
    st.tuples(st.just("tool"), st.just("mfsfilepaths"), at_path),
    st.tuples(st.just("tool"), st.just("mfssetquota"), st.sampled_from(["-I", "-L"]),
              st.sampled_from(["2", "100000"]), at_path),
    st.tuples(st.just("tool"), st.just("mfsdelquota"), st.just("-A"), at_path),
)
user_operations = st.builds(lambda user, operation: ("as", *user, operation), st.sampled_from(USERS),
                            st.one_of(file_operations, file_operations, tool_operations))
operations = st.one_of(file_operations, file_operations, user_operations, tool_operations)


# What is ours in the compared cluster: (master, chunkservers, mount)
CANDIDATES = {"master": ("ours", "real", "real"), "mount": ("real", "real", "ours"), "all": ("ours", "ours", "ours")}


@pytest.mark.parametrize("ours", CANDIDATES)
def test_random_operations_as_the_real_programs(cluster_factory, ours):
    # Without the attribute, directory entry and xattr caches every stat and getxattr asks the
    # master. Otherwise 3.0.117's mount shows a directory's link count from before a mkdir in
    # it for up to mfsdirentrycacheto (1 s; observed, even with mfsattrcacheto=0) and an ACL
    # just set as it sent it (docs/compat.md), ours the master's: the comparison would
    # measure timing and caches, not the programs.
    real = cluster_factory(master="real", chunkservers=["real", "real"], mount="real", mount_options=NO_CACHE)
    master, chunkservers, mount = CANDIDATES[ours]
    candidate = cluster_factory(master=master, chunkservers=[chunkservers] * 2, mount=mount, mount_options=NO_CACHE)
    examples = []
    outcomes = collections.Counter()

    @settings(max_examples=int(os.environ.get("MFSNG_DIFFERENTIAL_EXAMPLES", 100)), deadline=None,
              database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(operations, min_size=5, max_size=30))
    def run(sequence):
        name = f"example{len(examples)}"
        examples.append(len(sequence))
        sides = [DifferentialSide(c.mountpoint / name, c.run_in_ns) for c in (real, candidate)]
        for side in sides:
            side.root.mkdir(mode=0o777)
            os.chmod(side.root, 0o777)
        try:
            for step, operation in enumerate(START + sequence):
                expected, got = (side.apply(operation) for side in sides)
                assert got == expected, f"step {step} {operation}: ours {got!r}, 3.0.117 {expected!r}"
                if operation[0] == "tool":
                    outcomes[f"{operation[1]} exit {got[0]}"] += 1
                else:
                    outcomes[got if isinstance(got, str) and got in ERRNO_NAMES else "ok"] += 1
        finally:
            for side in sides:
                side.release()
        for side in sides:  # quotas and extra attributes would keep the trees from being removed
            side.apply(("tool", "mfsdelquota", "-a", "-A", "@."))
            side.apply(("tool", "mfsdeleattr", "-r", "-f", "immutable", "-f", "appendonly",
                        "-f", "undeletable", "@."))
        expected, got = (tree(str(side.root)) for side in sides)
        differences = {path: (got.get(path), expected.get(path)) for path in got.keys() | expected.keys()
                       if got.get(path) != expected.get(path)}
        assert not differences, f"trees differ after {sequence}: (ours, 3.0.117) {differences}"
        for side in sides:
            remove(side.root)

    run()
    print(f"{len(examples)} examples, {sum(examples)} random operations; outcomes {dict(outcomes)}")
