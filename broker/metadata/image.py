"""The metadata image: the state that replaying metadata records produces. Pure, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from broker.metadata import records as r


@dataclass(slots=True)
class PartitionImage:
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    leader: int
    leader_epoch: int = 0
    partition_epoch: int = 0


@dataclass(slots=True)
class TopicImage:
    name: str
    topic_id: uuid.UUID
    partitions: dict[int, PartitionImage] = field(default_factory=dict)
    configs: dict[str, str] = field(default_factory=dict)


@dataclass
class MetadataImage:
    topics_by_name: dict[str, TopicImage] = field(default_factory=dict)
    topics_by_id: dict[uuid.UUID, TopicImage] = field(default_factory=dict)
    broker_configs: dict[str, str] = field(default_factory=dict)
    next_producer_id: int = 0
    # Configs of topics are kept by name, so a ConfigRecord may precede its TopicRecord.
    _pending_configs: dict[str, dict[str, str]] = field(default_factory=dict)

    def apply(self, record: object) -> None:
        match record:
            case r.TopicRecord(name=name, topic_id=tid):
                topic = TopicImage(name, tid, configs=self._pending_configs.pop(name, {}))
                self.topics_by_name[name] = topic
                self.topics_by_id[tid] = topic
            case r.PartitionRecord():
                topic = self.topics_by_id[record.topic_id]
                topic.partitions[record.partition] = PartitionImage(
                    tuple(record.replicas),
                    tuple(record.isr),
                    record.leader,
                    record.leader_epoch,
                    record.partition_epoch,
                )
            case r.PartitionChangeRecord():
                p = self.topics_by_id[record.topic_id].partitions[record.partition]
                p.leader, p.isr, p.leader_epoch = (
                    record.leader,
                    tuple(record.isr),
                    record.leader_epoch,
                )
                p.partition_epoch += 1
            case r.RemoveTopicRecord(topic_id=tid):
                topic = self.topics_by_id.pop(tid)
                self.topics_by_name.pop(topic.name, None)
            case r.ConfigRecord(resource_type=r.TOPIC_RESOURCE):
                topic = self.topics_by_name.get(record.resource_name)
                target = (
                    topic.configs
                    if topic
                    else self._pending_configs.setdefault(record.resource_name, {})
                )
                _set(target, record.name, record.value)
            case r.ConfigRecord(resource_type=r.BROKER_RESOURCE):
                _set(self.broker_configs, record.name, record.value)
            case r.ProducerIdsRecord(next_producer_id=n):
                self.next_producer_id = max(self.next_producer_id, n)
            case _:
                raise r.MetadataRecordError(f"cannot apply {record!r}")


def _set(target: dict[str, str], name: str, value: str | None) -> None:
    if value is None:
        target.pop(name, None)
    else:
        target[name] = value
