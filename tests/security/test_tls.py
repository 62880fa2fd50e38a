"""TLS listeners on the real broker: server-authenticated and mutual TLS with confluent-kafka
and kcat, the certificate principal, several listeners each advertising its own address, bad
TLS traffic that must not hurt other clients, and start-up configuration errors."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import subprocess
import sys

import pytest
from confluent_kafka.admin import AdminClient
from kio.schema.find_coordinator.v1.request import FindCoordinatorRequest
from kio.schema.metadata.v1.request import MetadataRequest

from broker.config import ConfigError, load_config
from broker.node import Broker
from broker.security.settings import listener_value
from broker.security.tls import server_context
from tests.harness import BrokerProcess, free_port, wait_for
from tests.security.secure_broker import (
    client_conf,
    confluent_round_trip,
    kcat_round_trip,
    new_topic,
    secure_broker,
    tls_wire,
)
from tests.wire import WireClient


@pytest.fixture(scope="module")
def broker(tmp_path_factory, pki):
    b = secure_broker(tmp_path_factory.mktemp("tls") / "broker", pki, "--log-level", "DEBUG")
    yield b
    b.kill()


@pytest.mark.parametrize("listener", ["SSL", "MTLS"], ids=["server-auth", "mutual"])
def test_confluent_kafka_round_trip(broker, pki, listener):
    conf = client_conf(broker, pki, listener)
    values = [b"x" * 100, b"y" * 1000]
    assert confluent_round_trip(conf, new_topic(), values) == values


@pytest.mark.parametrize("listener", ["SSL", "MTLS"], ids=["server-auth", "mutual"])
def test_kcat_round_trip(broker, pki, listener):
    conf = client_conf(broker, pki, listener)
    assert kcat_round_trip(conf, new_topic(), ["first", "second"]) == ["first", "second"]


def test_client_certificate_subject_is_the_principal(broker, pki):
    conf = client_conf(broker, pki, "MTLS")
    AdminClient(conf).list_topics(timeout=10)
    wait_for(
        lambda: "is User:CN=alice,OU=eng,O=acme" in broker.log(),
        10,
        what="the certificate principal in the broker log",
    )


def test_mutual_tls_refuses_a_client_without_certificate(broker, pki):
    host, port = broker.address("MTLS").rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
    api_versions = struct.pack(">ihhih", 10, 18, 0, 1, -1)
    answer = b""
    with (
        socket.create_connection((host, int(port)), 10) as raw,
        contextlib.suppress(ssl.SSLError, OSError),  # refused in the handshake (TLS 1.2) ...
        ctx.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(api_versions)
        answer = tls.recv(4)  # ... or at the first read (TLS 1.3)
    assert answer == b""


def test_each_listener_advertises_its_own_address(broker, pki):
    expected = {
        "PLAINTEXT": broker.port,
        "SSL": int(broker.address("SSL").rsplit(":")[1]),
    }
    with WireClient(broker.bootstrap) as c:
        meta = c.request(MetadataRequest(topics=None))
        assert [(b.host, b.port) for b in meta.brokers] == [("127.0.0.1", expected["PLAINTEXT"])]
    with tls_wire(broker.address("SSL"), pki) as c:
        meta = c.request(MetadataRequest(topics=None))
        assert [(b.host, b.port) for b in meta.brokers] == [("127.0.0.1", expected["SSL"])]
        coordinator = c.request(FindCoordinatorRequest(key="some-group"))
        assert (coordinator.host, coordinator.port) == ("127.0.0.1", expected["SSL"])
    admin = AdminClient(client_conf(broker, pki, "SSL"))
    cluster = admin.describe_cluster().result(10)
    assert [(n.host, n.port) for n in cluster.nodes] == [("127.0.0.1", expected["SSL"])]


def test_advertised_listeners_are_per_listener(tmp_path):
    internal, external = free_port(), free_port()
    args = [
        "--set", f"listeners=INTERNAL://127.0.0.1:{internal},EXTERNAL://127.0.0.1:{external}",
        "--set", "listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
        "--set", f"advertised.listeners=EXTERNAL://kafka.example:{external + 1}",
    ]  # fmt: skip
    b = BrokerProcess(tmp_path / "adv", extra_args=args, port=internal).start()
    try:
        with WireClient(f"127.0.0.1:{internal}") as c:
            brokers = c.request(MetadataRequest(topics=None)).brokers
            assert [(x.host, x.port) for x in brokers] == [("127.0.0.1", internal)]
        with WireClient(f"127.0.0.1:{external}") as c:
            brokers = c.request(MetadataRequest(topics=None)).brokers
            assert [(x.host, x.port) for x in brokers] == [("kafka.example", external + 1)]
    finally:
        b.kill()


def test_garbage_and_broken_handshakes_do_not_hurt_other_clients(broker, pki):
    host, port = broker.address("SSL").rsplit(":", 1)
    garbage = socket.create_connection((host, int(port)), 10)
    garbage.sendall(b"\x00\x00\x00\x10this is not TLS at all" * 10)
    stalled = socket.create_connection((host, int(port)), 10)  # connects, never says hello
    untrusting = ssl.create_default_context()  # system CAs: the test CA is unknown
    with (
        socket.create_connection((host, int(port)), 10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        untrusting.wrap_socket(raw, server_hostname=host)
    try:
        conf = client_conf(broker, pki, "SSL")
        assert confluent_round_trip(conf, new_topic(), [b"still fine"]) == [b"still fine"]
        garbage.settimeout(10)
        with contextlib.suppress(ConnectionResetError):
            assert garbage.recv(100) == b""  # the broker closed it
    finally:
        garbage.close()
        stalled.close()
    with WireClient(broker.bootstrap) as c:
        assert c.request(MetadataRequest(topics=None)).brokers


# --- configuration refused at start, in one line ---------------------------------------------


def start_error(tmp_path, *args: str) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "broker", "--data-dir", str(tmp_path / "d"), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return out.returncode, out.stderr.strip()


def test_ssl_listener_without_keystore_is_a_config_error(tmp_path):
    code, err = start_error(tmp_path, "--set", f"listeners=SSL://127.0.0.1:{free_port()}")
    assert code == 2 and len(err.splitlines()) == 1
    assert "SSL" in err and "ssl.keystore.location" in err


def test_listener_without_protocol_is_a_config_error(tmp_path):
    code, err = start_error(tmp_path, "--set", f"listeners=INTERNAL://127.0.0.1:{free_port()}")
    assert code == 2 and len(err.splitlines()) == 1
    assert "INTERNAL has no entry in listener.security.protocol.map" in err


def test_non_pem_keystore_and_unreadable_store_are_config_errors(tmp_path):
    code, err = start_error(tmp_path, "--set", "ssl.keystore.type=JKS")
    assert code == 2 and "only PEM" in err
    code, err = start_error(
        tmp_path,
        "--set", f"listeners=SSL://127.0.0.1:{free_port()}",
        "--set", f"ssl.keystore.location={tmp_path / 'missing.pem'}",
    )  # fmt: skip
    assert code == 2 and len(err.splitlines()) == 1 and "not found" in err


def test_keystore_secrets_are_hidden_from_describe_configs(broker):
    from confluent_kafka.admin import ConfigResource, ResourceType

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    res = ConfigResource(ResourceType.BROKER, "1")
    configs = admin.describe_configs([res])[res].result(10)
    assert configs["ssl.key.password"].is_sensitive
    assert configs["ssl.key.password"].value is None
    jaas = configs["listener.name.sasl_ssl.plain.sasl.jaas.config"]
    assert jaas.is_sensitive and jaas.value is None
    assert configs["ssl.keystore.location"].value.endswith("server.pem")


def test_per_listener_keys_are_validated_like_their_base_keys():
    with pytest.raises(ConfigError, match=r"listener\.name\.ssl\.ssl\.client\.auth"):
        load_config(None, ["listener.name.ssl.ssl.client.auth=sometimes"])
    with pytest.raises(ConfigError, match="unknown broker config"):
        load_config(None, ["listener.name.ssl.log.retention.ms=1"])
    cfg = load_config(None, ["listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN"])
    assert listener_value(cfg, "SASL_SSL", "sasl.enabled.mechanisms") == ["PLAIN"]
    assert listener_value(cfg, "SASL_PLAINTEXT", "sasl.enabled.mechanisms") == [
        "SCRAM-SHA-256",
        "SCRAM-SHA-512",
    ]


def test_listeners_on_port_zero_advertise_the_port_they_got(tmp_path):
    async def run() -> tuple[int, list]:
        config = load_config(
            None,
            [
                f"log.dirs={tmp_path}",
                "listeners=PLAINTEXT://127.0.0.1:0,OTHER://0.0.0.0:0",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT",
            ],
        )
        broker = Broker(config)
        await broker.start()
        try:
            port = broker.listeners["OTHER"].port

            def ask() -> list:
                with WireClient(f"127.0.0.1:{port}") as c:
                    brokers = c.request(MetadataRequest(topics=None)).brokers
                    return [(b.host, b.port) for b in brokers]

            return port, await asyncio.to_thread(ask)
        finally:
            await broker.stop()

    port, advertised = asyncio.run(run())
    assert port != 0 and advertised == [("127.0.0.1", port)]


def test_inline_pem_keystore_with_an_encrypted_key(tmp_path, pki):
    from cryptography.hazmat.primitives import serialization

    cert = pki.ca.issue_cert("127.0.0.1")
    key = serialization.load_pem_private_key(cert.private_key_pem.bytes(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"key-pass"),
    ).decode()
    chain = "".join(p.bytes().decode() for p in cert.cert_chain_pems)
    args = [
        "--set", f"listener.name.ssl.ssl.keystore.certificate.chain={chain}",
        "--set", f"listener.name.ssl.ssl.keystore.key={encrypted}",
        "--set", "listener.name.ssl.ssl.key.password=key-pass",
    ]  # fmt: skip
    b = BrokerProcess(tmp_path / "inline", extra_listeners=["SSL"], extra_args=args).start()
    try:
        conf = client_conf(b, pki, "SSL")
        assert confluent_round_trip(conf, new_topic(), [b"inline"]) == [b"inline"]
    finally:
        b.kill()
    code, err = start_error(
        tmp_path,
        "--set", f"listeners=SSL://127.0.0.1:{free_port()}",
        "--set", f"ssl.keystore.certificate.chain={chain}",
        "--set", f"ssl.keystore.key={encrypted}",
        "--set", "ssl.key.password=wrong",
    )  # fmt: skip
    assert code == 2 and len(err.splitlines()) == 1 and "not a usable PEM" in err
    assert "key-pass" not in err and "BEGIN" not in err


def test_enabled_protocols_and_client_auth_shape_the_context(pki):
    settings = {
        "ssl.keystore.location": str(pki.server_pem),
        "ssl.enabled.protocols": ["TLSv1.3"],
        "ssl.cipher.suites": None,
        "ssl.client.auth": "requested",
        "ssl.truststore.location": str(pki.ca_pem),
    }
    ctx = server_context("SSL", lambda key: settings.get(key))
    assert ctx.minimum_version == ctx.maximum_version == ssl.TLSVersion.TLSv1_3
    assert ctx.verify_mode == ssl.CERT_OPTIONAL
    settings.update({"ssl.cipher.suites": ["NOT-A-CIPHER"], "ssl.enabled.protocols": ["TLSv1.2"]})
    with pytest.raises(ConfigError, match=r"ssl\.cipher\.suites"):
        server_context("SSL", lambda key: settings.get(key))
