from __future__ import annotations

import pytest

from broker.config import (
    CONFIG_TYPES,
    DEFAULT_CONFIG,
    DEFINITIONS,
    DYNAMIC_BROKER_CONFIG,
    DYNAMIC_TOPIC_CONFIG,
    STATIC_BROKER_CONFIG,
    load_config,
)
from broker.errors import ErrorCode, KafkaError
from broker.metadata.topic_config import (
    TOPIC_CONFIGS,
    effective_topic_config,
    validate,
    validate_together,
)


def test_every_topic_config_maps_to_a_real_broker_key_of_a_compatible_type():
    for name, t in TOPIC_CONFIGS.items():
        default = t.definition.default_value()
        assert t.definition.parse(default) == default, name
        if t.broker_key is not None:
            assert t.broker_key in DEFINITIONS, name
            assert DEFINITIONS[t.broker_key].type in (t.definition.type, "int", "long"), name


def test_defaults_come_from_broker_keys():
    entries = effective_topic_config({}, load_config(None, []))
    assert entries["retention.ms"].value == "604800000"
    assert entries["segment.ms"].value == "604800000"
    assert entries["max.message.bytes"].value == "1048588"
    assert entries["cleanup.policy"].value == "delete"
    assert entries["flush.messages"].value == str(2**63 - 1)
    assert entries["flush.ms"].value == str(2**63 - 1)  # broker key unset: topic default
    assert entries["flush.ms"].synonyms == () and entries["flush.ms"].is_default
    assert entries["file.delete.delay.ms"].value == "60000"
    assert all(e.source == DEFAULT_CONFIG for e in entries.values())
    assert all(not e.read_only and not e.sensitive for e in entries.values())
    assert entries["retention.ms"].config_type == CONFIG_TYPES["long"]
    assert entries["retention.ms"].documentation


def test_sources_and_synonyms_follow_kafka():
    cfg = load_config(None, ["log.segment.bytes=4096", "log.retention.hours=2"])
    cfg.set_dynamic("message.max.bytes", "2000")
    entries = effective_topic_config({"retention.ms": "7"}, cfg)

    retention = entries["retention.ms"]
    assert (retention.value, retention.source, retention.is_default) == (
        "7",
        DYNAMIC_TOPIC_CONFIG,
        False,
    )
    assert [(s.name, s.value, s.source) for s in retention.synonyms] == [
        ("retention.ms", "7", DYNAMIC_TOPIC_CONFIG),
        ("log.retention.hours", "2", STATIC_BROKER_CONFIG),
        ("log.retention.hours", "168", DEFAULT_CONFIG),
    ]
    assert retention.default == "604800000"

    segment = entries["segment.bytes"]
    assert (segment.value, segment.source) == ("4096", STATIC_BROKER_CONFIG)
    assert [s.name for s in segment.synonyms] == ["log.segment.bytes", "log.segment.bytes"]

    assert (entries["max.message.bytes"].value, entries["max.message.bytes"].source) == (
        "2000",
        DYNAMIC_BROKER_CONFIG,
    )

    without = effective_topic_config({}, cfg)["retention.ms"]
    assert (without.value, without.source) == ("7200000", STATIC_BROKER_CONFIG)


@pytest.mark.parametrize(
    "name, value, normalized",
    [
        ("cleanup.policy", "compact, delete", "compact,delete"),
        ("cleanup.policy", "compact,compact", "compact"),
        ("retention.ms", " -1 ", "-1"),
        ("preallocate", "TRUE", "true"),
        ("min.cleanable.dirty.ratio", "0.1", "0.1"),
        ("segment.bytes", "14", "14"),
        ("retention.ms", None, None),
    ],
)
def test_validate_normalizes(name, value, normalized):
    assert validate(name, value) == normalized


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("retention.ms", "soon", "retention.ms: 'soon' is not a valid long"),
        ("retention.ms", "-2", "must be at least -1"),
        ("segment.bytes", "13", "must be at least 14"),
        ("min.insync.replicas", "0", "must be at least 1"),
        ("cleanup.policy", "", "must list at least one of delete, compact"),
        ("compression.type", "brotli", "must be one of producer"),
        ("compression.gzip.level", "0", "must be between 1 and 9, or -1"),
        ("compression.lz4.level", "18", "must be between 1 and 17"),
        ("compression.zstd.level", "23", "must be between -131072 and 22"),
        ("message.timestamp.type", "Now", "must be one of CreateTime, LogAppendTime"),
        ("max.message.bytes", "99999999999", "is not a valid int"),
        ("no.such.config", "1", "unknown topic config 'no.such.config'"),
    ],
)
def test_validate_rejects_with_invalid_config(name, value, message):
    with pytest.raises(KafkaError, match=message) as e:
        validate(name, value)
    assert e.value.code == ErrorCode.invalid_config


def test_compaction_lags_must_be_ordered():
    cfg = load_config(None, ["log.cleaner.max.compaction.lag.ms=1000"])
    with pytest.raises(KafkaError, match=r"min.compaction.lag.ms \(5000\) is larger") as e:
        validate_together({"min.compaction.lag.ms": "5000"}, cfg)
    assert e.value.code == ErrorCode.invalid_config
    validate_together({"min.compaction.lag.ms": "5000", "max.compaction.lag.ms": "6000"}, cfg)
