"""The project's own POSIX conformance suite for mounts (in the spirit of pjdfstest).

Cases live in the ``cases_*`` modules (imported here so that they register themselves);
``framework`` runs them.  compat-tests/test_posix.py runs them on the real mfsmount and ours.
"""

from . import (cases_errors, cases_files, cases_links, cases_ownership, cases_permissions,  # noqa: F401
               cases_rename, cases_times)
from .framework import CASES, PASS, run_cases, table  # noqa: F401
