"""SCRAM credentials: AlterUserScramCredentials / DescribeUserScramCredentials with
confluent-kafka's AdminClient and raw frames (Kafka's error codes), logins with the new
credentials, survival across a restart, and --add-scram at start."""

from __future__ import annotations

import subprocess
import sys

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kio.schema.alter_user_scram_credentials.v0.request import (
    AlterUserScramCredentialsRequest,
    ScramCredentialDeletion,
    ScramCredentialUpsertion,
)
from kio.schema.describe_user_scram_credentials.v0.request import (
    DescribeUserScramCredentialsRequest,
    UserName,
)

from broker.errors import ErrorCode
from tests.harness import wait_for
from tests.security.secure_broker import client_conf, secure_broker
from tests.wire import WireClient

SHA256, SHA512 = ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512


@pytest.fixture(scope="module")
def broker(tmp_path_factory, pki):
    b = secure_broker(tmp_path_factory.mktemp("scram") / "broker", pki)
    yield b
    b.kill()


@pytest.fixture(scope="module")
def admin(broker):
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def upsert(user: str, mechanism=SHA256, password: bytes = b"pw-secret", iterations: int = 8192):
    return UserScramCredentialUpsertion(user, ScramCredentialInfo(mechanism, iterations), password)


def alter(admin, *alterations) -> dict:
    """user -> None on success, else the KafkaError code."""
    out = {}
    for user, future in admin.alter_user_scram_credentials(list(alterations)).items():
        try:
            future.result(10)
            out[user] = None
        except KafkaException as e:
            out[user] = e.args[0].code()
    return out


def describe(admin, users: list[str] | None = None) -> dict:
    """user -> {mechanism: iterations}, or the error code."""
    if users is None:
        return {
            u: {c.mechanism: c.iterations for c in d.scram_credential_infos}
            for u, d in admin.describe_user_scram_credentials().result(10).items()
        }
    out = {}
    for user, future in admin.describe_user_scram_credentials(users).items():
        try:
            d = future.result(10)
            out[user] = {c.mechanism: c.iterations for c in d.scram_credential_infos}
        except KafkaException as e:
            out[user] = e.args[0].code()
    return out


def can_log_in(broker, pki, mechanism: str, user: str, password: str) -> bool:
    """Whether a librdkafka client authenticates on SASL_PLAINTEXT (True) or is refused."""
    errors: list = []
    conf = client_conf(
        broker, pki, "SASL_PLAINTEXT", mechanism=mechanism, username=user, password=password
    )
    producer = Producer({**conf, "error_cb": errors.append})
    ok = False

    def decided() -> bool:
        nonlocal ok
        producer.poll(0.05)
        try:
            producer.list_topics(timeout=0.5)
            ok = True
        except KafkaException:
            pass
        return ok or any(e.code() == KafkaError._AUTHENTICATION for e in errors)

    wait_for(decided, 20, what=f"{user}'s login with {mechanism} to succeed or be refused")
    return ok


def test_alter_then_describe_then_log_in(broker, pki, admin):
    assert alter(admin, upsert("carol"), upsert("dave", SHA512, iterations=4096)) == {
        "carol": None,
        "dave": None,
    }
    assert describe(admin, ["carol", "dave"]) == {"carol": {SHA256: 8192}, "dave": {SHA512: 4096}}
    everyone = describe(admin)
    assert everyone["alice"] == {SHA256: 4096, SHA512: 4096}  # from --add-scram
    assert everyone["carol"] == {SHA256: 8192}
    assert can_log_in(broker, pki, "SCRAM-SHA-256", "carol", "pw-secret")
    assert can_log_in(broker, pki, "SCRAM-SHA-512", "dave", "pw-secret")
    assert can_log_in(broker, pki, "PLAIN", "dave", "pw-secret")  # PLAIN checks SCRAM users too
    assert not can_log_in(broker, pki, "SCRAM-SHA-512", "carol", "pw-secret")  # no such cred


def test_replace_and_delete(broker, pki, admin):
    assert alter(admin, upsert("erin", password=b"old")) == {"erin": None}
    assert alter(admin, upsert("erin", password=b"new", iterations=4096)) == {"erin": None}
    assert describe(admin, ["erin"]) == {"erin": {SHA256: 4096}}
    assert can_log_in(broker, pki, "SCRAM-SHA-256", "erin", "new")
    assert not can_log_in(broker, pki, "SCRAM-SHA-256", "erin", "old")
    assert alter(admin, UserScramCredentialDeletion("erin", SHA256)) == {"erin": None}
    assert describe(admin, ["erin"]) == {"erin": KafkaError.RESOURCE_NOT_FOUND}
    assert not can_log_in(broker, pki, "SCRAM-SHA-256", "erin", "new")


def test_kafka_error_codes(admin):
    assert alter(admin, upsert("few", iterations=1024)) == {
        "few": KafkaError.UNACCEPTABLE_CREDENTIAL
    }
    assert alter(admin, upsert("many", iterations=16385)) == {
        "many": KafkaError.UNACCEPTABLE_CREDENTIAL
    }
    assert alter(admin, UserScramCredentialDeletion("ghost", SHA256)) == {
        "ghost": KafkaError.RESOURCE_NOT_FOUND
    }
    # as in Kafka, a user named twice is refused as a whole (deleting a missing one is checked
    # first, so that pair gives RESOURCE_NOT_FOUND)
    twice = alter(admin, upsert("frank"), upsert("frank", SHA512), upsert("gina"))
    assert twice == {"frank": KafkaError.DUPLICATE_RESOURCE, "gina": None}
    missing = alter(admin, UserScramCredentialDeletion("hugo", SHA512), upsert("hugo"))
    assert missing == {"hugo": KafkaError.RESOURCE_NOT_FOUND}
    assert not {"frank", "hugo", "few"} & set(describe(admin))
    assert describe(admin, ["nobody"]) == {"nobody": KafkaError.RESOURCE_NOT_FOUND}


def test_error_codes_on_the_wire(broker):
    with WireClient(broker.bootstrap) as c:
        r = c.request(
            AlterUserScramCredentialsRequest(
                deletions=(ScramCredentialDeletion(name="", mechanism=1),),
                upsertions=(
                    ScramCredentialUpsertion(
                        name="hank", mechanism=3, iterations=4096, salt=b"s" * 16,
                        salted_password=b"p" * 32,
                    ),
                ),
            )
        )  # fmt: skip
        codes = {x.user: (x.error_code, x.error_message) for x in r.results}
        assert codes == {
            "": (ErrorCode.unacceptable_credential, "Username must not be empty"),
            "hank": (ErrorCode.unsupported_sasl_mechanism, "Unknown SCRAM mechanism"),
        }
        r = c.request(
            DescribeUserScramCredentialsRequest(users=(UserName(name="x"), UserName(name="x")))
        )
        assert [(x.user, x.error_code) for x in r.results] == [("x", ErrorCode.duplicate_resource)]
        assert "twice in a single request: x" in r.results[0].error_message
        r = c.request(DescribeUserScramCredentialsRequest(users=()))
        infos = {x.user: x.credential_infos for x in r.results}
        assert [(i.mechanism, i.iterations) for i in infos["alice"]] == [(1, 4096), (2, 4096)]


def test_credentials_survive_a_restart_and_add_scram_keeps_existing_ones(broker, pki, admin):
    # alice's SCRAM-SHA-256 password changes; --add-scram (still on the command line) must not
    # put the old one back at the next start
    alice = upsert("alice", password=b"changed", iterations=4096)
    assert alter(admin, alice, upsert("ivan", SHA512)) == {"alice": None, "ivan": None}
    broker.restart()
    fresh = AdminClient({"bootstrap.servers": broker.bootstrap})
    assert describe(fresh, ["ivan", "alice"]) == {
        "ivan": {SHA512: 8192},
        "alice": {SHA256: 4096, SHA512: 4096},
    }
    assert can_log_in(broker, pki, "SCRAM-SHA-512", "ivan", "pw-secret")
    assert can_log_in(broker, pki, "SCRAM-SHA-256", "alice", "changed")
    assert not can_log_in(broker, pki, "SCRAM-SHA-256", "alice", "alice-secret")


@pytest.mark.parametrize("entry", [["-m", "broker"], ["-m", "kctl", "broker", "start"]])
def test_a_bad_add_scram_spec_stops_the_start_in_one_line(tmp_path, entry):
    out = subprocess.run(
        [sys.executable, *entry, "--data-dir", str(tmp_path), "--add-scram", "SCRAM-SHA-256=[a]"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "broker: error: --add-scram 'SCRAM-SHA-256=[a]': give name=... and password=... "
        "(and optionally iterations)"
    )
