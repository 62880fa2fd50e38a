"""A broker with every kind of listener, certificates from a throwaway CA, and client helpers
for the TLS/SASL tests (confluent-kafka, kcat, raw sockets)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import trustme
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from tests.harness import BrokerProcess
from tests.wire import WireClient

KCAT = shutil.which("kcat") or "/usr/bin/kcat"
PLAIN_JAAS = (
    "org.apache.kafka.common.security.plain.PlainLoginModule required "
    'username="admin" password="admin-secret" user_admin="admin-secret" user_bob="bob-secret" '
    'user_al="pw";'
)
LISTENERS = ["SSL", "SASL_PLAINTEXT", "SASL_SSL", "MTLS"]


@dataclass
class Pki:
    ca_pem: Path
    server_pem: Path  # chain + key
    client_cert: Path
    client_key: Path
    ca: trustme.CA


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert(
        "alice@example",
        common_name="alice",
        organization_name="acme",
        organization_unit_name="eng",
    )
    pki = Pki(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "client.crt",
        directory / "client.key",
        ca,
    )
    ca.cert_pem.write_to_path(str(pki.ca_pem))
    server.private_key_and_cert_chain_pem.write_to_path(str(pki.server_pem))
    client.cert_chain_pems[0].write_to_path(str(pki.client_cert))
    client.private_key_pem.write_to_path(str(pki.client_key))
    return pki


def secure_broker(data_dir: Path, pki: Pki, *extra: str) -> BrokerProcess:
    """PLAINTEXT plus SSL, SASL_PLAINTEXT, SASL_SSL and MTLS (SSL with required client
    certificates); PLAIN users admin and bob from JAAS, SCRAM user alice (both mechanisms)."""
    args = [
        "--set", "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,"
        "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL",
        "--set", f"ssl.keystore.location={pki.server_pem}",
        "--set", "listener.name.mtls.ssl.client.auth=required",
        "--set", f"listener.name.mtls.ssl.truststore.location={pki.ca_pem}",
        "--set", "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "--set", f"listener.name.sasl_plaintext.plain.sasl.jaas.config={PLAIN_JAAS}",
        "--set", f"listener.name.sasl_ssl.plain.sasl.jaas.config={PLAIN_JAAS}",
        "--add-scram", "SCRAM-SHA-256=[name=alice,password=alice-secret]",
        "--add-scram", "SCRAM-SHA-512=[name=alice,password=alice-secret]",
        *extra,
    ]  # fmt: skip
    return BrokerProcess(data_dir, extra_args=args, extra_listeners=list(LISTENERS)).start()


def client_conf(broker: BrokerProcess, pki: Pki, listener: str, **sasl: str) -> dict:
    """librdkafka settings for a listener; sasl: mechanism, username, password."""
    conf = {"bootstrap.servers": broker.address(listener)}
    protocol = "SSL" if listener == "MTLS" else listener
    conf["security.protocol"] = protocol
    if "SSL" in protocol:
        conf["ssl.ca.location"] = str(pki.ca_pem)
    if listener == "MTLS":
        conf["ssl.certificate.location"] = str(pki.client_cert)
        conf["ssl.key.location"] = str(pki.client_key)
    if sasl:
        conf["sasl.mechanism"] = sasl["mechanism"]
        conf["sasl.username"] = sasl["username"]
        conf["sasl.password"] = sasl["password"]
    return conf


def new_topic() -> str:
    return f"sec-{uuid.uuid4().hex[:10]}"


def confluent_round_trip(conf: dict, topic: str, values: list[bytes]) -> list[bytes]:
    """Produce ``values`` and read them back from the start of partition 0."""
    producer = Producer({**conf, "message.timeout.ms": 15000})
    failures: list = []
    for v in values:
        producer.produce(topic, v, partition=0, on_delivery=lambda e, m: e and failures.append(e))
    assert producer.flush(20) == 0 and not failures, failures
    consumer = Consumer({**conf, "group.id": f"g-{topic}", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        got: list[bytes] = []
        for _ in range(100):
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                got.append(msg.value())
            if len(got) == len(values):
                break
        return got
    finally:
        consumer.close()


def kcat_round_trip(conf: dict, topic: str, values: list[str]) -> list[str]:
    opts = [a for k, v in conf.items() for a in ("-X", f"{k}={v}")]
    subprocess.run(
        [KCAT, "-P", "-t", topic, "-p", "0", *opts],
        input="\n".join(values) + "\n",
        text=True,
        check=True,
        timeout=30,
        capture_output=True,
    )
    out = subprocess.run(
        [KCAT, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", *opts],
        text=True,
        check=True,
        timeout=30,
        capture_output=True,
    )
    return out.stdout.splitlines()


def tls_wire(address: str, pki: Pki) -> WireClient:
    """A WireClient over TLS (server certificate checked against the test CA)."""
    client = WireClient.__new__(WireClient)
    host, port = address.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
    raw = socket.create_connection((host, int(port)), 10)
    client.sock = ctx.wrap_socket(raw, server_hostname=host)
    client.correlation = 0
    return client
