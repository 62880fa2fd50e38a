"""DescribeClientQuotas and AlterClientQuotas on the wire, against the real broker: both
versions, validate_only, filters, Kafka's errors, authorization, and quotas kept in the
metadata log across a restart."""

from __future__ import annotations

import sys

import pytest
from kio.index import load_request_schema

from broker.errors import ErrorCode
from broker.handlers.context import make
from tests.harness import BrokerProcess
from tests.security.acl_helpers import (
    ME,
    authz_args,
    binding,
    create_acls,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
)
from tests.wire import WireClient

DESCRIBE, ALTER = 48, 49
EXACT, DEFAULT, SPECIFIED = 0, 1, 2


def req(api_key: int, version: int, class_name: str | None = None, /, **fields):
    cls = load_request_schema(api_key, version)
    if class_name is not None:
        cls = getattr(sys.modules[cls.__module__], class_name)
    return make(cls, **fields)


def alter_req(version: int, entries, validate_only: bool = False):
    """``entries``: [(parts, ops)], parts as (type, name), ops as (key, value or None)."""
    return req(ALTER, version, entries=tuple(
        req(ALTER, version, "EntryData",
            entity=tuple(req(ALTER, version, "EntityData", entity_type=t, entity_name=n)
                         for t, n in parts),
            ops=tuple(req(ALTER, version, "OpData", key=k, value=0.0 if v is None else v,
                          remove=v is None) for k, v in ops))
        for parts, ops in entries
    ), validate_only=validate_only)


def describe_req(version: int, components, strict: bool = False):
    return req(DESCRIBE, version, components=tuple(
        req(DESCRIBE, version, "ComponentData", entity_type=t, match_type=m, match=n)
        for t, m, n in components
    ), strict=strict)


def alter(wire, entries, version: int = 1, validate_only: bool = False):
    answer = wire.request(alter_req(version, entries, validate_only))
    return [(tuple((e.entity_type, e.entity_name) for e in r.entity), r.error_code,
             r.error_message) for r in answer.entries]


def described(wire, components=(), strict=False, version: int = 1):
    answer = wire.request(describe_req(version, components, strict))
    assert answer.error_code == ErrorCode.none, answer.error_message
    return {
        tuple((e.entity_type, e.entity_name) for e in entry.entity):
            {v.key: v.value for v in entry.values}
        for entry in answer.entries
    }


@pytest.fixture
def wire(broker):
    with WireClient(broker.bootstrap) as w:
        yield w


@pytest.mark.parametrize("version", [0, 1])
def test_alter_then_describe_at_each_version(wire, version):
    ok = alter(wire, [
        ((("user", "alice"),), [("producer_byte_rate", 1048576.0), ("consumer_byte_rate", 2e6)]),
        ((("user", "alice"), ("client-id", None)), [("request_percentage", 12.5)]),
        ((("client-id", "batch"),), [("controller_mutation_rate", 3.0)]),
        ((("ip", "127.0.0.1"),), [("connection_creation_rate", 10.0)]),
    ], version=version)
    assert [code for _, code, _ in ok] == [ErrorCode.none] * 4
    assert ok[0][0] == (("user", "alice"),)
    everything = described(wire, version=version)
    assert everything == {
        (("user", "alice"),): {"producer_byte_rate": 1048576.0, "consumer_byte_rate": 2e6},
        (("user", "alice"), ("client-id", None)): {"request_percentage": 12.5},
        (("client-id", "batch"),): {"controller_mutation_rate": 3.0},
        (("ip", "127.0.0.1"),): {"connection_creation_rate": 10.0},
    }
    assert described(wire, [("user", EXACT, "alice")], strict=True, version=version) == {
        (("user", "alice"),): {"producer_byte_rate": 1048576.0, "consumer_byte_rate": 2e6},
    }
    assert set(described(wire, [("user", EXACT, "alice")], version=version)) == {
        (("user", "alice"),), (("user", "alice"), ("client-id", None)),
    }
    assert set(described(wire, [("client-id", DEFAULT, None)], version=version)) == {
        (("user", "alice"), ("client-id", None)),
    }
    assert set(described(wire, [("client-id", SPECIFIED, None)], strict=True)) == {
        (("client-id", "batch"),),
    }
    # removing one key keeps the others; removing the last one forgets the entity
    alter(wire, [((("user", "alice"),), [("consumer_byte_rate", None)]),
                 ((("client-id", "batch"),), [("controller_mutation_rate", None)])],
          version=version)
    after = described(wire, version=version)
    assert after[(("user", "alice"),)] == {"producer_byte_rate": 1048576.0}
    assert (("client-id", "batch"),) not in after


def test_validate_only_checks_and_writes_nothing(wire):
    results = alter(wire, [
        ((("user", "v"),), [("producer_byte_rate", 100.0)]),
        ((("user", "w"),), [("producer_byte_rate", 1.5)]),
    ], validate_only=True)
    assert results[0][1] == ErrorCode.none
    assert results[1][1:] == (ErrorCode.invalid_request,
                              "producer_byte_rate cannot be a fractional value.")
    assert described(wire) == {}


REFUSED = [
    ((("user", "u"),), [("bogus_rate", 1.0)], "Invalid configuration key bogus_rate"),
    ((("user", "u"),), [("consumer_byte_rate", 0.0)],
     "Quota consumer_byte_rate must be greater than 0"),
    ((("ip", "1.2.3.4"), ("user", "u")), [("connection_creation_rate", 1.0)],
     "Invalid quota entity combination, IP entity should not be combined with User or "
     "ClientId"),
    ((("ip", "no-such-host.invalid"),), [("connection_creation_rate", 1.0)],
     "no-such-host.invalid is not a valid IP or resolvable host."),
    ((("topic", "t"),), [("producer_byte_rate", 1.0)], "Unhandled client quota entity type: topic"),
    ((), [("producer_byte_rate", 1.0)], "Invalid empty client quota entity"),
]


def test_refused_alterations_leave_the_rest_applied(wire):
    for i, (parts, ops, message) in enumerate(REFUSED):
        fine = ((("user", f"fine-{i}"),), [("producer_byte_rate", 5.0)])
        results = alter(wire, [(parts, ops), fine])
        assert results[0] == (parts, ErrorCode.invalid_request, message)
        assert results[1][1] == ErrorCode.none
    assert described(wire) == {
        (("user", f"fine-{i}"),): {"producer_byte_rate": 5.0} for i in range(len(REFUSED))
    }


def test_refused_filters_answer_the_error_with_no_entries(wire):
    answer = wire.request(describe_req(1, [("user", EXACT, None)]))
    assert answer.error_code == ErrorCode.invalid_request and answer.entries is None
    assert answer.error_message == (
        "Request specified MATCH_TYPE_EXACT, but set match string to null."
    )
    answer = wire.request(describe_req(0, [("group", EXACT, "g")]))
    assert answer.error_code == ErrorCode.unsupported_version
    assert answer.error_message == "Unsupported entity type group"


def test_quotas_survive_a_restart(broker):
    with WireClient(broker.bootstrap) as w:
        alter(w, [((("user", None), ("client-id", "app")), [("producer_byte_rate", 4096.0)]),
                  ((("ip", None),), [("connection_creation_rate", 50.0)])])
        alter(w, [((("ip", None),), [("connection_creation_rate", None)])])
    broker.restart()
    with WireClient(broker.bootstrap) as w:
        assert described(w) == {
            (("user", None), ("client-id", "app")): {"producer_byte_rate": 4096.0},
        }


def test_authorization_describe_configs_and_alter_configs_on_the_cluster(tmp_path):
    b = BrokerProcess(tmp_path / "authz", extra_args=authz_args("User:admin"))
    b.start()
    try:
        with WireClient(b.bootstrap) as w:  # ANONYMOUS without any ACL
            answer = w.request(describe_req(1, []))
            assert (answer.error_code, answer.entries) == (
                ErrorCode.cluster_authorization_failed, None)
            assert answer.error_message == "Cluster authorization failed."
        b.extra_args = authz_args(ME)
        b.restart()
        create_acls(b.bootstrap, [binding("CLUSTER", "kafka-cluster", "DESCRIBE_CONFIGS")])
        with WireClient(b.bootstrap) as w:  # a super user now
            alter(w, [((("user", "x"),), [("producer_byte_rate", 1.0)])])
        b.extra_args = authz_args("User:admin")  # ANONYMOUS keeps only its ACL
        b.restart()
        with WireClient(b.bootstrap) as w:
            assert described(w) == {(("user", "x"),): {"producer_byte_rate": 1.0}}
            results = alter(w, [((("user", "x"),), [("producer_byte_rate", 2.0)]),
                                ((("user", "y"),), [("producer_byte_rate", 2.0)])])
            assert [r[1:] for r in results] == [
                (ErrorCode.cluster_authorization_failed, "Cluster authorization failed."),
            ] * 2
            assert described(w) == {(("user", "x"),): {"producer_byte_rate": 1.0}}
    finally:
        b.kill()
