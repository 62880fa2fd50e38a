from __future__ import annotations

import pytest

from broker.config import DEFAULT_CONFIG, STATIC_BROKER_CONFIG, ConfigError, load_config


def test_defaults_use_kafka_names():
    cfg = load_config(None, [])
    assert cfg.get("num.partitions") == 1
    assert cfg.get("auto.create.topics.enable") is True
    assert cfg.get("message.max.bytes") == 1048588
    assert cfg.retention_ms == 168 * 3_600_000
    assert cfg.get("log.dirs")[0].endswith("kctl/broker")


def test_toml_tables_flatten_and_set_overrides_win(tmp_path):
    path = tmp_path / "broker.toml"
    path.write_text('"num.partitions" = 3\n[log]\n"retention.ms" = 1000\n"segment.bytes" = 2048\n')
    cfg = load_config(path, ["log.segment.bytes=4096", "auto.create.topics.enable=false"])
    assert cfg.get("num.partitions") == 3
    assert cfg.retention_ms == 1000
    assert cfg.get("log.segment.bytes") == 4096
    assert cfg.get("auto.create.topics.enable") is False
    assert cfg.describe()["log.segment.bytes"].source == STATIC_BROKER_CONFIG
    assert cfg.describe()["min.insync.replicas"].source == DEFAULT_CONFIG


def test_retention_precedence_ms_over_minutes_over_hours():
    assert load_config(None, ["log.retention.hours=1"]).retention_ms == 3_600_000
    assert (
        load_config(None, ["log.retention.minutes=2", "log.retention.hours=1"]).retention_ms
        == 120_000
    )
    assert load_config(None, ["log.retention.ms=5", "log.retention.minutes=2"]).retention_ms == 5
    assert load_config(None, ["log.retention.ms=-1"]).retention_ms == -1


@pytest.mark.parametrize(
    "override, message",
    [
        ("no.such.key=1", "unknown broker config"),
        ("num.partitions=zero", "num.partitions"),
        ("num.partitions=0", "at least 1"),
        ("log.message.timestamp.type=WallClock", "must be one of"),
        ("auto.create.topics.enable=maybe", "auto.create.topics.enable"),
        ("justakey", "KEY=VALUE"),
    ],
)
def test_bad_keys_and_values_are_one_clear_error(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_config(path, [])


def test_dynamic_configs_override_static_and_static_only_keys_refuse():
    cfg = load_config(None, ["num.partitions=2"])
    cfg.set_dynamic("num.partitions", "5")
    assert cfg.get("num.partitions") == 5
    cfg.set_dynamic("num.partitions", None)
    assert cfg.get("num.partitions") == 2
    with pytest.raises(ConfigError, match="cannot be changed"):
        cfg.set_dynamic("node.id", "3")
