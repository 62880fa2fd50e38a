"""The time a request's handler spends running, leaving out the time it waits.

request_percentage quotas (Kafka's request quota) charge a client for the time the broker's
threads spend on its requests. Here one event loop runs every handler, so a handler's time
is the sum of its steps between awaits: a long-poll Fetch that waits 500 ms for data costs
what reading and answering cost, not the wait.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any

from broker.network.eager import step_through


class _TimedSteps:
    """The coroutine's steps, each timed."""

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.spent = 0.0

    def send(self, value: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.coro.send(value)
        finally:
            self.spent += time.perf_counter() - started

    def throw(self, error: BaseException) -> Any:
        started = time.perf_counter()
        try:
            return self.coro.throw(error)
        finally:
            self.spent += time.perf_counter() - started


async def timed(coro: Coroutine[Any, Any, Any]) -> tuple[Any, float]:
    """Await ``coro``; its result and the seconds spent in its own steps."""
    steps = _TimedSteps(coro)
    result = await step_through(steps)
    return result, steps.spent
