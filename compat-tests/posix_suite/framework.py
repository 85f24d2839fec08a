"""The machinery of the POSIX conformance suite: cases, their context, running as another user.

A case is a function ``case(ctx)`` registered with ``@case(group)`` (or ``add_case`` for cases
made from data tables).  It works in its own empty directory ``ctx.dir`` (as root, absolute
paths through ``ctx.p(...)``) and may run calls as another user with ``ctx.as_user(user, call)``:
`call` runs in a forked child whose cwd is the case directory (so it uses *relative* paths:
the pytest tmp folders above the mount are 0700 and an ordinary user cannot cross them).
A case fails by raising CaseFailure (``expect`` does that).

A case written as a generator pauses at each ``yield``: the runner runs every case up to its
first pause, waits once (PAUSE: the clock passes a whole second, as MooseFS keeps times in
seconds, and the clients' 1 s attribute and entry caches expire), resumes them all to their
next pause, and so on.  Timestamp cases record the times, pause, act, pause and look again;
permission cases prepare as root and pause, so that the users' checks reach the master
instead of what a client cached while root prepared.
"""

from __future__ import annotations

import dataclasses
import errno
import inspect
import os
import pathlib
import pickle
import time
from typing import Callable

PASS = "pass"
PAUSE = 1.5  # seconds; more than the 1 s caches of both clients


class CaseFailure(AssertionError):
    pass


@dataclasses.dataclass(frozen=True)
class User:
    uid: int
    gid: int
    groups: tuple[int, ...] = ()


ROOT = User(0, 0)
SHARED_GROUP = 20000  # a group ALICE belongs to, BOB does not
ALICE = User(10001, 10001, (10001, SHARED_GROUP))
BOB = User(10002, 10002, (10002,))
CAROL = User(10003, 10003, (10003,))


@dataclasses.dataclass(frozen=True)
class Case:
    group: str
    name: str
    run: Callable[["Context"], object]


CASES: list[Case] = []


def add_case(group: str, name: str, run: Callable[["Context"], object]) -> None:
    if any(c.name == name for c in CASES):
        raise ValueError(f"two cases named {name}")
    CASES.append(Case(group, name, run))


def case(group: str):
    def register(function):
        add_case(group, function.__name__, function)
        return function
    return register


def expect(actual, expected, what: str) -> None:
    if actual != expected:
        raise CaseFailure(f"{what}: got {actual!r}, expected {expected!r}")


def error_name(e: OSError) -> str:
    return errno.errorcode.get(e.errno, str(e.errno))


def outcome(call: Callable[[], object]) -> object:
    """"ok" (or the call's non-None value), or the errno name of the OSError it raised."""
    try:
        value = call()
    except OSError as e:
        return error_name(e)
    return "ok" if value is None else value


def _child(directory: str, user: User, call: Callable[[], object], write_end: int) -> None:
    try:
        os.chdir(directory)
        os.setgroups(list(user.groups))
        os.setresgid(user.gid, user.gid, user.gid)
        os.setresuid(user.uid, user.uid, user.uid)
        result = ("value", outcome(call))
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        result = ("exception", repr(e))
    try:
        data = pickle.dumps(result)
    except Exception as e:  # noqa: BLE001 - an unpicklable value
        data = pickle.dumps(("exception", f"unpicklable result: {e!r}"))
    view = memoryview(data)
    while view:
        view = view[os.write(write_end, view):]


def run_as(directory: os.PathLike | str, user: User, call: Callable[[], object]) -> object:
    """outcome(call) computed in a forked child with cwd `directory` and `user`'s credentials."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            _child(str(directory), user, call, write_end)
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError(f"the child running as {user} died without an answer")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "exception":
        raise RuntimeError(f"as {user}: {value}")
    return value


class Context:
    def __init__(self, directory: pathlib.Path):
        self.dir = directory

    def p(self, *names: str) -> str:
        return os.path.join(self.dir, *names)  # not pathlib: it would drop "." components

    def as_user(self, user: User, call: Callable[[], object]) -> object:
        return run_as(self.dir, user, call)

    def lstat(self, *names: str) -> os.stat_result:
        return os.lstat(self.p(*names))


def run_cases(root: pathlib.Path, cases: list[Case] = CASES) -> dict[str, str]:
    """Runs `cases` in `root` (one directory each); returns name -> PASS or why it failed."""
    results: dict[str, str] = {}
    root.mkdir(mode=0o755, exist_ok=True)

    def step(name: str, call: Callable[[], object]) -> object:
        try:
            return call()
        except CaseFailure as e:
            results[name] = str(e)
        except Exception as e:  # noqa: BLE001 - an unexpected error is a failure of the case
            results[name] = f"unexpected {e!r}"
        return None

    active = []  # (name, generator) of the cases that go on in the next round
    for c in cases:
        directory = root / c.name
        directory.mkdir(mode=0o755)
        os.chmod(directory, 0o755)  # whatever the umask
        started = step(c.name, lambda: c.run(Context(directory)))
        if inspect.isgenerator(started):
            active.append((c.name, started))
    first_round = True
    while active:
        if not first_round:
            time.sleep(PAUSE)
        first_round = False
        waiting, active = active, []
        for name, generator in waiting:
            if step(name, lambda: next(generator, "done")) != "done" and name not in results:
                active.append((name, generator))
    return {c.name: results.get(c.name, PASS) for c in cases}


def table(results_by_client: dict[str, dict[str, str]]) -> str:
    """One line per case: its group, name and each client's outcome."""
    clients = list(results_by_client)
    groups = {c.name: c.group for c in CASES}
    names = list(next(iter(results_by_client.values())))
    width = max(len(n) for n in names) + 2
    lines = [f"{'group':<12}{'case':<{width}}" + "".join(f"{c:<8}" for c in clients) + "why (first failing client)"]
    for name in names:
        outcomes = [results_by_client[c][name] for c in clients]
        marks = "".join(f"{'pass' if o == PASS else 'FAIL':<8}" for o in outcomes)
        why = next((o for o in outcomes if o != PASS), "")
        lines.append(f"{groups.get(name, '?'):<12}{name:<{width}}{marks}{why}")
    return "\n".join(lines)
