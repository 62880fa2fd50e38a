"""Clients that use incremental fetch sessions (KIP-227) read every record exactly once, and
really fetch incrementally: the broker's DEBUG log shows the session opened and continued."""

from __future__ import annotations

import re
import time

import pytest

from tests.harness import wait_for

pytest.importorskip("kafka")

PARTITIONS = 6
BURSTS = 5
PER_BURST = 60


def test_kafka_python_consumes_several_partitions_over_one_session(broker_factory):
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    broker = broker_factory("--log-level", "DEBUG")
    bs = broker.bootstrap
    admin = KafkaAdminClient(bootstrap_servers=bs)
    admin.create_topics([NewTopic("sessions", PARTITIONS, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bs, linger_ms=0)
    consumer = KafkaConsumer(
        "sessions",
        bootstrap_servers=bs,
        group_id="sessions",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )
    seen: list[tuple[int, int, bytes]] = []
    try:
        for burst in range(BURSTS):
            # bursts reach only some partitions, so most incremental answers omit others
            targets = [burst % PARTITIONS, (burst * 2 + 1) % PARTITIONS]
            for i in range(PER_BURST):
                producer.send("sessions", f"{burst}-{i}".encode(), partition=targets[i % 2])
            producer.flush(10)
            expected = (burst + 1) * PER_BURST

            def caught_up(expected=expected):
                for recs in consumer.poll(200).values():
                    seen.extend((r.partition, r.offset, r.value) for r in recs)
                return len(seen) >= expected

            wait_for(caught_up, 30, what=f"burst {burst}")
        # a quiet spell: incremental fetches answered with nothing must lose nothing later
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            for recs in consumer.poll(100).values():
                seen.extend((r.partition, r.offset, r.value) for r in recs)
    finally:
        consumer.close()
        producer.close()
    values = [v for _, _, v in seen]
    assert len(values) == BURSTS * PER_BURST == len(set(values))
    assert len({(p, o) for p, o, _ in seen}) == len(seen)
    log = broker.log()
    created = re.findall(r"created fetch session (\d+) with (\d+) partition", log)
    assert created and created[0][1] == str(PARTITIONS), created
    session = created[0][0]
    incremental = re.findall(rf"incremental fetch in session {session} \(epoch (\d+)\)", log)
    assert len(incremental) >= BURSTS, "kafka-python did not continue its session"
    assert [int(e) for e in incremental] == list(range(1, len(incremental) + 1))
    assert "no fetch session" not in log and "Traceback" not in log


def test_java_consumer_seeks_pauses_and_resumes_within_its_sessions(java, broker_factory):
    from tests.compat.test_java_client import assert_quiet

    broker = broker_factory("--log-level", "DEBUG")
    run = java.run("Records", broker.bootstrap, "consumer_api")
    api = run["consumer_api"]
    assert api["after_seek"] == [f"a{i}" for i in range(90, 100)] + [f"b{i}" for i in range(45, 50)]
    assert api["paused"] == 1 and api["while_paused"] == ["flowing"]
    assert api["after_resume"] == ["paused"]
    assert api["positions"] == [101, 51]
    assert_quiet(run)
    log = broker.log()
    # the Java client fetches by topic id (v13+) and keeps its session going
    assert re.search(r"created fetch session \d+ with 2 partition", log), log[-3000:]
    # pausing a partition forgets it; resuming adds it back
    moves = re.findall(r"\): (\d+) added, \d+ updated, (\d+) removed", log)
    assert any(int(removed) for _, removed in moves) and any(int(added) for added, _ in moves)
