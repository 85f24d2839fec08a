"""Running the real MooseFS tools on a cluster's mounts and reading the master's changelog,
for tests that compare the real master with ours (same commands, masked outputs)."""

from __future__ import annotations

import pathlib
import re
import time
from typing import Sequence


def mount_path(root: pathlib.Path, argument: str) -> str:
    """"@path" as a path in the mount at ``root``, keeping a trailing "/" (tools such as
    mfsmakesnapshot give it a meaning)."""
    path = str(root / argument[1:])
    return path + "/" if argument.endswith("/") and argument != "@/" else path


def run_tool_commands(cluster, roots: Sequence[pathlib.Path],
                      commands: Sequence[tuple[int, list[str]]]) -> list[tuple]:
    """Runs each (mount index, argv) command inside the cluster's namespace; "@path" in argv
    is a path relative to that mount's root (index 1 = roots[0], see mount_path).  Returns one
    (argv, exit status, stdout, stderr) per command, the mount paths replaced by "MNT"."""
    results = []
    for index, cmd in commands:
        root = roots[index - 1]
        args = [mount_path(root, a) if a.startswith("@") else a for a in cmd]
        r = cluster.run_in_ns(args, check=False, timeout=30)
        results.append((cmd, r.returncode, r.stdout.replace(str(root), "MNT"),
                        r.stderr.replace(str(root), "MNT")))
    return results


def changelog_entries(cluster, pattern: str, minimum: int, timeout: float = 10) -> list[str]:
    """The master's changelog lines whose operation matches the regex ``pattern`` (e.g.
    "SNAPSHOT|APPEND"), without ids and timestamps, in order.  Waits until at least
    ``minimum`` are there or ``timeout`` passed: the real master may flush late."""
    entry = re.compile(r"^\d+: \d+\|((?:" + pattern + r")\(.*)$")
    deadline = time.time() + timeout
    while True:
        text = "".join(p.read_text() for p in sorted(cluster.master.data_path.glob("changelog.*.mfs"),
                                                     reverse=True))
        entries = [m.group(1) for line in text.splitlines() if (m := entry.match(line))]
        if len(entries) >= minimum or time.time() > deadline:
            return entries
        time.sleep(0.5)
