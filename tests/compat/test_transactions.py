"""A transactional producer is refused at once, with a fatal error that says why.

This broker has no transaction coordinator yet. Each client must give up on its first
FindCoordinator answer instead of retrying until its transaction timeout (it did, for 15 s to
2 minutes, and librdkafka then called the error retriable).
"""

from __future__ import annotations

import asyncio
import time

import pytest

# Well below every client's own timeout (set to 30 s here), so a retry loop would fail the test.
FAST_S = 10


def test_confluent_kafka_init_transactions_fails_fatally(shared_broker):
    from confluent_kafka import KafkaException, Producer

    p = Producer(
        {
            "bootstrap.servers": shared_broker.bootstrap,
            "transactional.id": "tx-confluent",
            "transaction.timeout.ms": 30000,
        }
    )
    started = time.monotonic()
    with pytest.raises(KafkaException) as raised:
        p.init_transactions(30)
    error = raised.value.args[0]
    assert time.monotonic() - started < FAST_S
    assert error.fatal() and not error.retriable()
    assert "transactions are not supported" in error.str()


def test_kafka_python_init_transactions_fails(shared_broker):
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    p = KafkaProducer(
        bootstrap_servers=shared_broker.bootstrap,
        transactional_id="tx-kafka-python",
        max_block_ms=30000,
    )
    try:
        started = time.monotonic()
        with pytest.raises(KafkaError):
            p.init_transactions()
        assert time.monotonic() - started < FAST_S
    finally:
        p.close(timeout=5)


def test_aiokafka_transactional_start_fails(shared_broker):
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    async def start() -> None:
        p = AIOKafkaProducer(
            bootstrap_servers=shared_broker.bootstrap, transactional_id="tx-aiokafka"
        )
        try:
            await asyncio.wait_for(p.start(), 30)
        finally:
            await p.stop()

    started = time.monotonic()
    with pytest.raises(KafkaError):
        asyncio.run(start())
    assert time.monotonic() - started < FAST_S
