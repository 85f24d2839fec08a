"""Model-based random test of our mfsmount: hypothesis draws sequences of file system
operations, which run both in a folder of our mount and in a local temporary folder (the
model: the kernel's own file system).  Each operation's result (value or errno) and the
final trees (names, types, sizes, modes, link counts, content md5) must be the same, and the
tree seen through a real mount of the same master too (what ours left on the servers).
MFSNG_MODEL_EXAMPLES=N runs more examples (default 200, about 20 s per server set).
"""

from __future__ import annotations

import collections
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfsharness.fs_model import ERRNO_NAMES, Side, remove, tree
from mfsharness.fs_strategies import file_system_operations

# A small namespace, so that operations meet each other: files, directories, nesting.
PATHS = ["a", "b", "d", "e", "d/a", "d/b", "d/e", "d/e/a", "e/a"]
MODES = [0o644, 0o755, 0o600, 0o000, 0o777, 0o4755, 0o2750, 0o1777]
MAX_OFFSET = 200000  # crosses 64 KiB blocks, stays in one chunk (keeps examples fast)
# Every example starts from this tree, so that early operations find something to act on.
START = [("create", "a", 0o644), ("write", "a", 0, 70000, 1), ("mkdir", "d", 0o755), ("create", "d/a", 0o600),
         ("mkdir", "e", 0o755)]

paths = st.sampled_from(PATHS)
offsets = st.integers(0, MAX_OFFSET)
operations = st.one_of(
    *file_system_operations(PATHS, MODES, offsets),
    st.tuples(st.just("hold"), paths),
    st.tuples(st.just("held_write"), offsets, st.integers(0, 70000), st.integers(0, 255)),
    st.tuples(st.just("held_read"), offsets, st.integers(0, 100000)),
    st.tuples(st.just("held_truncate"), offsets),
    st.tuples(st.just("held_size")),
    st.tuples(st.just("release")),
)


@pytest.mark.parametrize("servers", ["real", "ours"])  # master and chunkservers
def test_random_operations_as_a_local_file_system(cluster_factory, servers, tmp_path):
    cluster = cluster_factory(master=servers, chunkservers=[servers, servers], mount="ours")
    real_view = cluster.mount("real")
    examples = []
    outcomes = collections.Counter()

    @settings(max_examples=int(os.environ.get("MFSNG_MODEL_EXAMPLES", 200)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(operations, min_size=5, max_size=40))
    def run(sequence):
        # A new folder each time: nothing the real mount cached about an earlier example applies.
        name = f"example{len(examples)}"
        examples.append(len(sequence))
        ours, local = Side(cluster.mountpoint / name), Side(tmp_path / name)
        ours.root.mkdir()
        local.root.mkdir()
        try:
            for step, operation in enumerate(START + sequence):
                got, expected = ours.apply(operation), local.apply(operation)
                assert got == expected, f"step {step} {operation}: ours {got!r}, local file system {expected!r}"
                outcomes[got if isinstance(got, str) and got in ERRNO_NAMES else "ok"] += 1
        finally:
            ours.release()
            local.release()
        expected = tree(local.root)
        assert tree(ours.root) == expected, f"trees differ after {sequence}"
        assert tree(real_view / name) == expected, f"the real mount sees another tree after {sequence}"
        remove(ours.root)
        remove(local.root)

    run()
    print(f"{len(examples)} examples, {sum(examples)} random operations; outcomes {dict(outcomes)}")
