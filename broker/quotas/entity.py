"""Quota entities and keys, with Apache Kafka's names and value types.

An entity is a set of (type, name) parts: a user, a client id, both, or an IP address. A
name of None is the type's default entity (``<default>`` in kafka-configs.sh), which applies
to every user (or client id, or IP) without a quota of its own. Entities are kept as the
metadata record stores them: a tuple of parts sorted by type (``records.QuotaEntity``).
"""

from __future__ import annotations

from collections.abc import Iterable

from broker.metadata.records import QuotaEntity

USER, CLIENT_ID, IP = "user", "client-id", "ip"
ENTITY_TYPES = (USER, CLIENT_ID, IP)  # the order people read them in

PRODUCER_BYTE_RATE = "producer_byte_rate"
CONSUMER_BYTE_RATE = "consumer_byte_rate"
REQUEST_PERCENTAGE = "request_percentage"
CONTROLLER_MUTATION_RATE = "controller_mutation_rate"
CONNECTION_CREATION_RATE = "connection_creation_rate"

# Kafka's QuotaConfig: the keys each kind of entity takes, with their config types. Values
# travel as float64; integral types must hold whole numbers within the type's range.
USER_CLIENT_KEYS = {
    PRODUCER_BYTE_RATE: "long",
    CONSUMER_BYTE_RATE: "long",
    REQUEST_PERCENTAGE: "double",
    CONTROLLER_MUTATION_RATE: "double",
}
IP_KEYS = {CONNECTION_CREATION_RATE: "int"}
INTEGRAL_MAX = {"short": 2**15 - 1, "int": 2**31 - 1, "long": 2**63 - 1}


def entity_of(parts: Iterable[tuple[str, str | None]]) -> QuotaEntity:
    """The canonical entity of some parts (each type at most once; the caller checks)."""
    return tuple(sorted(parts, key=lambda part: part[0]))


def ordered(entity: QuotaEntity) -> list[tuple[str, str | None]]:
    """The parts in reading order: user, client-id, ip, then anything else."""
    rank = {t: i for i, t in enumerate(ENTITY_TYPES)}
    return sorted(entity, key=lambda part: (rank.get(part[0], len(rank)), part[0]))


def entity_text(entity: QuotaEntity) -> str:
    """The entity as Kafka's messages print it: ClientQuotaEntity(entries={user=alice})."""
    entries = ", ".join(f"{t}={'null' if n is None else n}" for t, n in ordered(entity))
    return f"ClientQuotaEntity(entries={{{entries}}})"


def user_of(principal: str) -> str:
    """Kafka's user entity name of a principal: its name without the type (User:alice -> alice)."""
    _, sep, name = principal.partition(":")
    return name if sep else principal
