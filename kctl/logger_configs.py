"""A broker's log levels as configs: Kafka's BROKER_LOGGER resource (KIP-412), over kctl's own
connection to that broker, since librdkafka has no such resource type.

DescribeConfigs lists each logger with its level; IncrementalAlterConfigs SET changes one
and DELETE makes it inherit again, until the broker restarts. Apache Kafka answers the same
requests with its log4j loggers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kio.schema.describe_configs.v4 import request as describe_v4
from kio.schema.incremental_alter_configs.v1 import request as alter_v1
from kio.static.primitive import i8

from kctl.broker_sessions import BrokerSession, BrokerSessions, guarded
from kctl.client import Cluster, ConfigValue
from kctl.config_alter import DELETE, SET, Change
from kctl.console import ExitCode, KctlError
from kctl.kafka_wire import check

DESCRIBE_CONFIGS, INCREMENTAL_ALTER_CONFIGS = 32, 44
BROKER_LOGGER = 8
_OPS = {SET: 0, DELETE: 1}
T = TypeVar("T")


class BrokerLoggers:
    """The loggers of broker ``node_id`` (which must be in the cluster's metadata)."""

    def __init__(self, cluster: Cluster, node_id: int) -> None:
        self.cluster = cluster
        self.node_id = node_id
        self.broker = cluster.broker(node_id)

    def describe(self) -> list[ConfigValue]:
        def call(sessions: BrokerSessions) -> list[ConfigValue]:
            session = self._session(sessions)
            session.version(DESCRIBE_CONFIGS, "DescribeConfigs", 4, 4)
            resource = describe_v4.DescribeConfigsResource(
                resource_type=i8(BROKER_LOGGER),
                resource_name=str(self.node_id),
                configuration_keys=None,
            )
            answer = session.request(
                describe_v4.DescribeConfigsRequest(
                    resources=(resource,), include_synonyms=False, include_documentation=False
                )
            ).results[0]
            check(answer.error_code, answer.error_message)
            return [
                ConfigValue(c.name, c.value, "DYNAMIC_BROKER_LOGGER_CONFIG", c.read_only,
                            c.is_sensitive, default=False)
                for c in sorted(answer.configs, key=lambda c: c.name)
            ]

        return self._guarded(f"describe the loggers of broker {self.node_id}", call)

    def apply(self, changes: list[Change], *, validate_only: bool) -> None:
        for c in changes:
            if c.op not in _OPS:
                raise KctlError(f"a logger's level is only set or deleted, not {c.op}ed "
                                f"({c.name})", ExitCode.USAGE)

        def call(sessions: BrokerSessions) -> None:
            session = self._session(sessions)
            session.version(INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs", 1, 1)
            resource = alter_v1.AlterConfigsResource(
                resource_type=i8(BROKER_LOGGER),
                resource_name=str(self.node_id),
                configs=tuple(
                    alter_v1.AlterableConfig(
                        name=c.name, config_operation=i8(_OPS[c.op]), value=c.value
                    )
                    for c in changes
                ),
            )
            answer = session.request(
                alter_v1.IncrementalAlterConfigsRequest(
                    resources=(resource,), validate_only=validate_only
                )
            ).responses[0]
            check(answer.error_code, answer.error_message)

        self._guarded(f"alter the loggers of broker {self.node_id}", call)

    def _session(self, sessions: BrokerSessions) -> BrokerSession:
        return sessions.get(self.broker.host, self.broker.port, self.node_id)

    def _guarded(self, what: str, call: Callable[[BrokerSessions], T]) -> T:
        """``call`` with sessions closed afterwards; failures as one-line kctl errors."""

        def run() -> T:
            with BrokerSessions(self.cluster.config(), self.cluster.timeout) as sessions:
                return call(sessions)

        return guarded(what, run)
