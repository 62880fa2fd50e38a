"""AlterClientQuotas as Kafka's controller decides it: which entities and values are refused,
with Kafka's messages, and which records the valid ones make."""

from __future__ import annotations

import math

import pytest

from broker.errors import ErrorCode
from broker.metadata.records import ClientQuotaRecord
from broker.quotas.alter import Alteration, plan
from broker.quotas.entity import entity_of

ALICE = (("user", "alice"),)
ALICE_E = entity_of(ALICE)


def one(parts, *ops, current=None, resolvable=lambda name: False):
    records, outcomes = plan(current or {}, [Alteration(tuple(parts), tuple(ops))], resolvable)
    assert len(outcomes) == 1
    return records, outcomes[0].error


@pytest.mark.parametrize(
    "parts, ops, message",
    [
        ((), [("producer_byte_rate", 1.0)], "Invalid empty client quota entity"),
        (
            (("user", "a"), ("user", "b")),
            [("producer_byte_rate", 1.0)],
            "Invalid client quota entity, duplicate entity entry user",
        ),
        ((("group", "g"),), [("producer_byte_rate", 1.0)],
         "Unhandled client quota entity type: group"),
        ((("client-id", ""),), [("producer_byte_rate", 1.0)], "Empty client-id not supported"),
        (ALICE, [("foo", 1.0)], "Invalid configuration key foo"),
        (ALICE, [("connection_creation_rate", 1.0)],
         "Invalid configuration key connection_creation_rate"),
        ((("ip", "10.0.0.1"),), [("producer_byte_rate", 1.0)],
         "Invalid configuration key producer_byte_rate"),
        (ALICE, [("producer_byte_rate", 0.0)], "Quota producer_byte_rate must be greater than 0"),
        (ALICE, [("request_percentage", -1.0)],
         "Quota request_percentage must be greater than 0"),
        (ALICE, [("consumer_byte_rate", 1.5)], "consumer_byte_rate cannot be a fractional value."),
        (ALICE, [("producer_byte_rate", 1e19)],
         "Proposed value for producer_byte_rate is too large for a LONG."),
        ((("ip", None),), [("connection_creation_rate", 2.0**31)],
         "Proposed value for connection_creation_rate is too large for an INT."),
        (ALICE, [("request_percentage", math.nan)],
         "Quota request_percentage must be a finite number"),
        (ALICE, [("producer_byte_rate", 1.0), ("producer_byte_rate", None)],
         "Duplicate quota key producer_byte_rate not updating quota for this entity "
         "ClientQuotaEntity(entries={user=alice})"),
        ((("user", "a"), ("ip", "10.0.0.1")), [("producer_byte_rate", 1.0)],
         "Invalid quota entity combination, IP entity should not be combined with User or "
         "ClientId"),
        ((("ip", "no-such-host"),), [("connection_creation_rate", 1.0)],
         "no-such-host is not a valid IP or resolvable host."),
    ],
)
def test_refusals_are_invalid_request_with_kafkas_message(parts, ops, message):
    records, error = one(parts, *ops, resolvable=lambda name: name == "10.0.0.1")
    assert records == []
    assert error is not None and error.code == ErrorCode.invalid_request
    assert error.message == message


def test_valid_values_make_records_and_unchanged_or_absent_ones_none():
    current = {ALICE_E: {"producer_byte_rate": 100.0, "consumer_byte_rate": 5.0}}
    records, error = one(
        ALICE,
        ("producer_byte_rate", 100.0),  # unchanged
        ("consumer_byte_rate", None),  # removed
        ("request_percentage", 12.5),  # new: doubles may be fractional
        ("controller_mutation_rate", None),  # not set: nothing to remove, not even checked
        ("no_such_key", None),
        current=current,
    )
    assert error is None
    assert records == [
        ClientQuotaRecord(ALICE_E, "consumer_byte_rate", remove=True),
        ClientQuotaRecord(ALICE_E, "request_percentage", 12.5),
    ]


def test_default_entities_and_combinations():
    parts = (("client-id", None), ("user", "bob"))
    records, error = one(parts, ("producer_byte_rate", 2.0**63 - 1))  # Long.MAX as a double
    assert error is None
    assert records == [ClientQuotaRecord(entity_of(parts), "producer_byte_rate", 2.0**63)]
    _, error = one((("ip", None),), ("connection_creation_rate", 7.0))
    assert error is None


def test_one_bad_key_refuses_the_whole_entity_but_not_the_others():
    records, outcomes = plan(
        {},
        [
            Alteration(ALICE, (("producer_byte_rate", 10.0), ("bogus", 1.0))),
            Alteration((("user", "bob"),), (("producer_byte_rate", 20.0),)),
        ],
        lambda name: False,
    )
    assert [o.error is None for o in outcomes] == [False, True]
    assert records == [ClientQuotaRecord(entity_of([("user", "bob")]), "producer_byte_rate", 20)]


def test_an_entity_named_twice_is_refused_once_for_both():
    records, outcomes = plan(
        {},
        [
            Alteration((("user", "a"), ("client-id", "c")), (("producer_byte_rate", 1.0),)),
            Alteration((("client-id", "c"), ("user", "a")), (("consumer_byte_rate", 1.0),)),
        ],
        lambda name: False,
    )
    assert records == []
    assert len(outcomes) == 1
    assert outcomes[0].parts == (("user", "a"), ("client-id", "c"))
    assert outcomes[0].error.message == (
        "Ignoring duplicate entity ClientQuotaEntity(entries={user=a, client-id=c})"
    )
