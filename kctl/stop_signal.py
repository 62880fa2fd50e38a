"""SIGTERM stops a long command the way Ctrl-C does: output finished, exit 128 + 15.

Python's default for SIGTERM is to die on the spot, which leaves ``kctl consume -o json``'s
array open (``timeout 5 kctl consume ...`` then feeds ``jq`` a broken document). While a
:class:`SigtermStops` is active the signal raises :class:`Terminated` in the main thread
instead, so the command unwinds through the same path as KeyboardInterrupt. Inside
``held()`` (a record or the document's end being written) the signal is only noted, so
nothing is cut in half; a second SIGTERM there kills at once, in case the finish hangs.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class Terminated(BaseException):
    """SIGTERM arrived; ``exit_code`` is the shell's code for death by that signal.

    A BaseException, as KeyboardInterrupt is: the signal may land inside any ``try`` with an
    ``except Exception`` (sending one record), which must not take it for that step failing.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.exit_code = 128 + signum


class SigtermStops:
    def __init__(self) -> None:
        self.signum: int | None = None
        self._holding = 0
        self._previous: Any = None

    def __enter__(self) -> SigtermStops:
        self._previous = signal.getsignal(signal.SIGTERM)
        if self._previous != signal.SIG_IGN:  # a parent that ignores SIGTERM keeps that
            signal.signal(signal.SIGTERM, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, self._previous)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._holding:
            if self.signum is not None:  # asked twice while finishing: die now
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
            self.signum = signum
            return
        self.signum = signum
        raise Terminated(signum)

    @contextmanager
    def held(self, resume: bool = True) -> Iterator[None]:
        """Write without interruption; with ``resume``, a SIGTERM noted meanwhile raises
        :class:`Terminated` afterwards."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if resume and self.signum is not None and not self._holding:
            raise Terminated(self.signum)
