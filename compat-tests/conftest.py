"""Fixtures of the compatibility tests (see README.md).

``cluster_factory(**kwargs)`` builds and starts a Cluster (mfsharness/cluster.py) in the
test's tmp dir; every cluster is stopped (unmount, daemons stopped by pid, namespace
deleted) when the test ends, whether it passed or not.  When a test fails, the last 200
lines of every daemon's log are added to its report.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from mfsharness import Cluster, HarnessError  # noqa: E402
from mfsharness.netns import PREFIX, list_namespaces, stale_namespaces  # noqa: E402

LOG_LINES = 200
# Every cluster made in this session, so that an interrupted run (Ctrl-C, which skips
# fixture teardown) still stops them in pytest_sessionfinish.
_ALL_CLUSTERS: list[Cluster] = []
_CLUSTERS = pytest.StashKey[list]()
_LOGS_ADDED = pytest.StashKey[bool]()

REQUIRED_PROGRAMS = ["ip", "nsenter", "fusermount3", "umount", "mfscli", "mfsfileinfo",
                     "mfssetgoal"]


def environment_problems() -> list[str]:
    """Why clusters cannot run here (empty list if they can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the compatibility tests must run as root (network namespaces, FUSE "
                        "mounts, daemons): sudo /usr/bin/python3 -m pytest compat-tests")
    if not os.path.exists("/dev/fuse"):
        problems.append("/dev/fuse is missing: FUSE is needed for mfsmount")
    for program in REQUIRED_PROGRAMS:
        if shutil.which(program) is None:
            problems.append(f"program {program} not found (run scripts/setup.sh)")
    return problems


def pytest_report_header(config):
    stale = stale_namespaces()
    lines = []
    if stale:
        lines.append(f"WARNING: network namespaces left by dead test runs: {' '.join(stale)} "
                     "(remove with: ip netns del NAME, after checking no process runs in them)")
    return lines


@pytest.fixture
def cluster_factory(request, tmp_path):
    """Returns ``make(**kwargs) -> Cluster`` (started unless start=False); kwargs are those
    of Cluster: master="real"|"ours", chunkservers=[...], mount=None|"real"|"ours"|[...],
    metaloggers=[...], master_options={...}, chunkserver_options={...}, mount_options=[...],
    exports="...".  A requested "ours" binary that is not built fails the test."""
    problems = environment_problems()
    if problems:
        pytest.fail("cannot run compatibility tests:\n  " + "\n  ".join(problems), pytrace=False)
    clusters: list[Cluster] = []
    request.node.stash[_CLUSTERS] = clusters

    def make(*, start: bool = True, **kwargs) -> Cluster:
        root = tmp_path / f"cluster{len(clusters) + 1}"
        try:
            cluster = Cluster(root, **kwargs)
        except HarnessError as e:
            error = str(e)
        else:
            error = None
        if error:
            pytest.fail(error, pytrace=False)
        clusters.append(cluster)
        _ALL_CLUSTERS.append(cluster)
        if start:
            cluster.start()
        return cluster

    yield make

    problems = []
    for cluster in reversed(clusters):
        try:
            problems += cluster.stop()
        except Exception as e:  # noqa: BLE001 - stop the other clusters too
            problems.append(f"stopping {cluster.ns.name}: {e!r}")
    if problems:
        pytest.fail("at teardown:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or item.stash.get(_LOGS_ADDED, False):
        return
    clusters = item.stash.get(_CLUSTERS, [])
    if not clusters:
        return
    item.stash[_LOGS_ADDED] = True
    for cluster in clusters:
        for daemon in cluster.daemons:
            report.sections.append((
                f"{daemon.name} ({daemon.impl}) log {daemon.log_path}, last {LOG_LINES} lines",
                daemon.log_tail(LOG_LINES) or "(empty)\n"))


def pytest_sessionfinish(session, exitstatus):
    for cluster in _ALL_CLUSTERS:
        if cluster.started and not cluster.stopped:
            cluster.stop()
    ours = [n for n in list_namespaces() if n.startswith(f"{PREFIX}-{os.getpid()}-")]
    if ours:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"WARNING: network namespaces not deleted: {ours}", red=True)
