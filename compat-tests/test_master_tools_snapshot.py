"""Issue 3: snapshots and the chunk-level tools. mfsmakesnapshot (-o, -c, -p, merges,
errors), mfsrmsnapshot (-f), mfsappendchunks (slices), mfsfilerepair, and mfsfileinfo,
mfscheckfile, mfsdirinfo (-p: NODE_INFO), mfsgeteattr over the snapshotted trees, run with
the same arguments through a real mount against the real 3.0.117 master and ours (real
chunkservers): outputs, exit codes and changelog entries must be equal. Writes and
truncations on either side of a snapshot must not show on the other (copy-on-write), and
with ours the shared chunks survive a crash (checkpoint + changelog) and a metadata.mfs
hand-over to the real master."""
import hashlib
import os
import re
import time

import pytest

from mfsharness.tools import changelog_entries, run_tool_commands

# d { sub { f2 }, f1, e, ln -> f1, hl = f1 }, x; "@path" is relative to the mount root.
COMMANDS = [
    (1, ["mfsmakesnapshot", "@d", "@s1"]),
    (1, ["mfsmakesnapshot", "@d", "@s1"]),
    (1, ["mfsmakesnapshot", "@d/f1", "@s1/f1"]),
    (1, ["mfsmakesnapshot", "-o", "@d/f1", "@s1/f1"]),
    (1, ["mfsmakesnapshot", "-p", "@d", "@s3"]),
    (1, ["mfsmakesnapshot", "-c", "@d", "@s4"]),
    (1, ["mfsmakesnapshot", "@d", "@d/sub/in"]),
    (1, ["mfsmakesnapshot", "@d", "@d"]),
    (1, ["mfsmakesnapshot", "@d/f1", "@d/f1"]),
    (1, ["mfsmakesnapshot", "@nosuch", "@s5"]),
    (1, ["mfsmakesnapshot", "@x", "@d/f1", "@s5"]),
    (1, ["mfsmakesnapshot", "@d/sub", "@d/f1"]),
    (1, ["mfsmakesnapshot", "@x", "@s4/"]),
    (1, ["mfsmakesnapshot", "@d/", "@s4"]),
    (1, ["mfsmakesnapshot", "-o", "@d/", "@s4"]),
    (1, ["mfsgeteattr", "-r", "@s1", "@s3", "@s4", "@d"]),
    (1, ["mfsgeteattr", "@s1", "@s3", "@s1/d/f1"]),
    (1, ["mfsfileinfo", "@d/f1", "@s1/f1", "@s3/hl", "@s4/x"]),
    (1, ["mfscheckfile", "@s1/d/f1", "@s3/sub/f2"]),
    (1, ["mfsdirinfo", "@s1", "@s3", "@d"]),
    (1, ["mfsdirinfo", "-p", "@s1", "@s3", "@d"]),
    (1, ["mfsrmsnapshot", "@s1"]),
    (1, ["mfsrmsnapshot", "@s3/e"]),
    (1, ["mfsrmsnapshot", "-f", "@s1"]),
    (1, ["mfsrmsnapshot", "@x"]),
    (1, ["mfsrmsnapshot", "@nosuch"]),
    (1, ["mfsappendchunks", "@big", "@x", "@x", "@d/f1"]),
    (1, ["mfsappendchunks", "-s", "1:2", "@a1", "@big"]),
    (1, ["mfsappendchunks", "-s", "-1:", "@a2", "@big"]),
    (1, ["mfsappendchunks", "-s", ":2", "@a3", "@big"]),
    (1, ["mfsappendchunks", "-s", "2:1", "@a4", "@big"]),
    (1, ["mfsappendchunks", "@a5", "@d/e"]),
    (1, ["mfsappendchunks", "@a6", "@d"]),
    (1, ["mfsappendchunks", "@d/f1", "@d/f1"]),
    (1, ["stat", "-c", "%n %s %a %u %g %h", "@big", "@a1", "@a2", "@a3", "@a4", "@a5", "@s4/x"]),
    (1, ["mfsfileinfo", "@big", "@a1", "@a2"]),
    (1, ["mfscheckfile", "@big"]),
    (1, ["mfsfilerepair", "@big", "@d/f1", "@d"]),
    (1, ["mfsdirinfo", "@"]),
    (1, ["mfsdirinfo", "-p", "-h", "@"]),
]

# The changelog entries compared between the masters (inode numbers and chunk ids included).
ENTRIES = "SNAPSHOT|APPEND|REPAIR|TRUNC|WRITE"

F1 = b"a" * 100000
F2 = b"b" * 70000


def build_tree(root):
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "f1").write_bytes(F1)
    (root / "d" / "sub" / "f2").write_bytes(F2)
    (root / "d" / "e").write_bytes(b"")
    (root / "d" / "ln").symlink_to("f1")
    os.link(root / "d" / "f1", root / "d" / "hl")
    (root / "x").write_bytes(b"x" * 1000)


def sorted_copies(text):
    """mfsfileinfo lists a chunk's copies in the master's order: compare them as a set."""
    out, copies = [], []
    for line in text.splitlines() + [""]:
        if re.match(r"\t\tcopy \d+: ", line):
            copies.append(re.sub(r"copy \d+: ", "copy: ", line))
            continue
        out += sorted(copies)
        copies = []
        out.append(line)
    return "\n".join(out)


def overwrite(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def isolation(root):
    """Writes and truncates both sides of snapshots; returns the md5 of every file touched,
    checked against what each file must hold."""
    overwrite(root / "d" / "f1", 10, b"SOURCE")        # source side, shared with s4/f1, s4/hl...
    overwrite(root / "s4" / "f1", 20, b"SNAPSHOT")     # snapshot side
    os.truncate(root / "s3" / "sub" / "f2", 1000)      # truncation inside a shared chunk
    with open(root / "s4" / "sub" / "f2", "ab") as f:  # append to a shared chunk
        f.write(b"tail")
    expected = {
        "d/f1": F1[:10] + b"SOURCE" + F1[16:],
        "d/hl": F1[:10] + b"SOURCE" + F1[16:],
        "s4/f1": F1[:20] + b"SNAPSHOT" + F1[28:],
        "s4/hl": F1,
        "s3/f1": F1,
        "d/sub/f2": F2,
        "s3/sub/f2": F2[:1000],
        "s4/sub/f2": F2 + b"tail",
    }
    digests = {}
    for name, data in expected.items():
        got = (root / name).read_bytes()
        assert hashlib.md5(got).hexdigest() == hashlib.md5(data).hexdigest(), name
        digests[name] = hashlib.md5(got).hexdigest()
    return digests


def state(cluster):
    """What must survive restarts: contents and chunk lists of the snapshotted files."""
    root = cluster.mountpoint
    names = ["d/f1", "s4/f1", "s4/hl", "s3/f1", "s3/sub/f2", "s4/sub/f2", "d/sub/f2", "big", "a1", "a2"]
    info = cluster.run_in_ns(["mfsfileinfo"] + [str(root / n) for n in names]).stdout
    data = {n: hashlib.md5((root / n).read_bytes()).hexdigest() for n in names if n != "big"}
    return sorted_copies(info.replace(str(root), "MNT")), data


def state_after_restart(cluster, before, timeout=60):
    """state() once it is ``before`` again, or after ``timeout`` s: a restarted master lists
    a chunkserver's copies only when it has its chunk list, which may come well after the
    chunkserver registered."""
    deadline = time.monotonic() + timeout
    while (now := state(cluster)) != before and time.monotonic() < deadline:
        time.sleep(0.5)
    return now


def run_on(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], mount="real")
    root = cluster.mountpoint
    build_tree(root)
    results = [(cmd, status, sorted_copies(out), err)
               for cmd, status, out, err in run_tool_commands(cluster, [root], COMMANDS)]
    digests = isolation(root)
    cluster.run_in_ns(["mfsfileinfo", str(root / "d" / "f1")])  # the copies are settled
    entries = changelog_entries(cluster, ENTRIES, 22)
    return cluster, results, digests, entries


def test_snapshot_tools_give_the_same_output_and_changelog_on_both_masters(cluster_factory):
    real_cluster, real, real_digests, real_entries = run_on(cluster_factory, "real")
    real_state = state(real_cluster)
    real_cluster.stop()
    ours_cluster, ours, our_digests, our_entries = run_on(cluster_factory, "ours")
    for expected, got in zip(real, ours):
        assert got == expected
    assert our_digests == real_digests
    assert our_entries == real_entries
    assert state(ours_cluster) == real_state
    outputs = {" ".join(cmd): (status, out) for cmd, status, out, _ in real}
    assert outputs["mfsmakesnapshot @d/f1 @s1/f1"][0] != 0
    assert "chunks not changed" in outputs["mfsfilerepair @big @d/f1 @d"][1]
    assert any(e.startswith("SNAPSHOT(0,") for e in real_entries)
    assert any(e.startswith("APPEND(") for e in real_entries)

    # Shared chunks survive a crash of our master (checkpoint and changelog replay), and
    # stay copied on write afterwards: a write to one side leaves the other.
    before = state(ours_cluster)
    ours_cluster.restart_master(kill9=True)
    assert state_after_restart(ours_cluster, before) == before
    overwrite(ours_cluster.mountpoint / "s3" / "f1", 0, b"AFTER")
    assert (ours_cluster.mountpoint / "s3" / "f1").read_bytes()[:6] == b"AFTERa"
    assert (ours_cluster.mountpoint / "s4" / "hl").read_bytes() == F1
    # Our metadata.mfs (written at the stop) gives the real master the same shared chunks.
    before = state(ours_cluster)
    ours_cluster.restart_master(impl="real")
    assert state_after_restart(ours_cluster, before) == before


@pytest.mark.parametrize("master", ["real", "ours"])
def test_copies_in_a_setgid_directory_take_its_group(cluster_factory, master):
    """Observed on 3.0.117: each new node of a snapshot whose new parent has the set-group-id
    bit gets that directory's group, at every level (the mode stays the source's); a file
    replaced with -o keeps its source's owner. Found by test_differential_model.py."""
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    root = cluster.mountpoint
    os.makedirs(root / "src/sub")
    (root / "src/f").write_bytes(b"y")
    (root / "y").write_bytes(b"new")
    for path, uid, gid, mode in (("src", 5, 6, 0o2755), ("src/sub", 5, 9, 0o755), ("src/f", 7, 8, 0o644),
                                 ("y", 4, 4, 0o644)):
        os.chown(root / path, uid, gid)
        os.chmod(root / path, mode)
    (root / "plain").mkdir()
    (root / "sg").mkdir()
    os.chown(root / "sg", 1000, 1000)
    os.chmod(root / "sg", 0o2777)
    (root / "sg/x").write_bytes(b"old")
    for args in (["@src", "@plain"], ["@y", "@sg"], ["-o", "@y", "@sg/x"], ["-c", "@y", "@sg/cp"]):
        cluster.run_in_ns(["mfsmakesnapshot", *(str(root / a[1:]) if a[0] == "@" else a for a in args)])
    time.sleep(1.5)  # the mount's attribute cache
    owners = {path: (oct(os.stat(root / path).st_mode), os.stat(root / path).st_uid, os.stat(root / path).st_gid)
              for path in ("plain/src", "plain/src/sub", "plain/src/f", "sg/y", "sg/x", "sg/cp")}
    assert owners == {"plain/src": ("0o42755", 5, 6), "plain/src/sub": ("0o40755", 5, 6),
                      "plain/src/f": ("0o100644", 7, 6), "sg/y": ("0o100644", 4, 1000),
                      "sg/x": ("0o100644", 4, 4), "sg/cp": ("0o100644", 0, 1000)}


@pytest.mark.parametrize("master", ["real", "ours"])
def test_disabled_snapshot_and_append_answer_eperm(cluster_factory, master):
    """exports "disable=" bits 18 (appendchunks) and 19 (snapshot)."""
    exports = "*\t/\trw,alldirs,maproot=0,disable=appendchunks:snapshot\n*\t.\trw\n"
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real", exports=exports)
    root = cluster.mountpoint
    (root / "f").write_bytes(b"f")
    r = cluster.run_in_ns(["mfsmakesnapshot", str(root / "f"), str(root / "g")], check=False)
    assert (r.returncode, r.stdout + r.stderr) == (255, f"{root}/f->{root}/g: Operation not permitted\n")
    r = cluster.run_in_ns(["mfsappendchunks", str(root / "h"), str(root / "f")], check=False)
    assert r.returncode == 1 and "Operation not permitted" in r.stdout + r.stderr


@pytest.mark.parametrize("master", ["real", "ours"])
def test_a_shared_chunk_keeps_the_highest_goal_of_its_files(cluster_factory, master):
    """The copies of a snapshotted chunk follow the highest goal among the files sharing it:
    3 while one file still wants 3, 1 once both are at 1."""
    cluster = cluster_factory(master=master, chunkservers=["real"] * 3, mount="real")
    root = cluster.mountpoint
    (root / "f").write_bytes(os.urandom(1000))
    cluster.run_in_ns(["mfssetgoal", "3", str(root / "f")])
    cluster.wait_copies(root / "f", 3)
    cluster.run_in_ns(["mfsmakesnapshot", str(root / "f"), str(root / "s")])
    cluster.run_in_ns(["mfssetgoal", "1", str(root / "f")])
    time.sleep(5)  # both masters act on a goal change within a second or two
    assert cluster.valid_copies(root / "s") == [3]
    cluster.run_in_ns(["mfssetgoal", "1", str(root / "s")])
    cluster.wait_copies(root / "f", 1, timeout=60)
