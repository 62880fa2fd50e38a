"""DescribeClientQuotas filters match as Kafka's ClientQuotasImage does (the entity set of
Kafka's ClientQuotasRequestTest), and refuse what Kafka refuses."""

from __future__ import annotations

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.quotas.describe import (
    MATCH_DEFAULT,
    MATCH_EXACT,
    MATCH_SPECIFIED,
    QuotaFilter,
    describe,
)
from broker.quotas.entity import entity_of


def entity(user=..., client=..., ip=...):
    parts = [(t, n) for t, n in (("user", user), ("client-id", client), ("ip", ip)) if n is not ...]
    return entity_of(parts)


ENTITIES = [
    entity("user-1", "client-id-1"),
    entity("user-2", "client-id-1"),
    entity("user-3", "client-id-2"),
    entity(None, "client-id-1"),
    entity("user-1", None),
    entity("user-3", None),
    entity("user-1"),
    entity("user-2"),
    entity("user-3"),
    entity(None),
    entity(client="client-id-2"),
    entity(ip="1.2.3.4"),
    entity(ip="2.3.4.5"),
]
QUOTAS = {e: {"request_percentage": float(i)} for i, e in enumerate(ENTITIES)}


def found(components, strict):
    return [e for e, _ in describe(QUOTAS, QuotaFilter.parse(components, strict))]


@pytest.mark.parametrize("target", ENTITIES)
def test_exact_and_default_components_find_one_entity(target):
    components = [(t, MATCH_DEFAULT if n is None else MATCH_EXACT, n) for t, n in target]
    assert found(components, strict=True) == [target]


@pytest.mark.parametrize(
    "components, strict, count",
    [
        ([("user", MATCH_SPECIFIED, None)], True, 4),  # default user included
        ([("user", MATCH_SPECIFIED, None)], False, 10),
        ([("client-id", MATCH_SPECIFIED, None)], True, 1),
        ([("client-id", MATCH_SPECIFIED, None)], False, 7),
        ([("ip", MATCH_SPECIFIED, None)], False, 2),
        ([("user", MATCH_EXACT, "user-1")], False, 3),
        ([("user", MATCH_DEFAULT, None), ("client-id", MATCH_SPECIFIED, None)], False, 1),
        ([], False, 13),
        ([], True, 0),
    ],
)
def test_partial_matches(components, strict, count):
    assert len(found(components, strict)) == count


@pytest.mark.parametrize(
    "components, code, message",
    [
        ([("", MATCH_EXACT, "x")], ErrorCode.invalid_request, "Invalid empty entity type."),
        ([("user", MATCH_EXACT, "a"), ("user", MATCH_DEFAULT, None)], ErrorCode.invalid_request,
         "Entity type user cannot appear more than once in the filter."),
        ([("group", MATCH_EXACT, "g")], ErrorCode.unsupported_version,
         "Unsupported entity type group"),
        ([("user", MATCH_EXACT, None)], ErrorCode.invalid_request,
         "Request specified MATCH_TYPE_EXACT, but set match string to null."),
        ([("user", MATCH_DEFAULT, "a")], ErrorCode.invalid_request,
         "Request specified MATCH_TYPE_DEFAULT, but also specified a match string."),
        ([("user", MATCH_SPECIFIED, "a")], ErrorCode.invalid_request,
         "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string."),
        ([("user", 7, None)], ErrorCode.invalid_request, "Unknown match type 7"),
        ([("ip", MATCH_SPECIFIED, None), ("client-id", MATCH_SPECIFIED, None)],
         ErrorCode.invalid_request,
         "Invalid entity filter component combination. IP filter component should not be "
         "used with user or clientId filter component."),
    ],
)
def test_refused_filters(components, code, message):
    with pytest.raises(KafkaError) as e:
        QuotaFilter.parse(components, strict=False)
    assert (e.value.code, e.value.message) == (code, message)
