"""Run a coroutine's first step at once; only a coroutine that has to wait becomes a Task.

Most requests (a Produce, a Fetch with data ready, a Metadata) finish without waiting for
anything. Scheduling each as a Task costs a trip round the event loop and the Task's own
machinery: on the tail-latency path (produce, wake the waiting fetch, answer) that was a
measurable share of the broker's CPU. This is Python 3.12's eager task start
(``asyncio.eager_task_factory``), which 3.11 lacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


def start_eagerly(
    coro: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop
) -> asyncio.Task[None] | None:
    """Step ``coro`` now; None when it finished, else the Task that finishes it.

    ``coro`` must handle its own errors: one raised in the first step propagates to the caller.
    """
    try:
        awaited = coro.send(None)
    except StopIteration:
        return None
    return loop.create_task(_finish(coro, awaited))


async def _finish(coro: Coroutine[Any, Any, None], awaited: Any) -> None:
    """Drive ``coro`` from a suspension, as a Task would have: wait for what it awaits."""
    while True:
        try:
            if awaited is None:  # a bare yield (asyncio.sleep(0)): let the loop turn once
                await asyncio.sleep(0)
            else:
                # the coroutine's await marked it as blocking on yield; a Task clears the mark
                # when it takes a future over, and awaiting it again needs it cleared
                awaited._asyncio_future_blocking = False
                await awaited
        except BaseException as e:
            step = coro.throw
            arg: Any = e
        else:
            step = coro.send
            arg = None
        try:
            awaited = step(arg)
        except StopIteration:
            return
