"""Topic configs: names, types, validation, and where each effective value comes from.

As in Apache Kafka, most topic configs default to a broker config (``retention.ms`` <-
``log.retention.ms``, which itself falls back to ``log.retention.minutes`` and
``log.retention.hours``). DescribeConfigs reports the topic override if there is one, else
the broker's value; the synonyms list the override, then every broker spelling that has a
value, each with its source (Kafka's numbers: DYNAMIC_TOPIC_CONFIG=1, DYNAMIC_BROKER_CONFIG=2,
DYNAMIC_DEFAULT_BROKER_CONFIG=3, STATIC_BROKER_CONFIG=4, DEFAULT_CONFIG=5).

``segment.bytes`` must be at least 14 bytes (one legacy record header): Kafka 3.x's rule.
Kafka 4.0 raised the floor to 1 MiB (KIP-1030); kctl keeps the old one so that tests and
demos of segment rolling and compaction can use kilobyte segments.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.config import (
    COMPRESSION_LEVELS,
    CONFIG_TYPES,
    DEFAULT_CONFIG,
    DYNAMIC_TOPIC_CONFIG,
    LONG_MAX,
    BrokerConfig,
    ConfigDef,
    ConfigEntry,
    ConfigError,
    Synonym,
    Validator,
    at_least,
    between,
    one_of,
    render,
)
from broker.errors import ErrorCode, KafkaError

COMPRESSION_TYPES = ("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd")


@dataclass(frozen=True, slots=True)
class TopicConfigDef:
    definition: ConfigDef  # its default applies only when no broker config supplies one
    broker_key: str | None  # the broker config that supplies the default


def _t(
    name: str,
    kind: str,
    default: object,
    doc: str,
    validator: Validator | None = None,
    broker_key: str | None = None,
) -> TopicConfigDef:
    return TopicConfigDef(ConfigDef(name, kind, default, doc, validator), broker_key)


TOPIC_CONFIGS: dict[str, TopicConfigDef] = {
    t.definition.name: t
    for t in [
        _t(
            "cleanup.policy",
            "list",
            ["delete"],
            "delete (by retention), compact (latest value per key), or compact,delete.",
            one_of("delete", "compact"),
            "log.cleanup.policy",
        ),
        _t(
            "compression.type",
            "string",
            "producer",
            "Compression of stored batches; producer keeps the producer's.",
            one_of(*COMPRESSION_TYPES),
            "compression.type",
        ),
        *(
            _t(f"compression.{c}.level", "int", d, doc, v, f"compression.{c}.level")
            for c, d, doc, v in COMPRESSION_LEVELS
        ),
        _t(
            "delete.retention.ms",
            "long",
            86400000,
            "How long tombstones are kept after cleaning.",
            at_least(0),
            "log.cleaner.delete.retention.ms",
        ),
        _t(
            "file.delete.delay.ms",
            "long",
            60000,
            "Delay before a deleted segment's file is removed.",
            at_least(0),
        ),
        _t(
            "flush.messages",
            "long",
            LONG_MAX,
            "fsync after this many records (Long.MAX_VALUE: never).",
            at_least(1),
            "log.flush.interval.messages",
        ),
        _t(
            "flush.ms",
            "long",
            LONG_MAX,
            "fsync when unflushed data is older than this (Long.MAX_VALUE: never).",
            at_least(0),
            "log.flush.interval.ms",
        ),
        _t(
            "index.interval.bytes",
            "int",
            4096,
            "Log bytes between offset index entries.",
            at_least(0),
            "log.index.interval.bytes",
        ),
        _t(
            "max.compaction.lag.ms",
            "long",
            LONG_MAX,
            "Maximum age of a record before it must be compacted.",
            at_least(1),
            "log.cleaner.max.compaction.lag.ms",
        ),
        _t(
            "max.message.bytes",
            "int",
            1048588,
            "Largest record batch accepted.",
            at_least(0),
            "message.max.bytes",
        ),
        _t(
            "message.timestamp.type",
            "string",
            "CreateTime",
            "CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's.",
            one_of("CreateTime", "LogAppendTime"),
            "log.message.timestamp.type",
        ),
        _t(
            "message.timestamp.before.max.ms",
            "long",
            LONG_MAX,
            "How far in the past a CreateTime timestamp may be.",
            at_least(0),
        ),
        _t(
            "message.timestamp.after.max.ms",
            "long",
            LONG_MAX,
            "How far in the future a CreateTime timestamp may be.",
            at_least(0),
        ),
        _t(
            "min.cleanable.dirty.ratio",
            "double",
            0.5,
            "Dirty ratio that triggers cleaning.",
            between(0, 1),
            "log.cleaner.min.cleanable.ratio",
        ),
        _t(
            "min.compaction.lag.ms",
            "long",
            0,
            "Minimum age of a record before it may be compacted.",
            at_least(0),
            "log.cleaner.min.compaction.lag.ms",
        ),
        _t(
            "min.insync.replicas",
            "int",
            1,
            "In-sync replicas an acks=all write needs.",
            at_least(1),
            "min.insync.replicas",
        ),
        _t("preallocate", "boolean", False, "Preallocate segment files."),
        _t(
            "retention.bytes",
            "long",
            -1,
            "Retention by size per partition; -1 is unlimited.",
            at_least(-1),
            "log.retention.bytes",
        ),
        _t(
            "retention.ms",
            "long",
            604800000,
            "Retention by time; -1 keeps forever.",
            at_least(-1),
            "log.retention.ms",
        ),
        _t(
            "segment.bytes",
            "int",
            1073741824,
            "Segment size before a roll (at least 14 bytes, Kafka 3.x's rule).",
            at_least(14),
            "log.segment.bytes",
        ),
        _t(
            "segment.index.bytes",
            "int",
            10485760,
            "Largest offset index file before a roll.",
            at_least(4),
            "log.index.size.max.bytes",
        ),
        _t(
            "segment.jitter.ms",
            "long",
            0,
            "Random jitter subtracted from segment.ms.",
            at_least(0),
            "log.roll.jitter.ms",
        ),
        _t(
            "segment.ms",
            "long",
            604800000,
            "Segment age before a roll.",
            at_least(1),
            "log.roll.ms",
        ),
        _t(
            "unclean.leader.election.enable",
            "boolean",
            False,
            "Let an out-of-sync replica lead (loses data).",
        ),
    ]
}

_NOTHING_SET = BrokerConfig()  # for the "default" column: the value with nothing configured


def is_list(name: str) -> bool:
    return TOPIC_CONFIGS[name].definition.type == "list"


def validate(name: str, value: str | None) -> str | None:
    """The normalized text of a topic config value; KafkaError(INVALID_CONFIG) if bad."""
    t = TOPIC_CONFIGS.get(name)
    if t is None:
        raise KafkaError(ErrorCode.invalid_config, f"unknown topic config {name!r}")
    if value is None:
        return None
    try:
        parsed = t.definition.parse(value)
    except ConfigError as e:
        raise KafkaError(ErrorCode.invalid_config, str(e)) from None
    if isinstance(parsed, list):
        parsed = list(dict.fromkeys(parsed))  # "compact,compact" is "compact"
    return render(parsed)


def validate_together(overrides: dict[str, str], broker: BrokerConfig) -> None:
    """Rules across configs (Kafka's LogConfig.validate); KafkaError(INVALID_CONFIG)."""
    entries = effective_topic_config(overrides, broker)
    low = int(entries["min.compaction.lag.ms"].value or 0)
    high = int(entries["max.compaction.lag.ms"].value or 0)
    if low > high:
        raise KafkaError(
            ErrorCode.invalid_config,
            f"min.compaction.lag.ms ({low}) is larger than max.compaction.lag.ms ({high})",
        )


def effective_topic_config(
    overrides: dict[str, str], broker: BrokerConfig
) -> dict[str, ConfigEntry]:
    """Every topic config with its value, source and synonyms, as DescribeConfigs needs."""
    out = {}
    for name, t in TOPIC_CONFIGS.items():
        d = t.definition
        synonyms: list[Synonym] = []
        if name in overrides:
            synonyms.append(Synonym(name, overrides[name], DYNAMIC_TOPIC_CONFIG))
        value = overrides.get(name)
        default = render(d.default_value())
        if t.broker_key is not None:
            synonyms += broker.synonyms(t.broker_key)
            broker_value = broker.resolved(t.broker_key)[0]
            if name not in overrides and broker_value is not None:
                value = render(broker_value)
            nothing_set = _NOTHING_SET.resolved(t.broker_key)[0]
            if nothing_set is not None:
                default = render(nothing_set)
        if value is None:
            value = render(d.default_value())
        out[name] = ConfigEntry(
            name=name,
            value=value,
            source=synonyms[0].source if synonyms else DEFAULT_CONFIG,
            config_type=CONFIG_TYPES[d.type],
            documentation=d.doc,
            default=default,
            synonyms=tuple(synonyms),
        )
    return out


def effective_values(overrides: dict[str, str], broker: BrokerConfig) -> dict[str, str | None]:
    """Each topic config's effective value: what the topic's log and its tasks run with."""
    return {name: entry.value for name, entry in effective_topic_config(overrides, broker).items()}
