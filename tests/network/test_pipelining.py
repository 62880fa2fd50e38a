"""One connection's requests against the real broker: pipelined requests are answered in the
order they were sent, also behind a fetch that waits for data, and a client that stops reading
gets every response once it reads again; SIGTERM answers or closes a waiting fetch and exits."""

from __future__ import annotations

import io
import signal
import struct

from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.serial import entity_writer

from broker.protocol import records
from tests.network.test_bad_input import create, produce
from tests.network.test_fetch_wait import fetch_request
from tests.wire import WireClient

API_VERSIONS = ApiVersionsRequest(client_software_name="t", client_software_version="1")


def send(client: WireClient, body: object) -> int:
    """Send a request without reading its response; its correlation id."""
    cls = type(body)
    buf = io.BytesIO()
    entity_writer(cls)(buf, body)
    head = client.header(cls.__api_key__, cls.__version__, cls.__flexible__)
    client.send_raw(head + buf.getvalue())
    return client.correlation


def correlation_of(frame: bytes) -> int:
    return struct.unpack_from(">i", frame, 0)[0]


def test_requests_behind_a_waiting_fetch_are_answered_after_it_in_order(shared_broker):
    with (
        WireClient(shared_broker.bootstrap) as consumer,
        WireClient(shared_broker.bootstrap) as producer,
    ):
        assert create(producer, "pipelined").error_code == 0
        sent = [
            send(consumer, fetch_request("pipelined", 0, max_wait_ms=20_000)),
            send(consumer, API_VERSIONS),
            send(consumer, API_VERSIONS),
        ]
        # the produce's own response proves the broker has read it; the fetch wakes on it
        produce(producer, "pipelined", records.build_batch([(None, b"woken")]))
        frames = [consumer.recv_frame() for _ in sent]
    assert [correlation_of(f) for f in frames] == sent
    assert b"woken" in frames[0]


def test_a_client_that_stops_reading_gets_every_response_in_order(shared_broker):
    n = 3000  # ~1.5 MB of responses: well past the broker's write buffer limit
    with WireClient(shared_broker.bootstrap, timeout=30) as client:
        sent = [send(client, API_VERSIONS) for _ in range(n)]
        got = [correlation_of(client.recv_frame()) for _ in range(n)]
    assert got == sent


def test_sigterm_ends_a_waiting_fetch_and_the_broker_exits_cleanly(broker):
    with WireClient(broker.bootstrap) as client:
        assert create(client, "stopping").error_code == 0
        send(client, fetch_request("stopping", 0, max_wait_ms=60_000))
        # a request answered behind nothing proves the fetch has been read and is waiting
        with WireClient(broker.bootstrap) as other:
            assert other.request(API_VERSIONS).error_code == 0
        code = broker.stop(signal.SIGTERM, timeout=15)
        assert code == 0
        # the waiting fetch was either answered empty or its connection closed: never hung
        try:
            frame = client.recv_frame()
        except (ConnectionError, OSError):
            return
        assert b"stopping" in frame
