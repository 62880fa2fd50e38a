"""`kctl consume` and `kctl perf consume` on a cluster with ACLs (real broker, authorizer on).

Without -g, kctl reads by assigning partitions; librdkafka still makes up a group.id and
asks for its coordinator. A principal with Read on the topic and no group ACL must be able
to read (as with kcat), and one that names a group it may not use must still be refused.
"""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Producer

from tests.kctl.kctl_cli import Kctl, one_error_line
from tests.security.acl_helpers import (
    binding,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
    secured_broker,
)

TOPIC = "readable"


def _fill(bootstrap: str) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(3):
        p.produce(TOPIC, key=b"k%d" % i, value=b"v%d" % i)
    assert p.flush(15) == 0


@pytest.fixture(scope="module")
def reader_only(tmp_path_factory):
    # ANONYMOUS may Read the topic (which implies Describe) and nothing else: no group ACL.
    bindings = [binding("TOPIC", TOPIC, "READ")]
    path = tmp_path_factory.mktemp("consume-acl") / "broker"
    with secured_broker(path, [TOPIC], bindings, prepare=_fill) as b:
        yield b


def test_consume_without_group_needs_no_group_acl(reader_only, tmp_path):
    r = Kctl(tmp_path, bootstrap=reader_only.bootstrap).run(
        "consume", TOPIC, "-e", "-o", "jsonl", "--timeout", "10"
    )
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["value"] for line in r.stdout.splitlines()] == ["v0", "v1", "v2"]
    assert r.stderr == ""


def test_consume_with_a_group_it_may_not_use_is_denied(reader_only, tmp_path):
    r = Kctl(tmp_path, bootstrap=reader_only.bootstrap).run(
        "consume", TOPIC, "-e", "-g", "billing", "--timeout", "10"
    )
    assert r.returncode == 6, r.stderr
    assert "GROUP_AUTHORIZATION_FAILED" in one_error_line(r)


def test_perf_consume_needs_no_group_acl(reader_only, tmp_path):
    r = Kctl(tmp_path, bootstrap=reader_only.bootstrap).run(
        "perf", "consume", TOPIC, "-n", "3", "-o", "json", "--idle-timeout", "5"
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] == 3
