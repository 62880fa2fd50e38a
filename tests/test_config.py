from __future__ import annotations

from pathlib import Path

import pytest

from broker.config import (
    DEFAULT_CONFIG,
    DEFINITIONS,
    DYNAMIC_BROKER_CONFIG,
    DYNAMIC_DEFAULT_BROKER_CONFIG,
    STATIC_BROKER_CONFIG,
    ConfigError,
    Listener,
    Origin,
    load_config,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broker.toml"
    path.write_text(text)
    return path


def test_defaults_use_kafka_names_and_values(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    cfg = load_config(None, [])
    assert cfg.node_id == 1
    assert cfg.listeners == [Listener("PLAINTEXT", "127.0.0.1", 9092)]
    assert cfg.advertised_listeners == cfg.listeners
    assert cfg.log_dirs == [tmp_path / "xdg" / "kctl" / "broker"]
    assert cfg.get("num.partitions") == 1
    assert cfg.get("auto.create.topics.enable") is True
    assert cfg.get("message.max.bytes") == 1048588
    assert cfg.get("socket.request.max.bytes") == 104857600
    assert cfg.get("log.cleanup.policy") == ["delete"]
    assert cfg.get("group.initial.rebalance.delay.ms") == 100
    assert cfg.get("offsets.topic.num.partitions") == 50
    assert cfg.retention_ms == 168 * 3_600_000
    assert cfg.roll_ms == 168 * 3_600_000
    assert cfg.flush_interval_messages is None  # Long.MAX_VALUE: never
    assert cfg.flush_interval_ms is None
    assert cfg.admin_listen is None and cfg.cluster_id is None
    assert cfg.origin("num.partitions") is Origin.DEFAULT


def test_log_dirs_default_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config(None, []).log_dirs == [tmp_path / ".local" / "share" / "kctl" / "broker"]


def test_every_definition_is_complete():
    for name, d in DEFINITIONS.items():
        assert d.doc and d.importance in ("high", "medium", "low"), name
        default = d.default_value()
        if default is not None:  # the default passes its own validator
            assert d.parse(default) == default, name


def test_toml_tables_flatten_and_set_overrides_win(tmp_path):
    path = write(
        tmp_path,
        '"num.partitions" = 3\nlisteners = ["PLAINTEXT://127.0.0.1:9999"]\n'
        '[log]\n"retention.ms" = 1000\n"segment.bytes" = 2048\n'
        "[log.cleaner]\nenable = false\n",
    )
    cfg = load_config(path, ["log.segment.bytes=4096", "auto.create.topics.enable=false"])
    assert cfg.get("num.partitions") == 3
    assert cfg.retention_ms == 1000
    assert cfg.get("log.cleaner.enable") is False
    assert cfg.get("log.segment.bytes") == 4096
    assert cfg.get("auto.create.topics.enable") is False
    assert cfg.listeners[0].port == 9999
    assert cfg.origin("num.partitions") is Origin.FILE
    assert cfg.origin("log.segment.bytes") is Origin.OVERRIDE
    described = cfg.describe()
    assert described["log.segment.bytes"].source == STATIC_BROKER_CONFIG
    assert described["log.segment.bytes"].value == "4096"
    assert described["log.segment.bytes"].default == "1073741824"
    assert described["min.insync.replicas"].source == DEFAULT_CONFIG
    assert described["min.insync.replicas"].is_default


def test_set_values_are_parsed_by_the_keys_type():
    cfg = load_config(
        None,
        [
            "log.cleanup.policy=compact, delete",
            "log.cleaner.min.cleanable.ratio=0.25",
            "log.retention.bytes=-1",
            "super.users=User:alice;User:bob",
            "admin.listen=127.0.0.1:9644",
            "listeners=PLAINTEXT://[::1]:9092,EXTERNAL://0.0.0.0:9093",
            "advertised.listeners=EXTERNAL://kafka.example:9093",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
        ],
    )
    assert cfg.get("log.cleanup.policy") == ["compact", "delete"]
    assert cfg.get("log.cleaner.min.cleanable.ratio") == 0.25
    assert cfg.super_users == ["User:alice", "User:bob"]
    assert cfg.admin_listen == ("127.0.0.1", 9644)
    assert cfg.listeners[0] == Listener("PLAINTEXT", "::1", 9092)
    assert str(cfg.listeners[0]) == "PLAINTEXT://[::1]:9092"
    assert cfg.advertised_listeners == [Listener("EXTERNAL", "kafka.example", 9093)]


def test_retention_precedence_ms_over_minutes_over_hours():
    def retention(*overrides: str) -> int:
        return load_config(None, list(overrides)).retention_ms

    assert retention("log.retention.hours=1") == 3_600_000
    assert retention("log.retention.minutes=2", "log.retention.hours=1") == 120_000
    assert retention("log.retention.ms=5", "log.retention.minutes=2") == 5
    assert retention("log.retention.ms=-1") == -1
    assert retention("log.retention.hours=-1") == -1
    assert load_config(None, ["log.roll.hours=2"]).roll_ms == 7_200_000
    assert load_config(None, ["log.roll.ms=10", "log.roll.hours=2"]).roll_ms == 10


def test_describe_reports_synonyms_in_kafkas_order():
    cfg = load_config(None, ["log.retention.minutes=5"])
    entry = cfg.describe()["log.retention.ms"]
    # Its own value is unset; the source is that of the first synonym with a value.
    assert entry.value is None and entry.source == STATIC_BROKER_CONFIG
    assert [(s.name, s.value, s.source) for s in entry.synonyms] == [
        ("log.retention.minutes", "5", STATIC_BROKER_CONFIG),
        ("log.retention.hours", "168", DEFAULT_CONFIG),
    ]
    assert entry.read_only is False  # dynamic
    assert cfg.describe()["node.id"].read_only is True


@pytest.mark.parametrize(
    "override, message",
    [
        ("no.such.key=1", "unknown broker config 'no.such.key'"),
        ("num.partitions=zero", "num.partitions: 'zero' is not a valid int"),
        ("num.partitions=0", "num.partitions: '0' must be at least 1"),
        ("node.id=4294967296", "node.id: .* is not a valid int"),
        ("log.cleaner.min.cleanable.ratio=2", "must be between 0 and 1"),
        ("group.consumer.assignors=uniform,foo", "group.consumer.assignors: .* must be one of"),
        ("log.message.timestamp.type=WallClock", "must be one of CreateTime, LogAppendTime"),
        ("log.cleanup.policy=delete,shred", "log.cleanup.policy: .* must be one of"),
        ("auto.create.topics.enable=maybe", "auto.create.topics.enable"),
        ("listeners=127.0.0.1:9092", "listeners: .* is not NAME://HOST:PORT"),
        ("listeners=PLAINTEXT://h:1,PLAINTEXT://h:2", "names a listener twice"),
        ("listeners=A://h:1,B://h:1", "different port"),
        ("advertised.listeners=OTHER://h:1", "OTHER is not one of the listeners"),
        ("advertised.listeners=PLAINTEXT://0.0.0.0:9092", "not an address clients can reach"),
        ("admin.listen=nowhere", "admin.listen: 'nowhere' is not HOST:PORT"),
        ("cluster.id=my-cluster", "cluster.id: .* is not a cluster id"),
        ("group.min.session.timeout.ms=9999999", "is above group.max.session.timeout.ms"),
        (
            "group.consumer.min.heartbeat.interval.ms=20000",
            r"group.consumer.min.heartbeat.interval.ms \(20000\) is above "
            r"group.consumer.max.heartbeat.interval.ms \(15000\)",
        ),
        ("group.consumer.max.session.timeout.ms=1000", "is above group.consumer.max.session"),
        ("justakey", "KEY=VALUE"),
    ],
)
def test_bad_keys_and_values_are_one_clear_line(override, message):
    with pytest.raises(ConfigError, match=message) as e:
        load_config(None, [override])
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "toml, message",
    [
        ('"num.partitions" = true', "num.partitions: True is not a valid int"),
        ('"num.partitions" = 1.5', "num.partitions: 1.5 is not a valid int"),
        ('"log.dirs" = {a = 1}', "unknown broker config 'log.dirs.a'"),
        ('"listeners" = [1.5]', "listeners: .* is not a valid list"),
        ('"cluster.id" = ["x"]', "cluster.id: .* is not a valid string"),
        ('"log.retention.ms" = 1\n[log]\n"retention.ms" = 2', "log.retention.ms is set twice"),
        ("this is = = not toml", r"broker\.toml is not valid TOML"),
    ],
)
def test_bad_toml_names_the_key_and_the_file(tmp_path, toml, message):
    with pytest.raises(ConfigError, match=message) as e:
        load_config(write(tmp_path, toml), [])
    assert "\n" not in str(e.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", [])


def test_valid_cluster_id_is_accepted():
    assert load_config(None, ["cluster.id=MkU3OEVBNTcwNTJENDM2Qg"]).cluster_id == (
        "MkU3OEVBNTcwNTJENDM2Qg"
    )


def test_dynamic_configs_override_static_and_static_only_keys_refuse():
    cfg = load_config(None, ["num.partitions=2"])
    cfg.set_dynamic("num.partitions", "4", cluster_default=True)
    assert cfg.get("num.partitions") == 4
    assert cfg.describe()["num.partitions"].source == DYNAMIC_DEFAULT_BROKER_CONFIG
    cfg.set_dynamic("num.partitions", "5")
    assert cfg.get("num.partitions") == 5
    assert cfg.origin("num.partitions") is Origin.DYNAMIC
    assert [s.source for s in cfg.describe()["num.partitions"].synonyms] == [
        DYNAMIC_BROKER_CONFIG,
        DYNAMIC_DEFAULT_BROKER_CONFIG,
        STATIC_BROKER_CONFIG,
        DEFAULT_CONFIG,
    ]
    cfg.set_dynamic("num.partitions", None)
    cfg.set_dynamic("num.partitions", None, cluster_default=True)
    assert cfg.get("num.partitions") == 2
    with pytest.raises(ConfigError, match="cannot be changed while the broker runs"):
        cfg.set_dynamic("node.id", "3")
    with pytest.raises(ConfigError, match="at least 1"):
        cfg.set_dynamic("num.partitions", "0")
    with pytest.raises(ConfigError, match="unknown broker config"):
        cfg.set_dynamic("nope", "1")
    assert cfg.get("num.partitions") == 2


def test_authorizer_is_off_unless_one_of_kafkas_class_names_is_given():
    assert not load_config(None, []).authorizer_enabled
    for name in (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "kafka.security.authorizer.AclAuthorizer",
    ):
        assert load_config(None, [f"authorizer.class.name={name}"]).authorizer_enabled
    with pytest.raises(ConfigError, match=r"authorizer\.class\.name: 'com\.example\.Custom'"):
        load_config(None, ["authorizer.class.name=com.example.Custom"])


def test_a_bad_listen_is_blamed_on_listen(capsys):
    from broker.cli import build_parser, overrides_from

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--listen", "bad"])
    assert exit_.value.code == 2
    assert "argument --listen: 'bad' is not HOST:PORT" in capsys.readouterr().err
    args = build_parser().parse_args(["--listen", "127.0.0.1:0"])
    assert overrides_from(args)[0] == "listeners=PLAINTEXT://127.0.0.1:0"
