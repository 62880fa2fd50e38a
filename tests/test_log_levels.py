"""Broker logger levels (BROKER_LOGGER, KIP-412) read and changed on the running broker
process, over the wire and with kafka-python's admin client."""

from __future__ import annotations

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kio.schema.alter_configs.v2 import request as legacy
from kio.schema.describe_configs.v4.request import DescribeConfigsRequest, DescribeConfigsResource
from kio.schema.errors import ErrorCode
from kio.schema.incremental_alter_configs.v1.request import (
    AlterableConfig,
    AlterConfigsResource,
    IncrementalAlterConfigsRequest,
)

from tests.harness import wait_for
from tests.wire import WireClient

BROKER_LOGGER, DYNAMIC_BROKER_LOGGER_CONFIG = 8, 6
SET, DELETE, APPEND = 0, 1, 2
SEGMENTS = "broker.log"  # logs each segment roll at DEBUG


def levels(c: WireClient, name: str = "1") -> tuple[ErrorCode, dict[str, str]]:
    resource = DescribeConfigsResource(
        resource_type=BROKER_LOGGER, resource_name=name, configuration_keys=None
    )
    r = c.request(
        DescribeConfigsRequest(
            resources=(resource,), include_synonyms=True, include_documentation=True
        )
    ).results[0]
    for entry in r.configs:
        assert entry.config_source == DYNAMIC_BROKER_LOGGER_CONFIG and not entry.read_only
        assert entry.synonyms == () and not entry.is_sensitive
    return r.error_code, {entry.name: entry.value for entry in r.configs}


def alter(c: WireClient, *ops: tuple[str, int, str | None], name: str = "1", dry=False):
    configs = tuple(AlterableConfig(name=n, config_operation=op, value=v) for n, op, v in ops)
    resource = AlterConfigsResource(
        resource_type=BROKER_LOGGER, resource_name=name, configs=configs
    )
    r = c.request(IncrementalAlterConfigsRequest(resources=(resource,), validate_only=dry))
    return r.responses[0].error_code


def test_a_logger_set_to_debug_logs_at_debug_until_its_level_is_deleted(broker):
    bs = broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bs})  # kept until the future is done
    admin.create_topics([NewTopic("rolls", 1, 1, config={"segment.bytes": "300"})])["rolls"].result(
        15
    )
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0})

    def produce_two() -> None:  # two batches of ~270 bytes outgrow a 300-byte segment: a roll
        errors = []
        for value in (b"x" * 200, b"y" * 200):
            p.produce("rolls", value, on_delivery=lambda err, _m: errors.append(err))
            p.flush(10)
        assert errors == [None, None]

    with WireClient(bs) as c:
        code, before = levels(c)
        assert code == ErrorCode.none and before["root"] == "INFO" and before[SEGMENTS] == "INFO"
        produce_two()
        assert "rolled segment" not in broker.log()

        assert alter(c, (SEGMENTS, SET, "DEBUG"), dry=True) == ErrorCode.none
        assert levels(c)[1][SEGMENTS] == "INFO"  # validate_only changes nothing
        assert alter(c, (SEGMENTS, SET, "DEBUG")) == ErrorCode.none
        assert levels(c)[1][SEGMENTS] == "DEBUG"
        produce_two()
        wait_for(lambda: "rolled segment" in broker.log(), 10, what="a DEBUG line")
        assert "log level of broker.log is now DEBUG" in broker.log()

        assert alter(c, (SEGMENTS, DELETE, None)) == ErrorCode.none
        assert levels(c)[1][SEGMENTS] == "INFO"  # inherited from root again
        assert alter(c, ("root", SET, "WARN")) == ErrorCode.none
        after = levels(c)[1]
        assert after["root"] == after[SEGMENTS] == "WARN"


def test_what_kafka_refuses_is_refused_and_changes_nothing(shared_broker):
    with WireClient(shared_broker.bootstrap) as c:
        assert alter(c, ("no.such.logger", SET, "DEBUG")) == ErrorCode.invalid_config
        assert alter(c, (SEGMENTS, SET, "LOUD")) == ErrorCode.invalid_config
        # one bad change refuses the whole resource: the good one before it is not applied
        assert (
            alter(c, (SEGMENTS, SET, "DEBUG"), ("root", DELETE, None)) == ErrorCode.invalid_request
        )
        assert alter(c, (SEGMENTS, APPEND, "DEBUG")) == ErrorCode.invalid_request
        assert alter(c, (SEGMENTS, SET, "DEBUG"), name="7") == ErrorCode.invalid_request
        assert alter(c, (SEGMENTS, SET, "DEBUG"), name="") == ErrorCode.invalid_request
        assert levels(c, name="7")[0] == ErrorCode.invalid_request
        old = c.request(
            legacy.AlterConfigsRequest(
                resources=(
                    legacy.AlterConfigsResource(
                        resource_type=BROKER_LOGGER,
                        resource_name="1",
                        configs=(legacy.AlterableConfig(name=SEGMENTS, value="DEBUG"),),
                    ),
                ),
                validate_only=False,
            )
        ).responses[0]
        assert old.error_code == ErrorCode.invalid_request and "Incremental" in old.error_message
        assert levels(c)[1][SEGMENTS] == "INFO"


def test_kafka_python_describes_the_broker_loggers(shared_broker):
    admin = KafkaAdminClient(bootstrap_servers=shared_broker.bootstrap)
    try:
        response = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER_LOGGER, "1")])
    finally:
        admin.close()
    found = response["broker_logger"]["1"]
    assert found["root"]["value"] == "INFO" and found["broker.network"]["value"] == "INFO"
    assert {entry["config_source"] for entry in found.values()} == {"DYNAMIC_BROKER_LOGGER_CONFIG"}
