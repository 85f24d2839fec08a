"""Issue 5: our meta mount (mfsmount -m / -o mfsmeta) against the real 3.0.117 one, on the
real master and on ours (real chunkservers, one real normal mount that makes and deletes
the files). The same scenario runs once through the real meta mount and once through ours,
each on files of its own folder (r1, r2); what the shell shows (exit status, output, errors)
must be the same after masking inode numbers, buckets, times and mount points: the folders
and their looks, trash listings, reading and writing a trash file's path, undelete (into
existing and into removed folders, refusals), purge, sustained files, what cannot be done,
and the tools through the meta mount's .masterinfo."""
import hashlib
import os
import re

import pytest

MASTERS = ["real", "ours"]

F1 = os.urandom(100000)
F2 = os.urandom(70000)


# Writes at offsets (a fresh open each): within the first 1024 bytes they are taken, past
# them EINVAL; one leaving a gap is taken and changes nothing.
WRITES = '''
import os, sys
for offset, size in [(500, 1), (1023, 1), (1024, 1), (0, 1025), (-1, 1)]:
    fd = os.open(sys.argv[1], os.O_WRONLY | (os.O_APPEND if offset < 0 else 0))
    try:
        print(offset, size, os.pwrite(fd, b"a" * size, offset) if offset >= 0 else os.write(fd, b"a"))
    except OSError as e:
        print(offset, size, e.strerror)
    os.close(fd)
'''


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sh(cluster, script, *args):
    r = cluster.run_in_ns(["sh", "-c", script, "sh", *map(str, args)], check=False, timeout=60)
    return r.returncode, r.stdout, r.stderr


class Round:
    """One run of the scenario through one meta mount, on the files of folder `name`."""

    def __init__(self, cluster, meta, name):
        self.cluster, self.meta, self.name = cluster, meta, name
        self.mnt = cluster.mountpoint
        self.root = self.mnt / name
        self.seen = []

    def mask(self, text: str) -> str:
        text = text.replace(str(self.meta), "META").replace(str(self.mnt), "MNT")
        text = re.sub(r"\b[0-9A-F]{3}/[0-9A-F]{8}\|", "BKT/INODE|", text)
        text = re.sub(r"\b[0-9A-F]{8}\|", "INODE|", text)
        return text.replace(f"|{self.name}|", "|R|").replace(f"{self.name}/", "R/")

    def run(self, what, script, *args):
        result = tuple(self.mask(str(part)) for part in sh(self.cluster, script, *args))
        print(f"{self.name} {what}: {result!r}")  # shown when the test fails
        self.seen.append((what, result))
        return result

    def note(self, what, value):
        print(f"{self.name} {what}: {value!r}")
        self.seen.append((what, value))

    def trash_file(self, path):
        """The trash file (relative to META/trash) of a deleted `path` of this round."""
        _, out, _ = sh(self.cluster, 'cd "$1/trash" && ls -d */*"|"*', self.meta)
        wanted = "|" + f"{self.name}/{path}".replace("/", "|")
        found = [line for line in out.splitlines() if line.endswith(wanted)]
        assert len(found) == 1, (wanted, out)
        return self.meta / "trash" / found[0]

    def listing(self, what):
        """This round's trash files."""
        self.run(what, 'cd "$1/trash" && ls -d */*"|"* | grep -F "|$2|" | sort -t "|" -k 2', self.meta, self.name)


def scenario(r: Round):
    cluster, meta, root = r.cluster, r.meta, r.root
    r.run("folders", 'cd "$1" && stat -c "%n %i %a %h %u %g %s %b %F" . trash trash/000 trash/FFF trash/undel'
          ' sustained .masterinfo && ls trash | wc -l && ls -a && ls -fa trash | head -4 && ls -fa trash/undel'
          ' && ls -fa trash/000 | head -3', meta)
    r.run("folder lookups", 'cd "$1/trash" && stat -c "%n %i" 00a 0000000A xyz 00a/undel; stat 1000 undel/x', meta)
    r.run("statfs", 'stat -f -c "%b %f %a %c %d %S %l" "$1"', meta)

    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "sub" / "f1").write_bytes(F1)
    (root / "d" / "f2").write_bytes(F2)
    (root / "x" / "y").mkdir(parents=True)
    (root / "x" / "y" / "z").write_bytes(b"zzz")
    (root / "w").write_bytes(b"w")
    for path in ["d/sub/f1", "d/f2", "x/y/z", "w"]:
        os.unlink(root / path)
    os.rmdir(root / "x" / "y")
    os.rmdir(root / "x")
    r.listing("trash after deletes")
    f2 = r.trash_file("d/f2")
    r.run("trash file", 'stat -c "%s %a %h %u %g %b" "$1" && [ "$(stat -c %i "$1")" = "$(printf %d 0x$(basename "$1" | cut -c1-8))" ]'
          ' && ls -l "$(dirname "$1")" | sed 1d | cut -c1-33', f2)
    r.run("read path", 'cat "$1" && dd if="$1" bs=1 skip=3 count=3 2>/dev/null | od -c | head -1', f2)
    r.run("lookup by number", 'cd "$(dirname "$1")" && n=$(basename "$1" | cut -c1-9) && stat -c %s "${n}anything"'
          ' && stat -c %s "../000/${n}x" && { stat "$(echo $n | cut -c1-8)" 2>/dev/null || echo "no file without |"; }', f2)
    r.run("tools", 'mfsfilepaths "$1" && mfsgetgoal "$1" && mfsgettrashtime "$1"', f2)

    # New paths written into the file: echo's newline is dropped; an append, an empty
    # write and attribute changes change nothing.
    r.run("echo path", 'echo "$2/d/e" > "$1"', f2, r.name)
    r.listing("after echo")
    f2 = r.trash_file("d/e")
    r.run("two writes", 'exec 3<>"$1" && printf "%s" "$2/d" >&3 && printf "/ab" >&3', f2, r.name)
    f2 = r.trash_file("d/ab")
    r.run("no change", 'printf q >> "$1"; printf "" > "$1"; chmod 600 "$1"; touch "$1"; truncate -s 1 "$1";'
          ' chown 5 "$1"; stat -c "%s %a %u" "$1"', f2)
    r.run("write limits", 'python3 -c "$2" "$1"', f2, WRITES)
    r.run("path written", 'printf "%s" "$2/d/renamed" > "$1" && cat "$(dirname "$1")"/*"|$2|d|renamed"', f2, r.name)
    f2 = r.trash_file("d/renamed")
    r.run("not possible", 'cd "$(dirname "$1")"; touch new; mkdir dir; ln -s a b; ln "$1" undel/; setfattr -n user.a -v 1 "$1";'
          ' rmdir undel; cd ..; touch undel/x; rm ../sustained/x; mv undel 00A/x; exit 0', f2)

    # Undelete: to the stored path, into folders made again, refused when taken.
    r.run("undelete", 'mv "$1" "$2/trash/undel/"', f2, meta)
    r.note("undeleted data", md5((root / "d" / "renamed").read_bytes()) == md5(F2))
    z = r.trash_file("x/y/z")
    r.run("undelete into removed folders", 'mv "$1" "$2/trash/undel/" && cd "$3" && stat -c "%n %a %u %g %h %s" x x/y x/y/z',
          z, meta, root)
    f1 = r.trash_file("d/sub/f1")
    (root / "d" / "sub" / "f1").write_bytes(b"new")
    # (3.0.117's mv message varies between "File exists" and "cannot overwrite directory":
    # its entry in trash/undel is not always the same; the refusal is.)
    r.run("name taken", 'mv "$1" "$2/trash/undel/" 2>/dev/null; echo $?; [ -f "$1" ] && cat "$3/d/sub/f1"', f1, meta, root)
    r.run("file in the way", 'printf "%s" "$2/d/sub/f1/f1" > "$1" && mv "$3"/trash/*/*"|$2|d|sub|f1|f1" "$3/trash/undel/"',
          f1, r.name, meta)
    f1 = r.trash_file("d/sub/f1/f1")
    # Any rename of a trash file undeletes it (the target name is not used).
    w = r.trash_file("w")
    r.run("rename in the bucket", 'mv "$1" "$(dirname "$1")/other" && cat "$2/w"', w, root)

    # Purge; a file deleted while open without trash time is sustained and cannot be read.
    r.run("purge", 'rm "$1"', f1)
    r.listing("trash after purge")
    (root / "held").write_bytes(b"held")
    assert sh(cluster, 'mfssettrashtime 0 "$1"', root / "held")[0] == 0
    with open(root / "held", "rb"):
        os.unlink(root / "held")
        r.run("sustained", 'cd "$1/sustained" && ls | grep -F "|$2|held" && f=$(ls | grep -F "|$2|held") &&'
              ' stat -c "%s %h" "$f" && mfsfilepaths "$f" | sed 1d; cat "$f"; rm "$f"; mv "$f" ../trash/undel/',
              meta, r.name)


@pytest.mark.parametrize("master", MASTERS)
def test_meta_mount_behaves_as_the_real_one(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"], mount="real")
    real_meta = cluster.mount("real", meta=True)
    our_meta = cluster.mount("ours", meta=True)
    rounds = [Round(cluster, real_meta, "r1"), Round(cluster, our_meta, "r2")]
    for r in rounds:
        scenario(r)
    real, ours = rounds[0].seen, rounds[1].seen
    assert [what for what, _ in real] == [what for what, _ in ours]
    differences = [(what, a, b) for (what, a), (_, b) in zip(real, ours) if a != b]
    assert differences == [], "\n".join(f"{what}:\n  real: {a!r}\n  ours: {b!r}" for what, a, b in differences)

    # The mount table names a meta mount as the real one does.
    sources = {}
    for line in open("/proc/self/mounts"):
        fields = line.split()
        if fields[1] in (str(real_meta), str(our_meta)):
            sources[fields[1]] = fields[0]
    assert sources[str(our_meta)] == sources[str(real_meta)].replace(str(real_meta), str(our_meta))


def test_meta_mount_is_refused_without_a_meta_export(cluster_factory):
    """An exports file without a `.` entry: both mounts fail to start, with exit status 1."""
    cluster = cluster_factory(master="real", chunkservers=[], exports="*\t/\trw,alldirs,maproot=0\n")
    for impl in ["real", "ours"]:
        m = cluster.add_mount(impl, meta=True, start=False, name=f"meta-{impl}")
        m.start(wait=False)
        assert m.wait_exit(timeout=30) == 1


def flat_scenario(r: Round):
    """mfsflattrash: the trash files directly in META/trash, no bucket folders."""
    meta, root = r.meta, r.root
    r.run("flat folders", 'cd "$1" && stat -c "%n %i %a %h" trash trash/undel && ls -a trash | grep -vF "|" &&'
          ' stat -c %n trash/000 trash/FFF trash/000/undel; ls -fa trash/undel', meta)
    root.mkdir()
    for name in ["a", "b", "c"]:
        (root / name).write_bytes(name.encode() * 1000)
        os.unlink(root / name)
    r.run("flat listing", 'cd "$1/trash" && ls | grep -F "|$2|" | sort -t "|" -k 2 && ls -la | grep -F "|$2|" | cut -c1-33',
          meta, r.name)
    a = r.meta / "trash" / next(n for n in os.listdir(r.meta / "trash") if n.endswith(f"|{r.name}|a"))
    r.run("flat file", 'stat -c "%s %a" "$1" && cat "$1" && n=$(basename "$1" | cut -c1-9) &&'
          ' stat -c %s "$(dirname "$1")/${n}other" && mfsfilepaths "$1"', a)
    r.run("flat purge", 'rm "$1" && ls "$(dirname "$1")" | grep -F "|$2|" | sort -t "|" -k 2', a, r.name)
    r.run("flat undelete", 'cd "$1/trash" && mv *"|$2|b" undel/ && cat "$3/b" | wc -c &&'
          ' mv *"|$2|c" other && cat "$3/c" | wc -c && ls | grep -cF "|$2|"', meta, r.name, root)
    r.run("flat not possible", 'cd "$1/trash"; touch new; mkdir dir; rm undel/x; exit 0', meta)


@pytest.mark.parametrize("master", MASTERS)
def test_flat_trash_behaves_as_the_real_one(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real"], mount="real")
    rounds = [Round(cluster, cluster.mount(impl, meta=True, options=["mfsflattrash"]), name)
              for impl, name in [("real", "r1"), ("ours", "r2")]]
    for r in rounds:
        flat_scenario(r)
    real, ours = rounds[0].seen, rounds[1].seen
    differences = [(what, a, b) for (what, a), (_, b) in zip(real, ours) if a != b]
    assert differences == [], "\n".join(f"{what}:\n  real: {a!r}\n  ours: {b!r}" for what, a, b in differences)
