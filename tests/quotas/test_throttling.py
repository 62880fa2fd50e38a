"""Quotas enforced on a real broker: throttle times in Produce, Fetch and other responses,
the connection muted for that time after the response (KIP-219), a throttled Fetch without
data, and a confluent-kafka producer held near its producer_byte_rate.

The brokers measure over quota.window.num=2 windows of 1 s (Kafka's default is 11), so a
first burst is measured against 1 s rather than 10 and the tests need not run long.
Assertions on time are lower bounds (a mute lasts at least ...) or generous ranges.
"""

from __future__ import annotations

import io
import os
import re
import time
import urllib.request

from confluent_kafka import Producer
from kio.index import load_response_schema
from kio.serial import entity_reader, entity_writer

from broker.errors import ErrorCode
from broker.protocol import records
from tests.fetch_session_wire import create_topic as create_topic_of
from tests.fetch_session_wire import fetch_request
from tests.fetch_session_wire import produce as produce_to
from tests.harness import free_port, wait_for
from tests.quotas.test_quotas_wire import alter, req
from tests.wire import WireClient

WINDOW = ["--set", "quota.window.num=2", "--set", "quota.window.size.seconds=1"]
PRODUCE, FETCH, METADATA, CREATE_TOPICS, DELETE_RECORDS = 0, 1, 3, 19, 21


class Client(WireClient):
    """A raw connection with its own client id; requests may be sent and answered apart."""

    def __init__(self, bootstrap: str, client_id: str) -> None:
        super().__init__(bootstrap, timeout=30)
        self.client_id = client_id.encode()
        self.sent: list[tuple[int, int]] = []

    def send(self, body, answered: bool = True) -> None:
        cls = type(body)
        buf = io.BytesIO()
        entity_writer(cls)(buf, body)
        head = self.header(cls.__api_key__, cls.__version__, cls.__flexible__, self.client_id)
        self.send_raw(head + buf.getvalue())
        if answered:
            self.sent.append((cls.__api_key__, cls.__version__))

    def receive(self):
        api_key, version = self.sent.pop(0)
        frame = self.recv_frame()
        cls = load_response_schema(api_key, version)
        return entity_reader(cls)(frame, 5 if cls.__flexible__ else 4)[0]

    def call(self, body):
        self.send(body)
        return self.receive()


def throttle_ms(response) -> int:
    return int(response.throttle_time.total_seconds() * 1000)


def create_topic(bootstrap: str, name: str) -> None:
    with Client(bootstrap, "admin") as c:
        topic = req(CREATE_TOPICS, 4, "CreatableTopic", name=name, num_partitions=1,
                    replication_factor=1, assignments=(), configs=())
        answer = c.call(req(CREATE_TOPICS, 4, topics=(topic,), timeout=30_000,
                            validate_only=False))
        assert answer.topics[0].error_code == ErrorCode.none


def set_quota(bootstrap: str, parts, key: str, value: float) -> None:
    with WireClient(bootstrap) as w:
        assert alter(w, [(parts, [(key, value)])])[0][1] == ErrorCode.none


def produce(topic: str, size: int, acks: int = -1):
    batch = records.build_batch([(None, os.urandom(size))])
    data = req(PRODUCE, 8, "TopicProduceData", name=topic, partition_data=(
        req(PRODUCE, 8, "PartitionProduceData", index=0, records=batch),))
    return req(PRODUCE, 8, transactional_id=None, acks=acks, timeout=30_000, topic_data=(data,))


def fetch(topic: str, offset: int, max_wait_ms: int = 0):
    part = req(FETCH, 11, "FetchPartition", partition=0, current_leader_epoch=-1,
               fetch_offset=offset, log_start_offset=-1, partition_max_bytes=10_000_000)
    return req(FETCH, 11, replica_id=-1, max_wait=max_wait_ms, min_bytes=1, max_bytes=10_000_000,
               isolation_level=0, session_id=0, session_epoch=-1,
               topics=(req(FETCH, 11, "FetchTopic", topic=topic, partitions=(part,)),),
               forgotten_topics_data=(), rack_id="")


def metadata():
    return req(METADATA, 4, topics=None, allow_auto_topic_creation=False)  # v3+: throttle time


def test_produce_over_its_rate_is_throttled_and_the_connection_muted(broker_factory):
    b = broker_factory(*WINDOW)
    create_topic(b.bootstrap, "p")
    set_quota(b.bootstrap, (("client-id", "throttled"),), "producer_byte_rate", 10_000)
    with Client(b.bootstrap, "throttled") as slow, Client(b.bootstrap, "free") as free:
        # 30 kB against 10 kB/s measured over 1 s: (30 - 10) / 10 x 1 s = 2 s
        slow.send(produce("p", 30_000))
        slow.send(metadata())  # pipelined: handled only after the throttle time
        answer = slow.receive()
        answered = time.monotonic()
        part = answer.responses[0].partition_responses[0]
        assert part.error_code == ErrorCode.none and part.base_offset == 0  # appended
        throttle = throttle_ms(answer)
        assert 1900 <= throttle <= 2100
        assert free.call(metadata()).brokers  # another client is served meanwhile
        free_answered = time.monotonic()
        assert slow.receive().brokers
        muted_for = time.monotonic() - answered
        assert muted_for >= 0.8 * throttle / 1000
        assert free_answered < answered + muted_for


def test_produce_within_the_rate_and_acks_0_are_not_throttled_in_the_answer(broker_factory):
    # a 2 MB batch that is valid: a refused acks=0 produce would close the connection
    b = broker_factory(*WINDOW, "--set", "message.max.bytes=4000000")
    create_topic(b.bootstrap, "p")
    set_quota(b.bootstrap, (("user", None),), "producer_byte_rate", 1_000_000)
    with Client(b.bootstrap, "any") as c:
        assert throttle_ms(c.call(produce("p", 10_000))) == 0  # ANONYMOUS, under <default>
        c.send(produce("p", 2_000_000, acks=0), answered=False)  # the mute still applies
        c.send(metadata())
        started = time.monotonic()
        assert c.receive().brokers
        # 2 MB against 1 MB/s over 1 s: muted about 1 s
        assert time.monotonic() - started >= 0.7


def test_fetch_is_capped_to_the_window_then_throttled_empty(broker_factory):
    b = broker_factory(*WINDOW)
    create_topic(b.bootstrap, "f")
    with Client(b.bootstrap, "producer") as p:
        for _ in range(12):
            assert p.call(produce("f", 4_000)).responses[0].partition_responses[0].error_code == 0
    set_quota(b.bootstrap, (("client-id", "consumer"),), "consumer_byte_rate", 8_000)
    with Client(b.bootstrap, "consumer") as c:
        offset, deadline = 0, time.monotonic() + 30
        while (answer := c.call(fetch("f", offset))).responses:
            data = answer.responses[0].partitions[0].records
            # at most rate x (window.num - 1) x 1 s = 8000 bytes asked for: one 4 kB batch
            assert 4_000 < len(data) <= 8_000 and throttle_ms(answer) == 0
            offset += 1
            assert offset < 12 and time.monotonic() < deadline, "never throttled"
        assert throttle_ms(answer) > 0  # two batches within a second: over 8 kB/s
        # no data while throttled (and none charged): the same offset again until served
        while not (answer := c.call(fetch("f", offset))).responses:
            assert throttle_ms(answer) > 0 and time.monotonic() < deadline
        served = answer.responses[0].partitions[0]
        assert served.records and served.high_watermark == 12


def fetches_received(admin_port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    found = re.search(r'^kctl_requests_total\{api="Fetch"\} ([0-9.e+]+)$', text, re.M)
    return int(float(found.group(1))) if found else 0


def test_a_long_poll_fetch_throttled_when_data_arrives_mutes_too(broker_factory):
    admin_port = free_port()
    b = broker_factory(*WINDOW, "--set", f"admin.listen=127.0.0.1:{admin_port}")
    create_topic(b.bootstrap, "w")
    set_quota(b.bootstrap, (("client-id", "poller"),), "consumer_byte_rate", 10_000)
    with Client(b.bootstrap, "poller") as c, Client(b.bootstrap, "producer") as p:
        c.send(fetch("w", 0, max_wait_ms=10_000))  # nothing to read yet: it waits
        c.send(metadata())  # pipelined: queued behind the fetch
        wait_for(lambda: fetches_received(admin_port) >= 1, what="the fetch to wait")
        # the batch wakes it: one 15 kB batch is returned whole though the window allows
        # 10 kB (KIP-74), and costs (15 - 10) / 10 x 1 s = 0.5 s
        assert p.call(produce("w", 15_000)).responses[0].partition_responses[0].error_code == 0
        answer = c.receive()
        answered = time.monotonic()
        assert answer.responses == () and 400 <= throttle_ms(answer) <= 600
        assert c.receive().brokers  # the queued request waited for the mute as well
        assert time.monotonic() - answered >= 0.8 * throttle_ms(answer) / 1000


def test_request_percentage_throttles_any_request_by_at_most_a_window(broker_factory):
    b = broker_factory(*WINDOW)
    set_quota(b.bootstrap, (("client-id", "busy"),), "request_percentage", 0.01)
    with Client(b.bootstrap, "busy") as c, Client(b.bootstrap, "calm") as calm:
        throttles = []
        deadline = time.monotonic() + 30
        while not throttles and time.monotonic() < deadline:
            answer = c.call(metadata())
            if throttle_ms(answer):
                throttles.append(throttle_ms(answer))
        # 0.01 % of a thread is 0.1 ms per second: a few requests exceed it
        assert throttles and 0 < throttles[0] <= 1000
        assert throttle_ms(calm.call(metadata())) == 0  # another client id: no quota


def test_a_producer_is_held_near_its_byte_rate(broker_factory):
    quota = 200_000
    b = broker_factory(*WINDOW)
    create_topic(b.bootstrap, "rate")
    set_quota(b.bootstrap, (("client-id", "rate-limited"),), "producer_byte_rate", quota)
    throttled: list[float] = []
    producer = Producer({
        "bootstrap.servers": b.bootstrap,
        "client.id": "rate-limited",
        "batch.size": 20_000,  # several requests, so the rate can be held while sending
        "linger.ms": 0,
        "throttle_cb": lambda event: throttled.append(event.throttle_time),
    })
    payload = b"x" * 10_000
    # 600 kB: about 3 s at 200 kB/s (at most 1.5 x the quota counting the first window's
    # allowance), well under 0.1 s without a quota
    count = 60
    started = time.monotonic()
    for _ in range(count):
        producer.produce("rate", payload, partition=0)
    assert producer.flush(60) == 0
    elapsed = time.monotonic() - started
    rate = count * len(payload) / elapsed
    assert 0.2 * quota <= rate <= 2 * quota, f"{rate:.0f} B/s against {quota}"
    assert throttled and max(throttled) > 0  # the broker said so (librdkafka's throttle events)


def test_a_throttled_fetch_in_a_session_leaves_nothing_untold(broker_factory):
    # A throttled Fetch goes out empty. In a fetch session the broker must not count what it
    # held back as told: here partition 1's new log start, which only that answer carried
    # (partition 0's records are sent again anyway), must come in the next answer.
    b = broker_factory(*WINDOW)
    with WireClient(b.bootstrap) as w:
        create_topic_of(w, "sess", 2)
        for index in (0, 1):
            produce_to(w, "sess", index, b"a", b"b")
    set_quota(b.bootstrap, (("client-id", "sess"),), "consumer_byte_rate", 8_000)
    with Client(b.bootstrap, "sess") as c, WireClient(b.bootstrap) as w:
        opened = c.call(fetch_request(12, 0, 0, [("sess", 0, 0), ("sess", 1, 0)]))
        assert opened.session_id != 0 and throttle_ms(opened) == 0
        session = opened.session_id
        produce_to(w, "sess", 0, os.urandom(12_000))  # over 8 kB/s when fetched
        gone = req(DELETE_RECORDS, 2, "DeleteRecordsPartition", partition_index=1, offset=1)
        deleted = w.request(req(DELETE_RECORDS, 2, timeout=5_000, topics=(
            req(DELETE_RECORDS, 2, "DeleteRecordsTopic", name="sess", partitions=(gone,)),)))
        assert deleted.topics[0].partitions[0].error_code == ErrorCode.none
        throttled = c.call(fetch_request(12, session, 1, [("sess", 0, 2), ("sess", 1, 2)]))
        assert throttled.responses == () and throttle_ms(throttled) > 0
        after = c.call(fetch_request(12, session, 2))  # served once the mute is over
        told = {p.partition_index: p for t in after.responses for p in t.partitions}
        assert told[0].records and told[1].log_start_offset == 1
