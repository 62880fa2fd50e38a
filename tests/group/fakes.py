"""A fake clock and an in-memory offsets log, so the coordinator runs without a broker."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from broker.errors import ErrorCode, KafkaError
from broker.group.coordinator import CoordinatorConfig, GroupCoordinator, JoinRequest
from broker.group.offsets_topic import Stored


@dataclass(order=True)
class FakeTimer:
    when: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class FakeScheduler:
    """Timers fire only when the test advances the clock, in deadline order."""

    def __init__(self, now_ms: int = 1_700_000_000_000) -> None:
        self.now = now_ms
        self._timers: list[FakeTimer] = []
        self._seq = itertools.count()
        # Futures need a loop to belong to; it never runs (results are read directly).
        self.loop = asyncio.new_event_loop()

    def now_ms(self) -> int:
        return self.now

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + max(delay_ms, 0), next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def create_future(self) -> asyncio.Future:
        return self.loop.create_future()

    def advance(self, ms: int) -> None:
        target = self.now + ms
        while self._timers and self._timers[0].when <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self.now = timer.when
            timer.callback()
        self.now = target

    def close(self) -> None:
        self.loop.close()


class MemoryLog:
    """The offsets topic as a list of (group, key, value) appends; each append takes the
    next offsets, transactional ones too (they are not replayed: nothing decides them)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, bytes, bytes | None]] = []
        self.offsets: list[int] = []  # of each entry
        self.next_offset = 0
        self.fail = False

    def append(self, group_id: str, entries: list[tuple[bytes, bytes | None]]) -> int:
        first = self._take(len(entries))
        self.entries += [(group_id, k, v) for k, v in entries]
        self.offsets += range(first, first + len(entries))
        return first

    def append_txn(
        self,
        group_id: str,
        entries: list[tuple[bytes, bytes | None]],
        producer_id: int,
        producer_epoch: int,
    ) -> int:
        return self._take(len(entries))

    def _take(self, n: int) -> int:
        if self.fail:
            raise KafkaError(ErrorCode.kafka_storage_error, "disk on fire")
        first, self.next_offset = self.next_offset, self.next_offset + n
        return first

    def partition_of(self, group_id: str) -> int:
        return 0

    def replay(self) -> Iterator[Stored]:
        for (_, k, v), offset in zip(self.entries, self.offsets, strict=True):
            yield Stored(k, v, offset)

    def open_transactions(self) -> dict[int, list[Stored]]:
        return {}


def make_coordinator(**overrides) -> tuple[GroupCoordinator, FakeScheduler, MemoryLog]:
    settings = {"initial_rebalance_delay_ms": 100, "min_session_timeout_ms": 1000} | overrides
    clock, store = FakeScheduler(), MemoryLog()
    return GroupCoordinator(CoordinatorConfig(**settings), clock, store), clock, store


def subscription(*topics: str) -> bytes:
    """A ConsumerProtocolSubscription v0: version, topics, user data."""
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


def request(
    member_id: str = "",
    *,
    group: str = "g",
    instance: str | None = None,
    protocols: list[tuple[str, bytes]] | None = None,
    session_ms: int = 10_000,
    rebalance_ms: int = 30_000,
    protocol_type: str = "consumer",
    v4: bool = True,
) -> JoinRequest:
    return JoinRequest(
        group_id=group,
        member_id=member_id,
        group_instance_id=instance,
        client_id="client",
        client_host="/127.0.0.1",
        session_timeout_ms=session_ms,
        rebalance_timeout_ms=rebalance_ms,
        protocol_type=protocol_type,
        protocols=protocols if protocols is not None else [("range", subscription("t"))],
        require_known_member_id=v4,
    )
