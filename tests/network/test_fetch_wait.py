"""Fetch long polling against the real broker: a waiting fetch answers as soon as a batch
arrives, and an idle one after max_wait with no records."""

from __future__ import annotations

import datetime
import threading
import time

from kio.schema.fetch.v12.request import FetchPartition, FetchRequest, FetchTopic

from broker.protocol import records
from tests.network.test_bad_input import create, produce
from tests.wire import WireClient


def fetch_request(topic: str, offset: int, max_wait_ms: int) -> FetchRequest:
    return FetchRequest(
        replica_id=-1,
        max_wait=datetime.timedelta(milliseconds=max_wait_ms),
        min_bytes=1,
        max_bytes=1 << 20,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=(
            FetchTopic(
                topic=topic,
                partitions=(
                    FetchPartition(
                        partition=0,
                        current_leader_epoch=-1,
                        fetch_offset=offset,
                        last_fetched_epoch=-1,
                        log_start_offset=-1,
                        partition_max_bytes=1 << 20,
                    ),
                ),
            ),
        ),
        forgotten_topics_data=(),
        rack_id="",
    )


def test_a_waiting_fetch_answers_when_a_batch_arrives(shared_broker):
    with (
        WireClient(shared_broker.bootstrap) as consumer,
        WireClient(shared_broker.bootstrap) as producer,
    ):
        assert create(producer, "fetch-wake").error_code == 0
        batch = records.build_batch([(None, b"hello")])
        # Once the fetch has been sent, produce from another connection shortly after.
        timer = threading.Timer(0.3, lambda: produce(producer, "fetch-wake", batch))
        started = time.monotonic()
        timer.start()
        try:
            resp = consumer.request(fetch_request("fetch-wake", 0, max_wait_ms=10_000))
        finally:
            timer.join()
        elapsed = time.monotonic() - started
    part = resp.responses[0].partitions[0]
    assert part.error_code == 0 and part.high_watermark == 1
    assert records.decode_batch(part.records).records[0].value == b"hello"
    assert elapsed < 5, f"the fetch waited {elapsed:.1f} s instead of waking on the append"


def test_an_idle_fetch_answers_empty_after_max_wait(shared_broker):
    with WireClient(shared_broker.bootstrap) as client:
        assert create(client, "fetch-idle").error_code == 0
        started = time.monotonic()
        resp = client.request(fetch_request("fetch-idle", 0, max_wait_ms=300))
        elapsed = time.monotonic() - started
    part = resp.responses[0].partitions[0]
    assert part.error_code == 0 and not part.records
    assert 0.25 <= elapsed < 5
