"""The time a request's handler spends running, leaving out the time it waits.

request_percentage quotas (Kafka's request quota) charge a client for the time the broker's
threads spend on its requests. Here one event loop runs every handler, so a handler's time
is the sum of its steps between awaits: a long-poll Fetch that waits 500 ms for data costs
what reading and answering cost, not the wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any


async def timed(coro: Coroutine[Any, Any, Any]) -> tuple[Any, float]:
    """Await ``coro``; its result and the seconds spent in its own steps."""
    spent = 0.0
    step: Any = coro.send
    arg: Any = None
    while True:
        started = time.perf_counter()
        try:
            awaited = step(arg)
        except StopIteration as done:
            return done.value, spent + time.perf_counter() - started
        spent += time.perf_counter() - started
        try:
            if awaited is None:  # a bare yield (asyncio.sleep(0)): let the loop turn once
                await asyncio.sleep(0)
            else:
                # the coroutine's await marked the future as blocking it; awaiting it here
                # needs the mark cleared, as a Task clears it when it takes a future over
                awaited._asyncio_future_blocking = False
                await awaited
        except BaseException as e:  # its failure, or this task cancelled: the coroutine's
            step, arg = coro.throw, e
        else:
            step, arg = coro.send, None
