"""The process's open-files limit, raised at start-up to what the system allows.

A partition keeps its active segment's log and index files open (three files), and a read
keeps an older segment's log file open: a few hundred partitions need more than the soft
limit shells grant by default (1,024 on Linux, 256 on macOS), while the hard limit is
usually far higher. The JVM raises its soft limit to the hard one when it starts, so Kafka
users never meet this; the broker does the same.
"""

from __future__ import annotations

import logging
import os
import sys

try:
    import resource
except ImportError:  # Windows: no such limit to raise or count against
    resource = None  # type: ignore[assignment]

log = logging.getLogger("broker")

# Below this many open files a broker runs out at a few hundred partitions: say so at start.
LOW_LIMIT = 4096
# macOS refuses a soft limit above OPEN_MAX even when the hard limit is unlimited.
DARWIN_OPEN_MAX = 10240
# Linux cannot go past fs.nr_open (1M by default) whatever the hard limit says.
UNLIMITED_CAP = 1 << 20
# Files a partition may hold: its active segment's log, offset index and time index.
FILES_PER_PARTITION = 3
# Kept free for connections, checkpoints and lazy imports: running out there is far worse
# than a partition that waits offline for files.
RESERVE_FRACTION = 0.1
RESERVE_MIN = 64


def raise_open_files_limit() -> int | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the soft limit now in force (None
    where the platform has no such limit)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = UNLIMITED_CAP if hard == resource.RLIM_INFINITY else hard
    if sys.platform == "darwin":
        target = min(target, DARWIN_OPEN_MAX)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as e:
            log.debug("cannot raise the open files limit from %d to %d: %s", soft, target, e)
        else:
            log.debug("open files limit raised from %d to %d", soft, target)
            soft = target
    if soft != resource.RLIM_INFINITY and soft < LOW_LIMIT:
        log.warning(
            "open files limit is %d (hard limit %s): each partition keeps up to 3 files open, "
            "so a few hundred partitions exhaust it; raise it with `ulimit -n`",
            soft,
            "unlimited" if hard == resource.RLIM_INFINITY else hard,
        )
    return soft


def headroom(promised: int = 0) -> int | None:
    """Files this process may still open, keeping the reserve and ``promised`` files (those
    open partitions may still take); None where it cannot tell."""
    if resource is None:
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return None
    for fd_dir in ("/proc/self/fd", "/dev/fd"):
        try:
            in_use = len(os.listdir(fd_dir))
        except OSError:
            continue
        return soft - in_use - promised - max(RESERVE_MIN, int(soft * RESERVE_FRACTION))
    return None
