"""Keep kio's test strategies out of the command-line processes.

kio registers a hypothesis strategy for each of its types whenever hypothesis can be
imported, and hypothesis is one of this project's test dependencies: installed that way, every
broker and every kctl command that loads kio spent about 0.3 s of its start-up on strategies
only property tests use. The entry points call ``skip_kio_strategies`` before kio loads; a
process that already imported hypothesis (a test run) is left as it is.
"""

from __future__ import annotations

import sys


def skip_kio_strategies() -> None:
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
