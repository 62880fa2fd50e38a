"""start_eagerly: a coroutine that never waits runs to its end at once; one that waits goes on
in a Task that passes it results, errors and cancellation as a plain Task would."""

from __future__ import annotations

import asyncio

import pytest

from broker.network.eager import start_eagerly


def test_a_coroutine_that_never_waits_finishes_before_start_eagerly_returns():
    async def main():
        done = []

        async def quick():
            done.append(1)

        assert start_eagerly(quick(), asyncio.get_running_loop()) is None
        assert done == [1]

    asyncio.run(main())


def test_a_waiting_coroutine_gets_the_result_and_error_of_what_it_awaits():
    async def main():
        loop = asyncio.get_running_loop()
        first, second = loop.create_future(), loop.create_future()
        seen = []

        async def waits():
            seen.append(await first)
            await asyncio.sleep(0)  # a bare yield is passed through too
            try:
                await second
            except KeyError as e:
                seen.append(e.args[0])

        task = start_eagerly(waits(), asyncio.get_running_loop())
        assert task is not None and not task.done()
        first.set_result("result")
        second.set_exception(KeyError("error"))
        await asyncio.wait_for(task, 5)
        assert seen == ["result", "error"]

    asyncio.run(main())


def test_cancelling_the_task_cancels_the_coroutine_where_it_waits():
    async def main():
        loop = asyncio.get_running_loop()
        never = loop.create_future()
        cleaned = []

        async def waits():
            try:
                await never
            finally:
                cleaned.append(True)

        task = start_eagerly(waits(), asyncio.get_running_loop())
        assert task is not None
        await asyncio.sleep(0)  # let the task reach its wait
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == [True] and never.cancelled()

    asyncio.run(main())
