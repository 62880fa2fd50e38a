"""Client quota entities and changes as kctl's options give them, and how they are shown.

Pure (no protocol, no kio): the options of `kctl quotas` become an :class:`EntitySpec` (the
parts of a quota entity, a None name meaning the type's default entity, ``<default>`` in
tables) and a list of :class:`QuotaOp`; answers become rows and JSON documents.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kctl.console import ExitCode, KctlError

USER, CLIENT_ID, IP = "user", "client-id", "ip"
ENTITY_TYPES = (USER, CLIENT_ID, IP)
# Kafka's quota keys, in the order tables show them (others follow, sorted).
KNOWN_KEYS = (
    "producer_byte_rate",
    "consumer_byte_rate",
    "request_percentage",
    "controller_mutation_rate",
    "connection_creation_rate",
)
DEFAULT_NAME = "<default>"

Parts = tuple[tuple[str, str | None], ...]  # (entity type, name or None for the default)


@dataclass(frozen=True)
class EntitySpec:
    parts: Parts

    @classmethod
    def of(
        cls,
        *,
        user: str | None = None,
        user_default: bool = False,
        client_id: str | None = None,
        client_default: bool = False,
        ip: str | None = None,
        ip_default: bool = False,
    ) -> EntitySpec:
        """The entity named by the options; a usage error if a type is given twice."""
        parts: list[tuple[str, str | None]] = []
        for entity_type, name, default in (
            (USER, user, user_default),
            (CLIENT_ID, client_id, client_default),
            (IP, ip, ip_default),
        ):
            option = "--client-id" if entity_type == CLIENT_ID else f"--{entity_type}"
            default_option = (
                "--client-default" if entity_type == CLIENT_ID else f"--{entity_type}-default"
            )
            if name is not None and default:
                raise KctlError(
                    f"give {option} or {default_option}, not both", ExitCode.USAGE
                )
            if name == "":
                raise KctlError(
                    f"{option} needs a name (use {default_option} for the default)",
                    ExitCode.USAGE,
                )
            if name is not None or default:
                parts.append((entity_type, name))
        return cls(tuple(parts))

    def __bool__(self) -> bool:
        return bool(self.parts)

    def doc(self) -> dict[str, str | None]:
        return entity_doc(self.parts)

    def text(self) -> str:
        return entity_text(self.parts)


@dataclass(frozen=True)
class QuotaOp:
    key: str
    value: float | None  # None: remove the key


def parse_ops(add: Iterable[str], delete: Iterable[str]) -> list[QuotaOp]:
    """``--add k=v[,k=v]`` and ``--delete k[,k]`` as operations; usage errors name the problem."""
    ops: dict[str, QuotaOp] = {}

    def put(op: QuotaOp) -> None:
        if op.key in ops:
            raise KctlError(f"quota {op.key!r} is changed twice", ExitCode.USAGE)
        ops[op.key] = op

    for item in _items(add):
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise KctlError(f"--add expects KEY=VALUE, got {item!r}", ExitCode.USAGE)
        try:
            value = float(text)
        except ValueError:
            raise KctlError(f"--add {key}: {text.strip()!r} is not a number",
                            ExitCode.USAGE) from None
        if not math.isfinite(value):
            raise KctlError(f"--add {key}: {text.strip()!r} is not a finite number",
                            ExitCode.USAGE)
        put(QuotaOp(key, value))
    for key in _items(delete):
        put(QuotaOp(key, None))
    if not ops:
        raise KctlError("nothing to change: give --add KEY=VALUE or --delete KEY", ExitCode.USAGE)
    return list(ops.values())


def _items(values: Iterable[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def ordered(parts: Iterable[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    rank = {t: i for i, t in enumerate(ENTITY_TYPES)}
    return sorted(parts, key=lambda p: (rank.get(p[0], len(rank)), p[0]))


def entity_doc(parts: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """The entity for JSON: {type: name}, null for a default entity; absent types left out."""
    return dict(ordered(parts))


def entity_text(parts: Iterable[tuple[str, str | None]]) -> str:
    """user=alice, client-id=<default>"""
    return ", ".join(f"{t}={DEFAULT_NAME if n is None else n}" for t, n in ordered(parts))


def number(value: float | None) -> int | float | None:
    """A quota value as people write it: 1048576, not 1048576.0."""
    if value is None:
        return None
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def key_order(keys: Iterable[str]) -> list[str]:
    found = set(keys)
    return [k for k in KNOWN_KEYS if k in found] + sorted(found - set(KNOWN_KEYS))


def describe_docs(found: list[tuple[Parts, Mapping[str, float]]]) -> list[dict[str, Any]]:
    """One document per entity, {"entity": {...}, "quotas": {key: value}}, ordered by user,
    client id and ip (an absent part first, then the default, then names)."""
    return [
        {"entity": entity_doc(parts),
         "quotas": {k: number(values[k]) for k in key_order(values)}}
        for parts, values in sorted(found, key=lambda item: _entity_rank(item[0]))
    ]


def _entity_rank(parts: Parts) -> list[tuple[int, str]]:
    names = dict(parts)
    rank = []
    for t in ENTITY_TYPES:
        if t not in names:
            rank.append((0, ""))
        else:
            name = names[t]
            rank.append((1, "") if name is None else (2, name))
    return rank


def describe_rows(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Table rows (one per entity, a column per quota key) and their columns."""
    types = [t for t in ENTITY_TYPES if any(t in d["entity"] for d in docs)] or [USER, CLIENT_ID]
    keys = key_order(k for d in docs for k in d["quotas"])
    rows = []
    for d in docs:
        row: dict[str, Any] = {}
        for t in types:
            name = d["entity"].get(t, "")
            row[t.replace("-", "_")] = None if name == "" else (name or DEFAULT_NAME)
        row.update({k: d["quotas"].get(k) for k in keys})
        rows.append(row)
    return rows, [t.replace("-", "_") for t in types] + keys
