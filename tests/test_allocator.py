"""Request-sized buffers are reused from the heap instead of being page-faulted in each time."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

CYCLES = """
import resource, sys
from broker.allocator import keep_request_buffers
if sys.argv[1] == "tuned":
    assert keep_request_buffers()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    # a fetch of 6 partitions: a 1 MiB read of each, alive together, then all dropped
    reads = [b"x" * (1 << 20) for _ in range(6)]
    del reads
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", CYCLES, mode], check=True, capture_output=True, text=True
    )
    return int(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_buffers_of_a_few_mib_stop_costing_page_faults_once_tuned():
    untuned, tuned = page_faults("default"), page_faults("tuned")
    # 40 x 6 buffers of 256 pages each: about 60k faults when each comes from the OS anew
    assert untuned > 20_000
    assert tuned < untuned / 10
