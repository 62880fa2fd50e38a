"""Incremental fetch sessions (KIP-227) over the wire, against the real broker: the epoch rules
and their errors, incremental add/update/forget, answers listing only partitions with news,
fetch order, topic ids, eviction from a small cache, and long polling over the whole session."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from kio.schema.errors import ErrorCode

from tests.fetch_session_wire import (
    answered,
    create_topic,
    delete_topic,
    fetch_request,
    produce,
    read_fetch_response,
    values,
)
from tests.harness import wait_for
from tests.wire import WireClient

V_NAMES = 12  # the last Fetch version naming topics (kafka-python's)
V_IDS = 16


@pytest.fixture
def client(shared_broker):
    with WireClient(shared_broker.bootstrap) as c:
        yield c


def open_session(c, version, parts, **kw):
    resp = c.request(fetch_request(version, 0, 0, parts, **kw))
    assert resp.error_code == 0 and resp.session_id != 0
    return resp


def test_initial_epoch_opens_a_session_answering_every_partition(client):
    create_topic(client, "fs-open", 3)
    produce(client, "fs-open", 1, b"a")
    resp = open_session(client, V_NAMES, [("fs-open", p, 0) for p in range(3)])
    got = {(t, p): d for t, p, d in answered(resp)}
    assert sorted(got) == [("fs-open", 0), ("fs-open", 1), ("fs-open", 2)]
    assert values(got[("fs-open", 1)].records) == [b"a"]
    # a session id is the broker's to choose, and a new one each time
    other = open_session(client, V_NAMES, [("fs-open", 0, 0)])
    assert other.session_id != resp.session_id


def test_final_epoch_is_sessionless_and_closes_the_named_session(client):
    create_topic(client, "fs-final", 1)
    session = open_session(client, V_NAMES, [("fs-final", 0, 0)]).session_id
    resp = client.request(fetch_request(V_NAMES, session, -1, [("fs-final", 0, 0)]))
    assert resp.error_code == 0 and resp.session_id == 0
    assert [(t, p) for t, p, _ in answered(resp)] == [("fs-final", 0)]
    resp = client.request(fetch_request(V_NAMES, session, 1))
    assert resp.error_code == ErrorCode.fetch_session_id_not_found


def test_initial_epoch_naming_a_session_replaces_it(client):
    create_topic(client, "fs-replace", 1)
    old = open_session(client, V_NAMES, [("fs-replace", 0, 0)]).session_id
    new = client.request(fetch_request(V_NAMES, old, 0, [("fs-replace", 0, 0)])).session_id
    assert new not in (0, old)
    assert client.request(fetch_request(V_NAMES, old, 1)).error_code == (
        ErrorCode.fetch_session_id_not_found
    )
    assert client.request(fetch_request(V_NAMES, new, 1)).error_code == 0


@pytest.mark.parametrize("session_id", [0, 123456789])
def test_an_unknown_session_is_not_found(client, session_id):
    create_topic(client, f"fs-unknown-{session_id}", 1)
    parts = [(f"fs-unknown-{session_id}", 0, 0)]
    resp = client.request(fetch_request(V_NAMES, session_id, 1, parts))
    assert resp.error_code == ErrorCode.fetch_session_id_not_found
    assert resp.session_id == 0 and resp.responses == ()


def test_a_wrong_epoch_is_refused_and_the_session_goes_on(client):
    create_topic(client, "fs-epoch", 1)
    session = open_session(client, V_NAMES, [("fs-epoch", 0, 0)]).session_id
    for wrong in (0 + 2, 5):
        resp = client.request(fetch_request(V_NAMES, session, wrong))
        assert resp.error_code == ErrorCode.invalid_fetch_session_epoch
        assert resp.session_id == 0 and resp.responses == ()
    # each accepted request moves the epoch on by one; a replayed one is refused
    for epoch in (1, 2, 3):
        resp = client.request(fetch_request(V_NAMES, session, epoch))
        assert (resp.error_code, resp.session_id) == (0, session)
    assert client.request(fetch_request(V_NAMES, session, 3)).error_code == (
        ErrorCode.invalid_fetch_session_epoch
    )


def test_a_session_refuses_requests_that_change_between_names_and_ids(client):
    topic_id = create_topic(client, "fs-mixed", 1)
    by_name = open_session(client, V_NAMES, [("fs-mixed", 0, 0)]).session_id
    resp = client.request(fetch_request(13, by_name, 1))
    assert resp.error_code == ErrorCode.fetch_session_topic_id_error and resp.session_id == 0
    by_id = open_session(client, 13, [(topic_id, 0, 0)]).session_id
    resp = client.request(fetch_request(V_NAMES, by_id, 1))
    assert resp.error_code == ErrorCode.fetch_session_topic_id_error
    # refused requests leave both sessions at epoch 1
    assert client.request(fetch_request(V_NAMES, by_name, 1)).error_code == 0
    assert client.request(fetch_request(V_IDS, by_id, 1)).error_code == 0


def test_incremental_answers_list_only_partitions_with_news(client):
    create_topic(client, "fs-news", 3)
    session = open_session(client, V_NAMES, [("fs-news", p, 0) for p in range(3)]).session_id
    # nothing changed: an empty answer, though the session reads all three
    resp = client.request(fetch_request(V_NAMES, session, 1))
    assert (resp.error_code, resp.session_id, answered(resp)) == (0, session, [])
    produce(client, "fs-news", 1, b"x", b"y")
    resp = client.request(fetch_request(V_NAMES, session, 2))
    [(topic, index, data)] = answered(resp)
    assert (topic, index, data.high_watermark) == ("fs-news", 1, 2)
    assert values(data.records) == [b"x", b"y"]
    # the fetcher moves its offset on: no records, high watermark already told
    resp = client.request(fetch_request(V_NAMES, session, 3, [("fs-news", 1, 2)]))
    assert answered(resp) == []
    # a cached offset is kept: partition 1 is read from 2 without being named again
    produce(client, "fs-news", 1, b"z")
    resp = client.request(fetch_request(V_NAMES, session, 4))
    [(_, index, data)] = answered(resp)
    assert index == 1 and values(data.records) == [b"z"]


def test_incremental_requests_add_update_and_forget_partitions(client):
    create_topic(client, "fs-add", 3)
    for p in range(3):
        produce(client, "fs-add", p, f"p{p}".encode())
    session = open_session(client, V_NAMES, [("fs-add", 0, 1)]).session_id
    # partition 1 joins: it is answered (new to the session) with its records
    resp = client.request(fetch_request(V_NAMES, session, 1, [("fs-add", 1, 0)]))
    [(_, index, data)] = answered(resp)
    assert index == 1 and values(data.records) == [b"p1"]
    # partition 0 rewinds (an update): its records come again
    resp = client.request(fetch_request(V_NAMES, session, 2, [("fs-add", 0, 0), ("fs-add", 1, 1)]))
    assert [(i, values(d.records)) for _, i, d in answered(resp)] == [(0, [b"p0"])]
    # partition 0 is forgotten and partition 2 added in one request
    resp = client.request(
        fetch_request(V_NAMES, session, 3, [("fs-add", 2, 0)], forgotten=[("fs-add", [0])])
    )
    assert [i for _, i, _ in answered(resp)] == [2]
    produce(client, "fs-add", 0, b"later")
    resp = client.request(fetch_request(V_NAMES, session, 4, [("fs-add", 2, 1)]))
    assert answered(resp) == []  # partition 0 is no longer in the session
    # forgetting the last partitions closes the session: a sessionless answer
    resp = client.request(fetch_request(V_NAMES, session, 5, forgotten=[("fs-add", [1, 2])]))
    assert (resp.error_code, resp.session_id, answered(resp)) == (0, 0, [])
    assert client.request(fetch_request(V_NAMES, session, 6)).error_code == (
        ErrorCode.fetch_session_id_not_found
    )


def test_a_session_outlives_its_connection(shared_broker):
    with WireClient(shared_broker.bootstrap) as first:
        create_topic(first, "fs-reconnect", 1)
        session = open_session(first, V_NAMES, [("fs-reconnect", 0, 0)]).session_id
    with WireClient(shared_broker.bootstrap) as second:
        produce(second, "fs-reconnect", 0, b"after")
        resp = second.request(fetch_request(V_NAMES, session, 1))
    assert resp.session_id == session
    assert [values(d.records) for _, _, d in answered(resp)] == [[b"after"]]


def test_partitions_that_returned_records_move_to_the_end(client):
    create_topic(client, "fs-order", 2)
    session = open_session(client, V_NAMES, [("fs-order", p, 0) for p in range(2)]).session_id
    produce(client, "fs-order", 0, b"a0")
    produce(client, "fs-order", 1, b"a1")
    # max_bytes 1 leaves room for the first batch in session order only (KIP-74)
    resp = client.request(fetch_request(V_NAMES, session, 1, max_bytes=1))
    got = [(i, values(d.records)) for _, i, d in answered(resp)]
    assert got == [(0, [b"a0"]), (1, [])]  # partition 1 has news (its high watermark)
    # partition 0 returned records, so partition 1 now comes first
    resp = client.request(fetch_request(V_NAMES, session, 2, [("fs-order", 0, 1)], max_bytes=1))
    assert [(i, values(d.records)) for _, i, d in answered(resp)] == [(1, [b"a1"])]


def test_topic_ids_sessions_and_deleted_topics(client):
    keep_id = create_topic(client, "fs-ids-keep", 1)
    gone_id = create_topic(client, "fs-ids-gone", 1)
    never = uuid.uuid4()
    parts = [(keep_id, 0, 0), (gone_id, 0, 0), (never, 0, 0)]
    resp = open_session(client, V_IDS, parts)
    codes = {t: d.error_code for t, _, d in answered(resp)}
    assert codes == {keep_id: 0, gone_id: 0, never: ErrorCode.unknown_topic_id}
    session = resp.session_id
    # an error is answered each time, the healthy partitions only with news
    resp = client.request(fetch_request(V_IDS, session, 1))
    assert [(t, d.error_code) for t, _, d in answered(resp)] == [
        (never, ErrorCode.unknown_topic_id)
    ]
    delete_topic(client, "fs-ids-gone")
    produce(client, "fs-ids-keep", 0, b"k")
    resp = client.request(fetch_request(V_IDS, session, 2))
    got = {t: (d.error_code, values(d.records)) for t, _, d in answered(resp)}
    # a name the session resolved stays: its topic is gone (Kafka answers so too)
    assert got == {
        keep_id: (0, [b"k"]),
        gone_id: (ErrorCode.unknown_topic_or_partition, []),
        never: (ErrorCode.unknown_topic_id, []),
    }
    # the same name with a new id is not the session's topic
    create_topic(client, "fs-ids-gone", 1)
    resp = client.request(fetch_request(V_IDS, session, 3))
    got = {t: d.error_code for t, _, d in answered(resp)}
    assert got[gone_id] == ErrorCode.inconsistent_topic_id
    # the fetcher forgets the dead partitions and moves on: no errors, no news
    forget = [(gone_id, [0]), (never, [0])]
    resp = client.request(fetch_request(V_IDS, session, 4, [(keep_id, 0, 1)], forgotten=forget))
    assert answered(resp) == []


def test_a_waiting_incremental_fetch_wakes_on_any_session_partition(shared_broker):
    with (
        WireClient(shared_broker.bootstrap) as consumer,
        WireClient(shared_broker.bootstrap) as producer,
    ):
        create_topic(producer, "fs-wake", 2)
        session = open_session(consumer, V_NAMES, [("fs-wake", p, 0) for p in range(2)]).session_id
        # the request names partition 0 only; partition 1 is in the session
        timer = threading.Timer(0.3, lambda: produce(producer, "fs-wake", 1, b"wake"))
        started = time.monotonic()
        timer.start()
        try:
            resp = consumer.request(
                fetch_request(V_NAMES, session, 1, [("fs-wake", 0, 0)], max_wait_ms=10_000)
            )
        finally:
            timer.join()
        elapsed = time.monotonic() - started
    assert [(i, values(d.records)) for _, i, d in answered(resp)] == [(1, [b"wake"])]
    assert elapsed < 5, f"the fetch waited {elapsed:.1f} s instead of waking on the append"


def test_an_unknown_partition_does_not_end_the_wait_early(client):
    create_topic(client, "fs-wait", 1)
    session = open_session(client, V_NAMES, [("fs-wait", 0, 0), ("fs-wait-none", 0, 0)])
    started = time.monotonic()
    resp = client.request(fetch_request(V_NAMES, session.session_id, 1, max_wait_ms=300))
    elapsed = time.monotonic() - started
    assert [(t, d.error_code) for t, _, d in answered(resp)] == [
        ("fs-wait-none", ErrorCode.unknown_topic_or_partition)
    ]
    assert 0.25 <= elapsed < 5


def test_read_committed_incremental_answers_carry_aborted_transactions(shared_broker):
    from confluent_kafka import Producer

    with WireClient(shared_broker.bootstrap) as c:
        create_topic(c, "fs-txn", 2)
        session = open_session(
            c, V_NAMES, [("fs-txn", p, 0) for p in range(2)], isolation_level=1
        ).session_id
        producer = Producer(
            {"bootstrap.servers": shared_broker.bootstrap, "transactional.id": "fs-txn"}
        )
        producer.init_transactions(10)
        producer.begin_transaction()
        producer.produce("fs-txn", b"aborted", partition=1)
        producer.flush(10)
        producer.abort_transaction(10)
        producer.begin_transaction()
        producer.produce("fs-txn", b"committed", partition=1)
        producer.commit_transaction(10)

        def answer():
            resp = c.request(fetch_request(V_NAMES, session, answer.epoch, isolation_level=1))
            assert resp.error_code == 0
            answer.epoch += 1
            return [(i, d) for _, i, d in answered(resp) if d.last_stable_offset >= 4]

        answer.epoch = 1
        [(index, data)] = wait_for(answer, 10, what="the committed transaction")
    assert index == 1
    assert [a.producer_id for a in data.aborted_transactions] != []
    assert data.aborted_transactions[0].first_offset == 0
    assert b"committed" in values(data.records) and b"aborted" in values(data.records)


def test_a_full_cache_opens_no_session_until_one_may_give_way(broker_factory):
    broker = broker_factory("--set", "max.incremental.fetch.session.cache.slots=1")
    with WireClient(broker.bootstrap) as c:
        create_topic(c, "fs-full", 2)
        first = open_session(c, V_NAMES, [("fs-full", 0, 0)]).session_id
        # the one session is young and in use: a new one is refused (session id 0)
        resp = c.request(fetch_request(V_NAMES, 0, 0, [("fs-full", 0, 0), ("fs-full", 1, 0)]))
        assert resp.error_code == 0 and resp.session_id == 0 and len(answered(resp)) == 2
        assert c.request(fetch_request(V_NAMES, first, 1)).session_id == first


def test_the_least_recently_used_idle_session_is_evicted(broker_factory):
    broker = broker_factory(
        "--set",
        "max.incremental.fetch.session.cache.slots=2",
        "--set",
        "min.incremental.fetch.session.eviction.ms=0",
    )
    with WireClient(broker.bootstrap) as c:
        create_topic(c, "fs-lru", 1)
        a = open_session(c, V_NAMES, [("fs-lru", 0, 0)]).session_id
        b = open_session(c, V_NAMES, [("fs-lru", 0, 0)]).session_id
        assert c.request(fetch_request(V_NAMES, a, 1)).error_code == 0  # b is now the LRU
        c3 = open_session(c, V_NAMES, [("fs-lru", 0, 0)]).session_id
        assert c.request(fetch_request(V_NAMES, b, 1)).error_code == (
            ErrorCode.fetch_session_id_not_found
        )
        assert c.request(fetch_request(V_NAMES, a, 2)).error_code == 0
        assert c.request(fetch_request(V_NAMES, c3, 1)).error_code == 0


def test_no_sessions_with_zero_slots(broker_factory):
    broker = broker_factory("--set", "max.incremental.fetch.session.cache.slots=0")
    with WireClient(broker.bootstrap) as c:
        create_topic(c, "fs-zero", 1)
        resp = c.request(fetch_request(V_NAMES, 0, 0, [("fs-zero", 0, 0)]))
    assert resp.error_code == 0 and resp.session_id == 0 and len(answered(resp)) == 1


def test_fetch_versions_before_sessions_are_unchanged(client):
    create_topic(client, "fs-v4", 1)
    produce(client, "fs-v4", 0, b"old")
    resp = client.request(fetch_request(4, 0, 0, [("fs-v4", 0, 0)]))
    assert [values(d.records) for _, _, d in answered(resp)] == [[b"old"]]


def test_a_request_overtaken_in_its_session_is_refused_with_the_session_id(shared_broker):
    with (
        WireClient(shared_broker.bootstrap) as waiting,
        WireClient(shared_broker.bootstrap) as other,
    ):
        create_topic(other, "fs-dup", 1)
        session = open_session(other, V_NAMES, [("fs-dup", 0, 0)]).session_id
        waiting.send(fetch_request(V_NAMES, session, 1, max_wait_ms=10_000))

        def overtaken():  # epoch 2 is accepted once the waiting request has taken epoch 1
            return other.request(fetch_request(V_NAMES, session, 2)).error_code == 0

        wait_for(overtaken, 10, what="the waiting request to be accepted")
        produce(other, "fs-dup", 0, b"wake")
        resp = read_fetch_response(waiting, V_NAMES)
    assert resp.error_code == ErrorCode.invalid_fetch_session_epoch
    assert resp.session_id == session and resp.responses == ()


@pytest.mark.parametrize("version", [V_NAMES, V_IDS])
def test_a_follower_fetches_in_a_session_too(client, version):
    topic_id = create_topic(client, f"fs-follower-{version}", 1)
    topic = topic_id if version >= 13 else f"fs-follower-{version}"
    resp = open_session(client, version, [(topic, 0, 0)], replica_id=2)
    produce(client, f"fs-follower-{version}", 0, b"replicated")
    resp = client.request(fetch_request(version, resp.session_id, 1, replica_id=2))
    assert [values(d.records) for _, _, d in answered(resp)] == [[b"replicated"]]
