"""AlterClientQuotas as Kafka's controller decides it (ClientQuotaControlManager).

Each entity gets one answer. Its changes land only if all of them are valid; every valid
entity's records are committed together. The checks and messages, in Kafka's order:

* the entity: not empty, each type once, a known type (user, client-id, ip), no empty name
  (a null name is the default entity); an ip neither combined with a user or client id nor
  unresolvable;
* each key once per entity, and known for the entity's kind (``Invalid configuration key``);
* a set value greater than 0, whole and in range for integral keys. Removing a key that is
  not set does nothing; setting a key to the value it has writes nothing.

Where this differs from Kafka, on purpose: an entity named in two entries is refused in both
(Kafka applies the first and reports the second as ignored), and NaN or infinite values of
the double-typed keys are refused (Kafka stores them, and then throttles oddly).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from broker.errors import ErrorCode, KafkaError
from broker.metadata.records import ClientQuotaRecord, QuotaEntity
from broker.quotas.entity import (
    CLIENT_ID,
    ENTITY_TYPES,
    INTEGRAL_MAX,
    IP,
    IP_KEYS,
    USER,
    USER_CLIENT_KEYS,
    entity_of,
    entity_text,
)

Parts = tuple[tuple[str, str | None], ...]  # entity parts as a request gives them


@dataclass(frozen=True, slots=True)
class Alteration:
    parts: Parts
    ops: tuple[tuple[str, float | None], ...]  # (key, value), None to remove the key


@dataclass(frozen=True, slots=True)
class Outcome:
    parts: Parts  # as the request named the entity
    error: KafkaError | None


def plan(
    current: dict[QuotaEntity, dict[str, float]],
    alterations: list[Alteration],
    resolvable: Callable[[str], bool],
) -> tuple[list[ClientQuotaRecord], list[Outcome]]:
    """The records the alterations make and one outcome per distinct entity.

    ``resolvable(name)`` says whether an ip entity's name is an address or a host name that
    resolves (the caller resolves names beforehand: this module does no I/O).
    """
    by_entity: dict[Parts, list[Alteration]] = {}
    for alteration in alterations:
        by_entity.setdefault(tuple(sorted(alteration.parts)), []).append(alteration)
    records: list[ClientQuotaRecord] = []
    outcomes = []
    for same in by_entity.values():
        parts = same[0].parts
        try:
            if len(same) > 1:
                raise _invalid(f"Ignoring duplicate entity {_text(parts)}")
            records += _records(current, same[0], resolvable)
        except KafkaError as e:
            outcomes.append(Outcome(parts, e))
        else:
            outcomes.append(Outcome(parts, None))
    return records, outcomes


def _records(
    current: dict[QuotaEntity, dict[str, float]],
    alteration: Alteration,
    resolvable: Callable[[str], bool],
) -> list[ClientQuotaRecord]:
    keys = [key for key, _ in alteration.ops]
    for key in keys:
        if keys.count(key) > 1:
            raise _invalid(
                f"Duplicate quota key {key} not updating quota for this entity "
                f"{_text(alteration.parts)}"
            )
    entity = _checked_entity(alteration.parts)
    valid_keys = _keys_for(entity, resolvable)
    now = current.get(entity, {})
    out = []
    for key, value in alteration.ops:
        if value is None:
            if key in now:
                out.append(ClientQuotaRecord(entity, key, remove=True))
            continue
        check_value(valid_keys, key, value)
        if now.get(key) != value:
            out.append(ClientQuotaRecord(entity, key, value))
    return out


def _checked_entity(parts: Parts) -> QuotaEntity:
    if not parts:
        raise _invalid("Invalid empty client quota entity")
    seen: set[str] = set()
    for entity_type, name in parts:
        if entity_type in seen:
            raise _invalid(f"Invalid client quota entity, duplicate entity entry {entity_type}")
        seen.add(entity_type)
        if entity_type not in ENTITY_TYPES:
            raise _invalid(f"Unhandled client quota entity type: {entity_type}")
        if name == "":
            raise _invalid(f"Empty {entity_type} not supported")
    return entity_of(parts)


def _keys_for(entity: QuotaEntity, resolvable: Callable[[str], bool]) -> dict[str, str]:
    names = dict(entity)
    if IP in names:
        if USER in names or CLIENT_ID in names:
            raise _invalid(
                "Invalid quota entity combination, IP entity should not be combined with "
                "User or ClientId"
            )
        ip = names[IP]
        if ip is not None and not resolvable(ip):
            raise _invalid(f"{ip} is not a valid IP or resolvable host.")
        return IP_KEYS
    return USER_CLIENT_KEYS


def check_value(valid_keys: dict[str, str], key: str, value: float) -> None:
    """Kafka's checks of one quota value (``valid_keys``: key -> config type)."""
    kind = valid_keys.get(key)
    if kind is None:
        raise _invalid(f"Invalid configuration key {key}")
    if value <= 0.0:
        raise _invalid(f"Quota {key} must be greater than 0")
    if kind in INTEGRAL_MAX:
        if value > float(INTEGRAL_MAX[kind]):  # Java compares with the max as a double
            article = "an" if kind == "int" else "a"
            raise _invalid(f"Proposed value for {key} is too large for {article} {kind.upper()}.")
        if abs(value % 1.0) > 1e-6:
            raise _invalid(f"{key} cannot be a fractional value.")
    if not math.isfinite(value):
        raise _invalid(f"Quota {key} must be a finite number")


def _text(parts: Parts) -> str:
    return entity_text(tuple(parts))


def _invalid(message: str) -> KafkaError:
    return KafkaError(ErrorCode.invalid_request, message)
