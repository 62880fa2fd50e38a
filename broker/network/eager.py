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
from typing import Any, Protocol

_NOT_STARTED = object()


class Steppable(Protocol):
    """What ``step_through`` drives: a coroutine, or something that wraps its steps."""

    def send(self, value: Any, /) -> Any: ...

    def throw(self, error: BaseException, /) -> Any: ...


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
    return loop.create_task(step_through(coro, awaited))


async def step_through(coro: Steppable, awaited: Any = _NOT_STARTED) -> Any:
    """Drive ``coro`` by hand inside the running task, as a Task would, to its result:
    from the start, or from ``awaited``, what its last step yielded."""
    step: Any = coro.send
    arg: Any = None
    if awaited is not _NOT_STARTED:
        step = None  # suspended on ``awaited``: wait for it first
    while True:
        if step is not None:
            try:
                awaited = step(arg)
            except StopIteration as done:
                return done.value
        try:
            if awaited is None:  # a bare yield (asyncio.sleep(0)): let the loop turn once
                await asyncio.sleep(0)
            else:
                # the coroutine's await marked it as blocking on yield; a Task clears the mark
                # when it takes a future over, and awaiting it again needs it cleared
                awaited._asyncio_future_blocking = False
                await awaited
        except BaseException as e:  # its failure, or this task cancelled: the coroutine's
            step, arg = coro.throw, e
        else:
            step, arg = coro.send, None
