"""SASL over the real broker: PLAIN and SCRAM-SHA-256/512 on SASL_PLAINTEXT and SASL_SSL with
confluent-kafka, kcat, kafka-python and aiokafka; refusals checked on the wire as Kafka does."""

from __future__ import annotations

import asyncio
import ssl

import pytest
import scramp
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.metadata.v1.request import MetadataRequest, MetadataRequestTopic
from kio.schema.sasl_authenticate.v2.request import SaslAuthenticateRequest
from kio.schema.sasl_handshake.v0.request import SaslHandshakeRequest as HandshakeV0
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

from broker.errors import ErrorCode
from tests.harness import wait_for
from tests.security.secure_broker import (
    client_conf,
    confluent_round_trip,
    kcat_round_trip,
    new_topic,
    secure_broker,
)
from tests.wire import WireClient

USERS = {  # mechanism -> (user, password): admin from the JAAS config, alice from SCRAM
    "PLAIN": ("admin", "admin-secret"),
    "SCRAM-SHA-256": ("alice", "alice-secret"),
    "SCRAM-SHA-512": ("alice", "alice-secret"),
}
MATRIX = [(lst, mech) for lst in ("SASL_PLAINTEXT", "SASL_SSL") for mech in USERS]


@pytest.fixture(scope="module")
def broker(tmp_path_factory, pki):
    b = secure_broker(tmp_path_factory.mktemp("sasl") / "broker", pki)
    yield b
    b.kill()


def sasl(mechanism: str, user: str | None = None, password: str | None = None) -> dict:
    u, p = USERS[mechanism]
    return {"mechanism": mechanism, "username": user or u, "password": password or p}


@pytest.mark.parametrize(("listener", "mechanism"), MATRIX)
def test_confluent_kafka_round_trip(broker, pki, listener, mechanism):
    conf = client_conf(broker, pki, listener, **sasl(mechanism))
    values = [b"one", b"two", b"three"]
    assert confluent_round_trip(conf, new_topic(), values) == values


@pytest.mark.parametrize(("listener", "mechanism"), MATRIX)
def test_kcat_round_trip(broker, pki, listener, mechanism):
    conf = client_conf(broker, pki, listener, **sasl(mechanism))
    assert kcat_round_trip(conf, new_topic(), ["a", "b"]) == ["a", "b"]


def test_plain_accepts_a_scram_user(broker, pki):
    conf = client_conf(broker, pki, "SASL_SSL", **sasl("PLAIN", "alice", "alice-secret"))
    assert confluent_round_trip(conf, new_topic(), [b"x"]) == [b"x"]


def test_kafka_python_sasl_ssl_scram(broker, pki):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    common = dict(
        bootstrap_servers=broker.address("SASL_SSL"),
        security_protocol="SASL_SSL",
        ssl_cafile=str(pki.ca_pem),
        sasl_mechanism="SCRAM-SHA-256",
        sasl_plain_username="alice",
        sasl_plain_password="alice-secret",
    )
    topic = new_topic()
    producer = KafkaProducer(**common)
    producer.send(topic, b"kafka-python", partition=0).get(timeout=20)
    producer.close()
    consumer = KafkaConsumer(**common, consumer_timeout_ms=10000, auto_offset_reset="earliest")
    consumer.assign([TopicPartition(topic, 0)])
    assert [m.value for m in consumer][:1] == [b"kafka-python"]
    consumer.close()


def test_aiokafka_sasl_ssl_scram(broker, pki):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.helpers import create_ssl_context

    async def run() -> bytes:
        common = dict(
            bootstrap_servers=broker.address("SASL_SSL"),
            security_protocol="SASL_SSL",
            ssl_context=create_ssl_context(cafile=str(pki.ca_pem)),
            sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username="alice",
            sasl_plain_password="alice-secret",
        )
        topic = new_topic()
        producer = AIOKafkaProducer(**common)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"aiokafka", partition=0)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(**common, auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topic, 0)])
            msg = await asyncio.wait_for(consumer.getone(), 20)
            return msg.value
        finally:
            await consumer.stop()

    assert asyncio.run(run()) == b"aiokafka"


def test_confluent_kafka_wrong_password_is_an_authentication_error(broker, pki):
    from confluent_kafka import KafkaError, Producer

    errors: list = []
    conf = client_conf(broker, pki, "SASL_SSL", **sasl("SCRAM-SHA-256", password="wrong"))
    producer = Producer({**conf, "error_cb": errors.append})

    def refused() -> bool:
        producer.poll(0.1)
        return any(e.code() == KafkaError._AUTHENTICATION for e in errors)

    wait_for(refused, 20, what="an authentication error")
    assert any("invalid credentials" in e.str() for e in errors), errors


# --- the protocol, on raw sockets -----------------------------------------------------------


def wire(broker) -> WireClient:
    return WireClient(broker.address("SASL_PLAINTEXT"))


def authenticate(client: WireClient, token: bytes):
    return client.request(SaslAuthenticateRequest(auth_bytes=token))


def test_apiversions_is_answered_before_authentication(broker):
    with wire(broker) as c:
        r = c.request(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
        assert r.error_code == ErrorCode.none
        keys = {k.api_key: (k.min_version, k.max_version) for k in r.api_keys}
        assert keys[17] == (0, 1) and keys[36] == (0, 2)


def test_other_requests_before_authentication_close_the_connection(broker):
    with wire(broker) as c:
        c.send_raw(c.header(3, 1, False) + b"\xff\xff\xff\xff")  # Metadata v1, all topics
        assert c.is_closed_by_peer()
    assert "unexpected METADATA request during SASL authentication" in broker.log()


def test_unknown_mechanism_is_refused_with_the_enabled_list_then_closed(broker):
    with wire(broker) as c:
        r = c.request(SaslHandshakeRequest(mechanism="GSSAPI"))
        assert r.error_code == ErrorCode.unsupported_sasl_mechanism
        assert list(r.mechanisms) == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
        assert c.is_closed_by_peer()


@pytest.mark.parametrize(
    ("user", "password"), [("admin", "wrong"), ("nobody", "admin-secret")], ids=["pw", "user"]
)
def test_failed_plain_login_says_neither_which_part_nor_more(broker, user, password):
    with wire(broker) as c:
        assert c.request(SaslHandshakeRequest(mechanism="PLAIN")).error_code == ErrorCode.none
        r = authenticate(c, f"\0{user}\0{password}".encode())
        assert r.error_code == ErrorCode.sasl_authentication_failed
        assert r.error_message == "Authentication failed: Invalid username or password"
        assert c.is_closed_by_peer()


def scram_login(c: WireClient, mechanism: str, user: str, password: str):
    client = scramp.ScramClient([mechanism], user, password)
    first = authenticate(c, client.get_client_first().encode())
    assert first.error_code == ErrorCode.none
    client.set_server_first(first.auth_bytes.decode())
    final = authenticate(c, client.get_client_final().encode())
    if final.error_code == ErrorCode.none:
        client.set_server_final(final.auth_bytes.decode())  # checks the server's signature
    return final


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_scram_login_on_the_wire_then_requests_are_served(broker, mechanism):
    with wire(broker) as c:
        assert c.request(SaslHandshakeRequest(mechanism=mechanism)).error_code == ErrorCode.none
        final = scram_login(c, mechanism, "alice", "alice-secret")
        assert final.error_code == ErrorCode.none
        assert final.session_lifetime.total_seconds() == 0  # no re-authentication
        meta = c.request(MetadataRequest(topics=None))
        assert meta.brokers[0].port == int(broker.address("SASL_PLAINTEXT").rsplit(":")[1])


def test_scram_wrong_password_fails_at_the_proof(broker):
    with wire(broker) as c:
        c.request(SaslHandshakeRequest(mechanism="SCRAM-SHA-256"))
        final = scram_login(c, "SCRAM-SHA-256", "alice", "wrong")
        assert final.error_code == ErrorCode.sasl_authentication_failed
        assert "invalid credentials with SASL mechanism SCRAM-SHA-256" in final.error_message
        assert c.is_closed_by_peer()


def test_v0_handshake_then_raw_plain_token(broker):
    with wire(broker) as c:
        r = c.request(HandshakeV0(mechanism="PLAIN"))
        assert r.error_code == ErrorCode.none
        c.send_raw(b"\0admin\0admin-secret")
        assert c.recv_frame() == b""  # PLAIN's empty server token, size-prefixed
        assert c.request(MetadataRequest(topics=None)).brokers


def test_v0_handshake_then_raw_scram_tokens(broker):
    with wire(broker) as c:
        assert c.request(HandshakeV0(mechanism="SCRAM-SHA-512")).error_code == ErrorCode.none
        client = scramp.ScramClient(["SCRAM-SHA-512"], "alice", "alice-secret")
        c.send_raw(client.get_client_first().encode())
        client.set_server_first(c.recv_frame().decode())
        c.send_raw(client.get_client_final().encode())
        client.set_server_final(c.recv_frame().decode())
        assert c.request(MetadataRequest(topics=None)).brokers


def test_v0_raw_token_shorter_than_a_request_header(broker):
    with wire(broker) as c:
        c.request(HandshakeV0(mechanism="PLAIN"))
        c.send_raw(b"\0al\0pw")  # 6 bytes: below a Kafka request's smallest frame
        assert c.recv_frame() == b""
        assert c.request(MetadataRequest(topics=None)).brokers


def test_short_frames_are_broken_frames_again_once_authenticated(broker):
    with wire(broker) as c:
        c.request(HandshakeV0(mechanism="PLAIN"))
        c.send_raw(b"\0al\0pw")
        assert c.recv_frame() == b""
        c.send_raw(b"\0\0\0\0")
        assert c.is_closed_by_peer()


def test_v0_raw_token_failure_closes_without_an_answer(broker):
    with wire(broker) as c:
        c.request(HandshakeV0(mechanism="PLAIN"))
        c.send_raw(b"\0admin\0wrong")
        assert c.is_closed_by_peer()


def test_authenticate_before_handshake_is_an_illegal_state(broker):
    with wire(broker) as c:
        r = authenticate(c, b"\0admin\0admin-secret")
        assert r.error_code == ErrorCode.illegal_sasl_state
        assert c.is_closed_by_peer()


def test_second_handshake_is_an_illegal_state(broker):
    with wire(broker) as c:
        c.request(SaslHandshakeRequest(mechanism="PLAIN"))
        r = c.request(SaslHandshakeRequest(mechanism="PLAIN"))
        assert r.error_code == ErrorCode.illegal_sasl_state
        assert c.is_closed_by_peer()


def test_sasl_requests_after_authentication_or_on_plaintext_are_illegal_states(broker):
    with WireClient(broker.bootstrap) as c:  # PLAINTEXT
        assert c.request(SaslHandshakeRequest(mechanism="PLAIN")).error_code == (
            ErrorCode.illegal_sasl_state
        )
        assert authenticate(c, b"x").error_code == ErrorCode.illegal_sasl_state
        assert c.request(MetadataRequest(topics=None)).brokers  # still open
    with wire(broker) as c:
        c.request(SaslHandshakeRequest(mechanism="PLAIN"))
        assert authenticate(c, b"\0bob\0bob-secret").error_code == ErrorCode.none
        assert authenticate(c, b"\0bob\0bob-secret").error_code == ErrorCode.illegal_sasl_state


def test_sasl_ssl_needs_tls_first(broker):
    with WireClient(broker.address("SASL_SSL")) as c:  # plain TCP to a TLS port
        c.send_raw(c.header(18, 0, False))
        with pytest.raises((ConnectionError, OSError, ssl.SSLError)):
            c.recv_frame()


def test_unauthenticated_clients_cannot_send_large_frames(broker):
    with wire(broker) as c:
        c.sock.sendall((600_000).to_bytes(4, "big") + b"\0" * 1024)
        assert c.is_closed_by_peer()
    with wire(broker) as c:  # the limit is lifted once authenticated
        c.request(SaslHandshakeRequest(mechanism="PLAIN"))
        assert authenticate(c, b"\0admin\0admin-secret").error_code == ErrorCode.none
        topics = tuple(MetadataRequestTopic(name="t" * 200) for _ in range(3000))  # > 512 KiB
        big = MetadataRequest(topics=topics)
        assert len(c.request(big).topics) == 3000
