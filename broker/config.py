"""Broker configuration, keyed by Apache Kafka's broker config names.

Values come from four layers, in rising precedence: the definition's default, the TOML file
(nested tables flatten with dots, so ``[log] "retention.ms" = 1`` is ``log.retention.ms``),
``--set KEY=VALUE`` overrides, and dynamic configs changed at runtime through
(Incremental)AlterConfigs and kept in the metadata log. Dynamic configs come as a cluster-wide
default (resource name "") and per broker (resource name = node id); per broker wins.

Unknown keys, wrong types and out-of-range values are a ConfigError whose message is one line
naming the key, so the CLI can print it as is.

Keys that Kafka spells several ways (``log.retention.ms`` / ``.minutes`` / ``.hours``,
``log.roll.ms`` / ``.hours``) are synonyms resolved in Kafka's order: the finest unit that is
set wins, whatever its layer.
"""

from __future__ import annotations

import base64
import enum
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

LONG_MAX = 2**63 - 1

# Kafka's DescribeConfigs source numbers.
DYNAMIC_TOPIC_CONFIG = 1
DYNAMIC_BROKER_CONFIG = 2
DYNAMIC_DEFAULT_BROKER_CONFIG = 3
STATIC_BROKER_CONFIG = 4
DEFAULT_CONFIG = 5
DYNAMIC_BROKER_LOGGER_CONFIG = 6

# Kafka's DescribeConfigs config type numbers (v3+).
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
_INT_BOUNDS = {"short": 2**15, "int": 2**31, "long": 2**63}


class ConfigError(ValueError):
    """A configuration key or value the broker cannot run with (message: one line)."""


class Origin(enum.Enum):
    """Where a broker config's value came from; ``kafka_source`` is what DescribeConfigs says."""

    DEFAULT = "default"
    FILE = "file"  # the TOML file
    OVERRIDE = "--set"  # a --set KEY=VALUE (or a CLI option mapped onto one)
    DYNAMIC_DEFAULT = "dynamic cluster default"  # AlterConfigs on broker resource ""
    DYNAMIC = "dynamic"  # AlterConfigs on this broker's resource

    @property
    def kafka_source(self) -> int:
        return _KAFKA_SOURCES[self]


# Kafka does not tell a file from a command line: both are STATIC_BROKER_CONFIG.
_KAFKA_SOURCES = {
    Origin.DEFAULT: DEFAULT_CONFIG,
    Origin.FILE: STATIC_BROKER_CONFIG,
    Origin.OVERRIDE: STATIC_BROKER_CONFIG,
    Origin.DYNAMIC_DEFAULT: DYNAMIC_DEFAULT_BROKER_CONFIG,
    Origin.DYNAMIC: DYNAMIC_BROKER_CONFIG,
}


# --- validators: each names what is wrong with a parsed value, or returns None ---------------


class Validator(Protocol):
    def check(self, value: Any) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Range:
    low: float | None = None
    high: float | None = None

    def check(self, value: Any) -> str | None:
        if self.low is not None and value < self.low:
            return f"must be at least {_num(self.low)}" if self.high is None else self._between()
        if self.high is not None and value > self.high:
            return f"must be at most {_num(self.high)}" if self.low is None else self._between()
        return None

    def _between(self) -> str:
        return f"must be between {_num(self.low)} and {_num(self.high)}"


@dataclass(frozen=True, slots=True)
class OneOf:
    """An enumeration; for list configs every item must be one of the choices."""

    choices: tuple[str, ...]

    def check(self, value: Any) -> str | None:
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value:
            return f"must list at least one of {', '.join(self.choices)}"
        if any(x not in self.choices for x in items):
            return f"must be one of {', '.join(self.choices)}"
        return None


def at_least(n: float) -> Range:
    return Range(low=n)


def between(low: float, high: float) -> Range:
    return Range(low, high)


def one_of(*choices: str) -> OneOf:
    return OneOf(tuple(choices))


@dataclass(frozen=True, slots=True)
class OrExactly:
    """``value`` itself, or what ``rest`` accepts (gzip's level: -1 for its default, or 1-9)."""

    value: Any
    rest: Validator

    def check(self, value: Any) -> str | None:
        if value == self.value:
            return None
        problem = self.rest.check(value)
        return None if problem is None else f"{problem}, or {_num(self.value)}"


def _num(n: float | None) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


@dataclass(frozen=True, slots=True)
class Listener:
    """One entry of ``listeners``: NAME://HOST:PORT (an empty host means every interface)."""

    name: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.name}://{host}:{self.port}"


_LISTENER = re.compile(r"^([A-Za-z0-9_]+)://(\[[0-9A-Fa-f:.]+\]|[^:\[\]/]*):(\d{1,5})$")


def parse_listener(text: str) -> Listener:
    """'PLAINTEXT://127.0.0.1:9092' -> Listener; ValueError with a reason otherwise."""
    m = _LISTENER.match(text.strip())
    if not m or int(m.group(3)) > 65535:
        raise ValueError(f"{text!r} is not NAME://HOST:PORT (e.g. PLAINTEXT://127.0.0.1:9092)")
    return Listener(m.group(1).upper(), m.group(2).strip("[]"), int(m.group(3)))


@dataclass(frozen=True, slots=True)
class ListenerList:
    def check(self, value: Any) -> str | None:
        try:
            listeners = [parse_listener(x) for x in value]
        except ValueError as e:
            return f"has {e}"
        names = [x.name for x in listeners]
        if len(set(names)) != len(names):
            return "names a listener twice"
        return None


@dataclass(frozen=True, slots=True)
class HostPort:
    def check(self, value: Any) -> str | None:
        _, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            return "is not HOST:PORT"
        return None


@dataclass(frozen=True, slots=True)
class ClusterIdFormat:
    """Kafka's cluster ids are a UUID in URL-safe base64 without padding: 22 characters."""

    def check(self, value: Any) -> str | None:
        if len(value) == 22 and re.fullmatch(r"[A-Za-z0-9_-]{22}", value):
            try:
                if len(base64.urlsafe_b64decode(value + "==")) == 16:
                    return None
            except ValueError:
                pass
        return "is not a cluster id (a UUID in 22 characters of URL-safe base64)"


# --- definitions ------------------------------------------------------------------------------

# The class names Kafka's server.properties use for its ACL authorizer (KRaft, then ZooKeeper).
AUTHORIZER_CLASSES = (
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "kafka.security.authorizer.AclAuthorizer",
)

HIGH, MEDIUM, LOW = "high", "medium", "low"


@dataclass(frozen=True, slots=True)
class ConfigDef:
    name: str
    type: str  # a key of CONFIG_TYPES
    default: Any  # a value of the type, None, or a zero-argument callable computing it
    doc: str
    validator: Validator | None = None
    importance: str = MEDIUM
    dynamic: bool = False  # may change at runtime through (Incremental)AlterConfigs

    @property
    def sensitive(self) -> bool:
        return self.type == "password"

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def parse(self, raw: Any, where: str = "") -> Any:
        """Turn a TOML value or a string into this config's type, validated."""
        suffix = f" ({where})" if where else ""
        shown = "***" if self.sensitive else repr(raw)
        try:
            value = _coerce(self.type, raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name}: {shown} is not a valid {self.type}{suffix}") from None
        if self.validator is not None and value is not None:
            problem = self.validator.check(value)
            if problem:
                raise ConfigError(f"{self.name}: {shown} {problem}{suffix}")
        return value


def _coerce(kind: str, raw: Any) -> Any:
    if raw is None:
        return None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if not isinstance(raw, str) or raw.strip().lower() not in ("true", "false"):
            raise ValueError(raw)
        return raw.strip().lower() == "true"
    if kind in _INT_BOUNDS:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise TypeError(raw)
        value = int(raw.strip()) if isinstance(raw, str) else raw
        bound = _INT_BOUNDS[kind]
        if not -bound <= value < bound:
            raise ValueError(raw)
        return value
    if kind == "double":
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise TypeError(raw)
        return float(raw)
    if kind == "list":
        items = (
            raw if isinstance(raw, list) else str(raw).split(",") if isinstance(raw, str) else None
        )
        if items is None or any(not isinstance(x, str | int) or isinstance(x, bool) for x in items):
            raise TypeError(raw)
        return [str(x).strip() for x in items if str(x).strip()]
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise TypeError(raw)
    return str(raw)


def default_data_dir() -> str:
    """A per-user data directory: $XDG_DATA_HOME/kctl/broker or ~/.local/share/kctl/broker."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(base, "kctl", "broker")


_COMPRESSION = ("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd")
# (codec, default level, doc, validator) of Kafka's per-codec compression levels (KIP-390)
COMPRESSION_LEVELS = (
    ("gzip", -1, "gzip level when the broker compresses; -1 is 6.", OrExactly(-1, between(1, 9))),
    ("lz4", 9, "lz4 level when the broker compresses.", between(1, 17)),
    ("zstd", 3, "zstd level when the broker compresses.", between(-131072, 22)),
)

_D = ConfigDef
DEFINITIONS: dict[str, ConfigDef] = {
    d.name: d
    for d in [
        # Node and network.
        _D("node.id", "int", 1, "This broker's id in the cluster.", at_least(0), HIGH),
        _D(
            "cluster.id",
            "string",
            None,
            "Cluster id; generated on first start when unset, then kept in meta.properties.",
            ClusterIdFormat(),
            HIGH,
        ),
        _D(
            "listeners",
            "list",
            ["PLAINTEXT://127.0.0.1:9092"],
            "Comma-separated NAME://HOST:PORT addresses to listen on.",
            ListenerList(),
            HIGH,
        ),
        _D(
            "advertised.listeners",
            "list",
            None,
            "Addresses given to clients, NAME://HOST:PORT (default: the listeners).",
            ListenerList(),
            HIGH,
        ),
        _D(
            "socket.request.max.bytes",
            "int",
            104857600,
            "Largest request frame accepted.",
            at_least(1),
            HIGH,
        ),
        _D(
            "admin.listen",
            "string",
            None,
            "HOST:PORT of the HTTP admin and metrics endpoint (kctl-specific; off when unset).",
            HostPort(),
        ),
        _D(
            "max.incremental.fetch.session.cache.slots",
            "int",
            1000,
            "Most incremental fetch sessions (KIP-227) kept; a full cache answers new ones "
            "session id 0 unless one of its sessions may give way.",
            at_least(0),
        ),
        _D(
            "min.incremental.fetch.session.eviction.ms",
            "long",
            120000,
            "How long a fetch session must be idle (or, to give way to a larger one, have "
            "lived) before a new session may take its place (kctl-specific: Kafka hard-codes "
            "120000).",
            at_least(0),
            LOW,
        ),
        # Topics.
        _D(
            "log.dirs",
            "list",
            lambda: [default_data_dir()],
            "Data directory (kctl default: a per-user data directory, not /tmp).",
            None,
            HIGH,
        ),
        _D(
            "auto.create.topics.enable",
            "boolean",
            True,
            "Create unknown topics on metadata requests (dynamic in kctl, static in Kafka).",
            None,
            HIGH,
            dynamic=True,
        ),
        _D(
            "num.partitions",
            "int",
            1,
            "Partitions of auto-created topics (dynamic in kctl, static in Kafka).",
            at_least(1),
            dynamic=True,
        ),
        _D(
            "default.replication.factor",
            "int",
            1,
            "Replication factor of auto-created topics.",
            at_least(1),
        ),
        _D(
            "delete.topic.enable",
            "boolean",
            True,
            "Allow topics to be deleted.",
            None,
            HIGH,
        ),
        _D(
            "message.max.bytes",
            "int",
            1048588,
            "Largest record batch accepted (topic: max.message.bytes).",
            at_least(0),
            HIGH,
            dynamic=True,
        ),
        _D(
            "min.insync.replicas",
            "int",
            1,
            "In-sync replicas an acks=all write needs.",
            at_least(1),
            HIGH,
            dynamic=True,
        ),
        _D(
            "compression.type",
            "string",
            "producer",
            "Compression of stored batches; producer keeps the producer's.",
            one_of(*_COMPRESSION),
            HIGH,
            dynamic=True,
        ),
        # KIP-390: the level the broker compresses with when it re-encodes a batch.
        *(
            _D(f"compression.{codec}.level", "int", default, doc, validator, MEDIUM, dynamic=True)
            for codec, default, doc, validator in COMPRESSION_LEVELS
        ),
        # Log segments and retention.
        _D(
            "log.segment.bytes",
            "int",
            1073741824,
            "Segment size before a roll (at least 14 bytes, Kafka 3.x's rule).",
            at_least(14),
            HIGH,
            dynamic=True,
        ),
        _D(
            "log.roll.ms",
            "long",
            None,
            "Segment age in ms before a roll (wins over log.roll.hours).",
            at_least(1),
            dynamic=True,
        ),
        _D("log.roll.hours", "int", 168, "Segment age in hours before a roll.", at_least(1), HIGH),
        _D(
            "log.roll.jitter.ms",
            "long",
            None,
            "Most random jitter taken off the roll age (wins over log.roll.jitter.hours).",
            at_least(0),
            dynamic=True,
        ),
        _D("log.roll.jitter.hours", "int", 0, "Most random jitter, in hours.", at_least(0)),
        _D(
            "log.retention.ms",
            "long",
            None,
            "Retention by time; -1 keeps forever (wins over .minutes and .hours).",
            at_least(-1),
            dynamic=True,
        ),
        _D(
            "log.retention.minutes",
            "int",
            None,
            "Retention in minutes (wins over log.retention.hours).",
            at_least(-1),
            HIGH,
        ),
        _D("log.retention.hours", "int", 168, "Retention in hours.", at_least(-1), HIGH),
        _D(
            "log.retention.bytes",
            "long",
            -1,
            "Retention by size per partition; -1 is unlimited.",
            at_least(-1),
            HIGH,
            dynamic=True,
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
            dynamic=True,
        ),
        _D(
            "log.index.interval.bytes",
            "int",
            4096,
            "Log bytes between offset index entries.",
            at_least(0),
            dynamic=True,
        ),
        _D(
            "log.index.size.max.bytes",
            "int",
            10485760,
            "Largest index file before a roll.",
            at_least(4),
            dynamic=True,
        ),
        _D(
            "log.flush.interval.messages",
            "long",
            LONG_MAX,
            "fsync after this many records (the default, Long.MAX_VALUE, means never).",
            at_least(1),
            HIGH,
            dynamic=True,
        ),
        _D(
            "log.flush.interval.ms",
            "long",
            None,
            "fsync when unflushed data is older than this (unset: never).",
            at_least(0),
            HIGH,
            dynamic=True,
        ),
        _D(
            "log.message.timestamp.type",
            "string",
            "CreateTime",
            "CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's.",
            one_of("CreateTime", "LogAppendTime"),
            dynamic=True,
        ),
        # Log cleaner (compaction).
        _D("log.cleaner.enable", "boolean", True, "Run the log cleaner for compacted topics."),
        _D("log.cleaner.threads", "int", 1, "Cleaner workers.", at_least(0)),
        _D(
            "log.cleaner.min.cleanable.ratio",
            "double",
            0.5,
            "Dirty ratio that triggers cleaning.",
            between(0, 1),
            dynamic=True,
        ),
        _D(
            "log.cleaner.delete.retention.ms",
            "long",
            86400000,
            "How long tombstones are kept after cleaning.",
            at_least(0),
            dynamic=True,
        ),
        _D(
            "log.cleaner.min.compaction.lag.ms",
            "long",
            0,
            "Minimum age of a record before it may be compacted.",
            at_least(0),
            dynamic=True,
        ),
        _D(
            "log.cleaner.max.compaction.lag.ms",
            "long",
            LONG_MAX,
            "Maximum age of a record before it must be compacted.",
            at_least(1),
            dynamic=True,
        ),
        _D(
            "log.cleaner.backoff.ms",
            "long",
            15000,
            "Cleaner sleep when nothing needs cleaning.",
            at_least(0),
        ),
        _D(
            "log.cleaner.io.max.bytes.per.second",
            "double",
            sys.float_info.max,
            "Cleaner I/O throttle (read plus write).",
            Range(low=sys.float_info.min),
        ),
        # Consumer groups and offsets.
        _D(
            "offsets.topic.num.partitions",
            "int",
            50,
            "Partitions of __consumer_offsets (fixed once the topic exists).",
            at_least(1),
            HIGH,
        ),
        _D(
            "offsets.topic.replication.factor",
            "short",
            1,
            "Replication factor of __consumer_offsets.",
            at_least(1),
            HIGH,
        ),
        _D(
            "offsets.retention.minutes",
            "int",
            10080,
            "Committed offsets of an empty group expire after this.",
            at_least(1),
            HIGH,
        ),
        _D(
            "offsets.retention.check.interval.ms",
            "long",
            600000,
            "How often expired offsets are removed.",
            at_least(1),
            HIGH,
        ),
        # Transactions (the transaction coordinator and __transaction_state).
        _D(
            "transaction.max.timeout.ms",
            "int",
            900000,
            "Largest transaction timeout a producer may ask for (INVALID_TRANSACTION_TIMEOUT "
            "above it).",
            at_least(1),
            HIGH,
        ),
        _D(
            "transactional.id.expiration.ms",
            "int",
            604800000,
            "A transactional id with no transaction for this long is forgotten.",
            at_least(1),
            HIGH,
        ),
        _D(
            "transaction.state.log.num.partitions",
            "int",
            50,
            "Partitions of __transaction_state (fixed once the topic exists).",
            at_least(1),
            HIGH,
        ),
        _D(
            "transaction.state.log.replication.factor",
            "short",
            1,
            "Replication factor of __transaction_state (kctl default 1 for a single node; "
            "Kafka's is 3).",
            at_least(1),
            HIGH,
        ),
        _D(
            "transaction.state.log.min.isr",
            "int",
            1,
            "min.insync.replicas of __transaction_state, stored as its topic config (kctl "
            "default 1 for a single node; Kafka's is 2).",
            at_least(1),
            HIGH,
        ),
        _D(
            "transaction.state.log.segment.bytes",
            "int",
            104857600,
            "segment.bytes of __transaction_state, stored as its topic config.",
            at_least(1),
            HIGH,
        ),
        _D(
            "transaction.abort.timed.out.transaction.cleanup.interval.ms",
            "int",
            10000,
            "How often transactions open past their timeout are aborted (and markers still "
            "due are retried).",
            at_least(1),
            LOW,
        ),
        _D(
            "transaction.remove.expired.transaction.cleanup.interval.ms",
            "int",
            3600000,
            "How often expired transactional ids are removed.",
            at_least(1),
            LOW,
        ),
        _D(
            "group.initial.rebalance.delay.ms",
            "int",
            100,
            "Wait for more members before a new group's first rebalance "
            "(kctl default 100 ms so a development broker is quick; Kafka's is 3000).",
            at_least(0),
        ),
        _D(
            "group.min.session.timeout.ms",
            "int",
            6000,
            "Smallest session timeout a member may ask for.",
            at_least(0),
        ),
        _D(
            "group.max.session.timeout.ms",
            "int",
            1800000,
            "Largest session timeout a member may ask for.",
            at_least(0),
        ),
        _D(
            "group.consumer.session.timeout.ms",
            "int",
            45000,
            "Consumer groups (KIP-848 protocol): a member not heartbeating for this long is "
            "removed.",
            at_least(1),
        ),
        _D(
            "group.consumer.heartbeat.interval.ms",
            "int",
            5000,
            "Consumer groups (KIP-848 protocol): how often members are told to heartbeat.",
            at_least(1),
        ),
        # Bounds of a group's own consumer.session.timeout.ms / consumer.heartbeat.interval.ms
        # (GROUP config resource, broker/group/group_configs.py); Kafka's defaults.
        _D(
            "group.consumer.min.session.timeout.ms",
            "int",
            45000,
            "Smallest consumer.session.timeout.ms a consumer group may be given.",
            at_least(1),
        ),
        _D(
            "group.consumer.max.session.timeout.ms",
            "int",
            60000,
            "Largest consumer.session.timeout.ms a consumer group may be given.",
            at_least(1),
        ),
        _D(
            "group.consumer.min.heartbeat.interval.ms",
            "int",
            5000,
            "Smallest consumer.heartbeat.interval.ms a consumer group may be given.",
            at_least(1),
        ),
        _D(
            "group.consumer.max.heartbeat.interval.ms",
            "int",
            15000,
            "Largest consumer.heartbeat.interval.ms a consumer group may be given.",
            at_least(1),
        ),
        _D(
            "group.consumer.assignors",
            "list",
            ["uniform", "range"],
            "Consumer groups (KIP-848 protocol): the server-side assignors members may name "
            "(uniform, range, or Kafka's class names); the first is the default.",
            one_of(  # the names broker/group/consumer/assignors.py builds
                "uniform",
                "range",
                "org.apache.kafka.coordinator.group.assignor.UniformAssignor",
                "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
            ),
        ),
        _D(
            "group.consumer.max.size",
            "int",
            2147483647,
            "Consumer groups (KIP-848 protocol): the most members a group may have.",
            at_least(1),
        ),
        # Producers and transactions.
        _D(
            "transactional.id.expiration.ms",
            "int",
            604800000,
            "Idle transactional ids expire after this.",
            at_least(1),
        ),
        _D(
            "producer.id.expiration.ms",
            "int",
            86400000,
            "Idle producer state expires after this.",
            at_least(1),
            LOW,
        ),
        # Client quotas (the quotas themselves are kept in the metadata log).
        _D(
            "quota.window.num",
            "int",
            11,
            "Samples a client quota's rate is measured over (10 whole windows and the current).",
            at_least(1),
            LOW,
        ),
        _D(
            "quota.window.size.seconds",
            "int",
            1,
            "The time span of each client quota sample.",
            at_least(1),
            LOW,
        ),
        # Authorization.
        _D(
            "authorizer.class.name",
            "string",
            None,
            "Turns the ACL authorizer on: Kafka's StandardAuthorizer or AclAuthorizer class "
            "name (both mean the same here). Unset: every request is allowed.",
            OneOf(AUTHORIZER_CLASSES),
            HIGH,
        ),
        _D(
            "super.users",
            "string",
            None,
            "Principals allowed everything, separated by semicolons (User:alice;User:bob).",
        ),
        _D(
            "allow.everyone.if.no.acl.found",
            "boolean",
            False,
            "When an authorizer is on: allow a resource that no ACL matches (Kafka: false).",
        ),
    ]
}

# --- security: listeners, TLS, SASL (Kafka's names) -------------------------------------------

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True, slots=True)
class ProtocolMap:
    """listener.security.protocol.map: NAME:PROTOCOL pairs."""

    def check(self, value: Any) -> str | None:
        for item in value:
            name, sep, protocol = item.partition(":")
            if not sep or not re.fullmatch(r"[A-Za-z0-9_]+", name.strip()):
                return f"has {item!r}, not LISTENER_NAME:PROTOCOL"
            if protocol.strip().upper() not in SECURITY_PROTOCOLS:
                return f"maps {name} to {protocol!r}, not one of {', '.join(SECURITY_PROTOCOLS)}"
        return None


@dataclass(frozen=True, slots=True)
class PemOnly:
    def check(self, value: Any) -> str | None:
        if value.upper() != "PEM":
            return "is not supported: only PEM stores are (convert JKS/PKCS12 with keytool/openssl)"
        return None


@dataclass(frozen=True, slots=True)
class PrincipalRules:
    def check(self, value: Any) -> str | None:
        from broker.security.principal import PrincipalMapper

        try:
            PrincipalMapper.parse(value)
        except ValueError as e:
            return f"is invalid: {e}"
        return None


_SECURITY_DEFS = [
    _D(
        "listener.security.protocol.map",
        "list",
        [f"{p}:{p}" for p in SECURITY_PROTOCOLS],
        "Security protocol of each listener name, NAME:PROTOCOL (PLAINTEXT, SSL, "
        "SASL_PLAINTEXT, SASL_SSL); every name in listeners needs an entry.",
        ProtocolMap(),
    ),
    _D("ssl.keystore.type", "string", "PEM", "Key store format: only PEM.", PemOnly()),
    _D(
        "ssl.keystore.location",
        "string",
        None,
        "PEM file with the server's certificate chain and private key.",
        None,
        HIGH,
    ),
    _D(
        "ssl.keystore.certificate.chain",
        "password",
        None,
        "The server's certificate chain as inline PEM (instead of ssl.keystore.location).",
    ),
    _D(
        "ssl.keystore.key",
        "password",
        None,
        "The server's private key as inline PEM (with ssl.keystore.certificate.chain).",
    ),
    _D("ssl.key.password", "password", None, "Password of an encrypted private key.", None, HIGH),
    _D("ssl.truststore.type", "string", "PEM", "Trust store format: only PEM.", PemOnly()),
    _D(
        "ssl.truststore.location",
        "string",
        None,
        "PEM bundle of the CAs that sign client certificates (default: the system's CAs).",
        None,
        HIGH,
    ),
    _D(
        "ssl.truststore.certificates",
        "password",
        None,
        "Trusted CA certificates as inline PEM (instead of ssl.truststore.location).",
    ),
    _D(
        "ssl.client.auth",
        "string",
        "none",
        "Client certificates on SSL listeners: none, requested or required.",
        one_of("none", "requested", "required"),
    ),
    _D(
        "ssl.enabled.protocols",
        "list",
        ["TLSv1.2", "TLSv1.3"],
        "TLS versions accepted (older ones are refused by current OpenSSL builds).",
        one_of("TLSv1.2", "TLSv1.3"),
    ),
    _D(
        "ssl.cipher.suites",
        "list",
        None,
        "TLS 1.2 cipher suites in OpenSSL's names (unset: OpenSSL's defaults); TLS 1.3 suites "
        "are always OpenSSL's.",
    ),
    _D(
        "ssl.principal.mapping.rules",
        "string",
        "DEFAULT",
        "Rules mapping a client certificate's RFC 2253 subject to a user name: DEFAULT or "
        "RULE:pattern/replacement/[LU], comma-separated, first match wins.",
        PrincipalRules(),
    ),
    _D(
        "sasl.enabled.mechanisms",
        "list",
        ["SCRAM-SHA-256", "SCRAM-SHA-512"],
        "SASL mechanisms offered on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. "
        "Default SCRAM only (Kafka's is GSSAPI): SCRAM users created with "
        "AlterUserScramCredentials or --add-scram work at once, and no password crosses the "
        "wire; enable PLAIN deliberately, on SASL_SSL.",
        one_of(*SASL_MECHANISMS),
        HIGH,
    ),
]
DEFINITIONS.update({d.name: d for d in _SECURITY_DEFS})

# Keys a listener may override as listener.name.<listener name lowercased>.<key>, as in Kafka.
LISTENER_KEYS = frozenset(
    d.name for d in _SECURITY_DEFS if d.name.startswith("ssl.") or d.name.startswith("sasl.")
)
_JAAS_DEF = _D(
    "plain.sasl.jaas.config",
    "password",
    None,
    "PLAIN users of this listener: Kafka's PlainLoginModule entry with user_<name>=\"<password>\" "
    "options (only as listener.name.<listener>.plain.sasl.jaas.config).",
)
_LISTENER_KEY = re.compile(r"^listener\.name\.([a-z0-9_]+)\.(.+)$")


def listener_definition(name: str) -> ConfigDef | None:
    """The definition of a per-listener key such as listener.name.sasl_ssl.ssl.keystore.location."""
    m = _LISTENER_KEY.match(name)
    if m is None:
        return None
    key = m.group(2)
    base = _JAAS_DEF if key == _JAAS_DEF.name else DEFINITIONS.get(key)
    if base is None or (base is not _JAAS_DEF and key not in LISTENER_KEYS):
        return None
    return ConfigDef(name, base.type, None, base.doc, base.validator, base.importance)


def find_definition(name: str) -> ConfigDef | None:
    return DEFINITIONS.get(name) or listener_definition(name)

# Keys Kafka spells in several units: finest first, each with its factor to the first's unit.
SYNONYM_GROUPS: tuple[tuple[tuple[str, int], ...], ...] = (
    (
        ("log.retention.ms", 1),
        ("log.retention.minutes", 60_000),
        ("log.retention.hours", 3_600_000),
    ),
    (("log.roll.ms", 1), ("log.roll.hours", 3_600_000)),
    (("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)),
)
_GROUP_OF = {name: group for group in SYNONYM_GROUPS for name, _ in group}


@dataclass(frozen=True, slots=True)
class Synonym:
    name: str
    value: str | None
    source: int


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One config as DescribeConfigs (v1-v4) reports it, for a broker or a topic."""

    name: str
    value: str | None
    source: int
    config_type: int  # 0 (unknown) for a logger, as Kafka answers
    documentation: str | None
    default: str | None = None  # the value with nothing configured
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
    return str(value)


@dataclass
class BrokerConfig:
    static: dict[str, Any] = field(default_factory=dict)  # from the file and --set
    static_origin: dict[str, Origin] = field(default_factory=dict)  # FILE or OVERRIDE per key
    dynamic_default: dict[str, Any] = field(default_factory=dict)  # cluster-wide, resource ""
    dynamic: dict[str, Any] = field(default_factory=dict)  # this broker, resource = node id

    # --- lookups --------------------------------------------------------------------------

    def layers(self, name: str) -> list[tuple[Any, Origin]]:
        """Every value ``name`` has, highest precedence first; the default last if not None."""
        out = []
        if name in self.dynamic:
            out.append((self.dynamic[name], Origin.DYNAMIC))
        if name in self.dynamic_default:
            out.append((self.dynamic_default[name], Origin.DYNAMIC_DEFAULT))
        if name in self.static:
            out.append((self.static[name], self.static_origin.get(name, Origin.FILE)))
        default = _definition(name).default_value()
        if default is not None:
            out.append((default, Origin.DEFAULT))
        return out

    def lookup(self, name: str) -> tuple[Any, Origin]:
        """The effective value of ``name`` itself (not its synonyms) and where it came from."""
        layers = self.layers(name)
        return layers[0] if layers else (None, Origin.DEFAULT)

    def get(self, name: str) -> Any:
        return self.lookup(name)[0]

    def origin(self, name: str) -> Origin:
        return self.lookup(name)[1]

    def synonyms(self, name: str) -> list[Synonym]:
        """Kafka's synonym list: each spelling of the key, finest first, each layer in order."""
        names = [n for n, _ in _GROUP_OF.get(name, ((name, 1),))]
        sensitive = _definition(name).sensitive
        return [
            Synonym(n, None if sensitive else render(v), o.kafka_source)
            for n in names
            for v, o in self.layers(n)
        ]

    def resolved(self, name: str) -> tuple[Any, Synonym | None]:
        """The value ``name`` takes after synonyms (in its own unit), and the synonym giving it."""
        factors = dict(_GROUP_OF.get(name, ((name, 1),)))
        for n in factors:
            layers = self.layers(n)
            if layers:
                value, o = layers[0]
                if isinstance(value, int) and not isinstance(value, bool):
                    value = -1 if value < 0 else value * factors[n] // factors[name]
                return value, Synonym(n, render(layers[0][0]), o.kafka_source)
        return None, None

    # --- typed views of the common keys ---------------------------------------------------

    @property
    def node_id(self) -> int:
        return self.get("node.id")

    @property
    def cluster_id(self) -> str | None:
        return self.get("cluster.id")

    @property
    def listeners(self) -> list[Listener]:
        return [parse_listener(x) for x in self.get("listeners")]

    @property
    def advertised_listeners(self) -> list[Listener]:
        advertised = self.get("advertised.listeners")
        return [parse_listener(x) for x in advertised] if advertised else self.listeners

    @property
    def log_dirs(self) -> list[Path]:
        return [Path(d).expanduser() for d in self.get("log.dirs")]

    @property
    def admin_listen(self) -> tuple[str, int] | None:
        value = self.get("admin.listen")
        if not value:
            return None
        host, _, port = value.rpartition(":")
        return host.strip("[]") or "0.0.0.0", int(port)

    @property
    def retention_ms(self) -> int:
        """log.retention.ms, else .minutes, else .hours, in ms; -1 keeps forever."""
        return self.resolved("log.retention.ms")[0]

    @property
    def roll_ms(self) -> int:
        return self.resolved("log.roll.ms")[0]

    @property
    def flush_interval_messages(self) -> int | None:
        """None means never (Kafka's default is Long.MAX_VALUE)."""
        n = self.get("log.flush.interval.messages")
        return None if n >= LONG_MAX else n

    @property
    def flush_interval_ms(self) -> int | None:
        return self.get("log.flush.interval.ms")

    @property
    def authorizer_enabled(self) -> bool:
        return bool(self.get("authorizer.class.name"))

    @property
    def super_users(self) -> list[str]:
        return [u.strip() for u in (self.get("super.users") or "").split(";") if u.strip()]

    # --- changes at runtime ---------------------------------------------------------------

    def set_dynamic(self, name: str, value: str | None, *, cluster_default: bool = False) -> None:
        """Set (or, with None, remove) a dynamic broker config; raises ConfigError."""
        definition = DEFINITIONS.get(name)
        if definition is None:
            raise ConfigError(f"unknown broker config {name!r}")
        if not definition.dynamic:
            raise ConfigError(f"{name} cannot be changed while the broker runs (read-only)")
        layer = self.dynamic_default if cluster_default else self.dynamic
        if value is None:
            layer.pop(name, None)
        else:
            layer[name] = definition.parse(value)

    def describe(self) -> dict[str, ConfigEntry]:
        """Every broker config as DescribeConfigs on a BROKER resource reports it."""
        out = {}
        per_listener = [(n, find_definition(n)) for n in self.static if n not in DEFINITIONS]
        for name, d in [*DEFINITIONS.items(), *per_listener]:
            assert d is not None  # load_config admitted only known names
            synonyms = tuple(self.synonyms(name))
            value = None if d.sensitive else render(self.get(name))
            out[name] = ConfigEntry(
                name=name,
                value=value,
                # Kafka: the source of the first synonym that has a value.
                source=synonyms[0].source if synonyms else DEFAULT_CONFIG,
                config_type=CONFIG_TYPES[d.type],
                documentation=d.doc,
                default=None if d.sensitive else render(d.default_value()),
                synonyms=synonyms,
                read_only=not d.dynamic,
                sensitive=d.sensitive,
            )
        return out

    def check_security(self) -> None:
        """Each listener's protocol, keystore and SASL settings (broker/security/settings.py)."""
        from broker.security.settings import check_listeners

        check_listeners(self)

    def check(self) -> None:
        """Rules that tie keys together; raises ConfigError."""
        listeners = self.listeners
        ports = [x.port for x in listeners if x.port != 0]
        if len(set(ports)) != len(ports):
            raise ConfigError("listeners: each listener needs a different port")
        names = {x.name for x in listeners}
        for a in self.advertised_listeners:
            if a.name not in names:
                raise ConfigError(
                    f"advertised.listeners: {a.name} is not one of the listeners "
                    f"({', '.join(sorted(names))})"
                )
        if self.get("advertised.listeners"):
            for a in self.advertised_listeners:
                if a.host in ("0.0.0.0", "::") or a.port == 0:
                    raise ConfigError(
                        f"advertised.listeners: {a} is not an address clients can reach"
                    )
        self.check_security()
        for low_key, high_key in _BOUND_PAIRS:
            low, high = self.get(low_key), self.get(high_key)
            if low > high:
                raise ConfigError(f"{low_key} ({low}) is above {high_key} ({high})")


# Lower and upper bounds that must not cross (Kafka refuses to start when they do).
_BOUND_PAIRS = (
    ("group.min.session.timeout.ms", "group.max.session.timeout.ms"),
    ("group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms"),
    ("group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms"),
)


def _definition(name: str) -> ConfigDef:
    definition = find_definition(name)
    if definition is None:
        raise KeyError(f"unknown broker config {name!r}")
    return definition


def flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """TOML tables to dotted keys, in file order (a key may come twice; the caller checks)."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += flatten(value, name + ".")
        else:
            out.append((name, value))
    return out


def parse_override(item: str) -> tuple[str, str]:
    """'KEY=VALUE' -> (KEY, VALUE); the value may itself contain '='."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
    return key.strip(), value.strip()


def load_config(toml_path: Path | None, overrides: list[str]) -> BrokerConfig:
    """Defaults, then the TOML file, then KEY=VALUE overrides; raises ConfigError."""
    given: list[tuple[str, Any, Origin]] = []
    if toml_path is not None:
        try:
            with open(toml_path, "rb") as f:
                doc = tomllib.load(f)
        except OSError as e:
            raise ConfigError(f"cannot read {toml_path}: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{toml_path} is not valid TOML: {e}") from None
        seen: set[str] = set()
        for name, value in flatten(doc):
            if name in seen:
                raise ConfigError(f"{name} is set twice in {toml_path}")
            seen.add(name)
            given.append((name, value, Origin.FILE))
    given += [(*parse_override(item), Origin.OVERRIDE) for item in overrides]
    cfg = BrokerConfig()
    for name, value, origin in given:
        definition = find_definition(name)
        where = f"in {toml_path}" if origin is Origin.FILE else "from --set"
        if definition is None:
            raise ConfigError(f"unknown broker config {name!r} ({where})")
        cfg.static[name] = definition.parse(value, where)
        cfg.static_origin[name] = origin
    cfg.check()
    return cfg
