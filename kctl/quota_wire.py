"""DescribeClientQuotas (key 48) and AlterClientQuotas (key 49) over kctl's own connection
(kctl.broker_sessions): confluent-kafka has no client quota API.

Any broker answers both (Kafka forwards alterations to its controller), so one session with
the first bootstrap server that answers is enough. Each call picks the highest version both
sides speak (v1 is v0 made flexible). Callers run these under
broker_sessions.with_bootstrap, which makes failures one-line KctlErrors.
"""

from __future__ import annotations

from dataclasses import dataclass

from kio.schema.alter_client_quotas.v0 import request as alter_v0
from kio.schema.alter_client_quotas.v1 import request as alter_v1
from kio.schema.describe_client_quotas.v0 import request as describe_v0
from kio.schema.describe_client_quotas.v1 import request as describe_v1
from kio.static.primitive import f64, i8

from kctl.broker_sessions import BrokerSession
from kctl.kafka_wire import check
from kctl.quota_model import EntitySpec, Parts, QuotaOp

DESCRIBE_CLIENT_QUOTAS, ALTER_CLIENT_QUOTAS = 48, 49
MATCH_EXACT, MATCH_DEFAULT = 0, 1


@dataclass(frozen=True)
class Described:
    parts: Parts
    quotas: dict[str, float]


def describe(session: BrokerSession, spec: EntitySpec, *, strict: bool) -> list[Described]:
    """The entities matching every part of ``spec`` (``strict``: and no other type)."""
    version = session.version(DESCRIBE_CLIENT_QUOTAS, "DescribeClientQuotas", 0, 1)
    m = describe_v1 if version >= 1 else describe_v0
    components = tuple(
        m.ComponentData(entity_type=t, match_type=i8(MATCH_DEFAULT if n is None else MATCH_EXACT),
                        match=n)
        for t, n in spec.parts
    )
    answer = session.request(m.DescribeClientQuotasRequest(components=components, strict=strict))
    check(answer.error_code, answer.error_message)
    return [
        Described(tuple((e.entity_type, e.entity_name) for e in entry.entity),
                  {v.key: float(v.value) for v in entry.values})
        for entry in answer.entries or ()
    ]


def alter(
    session: BrokerSession, spec: EntitySpec, ops: list[QuotaOp], *, validate_only: bool
) -> None:
    """Apply (or only validate) the operations on one entity; WireError if refused."""
    m = alter_v1 if alter_version(session) >= 1 else alter_v0
    entry = m.EntryData(
        entity=tuple(m.EntityData(entity_type=t, entity_name=n) for t, n in spec.parts),
        ops=tuple(
            m.OpData(key=op.key, value=f64(0.0 if op.value is None else op.value),
                     remove=op.value is None)
            for op in ops
        ),
    )
    answer = session.request(
        m.AlterClientQuotasRequest(entries=(entry,), validate_only=validate_only))
    for result in answer.entries:
        check(result.error_code, result.error_message)


def alter_version(session: BrokerSession) -> int:
    """The AlterClientQuotas version to send (Unsupported if the broker has none)."""
    return session.version(ALTER_CLIENT_QUOTAS, "AlterClientQuotas", 0, 1)


