"""The consume loop behind ``kctl consume``: position the consumer, read, filter, stop.

Without a group the partitions are assigned directly at offsets computed from ``--from``;
with ``--group`` the topics are subscribed, ``--from`` (if given) overrides the committed
positions of each assigned partition, and offsets are stored only after a record has been
handed to the sink, so the group's commits never run ahead of the output (at least once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kctl.client import throwaway_group_refused
from kctl.consume_progress import Progress
from kctl.offsets import BEGINNING, END, OffsetSpec, resolve_end, resolve_start
from kctl.record import CREATE_TIME, LOG_APPEND_TIME, Record
from kctl.record_filter import RecordFilter

POLL_SECONDS = 0.2  # short polls keep Ctrl-C responsive
# While nothing arrives, make sure this often that the topics still exist: librdkafka tells a
# consumer nothing when a topic it reads is deleted, so the run would wait for ever.
TOPIC_CHECK_SECONDS = 5.0
TOPIC_CHECK_TIMEOUT = 2.0  # the check blocks polling (and Ctrl-C) at most this long
_TS_TYPES = {1: CREATE_TIME, 2: LOG_APPEND_TIME}


class UnknownTopicError(LookupError):
    """A requested topic or partition does not exist."""


@dataclass
class ConsumeRequest:
    topics: list[str]
    start: OffsetSpec | None = None  # None: committed offsets (group) or the beginning
    end: OffsetSpec | None = None  # exclusive bound from --to
    exit_at_end: bool = False  # -e: also stop at the log end captured at start
    partitions: list[int] = field(default_factory=list)
    limit: int | None = None
    group: str | None = None
    record_filter: RecordFilter = field(default_factory=RecordFilter)


def to_record(msg: Any) -> Record:
    ts_type, ts = msg.timestamp()
    return Record(
        topic=msg.topic(),
        partition=msg.partition(),
        offset=msg.offset(),
        timestamp=ts if ts_type in _TS_TYPES and ts >= 0 else None,
        timestamp_type=_TS_TYPES.get(ts_type),
        key=msg.key(),
        value=msg.value(),
        headers=tuple(msg.headers() or ()),
    )


class ConsumeRun:
    def __init__(
        self,
        make_consumer: Callable[..., Any],
        request: ConsumeRequest,
        sink: Callable[[Record], None],
        timeout: float,
        warn: Callable[[str], None],
        **settings: Any,
    ) -> None:
        """``make_consumer(**librdkafka_settings)`` builds the Consumer (kctl.client)."""
        self.request = request
        self.sink = sink
        self.timeout = timeout
        self.warn = warn
        self.progress = Progress(limit=request.limit)
        self._topics_checked = time.monotonic()
        settings.setdefault("enable.partition.eof", True)
        if request.group:
            settings.update(
                {
                    "group.id": request.group,
                    "enable.auto.commit": True,
                    "enable.auto.offset.store": False,
                }
            )
            settings.setdefault("auto.offset.reset", "earliest")
        else:
            # librdkafka insists on a group id; nothing is ever committed under it.
            settings.setdefault("group.id", f"kctl-consume-{int(time.time() * 1000)}")
            settings["enable.auto.commit"] = False
        self.consumer = make_consumer(**settings)

    # --- positioning ---------------------------------------------------------------------

    def _partitions(self) -> list[tuple[str, int]]:
        md = self.consumer.list_topics(timeout=self.timeout)
        out = []
        for topic in self.request.topics:
            tmd = md.topics.get(topic)
            if tmd is None or tmd.error is not None:
                raise UnknownTopicError(f"unknown topic {topic!r}")
            ids = sorted(tmd.partitions)
            if self.request.partitions:
                missing = sorted(set(self.request.partitions) - set(ids))
                if missing:
                    raise UnknownTopicError(
                        f"topic {topic!r} has no partition {', '.join(map(str, missing))}"
                    )
                ids = sorted(set(self.request.partitions))
            out += [(topic, p) for p in ids]
        return out

    def _time_offsets(self, tps: list[tuple[str, int]], ts: int | None) -> dict:
        if ts is None or not tps:
            return {}
        found = self.consumer.offsets_for_times(
            [TopicPartition(t, p, ts) for t, p in tps], timeout=self.timeout
        )
        return {(tp.topic, tp.partition): tp.offset for tp in found}

    def _positions(self, tps: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Start offsets for ``tps``, and end bounds recorded in ``self.progress``."""
        start = self.request.start or OffsetSpec(BEGINNING)
        end = self.request.end
        if end is None and self.request.exit_at_end:
            end = OffsetSpec(END)
        marks = {
            tp: self.consumer.get_watermark_offsets(TopicPartition(*tp), timeout=self.timeout)
            for tp in tps
        }
        start_times = self._time_offsets(tps, start.lookup_timestamp)
        end_times = self._time_offsets(tps, end.lookup_timestamp if end else None)
        out = {}
        for tp in tps:
            low, high = marks[tp]
            out[tp] = resolve_start(start, low, high, start_times.get(tp))
            if end is not None:
                self.progress.set_end(tp, resolve_end(end, high, end_times.get(tp)), out[tp])
        return out

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        tps = [(p.topic, p.partition) for p in partitions]
        if self.request.start is not None or self.bounded:
            positions = self._positions(tps)
            if self.request.start is not None:
                for p in partitions:
                    p.offset = positions[(p.topic, p.partition)]
        consumer.assign(partitions)

    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        for p in partitions:
            tp = (p.topic, p.partition)
            self.progress.ends.pop(tp, None)
            self.progress.done.discard(tp)

    # --- the loop ------------------------------------------------------------------------

    def start(self) -> None:
        tps = self._partitions()
        if self.request.group:
            self.consumer.subscribe(
                self.request.topics, on_assign=self._on_assign, on_revoke=self._on_revoke
            )
            return
        positions = self._positions(tps)
        todo = [TopicPartition(t, p, positions[(t, p)]) for t, p in tps]
        if self.bounded:
            todo = [tp for tp in todo if (tp.topic, tp.partition) not in self.progress.done]
        self.consumer.assign(todo)

    @property
    def bounded(self) -> bool:
        return self.request.end is not None or self.request.exit_at_end

    @property
    def finished(self) -> bool:
        if self.request.group and self.bounded and not self.progress.ends:
            return False  # not assigned yet
        if not self.bounded:
            return self.progress.limit is not None and self.progress.finished
        return self.progress.finished

    def run(self) -> int:
        """Consume until finished (forever when unbounded); returns records output."""
        self.start()
        while not self.finished:
            msg = self.consumer.poll(POLL_SECONDS)
            if msg is None:
                self._check_topics_exist()
                continue
            err = msg.error()
            if err is not None:
                self._on_error(msg, err)
                continue
            tp = (msg.topic(), msg.partition())
            if self.progress.is_past_end(tp, msg.offset()):
                continue
            record = to_record(msg)
            shown = self.request.record_filter.matches(record)
            if shown:
                self.sink(record)
            if self.request.group:
                self.consumer.store_offsets(message=msg)
            self.progress.after_record(tp, msg.offset(), shown)
        return self.progress.output

    def _check_topics_exist(self) -> None:
        now = time.monotonic()
        if now - self._topics_checked < TOPIC_CHECK_SECONDS:
            return
        self._topics_checked = now
        try:
            # All topics, not the ones read: asking for a topic by name may auto-create it.
            md = self.consumer.list_topics(timeout=min(self.timeout, TOPIC_CHECK_TIMEOUT))
        except KafkaException:
            return  # no answer: librdkafka keeps reconnecting, and so does the run
        for topic in self.request.topics:
            tmd = md.topics.get(topic)
            if tmd is None or not tmd.partitions:
                raise UnknownTopicError(f"topic {topic!r} does not exist (deleted while read)")

    def _on_error(self, msg: Any, err: KafkaError) -> None:
        if err.code() == KafkaError._PARTITION_EOF:
            self.progress.at_eof((msg.topic(), msg.partition()), msg.offset())
            return
        if not self.request.group and throwaway_group_refused(err):
            return
        if err.fatal() or err.code() in (
            KafkaError.UNKNOWN_TOPIC_OR_PART,
            KafkaError._UNKNOWN_TOPIC,
            KafkaError._UNKNOWN_PARTITION,
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.GROUP_AUTHORIZATION_FAILED,
        ):
            raise KafkaException(err)
        self.warn(err.str())

    def close(self) -> None:
        """Leave cleanly; with a group this commits the offsets stored so far."""
        self.consumer.close()
