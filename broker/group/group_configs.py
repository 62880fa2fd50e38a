"""A consumer group's own configs: Kafka's GROUP config resource (type 32, KIP-848).

An operator may give one group a session timeout and heartbeat interval of its own
(``consumer.session.timeout.ms``, ``consumer.heartbeat.interval.ms``); a group without one
follows the broker's ``group.consumer.session.timeout.ms`` / ``.heartbeat.interval.ms``. The
overrides are kept in the metadata log as ConfigRecords of resource type 32, for any group
name, whether or not the group exists (as in Kafka: the configs outlive the group).

Validation is Kafka's GroupConfig's: known names only, integers of at least 1, each within the
broker's ``group.consumer.min/max.*`` bounds, and a session timeout above the heartbeat
interval once the overrides are laid over the broker's values. Kafka checks the broker's
values against the bounds too; this broker lets a development setup run a group protocol
faster than the bounds allow, so only the values a group sets are held to them.

Kafka also defines share and streams group keys (``share.*``, ``streams.*``); this broker
serves neither kind of group, so they are unknown names here (INVALID_CONFIG).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from broker.config import (
    CONFIG_TYPES,
    DEFAULT_CONFIG,
    ConfigDef,
    ConfigEntry,
    ConfigError,
    Synonym,
    at_least,
)
from broker.errors import ErrorCode, KafkaError

GROUP_CONFIG = 8  # Kafka's DescribeConfigs source for a group's own value
SESSION_TIMEOUT = "consumer.session.timeout.ms"
HEARTBEAT_INTERVAL = "consumer.heartbeat.interval.ms"


class Settings(Protocol):
    """What is read of the broker's config (broker.config.BrokerConfig)."""

    def get(self, name: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class GroupConfigDef:
    definition: ConfigDef  # no default of its own: the broker's ``broker_key`` is it
    broker_key: str
    min_key: str
    max_key: str


def _g(name: str, doc: str, broker_key: str, min_key: str, max_key: str) -> GroupConfigDef:
    return GroupConfigDef(ConfigDef(name, "int", None, doc, at_least(1)), broker_key, min_key,
                          max_key)


GROUP_CONFIGS: dict[str, GroupConfigDef] = {
    g.definition.name: g
    for g in (
        _g(
            SESSION_TIMEOUT,
            "How long a member of this consumer group may go without heartbeating before it "
            "is removed (KIP-848 protocol).",
            "group.consumer.session.timeout.ms",
            "group.consumer.min.session.timeout.ms",
            "group.consumer.max.session.timeout.ms",
        ),
        _g(
            HEARTBEAT_INTERVAL,
            "How often the members of this consumer group are told to heartbeat (KIP-848 "
            "protocol).",
            "group.consumer.heartbeat.interval.ms",
            "group.consumer.min.heartbeat.interval.ms",
            "group.consumer.max.heartbeat.interval.ms",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ConsumerGroupTimeouts:
    """What the KIP-848 coordinator uses for one group."""

    session_timeout_ms: int
    heartbeat_interval_ms: int


def check_group_name(name: str) -> None:
    """No cluster-wide default group resource exists (Kafka: INVALID_REQUEST)."""
    if not name:
        raise KafkaError(ErrorCode.invalid_request, "the group name must not be empty")


def validate(overrides: Mapping[str, str], broker: Settings) -> dict[str, str]:
    """A group's whole new set of overrides, checked as Kafka checks it; the values in
    canonical form. KafkaError(INVALID_CONFIG) naming the first problem."""
    clean: dict[str, str] = {}
    for name in sorted(overrides):
        spec = GROUP_CONFIGS.get(name)
        if spec is None:
            raise KafkaError(ErrorCode.invalid_config, f"unknown group config {name!r}")
        try:
            value = spec.definition.parse(overrides[name])
        except ConfigError as e:
            raise KafkaError(ErrorCode.invalid_config, str(e)) from None
        low, high = int(broker.get(spec.min_key)), int(broker.get(spec.max_key))
        if value < low:
            raise KafkaError(
                ErrorCode.invalid_config,
                f"{name}: {value} is below {spec.min_key} ({low})",
            )
        if value > high:
            raise KafkaError(
                ErrorCode.invalid_config,
                f"{name}: {value} is above {spec.max_key} ({high})",
            )
        clean[name] = str(value)
    values = _values(clean, broker)
    if values[SESSION_TIMEOUT] <= values[HEARTBEAT_INTERVAL]:
        raise KafkaError(
            ErrorCode.invalid_config,
            f"{SESSION_TIMEOUT} ({values[SESSION_TIMEOUT]}) must be greater than "
            f"{HEARTBEAT_INTERVAL} ({values[HEARTBEAT_INTERVAL]})",
        )
    return clean


def describe(overrides: Mapping[str, str], broker: Settings) -> dict[str, ConfigEntry]:
    """Every group config with its value, as Kafka describes a group (any name, existing or
    not): the group's own value (source GROUP_CONFIG) or the broker's (DEFAULT_CONFIG). The
    only synonym is the key itself with that source, as Kafka answers."""
    out = {}
    for name, value in _values(overrides, broker).items():
        spec = GROUP_CONFIGS[name].definition
        source = GROUP_CONFIG if name in overrides else DEFAULT_CONFIG
        text = str(value)
        out[name] = ConfigEntry(
            name=name,
            value=text,
            source=source,
            config_type=CONFIG_TYPES[spec.type],
            documentation=spec.doc,
            default=str(int(broker.get(GROUP_CONFIGS[name].broker_key))),
            synonyms=(Synonym(name, text, source),),
        )
    return out


def consumer_timeouts(
    overrides: Mapping[str, str] | None, session_timeout_ms: int, heartbeat_interval_ms: int
) -> ConsumerGroupTimeouts:
    """A group's timeouts: its overrides (validated when stored) over the given defaults."""
    overrides = overrides or {}
    return ConsumerGroupTimeouts(
        _int(overrides.get(SESSION_TIMEOUT), session_timeout_ms),
        _int(overrides.get(HEARTBEAT_INTERVAL), heartbeat_interval_ms),
    )


def _values(overrides: Mapping[str, str], broker: Settings) -> dict[str, int]:
    return {
        name: _int(overrides.get(name), int(broker.get(spec.broker_key)))
        for name, spec in GROUP_CONFIGS.items()
    }


def _int(text: str | None, default: int) -> int:
    # a stored value that no longer parses (written by another version) falls back
    try:
        return default if text is None else int(text)
    except ValueError:
        return default
