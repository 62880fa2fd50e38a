"""Topic settings that reach into a produced batch's records, applied before offsets are set.

Most produce checks read only the batch header. Three topic configs need the records, as in
Apache Kafka's log validation:

- ``compression.type`` other than ``producer``: a batch whose codec differs from the topic's
  (``uncompressed`` meaning none) is stored re-encoded with the topic's codec. The record
  bytes and every header field but the codec bits, the length and the CRC stay as sent. The
  codec's level is ``compression.<codec>.level`` (KIP-390); a batch already in the topic's
  codec is kept whatever its level, as in Kafka.
- ``message.timestamp.before.max.ms`` / ``message.timestamp.after.max.ms`` (KIP-937), on
  CreateTime topics: every record's timestamp (bar -1, "none") must lie within those bounds
  of the broker's clock, else the batch is refused with INVALID_TIMESTAMP.
- ``cleanup.policy`` containing ``compact``: every record needs a key, else INVALID_RECORD.

A topic with none of these (the defaults) has no RecordPolicy, so its produce path decodes
nothing and pays one attribute check.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from broker.config import LONG_MAX
from broker.errors import ErrorCode, KafkaError, RecordError
from broker.protocol import records
from broker.protocol.records import BatchHeader

# compression.type values that name a codec; "producer" keeps each batch's own
TOPIC_CODECS = {
    "uncompressed": records.NONE,
    "gzip": records.GZIP,
    "snappy": records.SNAPPY,
    "lz4": records.LZ4,
    "zstd": records.ZSTD,
}
NO_TIMESTAMP = -1


@dataclass(frozen=True, slots=True)
class RecordPolicy:
    codec: int | None = None  # None: keep the producer's codec
    level: int | None = None  # the codec's level; None: its default
    before_max_ms: int | None = None  # None: no bound
    after_max_ms: int | None = None
    compacted: bool = False

    @classmethod
    def from_config(cls, cfg: Mapping[str, str | None]) -> RecordPolicy | None:
        """The policy of a topic's effective configs; None when no setting needs records."""
        create_time = cfg["message.timestamp.type"] != "LogAppendTime"
        policies = {p.strip() for p in (cfg["cleanup.policy"] or "").split(",")}
        codec = TOPIC_CODECS.get(cfg["compression.type"] or "producer")
        policy = cls(
            codec=codec,
            level=_level(codec, cfg),
            before_max_ms=_bound(cfg["message.timestamp.before.max.ms"]) if create_time else None,
            after_max_ms=_bound(cfg["message.timestamp.after.max.ms"]) if create_time else None,
            compacted="compact" in policies,
        )
        return None if policy == cls() else policy

    @property
    def reads_records(self) -> bool:
        return self.compacted or self.before_max_ms is not None or self.after_max_ms is not None

    def apply(
        self,
        buf: bytearray | memoryview,
        batches: list[tuple[int, BatchHeader]],
        *,
        max_message_bytes: int,
        partition_name: str,
    ) -> tuple[bytearray | memoryview, list[tuple[int, BatchHeader]]]:
        """Check the records of validated batches and re-encode those in another codec.

        Returns ``buf`` and ``batches`` themselves when no batch changed, else a new buffer
        holding every batch (re-encoded or as sent) and its headers. Raises KafkaError.
        """
        now = int(time.time() * 1000)
        rebuilt: list[bytes | bytearray | memoryview] | None = None
        view = memoryview(buf)
        try:
            for i, (pos, h) in enumerate(batches):
                payload = None
                if self.reads_records:
                    payload = records.batch_payload(buf, pos, h)
                    self._check(records.record_stamps(h, payload), now, partition_name)
                if self.codec is not None and h.compression != self.codec:
                    if rebuilt is None:
                        rebuilt = [view[p : p + b.size] for p, b in batches[:i]]
                    batch = records.recompress_batch(buf, pos, h, self.codec, payload, self.level)
                    if len(batch) > max_message_bytes:
                        raise KafkaError(
                            ErrorCode.message_too_large,
                            f"batch of {len(batch)} bytes once compressed as "
                            f"{records.CODEC_NAMES[self.codec]} exceeds max.message.bytes "
                            f"{max_message_bytes}",
                        )
                    rebuilt.append(batch)
                elif rebuilt is not None:
                    rebuilt.append(view[pos : pos + h.size])
        except records.CorruptRecordError as e:
            raise KafkaError(ErrorCode.corrupt_message, str(e)) from e
        if rebuilt is None:
            return buf, batches
        out = bytearray(b"".join(rebuilt))
        return out, list(records.iter_batches(out))

    def _check(self, stamps: list[tuple[int, bool]], now: int, partition_name: str) -> None:
        before, after = self.before_max_ms, self.after_max_ms
        for index, (ts, has_key) in enumerate(stamps):
            if self.compacted and not has_key:
                raise RecordError(
                    ErrorCode.invalid_record,
                    "Compacted topic cannot accept message without key in topic partition "
                    f"{partition_name}.",
                    index,
                )
            if ts == NO_TIMESTAMP:
                continue
            if before is not None and now - ts > before:
                raise _out_of_bounds(ts, index, now, "before", before)
            if after is not None and ts - now > after:
                raise _out_of_bounds(ts, index, now, "after", after)


def _out_of_bounds(ts: int, index: int, now: int, side: str, bound: int) -> RecordError:
    return RecordError(
        ErrorCode.invalid_timestamp,
        f"timestamp {ts} of record {index} in the batch is {abs(now - ts)} ms {side} the "
        f"broker's clock ({now}), more than message.timestamp.{side}.max.ms {bound}",
        index,
    )


def _level(codec: int | None, cfg: Mapping[str, str | None]) -> int | None:
    """The level configured for ``codec`` (KIP-390), None for the codec's own default."""
    if codec not in (records.GZIP, records.LZ4, records.ZSTD):
        return None
    level = int(cfg[f"compression.{records.CODEC_NAMES[codec]}.level"] or -1)
    return None if codec == records.GZIP and level == -1 else level  # gzip's -1 is 6


def _bound(value: str | None) -> int | None:
    """A timestamp bound in ms; None for Long.MAX_VALUE (Kafka's 'no bound') or unset."""
    if value in (None, ""):
        return None
    n = int(value)
    return None if n >= LONG_MAX else n
