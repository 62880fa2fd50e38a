"""The fetch session cache's rules, on a fake clock: epochs, room, and which session gives way
to a new one (Kafka's FetchSessionCache ranking)."""

from __future__ import annotations

from types import SimpleNamespace

from broker.fetch_sessions import (
    ZERO_UUID,
    CachedPartition,
    FetchSessionCache,
    next_epoch,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def request_partition(index: int, offset: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        partition=index,
        fetch_offset=offset,
        partition_max_bytes=100,
        log_start_offset=-1,
        current_leader_epoch=-1,
        last_fetched_epoch=-1,
    )


def partitions(n: int):
    def build():
        return {
            ("t", i): CachedPartition.of("t", ZERO_UUID, request_partition(i)) for i in range(n)
        }

    return build


def cache(slots: int, eviction_ms: float = 1000) -> tuple[FetchSessionCache, Clock]:
    clock = Clock()
    return FetchSessionCache(slots, eviction_ms, clock=clock), clock


def test_epochs_start_at_one_and_wrap_to_one():
    assert next_epoch(0) == 1
    assert next_epoch(41) == 42
    assert next_epoch(2**31 - 1) == 1
    assert next_epoch(-1) == -1


def test_sessions_are_counted_with_their_partitions():
    c, _ = cache(10)
    a = c.create(False, False, partitions(3), 3)
    c.create(False, False, partitions(2), 2)
    assert (len(c), c.total_partitions) == (2, 5)
    a.update([], [("t", ZERO_UUID, 0)])
    c.touch(a)
    assert c.total_partitions == 4
    c.remove(a.id)
    assert (len(c), c.total_partitions) == (1, 2)
    assert a.epoch == 1 and a.id != 0


def test_a_stale_least_recently_used_session_gives_way_first():
    c, clock = cache(2, eviction_ms=1000)
    old = c.create(False, False, partitions(5), 5)
    clock.now = 10
    recent = c.create(False, False, partitions(5), 5)
    clock.now = 1500
    c.touch(recent)
    new = c.create(False, False, partitions(1), 1)  # smaller, but old is idle for > 1 s
    assert new is not None and c.get(old.id) is None and c.get(recent.id) is recent
    assert c.evictions == 1


def test_young_sessions_in_use_are_kept():
    c, clock = cache(1, eviction_ms=1000)
    kept = c.create(False, False, partitions(1), 1)
    clock.now = 900
    assert c.create(False, False, partitions(50), 50) is None  # however large
    assert c.get(kept.id) is kept


def test_larger_sessions_evict_smaller_ones_that_have_lived_long_enough():
    c, clock = cache(1, eviction_ms=1000)
    small = c.create(False, False, partitions(2), 2)
    clock.now = 1500
    c.touch(small)  # in use, but now older than the eviction time
    clock.now = 1600
    assert c.create(False, False, partitions(2), 2) is None  # equal size: no
    bigger = c.create(False, False, partitions(3), 3)
    assert bigger is not None and c.get(small.id) is None


def test_followers_sessions_evict_consumers_sessions_at_once():
    c, clock = cache(1, eviction_ms=1000)
    consumer = c.create(False, False, partitions(10), 10)
    clock.now = 1
    assert c.create(False, False, partitions(20), 20) is None  # too young for a consumer
    follower = c.create(True, False, partitions(1), 1)
    assert follower is not None and c.get(consumer.id) is None
    clock.now = 2
    # a young follower's session gives way to nobody
    assert c.create(True, False, partitions(100), 100) is None


def test_partitions_keep_their_request_parameters_and_what_was_told():
    part = CachedPartition.of("t", ZERO_UUID, request_partition(0, offset=7))
    assert part.has_news(0, 10, 0, records=False)  # first answer: everything is news
    assert not part.has_news(0, 10, 0, records=False)
    assert part.has_news(0, 10, 0, records=True)
    assert part.has_news(0, 11, 0, records=False)  # high watermark moved
    assert part.has_news(0, 11, 3, records=False)  # log start moved
    assert part.has_news(6, -1, -1, records=False)  # an error, every time
    assert part.has_news(6, -1, -1, records=False)
    assert part.has_news(0, 11, 3, records=False)  # back to health is news again
    part.update_request(request_partition(0, offset=9))
    assert (part.fetch_offset, part.partition_max_bytes) == (9, 100)
