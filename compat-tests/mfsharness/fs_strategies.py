"""hypothesis strategies drawing the operations of fs_model.Side, shared by the random tests
(test_mount_model.py, test_differential_model.py)."""

from __future__ import annotations

from hypothesis import strategies as st


def file_system_operations(paths: list[str], modes: list[int], offsets: st.SearchStrategy) -> list:
    """One strategy per namespace and data operation that every Side runs, on the given
    relative paths, modes and file offsets."""
    path = st.sampled_from(paths)
    mode = st.sampled_from(modes)
    return [
        st.tuples(st.just("create"), path, mode),
        st.tuples(st.just("write"), path, offsets, st.integers(0, 70000), st.integers(0, 255)),
        st.tuples(st.just("truncate"), path, offsets),
        st.tuples(st.just("open_truncate"), path),
        st.tuples(st.just("create_exclusive"), path),
        st.tuples(st.just("append"), path, st.integers(0, 70000), st.integers(0, 255)),
        st.tuples(st.just("stat"), path),
        st.tuples(st.just("listdir"), path),
        st.tuples(st.just("readlink"), path),
        st.tuples(st.just("read"), path, offsets, st.integers(0, 100000)),
        st.tuples(st.just("mkdir"), path, mode),
        st.tuples(st.just("rename"), path, path),
        st.tuples(st.just("unlink"), path),
        st.tuples(st.just("rmdir"), path),
        st.tuples(st.just("link"), path, path),
        st.tuples(st.just("symlink"), st.sampled_from(paths + ["../a", "missing"]), path),
        st.tuples(st.just("chmod"), path, mode),
    ]
