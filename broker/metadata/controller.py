"""The controller: validates cluster changes and commits them as metadata records.

Request handlers call these operations; each raises KafkaError with Apache Kafka's error
code and a clear message, or commits its records atomically (one batch) to the store.
Single node: every partition's replicas, ISR and leader are this node.
"""

from __future__ import annotations

import re
import uuid

from broker.config import BrokerConfig, ConfigError
from broker.errors import ErrorCode, KafkaError
from broker.metadata import records as mr
from broker.metadata.image import TopicImage
from broker.metadata.store import MetadataStore
from broker.metadata.topic_config import TOPIC_CONFIGS, validate

LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_LENGTH = 249
PRODUCER_ID_BLOCK = 1000
MAX_PARTITIONS = 10_000


def check_topic_name(name: str) -> None:
    if not name or name in (".", ".."):
        raise KafkaError(ErrorCode.invalid_topic_exception, f"topic name {name!r} is illegal")
    if len(name) > MAX_TOPIC_LENGTH:
        raise KafkaError(
            ErrorCode.invalid_topic_exception,
            f"topic name is {len(name)} characters; the limit is {MAX_TOPIC_LENGTH}",
        )
    if not LEGAL_TOPIC.match(name):
        raise KafkaError(
            ErrorCode.invalid_topic_exception,
            f"topic name {name!r} may only contain ASCII letters, digits, '.', '_', '-'",
        )


class Controller:
    def __init__(self, store: MetadataStore, config: BrokerConfig) -> None:
        self.store = store
        self.config = config
        self._next_pid = store.image.next_producer_id
        self._pid_limit = store.image.next_producer_id
        for name, value in store.image.broker_configs.items():
            self.config.set_dynamic(name, value)

    @property
    def image(self):
        return self.store.image

    def _topic(self, name: str) -> TopicImage:
        topic = self.image.topics_by_name.get(name)
        if topic is None:
            raise KafkaError(ErrorCode.unknown_topic_or_partition, f"topic {name} does not exist")
        return topic

    def _partition_records(self, topic_id: uuid.UUID, indexes: range) -> list[object]:
        node = self.store.node_id
        return [mr.PartitionRecord(topic_id, i, (node,), (node,), node) for i in indexes]

    def _check_replication(self, replication_factor: int) -> None:
        if replication_factor < 1:
            raise KafkaError(
                ErrorCode.invalid_replication_factor,
                f"replication factor must be at least 1, not {replication_factor}",
            )
        if replication_factor > 1:
            raise KafkaError(
                ErrorCode.invalid_replication_factor,
                f"replication factor {replication_factor} is larger than the 1 available broker",
            )

    def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: dict[str, str | None],
        *,
        assignments: dict | None = None,
        validate_only: bool = False,
    ) -> TopicImage:
        check_topic_name(name)
        if name in self.image.topics_by_name:
            raise KafkaError(ErrorCode.topic_already_exists, f"topic {name} already exists")
        if assignments:
            if num_partitions != -1 or replication_factor != -1:
                raise KafkaError(
                    ErrorCode.invalid_request,
                    "give either assignments or partitions and replication factor",
                )
            if sorted(assignments) != list(range(len(assignments))):
                raise KafkaError(
                    ErrorCode.invalid_replica_assignment, "assignments must cover partitions 0..n-1"
                )
            for replicas in assignments.values():
                if list(replicas) != [self.store.node_id]:
                    raise KafkaError(
                        ErrorCode.invalid_replica_assignment,
                        f"replicas {replicas}: only broker {self.store.node_id} exists",
                    )
            num_partitions = len(assignments)
            replication_factor = 1
        if num_partitions == -1:
            num_partitions = self.config.get("num.partitions")
        if replication_factor == -1:
            replication_factor = self.config.get("default.replication.factor")
        if not 1 <= num_partitions <= MAX_PARTITIONS:
            raise KafkaError(
                ErrorCode.invalid_partitions,
                f"number of partitions must be 1..{MAX_PARTITIONS}, not {num_partitions}",
            )
        self._check_replication(replication_factor)
        clean = {k: validate(k, v) for k, v in configs.items()}
        topic_id = uuid.uuid4()
        recs: list[object] = [
            mr.ConfigRecord(mr.TOPIC_RESOURCE, name, k, v)
            for k, v in sorted(clean.items())
            if v is not None
        ]
        recs.append(mr.TopicRecord(name, topic_id))
        recs += self._partition_records(topic_id, range(num_partitions))
        if validate_only:
            node = self.store.node_id
            from broker.metadata.image import PartitionImage

            return TopicImage(
                name,
                topic_id,
                {i: PartitionImage((node,), (node,), node) for i in range(num_partitions)},
                {k: v for k, v in clean.items() if v is not None},
            )
        self.store.commit(recs)
        return self.image.topics_by_name[name]

    def delete_topic(self, name: str) -> None:
        if not self.config.get("delete.topic.enable"):
            raise KafkaError(
                ErrorCode.topic_deletion_disabled,
                "topic deletion is disabled (delete.topic.enable=false)",
            )
        topic = self._topic(name)
        recs: list[object] = [
            mr.ConfigRecord(mr.TOPIC_RESOURCE, name, k, None) for k in sorted(topic.configs)
        ]
        recs.append(mr.RemoveTopicRecord(topic.topic_id))
        self.store.commit(recs)

    def create_partitions(self, name: str, new_total: int, *, validate_only: bool = False) -> None:
        topic = self._topic(name)
        current = len(topic.partitions)
        if new_total <= current:
            raise KafkaError(
                ErrorCode.invalid_partitions,
                f"topic {name} has {current} partitions; the new count must be larger, "
                f"not {new_total}",
            )
        if new_total > MAX_PARTITIONS:
            raise KafkaError(ErrorCode.invalid_partitions, f"at most {MAX_PARTITIONS} partitions")
        if not validate_only:
            self.store.commit(self._partition_records(topic.topic_id, range(current, new_total)))

    def alter_topic_configs(
        self, name: str, ops: list[tuple[str, str, str | None]], *, validate_only: bool = False
    ) -> None:
        """Incremental: ops are (config, SET|DELETE|APPEND|SUBTRACT, value)."""
        topic = self._topic(name)
        new = dict(topic.configs)
        for key, op, value in ops:
            if key not in TOPIC_CONFIGS:
                raise KafkaError(ErrorCode.invalid_config, f"unknown topic config {key!r}")
            if op == "SET":
                new[key] = validate(key, value)  # type: ignore[assignment]
            elif op == "DELETE":
                new.pop(key, None)
            else:
                if TOPIC_CONFIGS[key].definition.type != "list":
                    raise KafkaError(ErrorCode.invalid_config, f"{op} applies only to list configs")
                current = [x for x in (new.get(key) or "").split(",") if x]
                items = [x.strip() for x in (value or "").split(",") if x.strip()]
                if op == "APPEND":
                    current += [x for x in items if x not in current]
                else:
                    current = [x for x in current if x not in items]
                new[key] = validate(key, ",".join(current)) if current else None  # type: ignore
        self._commit_topic_configs(
            topic, {k: v for k, v in new.items() if v is not None}, validate_only
        )

    def replace_topic_configs(
        self, name: str, configs: dict[str, str | None], *, validate_only: bool = False
    ) -> None:
        """Legacy AlterConfigs: the given set replaces every override."""
        topic = self._topic(name)
        clean = {k: validate(k, v) for k, v in configs.items()}
        self._commit_topic_configs(
            topic, {k: v for k, v in clean.items() if v is not None}, validate_only
        )

    def _commit_topic_configs(
        self, topic: TopicImage, new: dict[str, str], validate_only: bool
    ) -> None:
        recs = [
            mr.ConfigRecord(mr.TOPIC_RESOURCE, topic.name, k, new.get(k))
            for k in sorted(set(topic.configs) | set(new))
            if topic.configs.get(k) != new.get(k)
        ]
        if not validate_only and recs:
            self.store.commit(recs)

    def alter_broker_configs(
        self, resource: str, ops: list[tuple[str, str, str | None]], *, validate_only: bool = False
    ) -> None:
        self._check_broker(resource)
        changes: dict[str, str | None] = {}
        for key, op, value in ops:
            if op not in ("SET", "DELETE"):
                raise KafkaError(ErrorCode.invalid_config, f"{op} is not supported for {key}")
            changes[key] = value if op == "SET" else None
        self._commit_broker_configs(changes, validate_only)

    def replace_broker_configs(
        self, resource: str, configs: dict[str, str | None], *, validate_only: bool = False
    ) -> None:
        self._check_broker(resource)
        changes: dict[str, str | None] = {k: None for k in self.image.broker_configs}
        changes.update(configs)
        self._commit_broker_configs(changes, validate_only)

    def _check_broker(self, resource: str) -> None:
        if resource not in ("", str(self.store.node_id)):
            raise KafkaError(
                ErrorCode.invalid_request, f"this is broker {self.store.node_id}, not {resource}"
            )

    def _commit_broker_configs(self, changes: dict[str, str | None], validate_only: bool) -> None:
        probe = BrokerConfig(static=self.config.static, dynamic=dict(self.config.dynamic))
        try:
            for key, value in changes.items():
                probe.set_dynamic(key, value)
        except ConfigError as e:
            raise KafkaError(ErrorCode.invalid_config, str(e)) from None
        if validate_only:
            return
        self.config.dynamic = probe.dynamic
        recs = [
            mr.ConfigRecord(mr.BROKER_RESOURCE, str(self.store.node_id), k, v)
            for k, v in sorted(changes.items())
        ]
        self.store.commit(recs)

    def allocate_producer_id(self) -> int:
        """A producer id never handed out before, even across restarts."""
        if self._next_pid >= self._pid_limit:
            start = max(self._pid_limit, self.image.next_producer_id)
            self.store.commit([mr.ProducerIdsRecord(self.store.node_id, start + PRODUCER_ID_BLOCK)])
            self._next_pid, self._pid_limit = start, start + PRODUCER_ID_BLOCK
        pid = self._next_pid
        self._next_pid += 1
        return pid
