"""When a bounded consume is finished: per-partition exclusive end offsets and a count.

A partition is done once a record at or past its end offset is seen, or the consumer
reports the partition's end (EOF) at or past it: with read_committed, or after
compaction, the offset just before the end may never arrive as a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TopicPartition = tuple[str, int]


@dataclass
class Progress:
    ends: dict[TopicPartition, int] = field(default_factory=dict)  # exclusive end offsets
    limit: int | None = None  # -n/--count: stop after this many records were output
    output: int = 0
    done: set[TopicPartition] = field(default_factory=set)

    def set_end(self, tp: TopicPartition, end: int, start: int) -> None:
        """Bound a partition; one whose start is already at its end is done at once."""
        self.ends[tp] = end
        if start >= end:
            self.done.add(tp)

    def is_past_end(self, tp: TopicPartition, offset: int) -> bool:
        """True when the record at ``offset`` lies beyond the bound (do not output it)."""
        end = self.ends.get(tp)
        if end is not None and offset >= end:
            self.done.add(tp)
            return True
        return False

    def after_record(self, tp: TopicPartition, offset: int, shown: bool) -> None:
        if shown:
            self.output += 1
        end = self.ends.get(tp)
        if end is not None and offset + 1 >= end:
            self.done.add(tp)

    def at_eof(self, tp: TopicPartition, position: int) -> None:
        end = self.ends.get(tp)
        if end is not None and position >= end:
            self.done.add(tp)

    @property
    def finished(self) -> bool:
        if self.limit is not None and self.output >= self.limit:
            return True
        return bool(self.ends) and self.done >= set(self.ends)
