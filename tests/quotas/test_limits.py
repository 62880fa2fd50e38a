"""Which quota applies to a (user, client id): Kafka's eight levels of precedence, and which
clients share one measured rate."""

from __future__ import annotations

import pytest

from broker.quotas.entity import PRODUCER_BYTE_RATE, entity_of
from broker.quotas.limits import Limits

P = PRODUCER_BYTE_RATE
LEVELS = [  # highest precedence first, as (user, client id); None: the default entity
    (("alice", "app"), 1),
    (("alice", None), 2),
    (("alice", ...), 3),  # ...: the entity has no part of that type
    ((None, "app"), 4),
    ((None, None), 5),
    ((None, ...), 6),
    ((..., "app"), 7),
    ((..., None), 8),
]


def quotas(levels, key=P):
    out = {}
    for (user, client), value in levels:
        parts = []
        if user is not ...:
            parts.append(("user", user))
        if client is not ...:
            parts.append(("client-id", client))
        out[entity_of(parts)] = {key: float(value)}
    return out


@pytest.mark.parametrize("level", range(len(LEVELS)))
def test_the_most_specific_quota_wins(level):
    limits = Limits.of(quotas(LEVELS[level:]), P)
    assert limits.resolve("alice", "app")[1] == LEVELS[level][1]


def test_rates_are_shared_as_kafka_tags_them():
    limits = Limits.of(quotas([(("alice", ...), 3), ((..., None), 8)]), P)
    # a user quota: one rate for all of alice's clients
    assert limits.resolve("alice", "app") == (("alice", ""), 3)
    assert limits.resolve("alice", "other") == (("alice", ""), 3)
    # a client-id default: each client id its own rate, whoever the user
    assert limits.resolve("bob", "app") == (("", "app"), 8)
    assert limits.resolve("carol", "app") == (("", "app"), 8)
    assert limits.resolve("bob", "batch") == (("", "batch"), 8)


def test_user_and_client_defaults_give_each_pair_its_own_rate():
    limits = Limits.of(quotas([((None, None), 5)]), P)
    assert limits.resolve("bob", "app") == (("bob", "app"), 5)
    assert limits.resolve("bob", "x") == (("bob", "x"), 5)


def test_no_matching_quota_and_other_keys_and_ips_are_ignored():
    q = quotas([(("alice", ...), 3)], key="consumer_byte_rate")
    q[entity_of([("ip", None)])] = {"connection_creation_rate": 5.0}
    limits = Limits.of(q, P)
    assert not limits
    assert limits.resolve("alice", "app")[1] is None
    only_alice = Limits.of(quotas([(("alice", ...), 3)]), P)
    assert only_alice.resolve("bob", "app")[1] is None


def test_an_empty_client_id_takes_no_client_quota():
    limits = Limits.of(quotas([((..., None), 8)]), P)
    assert limits.resolve("bob", "") == (("", ""), None)  # as Kafka: "" matches no level
