"""The consumer-group offset-reset planner: which partitions move, and where to. No I/O.

Shared by ``kctl groups reset`` and the dashboard. The caller gathers the facts (committed
offsets, log start/end offsets, offsets for a timestamp) and this module decides; a plan is
shown first and applied only on request, so nothing here commits anything.

Modes, as in Apache Kafka's ``kafka-consumer-groups --reset-offsets``:
    earliest   the log start offset
    latest     the log end offset
    offset N   offset N
    datetime   the first offset with timestamp >= T (the log end when every record is older)
    duration   the same, for T = now - D
    shift N    committed + N (N may be negative); a partition without a commit is an error
    current    the committed offset (the log end when nothing is committed)
    file       offsets read from a CSV ``topic,partition,offset`` (or ``group,topic,...``)
Every new offset is clamped into [log start, log end], as Kafka's tool does.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EARLIEST, LATEST, OFFSET, DATETIME, DURATION = (
    "earliest",
    "latest",
    "offset",
    "datetime",
    "duration",
)
SHIFT, CURRENT, FILE = "shift", "current", "file"
MODES = (EARLIEST, LATEST, OFFSET, DATETIME, DURATION, SHIFT, CURRENT, FILE)

TopicPartition = tuple[str, int]


class PlanError(ValueError):
    """The reset request cannot be planned (bad scope, bad file, missing commit)."""


@dataclass(frozen=True)
class TopicScope:
    """``--topic T`` (every partition) or ``--topic T:0,2``."""

    topic: str
    partitions: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ResetMode:
    kind: str
    value: int = 0  # N for offset/shift, epoch ms for datetime, ms for duration
    file_offsets: Mapping[TopicPartition, int] = field(default_factory=dict)

    def target_timestamp(self, now_ms: int) -> int | None:
        """The instant whose offsets the caller must look up, for datetime/duration modes."""
        if self.kind == DATETIME:
            return self.value
        if self.kind == DURATION:
            return now_ms - self.value
        return None


@dataclass(frozen=True)
class PartitionState:
    topic: str
    partition: int
    committed: int | None  # None: the group has no committed offset here
    log_start: int
    log_end: int


@dataclass(frozen=True)
class PlanRow:
    topic: str
    partition: int
    current: int | None
    new: int
    log_start: int
    log_end: int
    clamped: bool  # the requested offset was outside [log start, log end]

    @property
    def lag_before(self) -> int | None:
        return None if self.current is None else max(self.log_end - self.current, 0)

    @property
    def lag_after(self) -> int:
        return self.log_end - self.new

    @property
    def changes(self) -> bool:
        return self.current != self.new

    def as_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "current_offset": self.current,
            "new_offset": self.new,
            "log_start_offset": self.log_start,
            "log_end_offset": self.log_end,
            "lag_before": self.lag_before,
            "lag_after": self.lag_after,
            "clamped": self.clamped,
        }


def parse_topic_scope(text: str) -> TopicScope:
    """``T`` or ``T:0,1,2``; raises ``PlanError`` on a malformed partition list."""
    topic, sep, parts = text.partition(":")
    if not topic:
        raise PlanError(f"invalid --topic {text!r}: the topic name is empty")
    if not sep:
        return TopicScope(topic)
    if not re.fullmatch(r"\d+(,\d+)*", parts):
        raise PlanError(f"invalid --topic {text!r}: expected TOPIC or TOPIC:P1,P2")
    return TopicScope(topic, tuple(sorted({int(p) for p in parts.split(",")})))


def parse_offsets_csv(text: str, group: str) -> dict[TopicPartition, int]:
    """Kafka's reset CSV: ``topic,partition,offset`` per line, or ``group,topic,partition,
    offset`` (rows of other groups ignored). Raises ``PlanError`` naming the bad line."""
    out: dict[TopicPartition, int] = {}
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not cells or cells == [""]:
            continue
        if len(cells) == 4:
            if cells[0] != group:
                continue
            cells = cells[1:]
        if len(cells) != 3:
            raise PlanError(f"offsets file line {line_no}: expected topic,partition,offset")
        topic, part, off = cells
        if not topic or not part.isdigit() or not off.lstrip("-").isdigit():
            raise PlanError(f"offsets file line {line_no}: expected topic,partition,offset")
        if (topic, int(part)) in out:
            raise PlanError(f"offsets file line {line_no}: {topic}:{part} appears twice")
        out[(topic, int(part))] = int(off)
    if not out:
        raise PlanError("the offsets file names no partitions")
    return out


def select_partitions(
    scopes: Iterable[TopicScope],
    all_topics: bool,
    committed: Iterable[TopicPartition],
    topic_partitions: Mapping[str, Iterable[int]],
    mode: ResetMode,
) -> list[TopicPartition]:
    """The partitions a reset touches.

    ``--all-topics``: every partition the group has committed offsets for. ``--topic``: the
    named partitions (all of the topic's when none are listed). With a file mode, the file's
    partitions, narrowed by ``--topic`` when given. ``topic_partitions`` maps each existing
    topic to its partition ids (from metadata), to reject unknown topics and partitions.
    """
    scopes = list(scopes)
    if scopes and all_topics:
        raise PlanError("give either --topic or --all-topics, not both")
    known = {t: set(ps) for t, ps in topic_partitions.items()}
    wanted: set[TopicPartition] = set()
    for s in scopes:
        if s.topic not in known:
            raise PlanError(f"unknown topic {s.topic!r}")
        parts = known[s.topic] if s.partitions is None else set(s.partitions)
        missing = sorted(parts - known[s.topic])
        if missing:
            raise PlanError(
                f"topic {s.topic!r} has no partition {', '.join(map(str, missing))}"
                f" (it has {len(known[s.topic])})"
            )
        wanted |= {(s.topic, p) for p in parts}
    if mode.kind == FILE:
        selected = set(mode.file_offsets)
        for topic, p in selected:
            if topic not in known or p not in known[topic]:
                raise PlanError(f"offsets file names {topic}:{p}, which does not exist")
        if scopes:
            selected &= wanted
    elif all_topics:
        selected = set(committed)
    elif scopes:
        selected = wanted
    else:
        raise PlanError("say which partitions to reset: --topic T[:P,...] or --all-topics")
    if not selected:
        raise PlanError("no partitions match (the group has no committed offsets in scope)")
    return sorted(selected)


def build_plan(
    mode: ResetMode,
    states: Iterable[PartitionState],
    time_offsets: Mapping[TopicPartition, int | None] | None = None,
) -> list[PlanRow]:
    """One row per partition state, in the order given.

    ``time_offsets`` answers the timestamp lookup for datetime/duration modes: the first
    offset with timestamp >= the instant, or None/-1 when there is none.
    """
    rows = []
    for s in states:
        tp = (s.topic, s.partition)
        wanted = _wanted_offset(mode, s, (time_offsets or {}).get(tp))
        new = min(max(wanted, s.log_start), s.log_end)
        rows.append(
            PlanRow(s.topic, s.partition, s.committed, new, s.log_start, s.log_end, new != wanted)
        )
    return rows


def _wanted_offset(mode: ResetMode, s: PartitionState, time_offset: int | None) -> int:
    kind = mode.kind
    if kind == EARLIEST:
        return s.log_start
    if kind == LATEST:
        return s.log_end
    if kind == OFFSET:
        return mode.value
    if kind in (DATETIME, DURATION):
        return s.log_end if time_offset is None or time_offset < 0 else time_offset
    if kind == SHIFT:
        if s.committed is None:
            raise PlanError(
                f"cannot shift {s.topic}:{s.partition}: the group has no committed offset "
                "there (narrow the scope with --topic T:P, or use --all-topics)"
            )
        return s.committed + mode.value
    if kind == CURRENT:
        return s.log_end if s.committed is None else s.committed
    if kind == FILE:
        try:
            return mode.file_offsets[(s.topic, s.partition)]
        except KeyError:
            raise PlanError(f"the offsets file has no offset for {s.topic}:{s.partition}") from None
    raise PlanError(f"unknown reset mode {kind!r} (known: {', '.join(MODES)})")
