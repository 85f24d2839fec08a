#!/usr/bin/python3
"""Regenerates real_chunk_3_0_117.mfs, a chunk file written by the real MooseFS 3.0.117
chunkserver, used by chunk_file_test.cpp (RealChunk tests).

How: a real master, one real chunkserver and a real mount in the compat-tests harness;
a file of goal 1 holding 100 zero bytes then the bytes 0x00..0xFF sixteen times (4196
bytes: one block, whose padded CRC is 0x79B2766A, spec 20 §5); the chunkserver is
stopped cleanly and its only chunk file copied out.

Usage (root): /usr/bin/python3 make_real_chunk.py [output]
"""
import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "compat-tests"))
from mfsharness import Cluster  # noqa: E402

out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "real_chunk_3_0_117.mfs"
with tempfile.TemporaryDirectory() as tmp:
    cluster = Cluster(tmp, master="real", chunkservers=["real"], mount="real")
    try:
        cluster.start()
        cluster.run_in_ns(["mfssetgoal", "1", str(cluster.mountpoint)])
        (cluster.mountpoint / "f").write_bytes(b"\0" * 100 + bytes(range(256)) * 16)
        cluster.wait_copies(cluster.mountpoint / "f", 1)
        cluster.chunkservers[0].stop()
        files = list(pathlib.Path(cluster.chunkservers[0].disks[0]).glob("*/chunk_*.mfs"))
        assert len(files) == 1, files
        shutil.copyfile(files[0], out)
        print(f"{files[0].name} -> {out}")
    finally:
        cluster.stop()
