"""Issue 2: a damaged copy reported by a real 3.0.117 chunkserver is dropped by the master and
the goal restored from the good copy, while clients keep reading correct data."""
import hashlib
import os

import pytest
from mfsharness.daemons import wait_until

MASTERS = ["ours", "real"]

# A MooseFS 3.0 chunk file: 1 KiB header, 4 KiB CRC table, then the data blocks.
CHUNK_DATA_OFFSET = 5 * 1024

# The real chunkserver tests its chunks in the background; by default only chunks idle for
# a day, at 1 MB/s.  Here: every chunk at once, quickly.
FAST_BACKGROUND_TEST = {"HDD_TEST_SPEED": 100, "HDD_MIN_TEST_INTERVAL": 0}


def chunk_files(chunkserver):
    return sorted((chunkserver.workdir / "hdd").glob("*/chunk_*.mfs"))


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


@pytest.mark.parametrize("master", MASTERS)
def test_damaged_copy_is_replaced_from_the_good_one(cluster_factory, master):
    cluster = cluster_factory(master=master, mount="real", chunkserver_options=FAST_BACKGROUND_TEST)
    path = cluster.mountpoint / "f"
    data = os.urandom(300 * 1024)
    path.write_bytes(data)
    chunks = cluster.wait_copies(path, 2, timeout=60)
    holder = chunks[0]["copies"][0][0]
    damaged = next(cs for cs in cluster.chunkservers if cs.address == holder)
    [chunk_file] = chunk_files(damaged)
    flip_byte(chunk_file, CHUNK_DATA_OFFSET + 100 * 1024)

    # A fresh mount (nothing cached) reads correct data whichever copy it tries first.
    assert hashlib.md5((cluster.mount("real") / "f").read_bytes()).digest() == hashlib.md5(data).digest()

    # The chunkserver finds the damage, the master drops that copy and makes a new one
    # elsewhere (the damaged file stays on that disk: no copy counts there any more).
    def replaced():
        valid = [address for address, status in cluster.file_chunks(path)[0]["copies"]
                 if status == "VALID"]
        return len(valid) == 2 and holder not in valid
    wait_until(replaced, 120, "two valid copies, none on the damaged chunkserver", interval=0.5)
    assert hashlib.md5((cluster.mount("real") / "f").read_bytes()).digest() == hashlib.md5(data).digest()
