"""Test harness: MooseFS 3.0.117 daemons ("real") and ours in a private network namespace.

See compat-tests/README.md.  Main entry points: Cluster (cluster.py), the daemon classes
(daemons.py) and NetNS (netns.py).
"""

from .cluster import Cluster
from .daemons import (ADMIN_EXPORTS, Chunkserver, Daemon, HarnessError, Master, Metalogger, Mount,
                      background_mount_pids, binary, build_dir, is_mounted, unmount_background,
                      wait_until)
from .netns import NetNS

__all__ = ["ADMIN_EXPORTS", "Cluster", "Chunkserver", "Daemon", "HarnessError", "Master", "Metalogger", "Mount",
           "NetNS", "background_mount_pids", "binary", "build_dir", "is_mounted",
           "unmount_background", "wait_until"]
