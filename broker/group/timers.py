"""Time and timers for the coordinator: the broker's event loop, or a fake clock in tests.

All group state is owned by one event loop, so timer callbacks and request handlers never
run at the same time and need no locks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol


class Cancellable(Protocol):
    def cancel(self) -> Any: ...


class Scheduler(Protocol):
    def now_ms(self) -> int:
        """Wall-clock milliseconds (commit timestamps and retention are wall-clock)."""

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable: ...

    def create_future(self) -> asyncio.Future: ...


class LoopScheduler:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_later(max(delay_ms, 0) / 1000, callback)

    def create_future(self) -> asyncio.Future:
        return self.loop.create_future()
