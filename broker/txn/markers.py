"""Writing transaction markers to partitions: WriteTxnMarkers' work, and the coordinator's.

``write_markers`` is what the WriteTxnMarkers handler runs on the broker leading the
partitions; the coordinator reaches it through a MarkerChannel. On a single node the channel
calls it directly (LocalMarkerChannel); a cluster will send WriteTxnMarkers requests to each
partition leader instead, so only the transport changes.

A marker on a ``__consumer_offsets`` partition also decides the transactional offsets the
group coordinator holds pending for the producer, as Kafka's broker does after the append.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from broker.errors import ErrorCode, KafkaError
from broker.group.offsets_topic import OFFSETS_TOPIC

if TYPE_CHECKING:
    from broker.node import Broker

log = logging.getLogger("broker.txn")

TopicPartition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class TxnMarker:
    producer_id: int
    producer_epoch: int
    commit: bool
    coordinator_epoch: int
    partitions: tuple[TopicPartition, ...]


class MarkerChannel(Protocol):
    def send(self, marker: TxnMarker) -> dict[TopicPartition, ErrorCode]:
        """Write the marker to each partition; the error of each (none when written)."""


def write_markers(broker: Broker, marker: TxnMarker) -> dict[TopicPartition, ErrorCode]:
    results: dict[TopicPartition, ErrorCode] = {}
    for topic, index in marker.partitions:
        partition = broker.partition(topic, index)
        if partition is None:
            results[(topic, index)] = ErrorCode.unknown_topic_or_partition
            continue
        try:
            partition.write_marker(
                marker.producer_id, marker.producer_epoch, marker.commit, marker.coordinator_epoch
            )
        except KafkaError as e:
            log.warning(
                "%s marker of producer %d on %s-%d refused: %s",
                "commit" if marker.commit else "abort",
                marker.producer_id,
                topic,
                index,
                e.message,
            )
            results[(topic, index)] = e.code
            continue
        except OSError as e:
            log.error("marker write to %s-%d failed: %s", topic, index, e)
            results[(topic, index)] = ErrorCode.kafka_storage_error
            continue
        if topic == OFFSETS_TOPIC and broker.groups is not None:
            broker.groups.complete_txn(marker.producer_id, marker.commit, index)
        results[(topic, index)] = ErrorCode.none
    return results


class LocalMarkerChannel:
    """The single-node channel: the partitions are here."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def send(self, marker: TxnMarker) -> dict[TopicPartition, ErrorCode]:
        return write_markers(self.broker, marker)
