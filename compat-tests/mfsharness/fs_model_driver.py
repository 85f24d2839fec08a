"""Runs a list of fs_model operations on a folder, in a process of its own (so that a test
can kill a server while the process waits in the file system).

    python3 -m mfsharness.fs_model_driver OPERATIONS_JSON FOLDER STOP_FILE

Prints one JSON line per operation once it has returned: [index, outcome, start, end], with
start and end on the system's monotonic clock (time.monotonic() of any process).  Stops
before the next operation once STOP_FILE exists, or after the last one."""

import json
import os
import pathlib
import sys
import time

from mfsharness.fs_model import Side


def main() -> None:
    operations_file, folder, stop_file = sys.argv[1:4]
    operations = json.loads(pathlib.Path(operations_file).read_text())
    side = Side(pathlib.Path(folder))
    for index, operation in enumerate(operations):
        if os.path.exists(stop_file):
            break
        start = time.monotonic()
        outcome = side.apply(operation)
        print(json.dumps([index, outcome, start, time.monotonic()]), flush=True)
    side.release()


if __name__ == "__main__":
    main()
