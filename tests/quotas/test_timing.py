"""timed() counts a handler's running steps, not its waits, and awaits it faithfully."""

from __future__ import annotations

import asyncio
import time

import pytest

from broker.quotas.timing import timed


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def handler(waiter: asyncio.Future) -> str:
    busy(0.02)
    got = await waiter  # a long poll: waits, costs nothing
    await asyncio.sleep(0)  # a bare yield
    busy(0.02)
    return f"answer {got}"


def test_waiting_is_not_counted():
    async def main():
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        loop.call_later(0.3, waiter.set_result, 7)
        started = time.perf_counter()
        result, spent = await timed(handler(waiter))
        return result, spent, time.perf_counter() - started

    result, spent, wall = asyncio.run(main())
    assert result == "answer 7"
    assert wall >= 0.3
    assert 0.04 <= spent < 0.04 + (wall - 0.3)  # the two busy steps, the wait left out


def test_failures_reach_the_handler_and_then_the_caller():
    async def failing(waiter):
        try:
            await waiter
        except ValueError:
            raise KeyError("handled, then another") from None

    async def main():
        waiter = asyncio.get_running_loop().create_future()
        waiter.set_exception(ValueError("x"))
        await timed(failing(waiter))

    with pytest.raises(KeyError):
        asyncio.run(main())


def test_cancellation_reaches_the_handler():
    cleaned = []

    async def waits_forever():
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append(True)

    async def main():
        task = asyncio.ensure_future(timed(waits_forever()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cleaned == [True]
