"""mfsfsyncmintime (issue 5) on the real 3.0.117 client and ours, with the real master and
ours, real chunkservers: the close of a handle opened less than that long ago does not wait
for its data to be stored (docs/protocol-notes.md, "mfsfsyncmintime"):
- with the chunkservers stopped (SIGSTOP), a young handle's close returns, another mount
  sees the new length at once, and the data is there once they go on;
- an older handle's close, and an fsync of a young one, wait for the chunkservers.
Both clients must give the same observations."""
import hashlib
import os
import threading
import time

import pytest

MASTERS = ["real", "ours"]
MIN_TIME = 2  # seconds, the option's value
MIB = 1 << 20
DATA = os.urandom(3 * MIB)
# While the chunkservers are stopped: long enough for a call that does not wait for them.
RETURNS_WITHIN = 3.0


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def with_chunkservers_stopped(cluster, call, observe=lambda: None):
    """Runs `call` on a thread while the chunkservers are stopped. Returns whether it
    returned before they went on, what `observe` saw meanwhile, and the call's outcome."""
    outcome = {}

    def run():
        try:
            call()
            outcome["result"] = "ok"
        except OSError as e:
            outcome["result"] = e.strerror

    for chunkserver in cluster.chunkservers:
        chunkserver.pause()
    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(RETURNS_WITHIN)
        returned = not worker.is_alive()
        seen = observe()
    finally:
        for chunkserver in cluster.chunkservers:
            chunkserver.resume()
    worker.join(120)
    return returned, seen, outcome.get("result")


def wait_for_content(path, wanted: bytes, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if md5(path.read_bytes()) == md5(wanted):
            return True
        time.sleep(0.2)
    return False


def scenario(cluster, mountpoint, observer) -> list:
    seen = []
    (mountpoint / "f").write_bytes(DATA)  # young: written behind, then read back exact
    seen.append(("first close, then read elsewhere", wait_for_content(observer / "f", DATA)))

    # The writes come after the chunkservers stopped: the real client sends data out as it
    # comes, and a close finds nothing to wait for once it is stored.
    # A young handle rewrites the file and makes it longer, within its chunk.
    grown = DATA[::-1] + DATA[:MIB]
    fd = os.open(mountpoint / "f", os.O_WRONLY)
    returned, size, result = with_chunkservers_stopped(cluster, lambda: (os.pwrite(fd, grown, 0), os.close(fd)),
                                                       observe=lambda: os.stat(observer / "f").st_size)
    seen.append(("young close", returned, result, "length seen meanwhile", size))
    seen.append(("its data once they go on", wait_for_content(observer / "f", grown)))

    # A handle older than the option's time: its close waits.
    fd = os.open(mountpoint / "f", os.O_WRONLY)
    time.sleep(MIN_TIME + 0.5)
    returned, _, result = with_chunkservers_stopped(cluster, lambda: (os.pwrite(fd, DATA, 0), os.close(fd)))
    seen.append(("old close returned while stopped", returned, result))
    seen.append(("its data", wait_for_content(observer / "f", DATA + DATA[:MIB])))

    # fsync always waits, young or not.
    fd = os.open(mountpoint / "f", os.O_WRONLY)
    returned, _, result = with_chunkservers_stopped(cluster, lambda: (os.pwrite(fd, grown, 0), os.fsync(fd)))
    os.close(fd)
    seen.append(("young fsync returned while stopped", returned, result))
    seen.append(("its data", wait_for_content(observer / "f", grown)))
    return seen


@pytest.mark.parametrize("master", MASTERS)
def test_young_close_does_not_wait_for_the_data(cluster_factory, master):
    cluster = cluster_factory(master=master, chunkservers=["real", "real"])
    observer = cluster.mount("real", options=["mfsattrcacheto=0", "mfsentrycacheto=0", "mfsdirentrycacheto=0"],
                             name="observer")
    seen = {}
    for impl in ["real", "ours"]:
        mountpoint = cluster.mount(impl, options=[f"mfsfsyncmintime={MIN_TIME}"], name=f"writer-{impl}")
        (mountpoint / impl).mkdir()
        seen[impl] = scenario(cluster, mountpoint / impl, observer / impl)
        print(impl, seen[impl])  # shown when the test fails
    assert seen["real"][1] == ("young close", True, "ok", "length seen meanwhile", 4 * MIB)
    assert seen["ours"] == seen["real"]
