"""The POSIX conformance suite (posix_suite/) on the real 3.0.117 mfsmount and on ours, both
mounted from the same servers: the real master and chunkservers, and (all ours) our master and
chunkservers.  Every case's outcome is recorded per client and printed as a table; the test
fails for each case that passes on the real client and fails on ours.  Cases failing on both
are MooseFS's own behaviour (or that of the servers): reported, not failures.
"""

import time

import pytest

from posix_suite import CASES, PASS, run_cases, table


@pytest.mark.parametrize("servers", ["real", "ours"])
def test_posix_suite_as_the_real_client(cluster_factory, servers, capsys):
    cluster = cluster_factory(master=servers, chunkservers=[servers, servers], mount="real")
    mounts = {"real": cluster.mountpoint, "ours": cluster.mount("ours")}
    results, seconds = {}, {}
    for client, point in mounts.items():
        started = time.monotonic()
        results[client] = run_cases(point / client)  # each client in its own folder
        seconds[client] = time.monotonic() - started
    counts = {c: sum(o == PASS for o in r.values()) for c, r in results.items()}
    both = [n for n in results["real"] if results["real"][n] != PASS and results["ours"][n] != PASS]
    with capsys.disabled():  # the table is the report: shown whether the test passes or not
        print("\n" + table(results))
        print(f"{len(CASES)} cases; passing: " + ", ".join(f"{c} {n} ({seconds[c]:.0f} s)" for c, n in counts.items()))
        print(f"failing on both clients ({len(both)}): {', '.join(both) or 'none'}")
    regressions = {n: results["ours"][n] for n in results["real"]
                   if results["real"][n] == PASS and results["ours"][n] != PASS}
    assert not regressions, f"cases the real mfsmount passes and ours fails: {regressions}"
