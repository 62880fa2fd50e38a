"""A segment remembers where its last read stopped, so a consumer's next fetch skips the
index scan; reads must return the same batches as a scan would, through appends and cuts."""

from __future__ import annotations

import random

import pytest

from tests.log.helpers import SMALL, append, batch, open_log, spans


def test_the_next_fetch_starts_where_the_last_read_stopped_without_a_scan(tmp_path):
    log = open_log(tmp_path / "t-0")
    for _ in range(5):
        append(log, batch(2))
    assert spans(log.read(4, 10_000)) == [(4, 5), (6, 7), (8, 9)]
    append(log, batch(3))
    seg = log._segments[-1]

    def no_scan(position):
        raise AssertionError("find_batch scanned instead of using the hint")

    seg.headers_from = no_scan  # type: ignore[method-assign]
    assert spans(log.read(10, 10_000)) == [(10, 12)]


@pytest.mark.parametrize("seed", range(8))
def test_reads_match_a_hint_free_read_through_appends_and_truncation(tmp_path, seed):
    rng = random.Random(seed)
    log = open_log(tmp_path / "t-0", SMALL)
    append(log, batch(1))
    for _ in range(300):
        op = rng.random()
        if op < 0.45:
            append(log, *[batch(rng.randint(1, 4), size=rng.randint(1, 60))] * rng.randint(1, 2))
        elif op < 0.9:
            offset = rng.randint(log.log_start_offset, log.log_end_offset)
            max_bytes = rng.choice([1, 100, 300, 10_000])
            got = log.read(offset, max_bytes)
            for seg in log._segments:
                seg._next_read = None
            assert got == log.read(offset, max_bytes), f"offset {offset}"
            log.read(offset, max_bytes)  # leave a hint behind for the next operations
        elif log.log_end_offset > 1:
            log.truncate_to(rng.randint(1, log.log_end_offset - 1))
