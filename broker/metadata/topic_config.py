"""Topic configs: names, types, validation, and where each effective value comes from.

Each topic config defaults to a broker config (``retention.ms`` <- ``log.retention.ms``), as
in Apache Kafka; DescribeConfigs reports the topic override, else the broker's value with
its source, with both as synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.config import (
    CONFIG_TYPES,
    DEFAULT_CONFIG,
    DYNAMIC_TOPIC_CONFIG,
    LONG_MAX,
    BrokerConfig,
    ConfigDef,
    ConfigEntry,
    ConfigError,
    Synonym,
    at_least,
    between,
    one_of,
    render,
)
from broker.errors import ErrorCode, KafkaError


@dataclass(frozen=True, slots=True)
class TopicConfigDef:
    definition: ConfigDef
    broker_key: str | None  # the broker config that supplies the default


def _t(name, kind, default, doc, validator=None, broker_key=None) -> TopicConfigDef:
    return TopicConfigDef(ConfigDef(name, kind, default, doc, validator), broker_key)


TOPIC_CONFIGS: dict[str, TopicConfigDef] = {
    t.definition.name: t
    for t in [
        _t(
            "cleanup.policy",
            "list",
            None,
            "delete, compact, or compact,delete.",
            one_of("delete", "compact"),
            "log.cleanup.policy",
        ),
        _t(
            "compression.type",
            "string",
            None,
            "Compression of stored batches.",
            one_of("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
            "compression.type",
        ),
        _t(
            "delete.retention.ms",
            "long",
            None,
            "How long tombstones are kept.",
            at_least(0),
            "log.cleaner.delete.retention.ms",
        ),
        _t(
            "file.delete.delay.ms",
            "long",
            60000,
            "Delay before a deleted segment is removed.",
            at_least(0),
        ),
        _t(
            "flush.messages",
            "long",
            None,
            "fsync after this many records.",
            at_least(1),
            "log.flush.interval.messages",
        ),
        _t(
            "flush.ms",
            "long",
            None,
            "fsync when unflushed data is older than this.",
            at_least(0),
            "log.flush.interval.ms",
        ),
        _t(
            "index.interval.bytes",
            "int",
            None,
            "Log bytes between index entries.",
            at_least(0),
            "log.index.interval.bytes",
        ),
        _t(
            "max.compaction.lag.ms",
            "long",
            None,
            "Maximum age before compaction.",
            at_least(1),
            "log.cleaner.max.compaction.lag.ms",
        ),
        _t(
            "max.message.bytes",
            "int",
            None,
            "Largest record batch accepted.",
            at_least(0),
            "message.max.bytes",
        ),
        _t(
            "message.timestamp.type",
            "string",
            None,
            "CreateTime or LogAppendTime.",
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
            None,
            "Dirty ratio that triggers cleaning.",
            between(0, 1),
            "log.cleaner.min.cleanable.ratio",
        ),
        _t(
            "min.compaction.lag.ms",
            "long",
            None,
            "Minimum age before compaction.",
            at_least(0),
            "log.cleaner.min.compaction.lag.ms",
        ),
        _t(
            "min.insync.replicas",
            "int",
            None,
            "In-sync replicas an acks=all write needs.",
            at_least(1),
            "min.insync.replicas",
        ),
        _t("preallocate", "boolean", False, "Preallocate segment files."),
        _t(
            "retention.bytes",
            "long",
            None,
            "Retention by size; -1 is unlimited.",
            at_least(-1),
            "log.retention.bytes",
        ),
        _t(
            "retention.ms",
            "long",
            None,
            "Retention by time; -1 keeps forever.",
            at_least(-1),
            "log.retention.ms",
        ),
        # Kafka (3.x+) requires at least 1 MiB; smaller segments make tests of rolling cheap, so
        # 14 bytes (one empty batch header) is the floor, as in older Kafka versions.
        _t(
            "segment.bytes",
            "int",
            None,
            "Segment size before a roll.",
            at_least(14),
            "log.segment.bytes",
        ),
        _t(
            "segment.index.bytes",
            "int",
            None,
            "Largest index file.",
            at_least(4),
            "log.index.size.max.bytes",
        ),
        _t(
            "segment.jitter.ms", "long", 0, "Random jitter subtracted from segment.ms.", at_least(0)
        ),
        _t("segment.ms", "long", None, "Segment age before a roll.", at_least(1), "log.roll.ms"),
        _t(
            "unclean.leader.election.enable",
            "boolean",
            False,
            "Let an out-of-sync replica lead (loses data).",
        ),
    ]
}


def validate(name: str, value: str | None) -> str | None:
    """The normalized value of a topic config, or KafkaError(INVALID_CONFIG)."""
    t = TOPIC_CONFIGS.get(name)
    if t is None:
        raise KafkaError(ErrorCode.invalid_config, f"unknown topic config {name!r}")
    if value is None:
        return None
    try:
        return render(t.definition.parse(value))
    except ConfigError as e:
        raise KafkaError(ErrorCode.invalid_config, str(e)) from None


def _broker_value(broker: BrokerConfig, key: str) -> tuple[Any, int]:
    if key == "log.retention.ms":
        source = broker.raw("log.retention.ms")[1]
        return broker.retention_ms, source
    if key == "log.roll.ms":
        return broker.roll_ms, broker.raw("log.roll.ms")[1]
    if key == "log.flush.interval.ms":
        value, source = broker.raw(key)
        return (LONG_MAX if value is None else value), source
    return broker.raw(key)


def effective_topic_config(
    overrides: dict[str, str], broker: BrokerConfig
) -> dict[str, ConfigEntry]:
    out = {}
    for name, t in TOPIC_CONFIGS.items():
        d = t.definition
        synonyms = []
        if name in overrides:
            value, source = overrides[name], DYNAMIC_TOPIC_CONFIG
            synonyms.append(Synonym(name, value, source))
        if t.broker_key is not None:
            bvalue, bsource = _broker_value(broker, t.broker_key)
            synonyms.append(Synonym(t.broker_key, render(bvalue), bsource))
            if name not in overrides:
                value, source = render(bvalue), bsource
        elif name not in overrides:
            value, source = render(d.default), DEFAULT_CONFIG
        out[name] = ConfigEntry(
            value=value,
            source=source,
            config_type=CONFIG_TYPES[d.type],
            documentation=d.doc,
            synonyms=tuple(synonyms),
        )
    return out
