"""Broker configuration, keyed by Apache Kafka's broker config names.

Values come from defaults, a TOML file (nested tables flatten with dots, so
``[log] "retention.ms" = 1`` is ``log.retention.ms``), ``--set KEY=VALUE`` overrides, and
dynamic changes made at runtime through (Incremental)AlterConfigs, in rising precedence.
Unknown keys and bad values are a ConfigError naming the key: one line for the user.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LONG_MAX = 2**63 - 1

# Kafka's DescribeConfigs source numbers and config type numbers.
DYNAMIC_TOPIC_CONFIG, DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG = 1, 2, 3
STATIC_BROKER_CONFIG, DEFAULT_CONFIG = 4, 5
CONFIG_TYPES = {
    "boolean": 1,
    "string": 2,
    "int": 3,
    "short": 4,
    "long": 5,
    "double": 6,
    "list": 7,
    "class": 8,
    "password": 9,
}


class ConfigError(ValueError):
    """A configuration key or value the broker cannot run with."""


@dataclass(frozen=True, slots=True)
class ConfigDef:
    name: str
    type: str
    default: Any
    doc: str
    validator: Callable[[Any], str | None] | None = None
    dynamic: bool = False  # may change at runtime (kctl configs alter --broker)

    def parse(self, raw: Any) -> Any:
        """Turn a TOML value or a string into this config's type, validated."""
        try:
            value = _coerce(self.type, raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name}: {raw!r} is not a valid {self.type}") from None
        if self.validator is not None and value is not None:
            problem = self.validator(value)
            if problem:
                raise ConfigError(f"{self.name}: {raw!r} {problem}")
        return value


def _coerce(kind: str, raw: Any) -> Any:
    if raw is None:
        return None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text not in ("true", "false"):
            raise ValueError(raw)
        return text == "true"
    if kind in ("int", "long", "short"):
        if isinstance(raw, bool):
            raise ValueError(raw)
        return int(str(raw).strip())
    if kind == "double":
        return float(raw)
    if kind == "list":
        if isinstance(raw, list):
            return [str(x).strip() for x in raw]
        return [x.strip() for x in str(raw).split(",") if x.strip()]
    return str(raw)


def at_least(n: float) -> Callable[[Any], str | None]:
    return lambda v: None if v >= n else f"must be at least {n}"


def between(lo: float, hi: float) -> Callable[[Any], str | None]:
    return lambda v: None if lo <= v <= hi else f"must be between {lo} and {hi}"


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        values = v if isinstance(v, list) else [v]
        bad = [x for x in values if x not in choices]
        return f"must be one of {', '.join(choices)}" if bad else None

    return check


def default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(base, "kctl", "broker")


_D = ConfigDef
DEFINITIONS: dict[str, ConfigDef] = {
    d.name: d
    for d in [
        _D("node.id", "int", 1, "This broker's id in the cluster.", at_least(0)),
        _D("cluster.id", "string", None, "Cluster id; generated on first start when unset."),
        _D("listeners", "list", ["PLAINTEXT://127.0.0.1:9092"], "Addresses to listen on."),
        _D(
            "advertised.listeners", "list", None, "Addresses given to clients (default: listeners)."
        ),
        _D("log.dirs", "list", None, "Directory of the logs (default: a per-user data directory)."),
        _D(
            "auto.create.topics.enable",
            "boolean",
            True,
            "Create unknown topics on metadata requests.",
            dynamic=True,
        ),
        _D("num.partitions", "int", 1, "Partitions of auto-created topics.", at_least(1), True),
        _D(
            "default.replication.factor",
            "int",
            1,
            "Replication factor of auto-created topics.",
            at_least(1),
        ),
        _D(
            "message.max.bytes", "int", 1048588, "Largest record batch accepted.", at_least(0), True
        ),
        _D(
            "socket.request.max.bytes",
            "int",
            104857600,
            "Largest request frame accepted.",
            at_least(1),
        ),
        _D(
            "log.segment.bytes",
            "int",
            1073741824,
            "Segment size before a roll.",
            at_least(14),
            True,
        ),
        _D(
            "log.roll.ms",
            "long",
            None,
            "Segment age before a roll (overrides log.roll.hours).",
            at_least(1),
            True,
        ),
        _D("log.roll.hours", "int", 168, "Segment age in hours before a roll.", at_least(1)),
        _D(
            "log.retention.ms",
            "long",
            None,
            "Retention by time; -1 keeps forever.",
            at_least(-1),
            True,
        ),
        _D(
            "log.retention.minutes",
            "int",
            None,
            "Retention in minutes (below log.retention.ms).",
            at_least(-1),
        ),
        _D(
            "log.retention.hours",
            "int",
            168,
            "Retention in hours (below .minutes and .ms).",
            at_least(-1),
        ),
        _D(
            "log.retention.bytes",
            "long",
            -1,
            "Retention by size per partition; -1 is unlimited.",
            at_least(-1),
            True,
        ),
        _D(
            "log.retention.check.interval.ms",
            "long",
            300000,
            "How often retention runs.",
            at_least(1),
        ),
        _D(
            "log.cleanup.policy",
            "list",
            ["delete"],
            "delete, compact, or both.",
            one_of("delete", "compact"),
            True,
        ),
        _D(
            "log.index.interval.bytes",
            "int",
            4096,
            "Log bytes between offset index entries.",
            at_least(0),
            True,
        ),
        _D(
            "log.index.size.max.bytes",
            "int",
            10485760,
            "Largest index file before a roll.",
            at_least(4),
            True,
        ),
        _D(
            "log.flush.interval.messages",
            "long",
            LONG_MAX,
            "fsync after this many records.",
            at_least(1),
            True,
        ),
        _D(
            "log.flush.interval.ms",
            "long",
            None,
            "fsync when data is older than this.",
            at_least(0),
            True,
        ),
        _D(
            "log.message.timestamp.type",
            "string",
            "CreateTime",
            "CreateTime or LogAppendTime.",
            one_of("CreateTime", "LogAppendTime"),
            True,
        ),
        _D("log.cleaner.enable", "boolean", True, "Run the log cleaner for compacted topics."),
        _D("log.cleaner.threads", "int", 1, "Cleaner workers.", at_least(0)),
        _D(
            "log.cleaner.min.cleanable.ratio",
            "double",
            0.5,
            "Dirty ratio that triggers cleaning.",
            between(0, 1),
            True,
        ),
        _D(
            "log.cleaner.delete.retention.ms",
            "long",
            86400000,
            "How long tombstones are kept.",
            at_least(0),
            True,
        ),
        _D(
            "log.cleaner.min.compaction.lag.ms",
            "long",
            0,
            "Minimum age before compaction.",
            at_least(0),
            True,
        ),
        _D(
            "log.cleaner.max.compaction.lag.ms",
            "long",
            LONG_MAX,
            "Maximum age before compaction.",
            at_least(1),
            True,
        ),
        _D(
            "log.cleaner.backoff.ms",
            "long",
            15000,
            "Cleaner sleep when nothing to clean.",
            at_least(0),
        ),
        _D(
            "log.cleaner.io.max.bytes.per.second",
            "double",
            float(2**63),
            "Cleaner I/O throttle.",
            at_least(1),
        ),
        _D(
            "min.insync.replicas",
            "int",
            1,
            "In-sync replicas an acks=all write needs.",
            at_least(1),
            True,
        ),
        _D("delete.topic.enable", "boolean", True, "Allow topics to be deleted."),
        _D(
            "compression.type",
            "string",
            "producer",
            "Broker-side compression of topics.",
            one_of("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
            True,
        ),
        _D(
            "offsets.topic.num.partitions",
            "int",
            50,
            "Partitions of __consumer_offsets.",
            at_least(1),
        ),
        _D(
            "offsets.topic.replication.factor",
            "short",
            1,
            "Replication of __consumer_offsets.",
            at_least(1),
        ),
        _D(
            "offsets.retention.minutes",
            "int",
            10080,
            "Committed offsets of empty groups expire.",
            at_least(1),
        ),
        _D(
            "offsets.retention.check.interval.ms",
            "long",
            600000,
            "How often offsets expire.",
            at_least(1),
        ),
        # Kafka's default is 3000 ms; a development broker should not make users wait.
        _D(
            "group.initial.rebalance.delay.ms",
            "int",
            100,
            "Wait for more members on a new group.",
            at_least(0),
        ),
        _D("group.min.session.timeout.ms", "int", 6000, "Smallest session timeout.", at_least(0)),
        _D("group.max.session.timeout.ms", "int", 1800000, "Largest session timeout.", at_least(0)),
        _D(
            "transactional.id.expiration.ms",
            "int",
            604800000,
            "Idle transactional ids expire.",
            at_least(1),
        ),
        _D(
            "producer.id.expiration.ms",
            "int",
            86400000,
            "Idle producer state expires.",
            at_least(1),
        ),
        _D(
            "admin.listen",
            "string",
            None,
            "HOST:PORT of the HTTP admin and metrics endpoint "
            "(kctl-specific; disabled when unset).",
        ),
        _D("super.users", "list", [], "Principals allowed everything."),
        _D("allow.everyone.if.no.acl.found", "boolean", True, "Allow when no ACL matches."),
    ]
}


@dataclass(frozen=True, slots=True)
class Synonym:
    name: str
    value: str | None
    source: int


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One config as DescribeConfigs reports it."""

    value: str | None
    source: int
    config_type: int
    documentation: str
    synonyms: tuple[Synonym, ...] = ()
    read_only: bool = False
    sensitive: bool = False

    @property
    def is_default(self) -> bool:
        return self.source == DEFAULT_CONFIG


def render(value: Any) -> str | None:
    """A value as Kafka shows it in DescribeConfigs."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return repr(value)
    return str(value)


@dataclass
class BrokerConfig:
    static: dict[str, Any] = field(default_factory=dict)  # from the file and --set
    dynamic: dict[str, Any] = field(default_factory=dict)  # from the metadata log

    def raw(self, name: str) -> tuple[Any, int]:
        if name in self.dynamic:
            return self.dynamic[name], DYNAMIC_BROKER_CONFIG
        if name in self.static:
            return self.static[name], STATIC_BROKER_CONFIG
        return DEFINITIONS[name].default, DEFAULT_CONFIG

    def get(self, name: str) -> Any:
        if name == "log.dirs":
            dirs = self.raw(name)[0]
            return dirs or [default_data_dir()]
        return self.raw(name)[0]

    # Derived values with Kafka's precedence rules.
    @property
    def retention_ms(self) -> int:
        for name, factor in (
            ("log.retention.ms", 1),
            ("log.retention.minutes", 60_000),
            ("log.retention.hours", 3_600_000),
        ):
            value = self.get(name)
            if value is not None:
                return -1 if value < 0 else value * factor
        return -1

    @property
    def roll_ms(self) -> int:
        ms = self.get("log.roll.ms")
        return ms if ms is not None else self.get("log.roll.hours") * 3_600_000

    def set_dynamic(self, name: str, value: str | None) -> None:
        """Apply a dynamic broker config (None removes it); raises ConfigError."""
        definition = DEFINITIONS.get(name)
        if definition is None:
            raise ConfigError(f"unknown broker config {name}")
        if not definition.dynamic:
            raise ConfigError(f"{name} cannot be changed while the broker runs")
        if value is None:
            self.dynamic.pop(name, None)
        else:
            self.dynamic[name] = definition.parse(value)

    def describe(self) -> dict[str, ConfigEntry]:
        out = {}
        for name, d in DEFINITIONS.items():
            value, source = self.raw(name)
            out[name] = ConfigEntry(
                value=render(value),
                source=source,
                config_type=CONFIG_TYPES[d.type],
                documentation=d.doc,
                read_only=not d.dynamic,
                sensitive=d.type == "password",
                synonyms=(Synonym(name, render(value), source),),
            )
        return out


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def load_config(toml_path: Path | None, overrides: list[str]) -> BrokerConfig:
    """Defaults, then the TOML file, then KEY=VALUE overrides."""
    raw: dict[str, Any] = {}
    if toml_path is not None:
        try:
            with open(toml_path, "rb") as f:
                raw.update(flatten(tomllib.load(f)))
        except OSError as e:
            raise ConfigError(f"cannot read {toml_path}: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{toml_path} is not valid TOML: {e}") from None
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        raw[key.strip()] = value
    static = {}
    for name, value in raw.items():
        definition = DEFINITIONS.get(name)
        if definition is None:
            raise ConfigError(f"unknown broker config {name!r}")
        static[name] = definition.parse(value)
    return BrokerConfig(static=static)
