"""hypothesis strategies drawing the operations of fs_model.Side, shared by the random tests
(test_mount_model.py), and those of fs_differential.DifferentialSide
(test_differential_model.py, test_restart_model.py)."""

from __future__ import annotations

import os

from hypothesis import strategies as st

from mfsharness.fs_differential import CHUNK


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


# -- DifferentialSide: the operations above and those that have no local model ------------
_PATHS = ["a", "b", "d", "e", "d/a", "d/b", "d/e", "d/e/a", "e/a"]
_MODES = [0o644, 0o755, 0o600, 0o000, 0o777, 0o4755, 0o2770, 0o1777, 0o640]
_USERS = [(1000, (1000,)), (1001, (1001, 1000)), (65534, (65534,))]
_OWNERS = [0, 1000, 1001, -1]
_TIMES = [0, 86400, 123456789]
_KEYS = ["user.a", "user.b", "trusted.t", "security.s"]
_VALUES = [b"", b"v1", b"x" * 300]
_FLAGS = [0, os.XATTR_CREATE, os.XATTR_REPLACE]
_EATTRS = ["noowner", "noattrcache", "noentrycache", "nodatacache", "snapshot", "undeletable",
           "appendonly", "immutable"]
_ACL_ENTRIES = ["u:1000:rw", "u:1001:r", "g:1000:rwx", "g::r", "m::r", "o::-", "d:u:1000:rwx", "d:g:1001:r"]
# The tree each example starts from, relative to its folder.
DIFFERENTIAL_START = [("create", "a", 0o644), ("write", "a", 0, 70000, 1), ("mkdir", "d", 0o755),
                      ("create", "d/a", 0o600), ("mkdir", "e", 0o777), ("chown", "e", 1000, 1000)]

_paths = st.sampled_from(_PATHS)
_any_path = st.sampled_from(_PATHS + ["."])
_at_path = st.sampled_from(["@" + p for p in _PATHS + ["."]])
_offsets = st.one_of(st.integers(0, 200000), st.sampled_from([CHUNK - 3, CHUNK, 2 * CHUNK + 7]))

_file_operations = st.one_of(
    *file_system_operations(_PATHS, _MODES, _offsets),
    st.tuples(st.sampled_from(["stat", "listdir"]), st.just(".")),
    st.tuples(st.just("mkfifo"), _paths, st.sampled_from(_MODES)),
    st.tuples(st.just("mknod"), _paths, st.sampled_from(["chr", "blk", "sock"]), st.sampled_from(_MODES)),
    st.tuples(st.just("setfacl"), st.just("-m"), st.sampled_from(_ACL_ENTRIES), _any_path),
    st.tuples(st.just("setfacl"), st.sampled_from(["-b", "-k"]), _any_path),
    st.tuples(st.just("setfacl"), st.just("-x"), st.sampled_from(["u:1000", "g:1000", "d:u:1000"]), _any_path),
    st.tuples(st.just("getfacl"), _any_path),
    st.tuples(st.just("chmod"), st.just("."), st.sampled_from(_MODES)),
    st.tuples(st.just("chown"), _any_path, st.sampled_from(_OWNERS), st.sampled_from(_OWNERS)),
    st.tuples(st.just("utime"), _any_path, st.sampled_from(_TIMES), st.sampled_from(_TIMES)),
    st.tuples(st.just("setxattr"), _any_path, st.sampled_from(_KEYS), st.sampled_from(_VALUES),
              st.sampled_from(_FLAGS)),
    st.tuples(st.just("getxattr"), _any_path, st.sampled_from(_KEYS)),
    st.tuples(st.just("listxattr"), _any_path),
    st.tuples(st.just("removexattr"), _any_path, st.sampled_from(_KEYS)),
)
_tool_operations = st.one_of(
    st.tuples(st.just("tool"), st.just("mfsgetgoal"), _at_path),
    st.tuples(st.just("tool"), st.just("mfssetgoal"), st.sampled_from(["1", "2", "3"]), _at_path),
    st.tuples(st.just("tool"), st.just("mfssetgoal"), st.just("-r"), st.sampled_from(["1", "4"]), _at_path),
    st.tuples(st.just("tool"), st.just("mfsgettrashtime"), _at_path),
    st.tuples(st.just("tool"), st.just("mfssettrashtime"), st.sampled_from(["0", "3600"]), _at_path),
    st.tuples(st.just("tool"), st.just("mfsgeteattr"), _at_path),
    st.tuples(st.just("tool"), st.sampled_from(["mfsseteattr", "mfsdeleattr"]), st.just("-f"),
              st.sampled_from(_EATTRS), _at_path),
    st.tuples(st.just("tool"), st.just("mfsmakesnapshot"), _at_path, _at_path),
    st.tuples(st.just("tool"), st.just("mfsrmsnapshot"), st.sampled_from(["@" + p for p in _PATHS])),
    st.tuples(st.just("tool"), st.just("mfsappendchunks"), _at_path, _at_path),
    st.tuples(st.just("tool"), st.just("mfsdirinfo"), _at_path),
    st.tuples(st.just("tool"), st.just("mfsfilepaths"), _at_path),
    st.tuples(st.just("tool"), st.just("mfssetquota"), st.sampled_from(["-I", "-L"]),
              st.sampled_from(["2", "100000"]), _at_path),
    st.tuples(st.just("tool"), st.just("mfsdelquota"), st.just("-A"), _at_path),
)
_user_operations = st.builds(lambda user, operation: ("as", *user, operation), st.sampled_from(_USERS),
                             st.one_of(_file_operations, _file_operations, _tool_operations))
differential_operations = st.one_of(_file_operations, _file_operations, _user_operations, _tool_operations)
