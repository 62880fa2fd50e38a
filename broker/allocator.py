"""Keep the C allocator from handing request-sized buffers back to the OS after each use.

Every produce frame and every segment read of a fetch is a fresh buffer of up to a few MiB.
glibc serves buffers that large from mmap, or trims the heap once its free top passes twice
the last such size, so each new buffer was page-faulted in again (and zeroed by the kernel):
a quarter of the broker's CPU while consumers read at full speed. Fixed thresholds keep such
buffers in the heap and let up to TRIM_THRESHOLD of free memory stay there for the next
request: consume CPU halved for +5 MiB of resident memory (see the stop notes). Other C
libraries (musl, macOS) have no mallopt and are left as they are.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger("broker")

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 * 1024 * 1024  # above a default fetch's or produce's buffers
TRIM_THRESHOLD = 64 * 1024 * 1024


def keep_request_buffers() -> bool:
    """Set glibc's malloc thresholds for this process; False where there is no mallopt."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    if not ok:
        log.warning("mallopt refused the buffer thresholds; running with the defaults")
    return ok
