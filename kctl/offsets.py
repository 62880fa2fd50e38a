"""Where ``kctl consume`` starts (``--from``) and stops (``--to``), per partition; no I/O.

``--from``:
    ``beginning``         the log start offset
    ``end``               the log end offset (only new records)
    ``OFFSET``            that offset (clamped into [log start, log end])
    ``-N``                N records before the end of each partition
    ``@TIMESTAMP_MS``     the first record with timestamp >= that epoch time in milliseconds
    ``@ISO-8601``         the same for a datetime, e.g. ``@2024-05-01T12:00:00Z``
    ``@-DURATION``        relative to now, e.g. ``@-1h``, ``@-30m``, ``@-PT15M``

``--to`` (exclusive, so ``--from 10 --to 20`` reads offsets 10..19):
    ``OFFSET``, ``@TIMESTAMP_MS``, ``@ISO-8601``, ``@-DURATION``, or ``end`` (the log end offset
    captured at start). A bound is never past the log end captured at start: a bounded read
    covers the records that exist, so it finishes even on a partition that is empty or ends
    before the bound (it does not wait for records yet to be written).

Timestamps resolve through a ListOffsets lookup the caller performs (``lookup_timestamp``
names the instant to look up); the functions here only combine the answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kctl.timespec import parse_datetime_ms, parse_duration_ms

BEGINNING, END, OFFSET, FROM_END, TIMESTAMP = "beginning", "end", "offset", "from_end", "timestamp"


@dataclass(frozen=True)
class OffsetSpec:
    kind: str  # BEGINNING, END, OFFSET, FROM_END or TIMESTAMP
    value: int = 0  # the offset, the count N, or the epoch milliseconds

    @property
    def lookup_timestamp(self) -> int | None:
        """The epoch-ms instant whose offsets the caller must look up, if any."""
        return self.value if self.kind == TIMESTAMP else None


def _parse_at(text: str, now_ms: int) -> OffsetSpec:
    body = text[1:].strip()
    if re.fullmatch(r"\d+", body):
        return OffsetSpec(TIMESTAMP, int(body))
    if body.startswith("-"):
        return OffsetSpec(TIMESTAMP, now_ms - parse_duration_ms(body[1:]))
    return OffsetSpec(TIMESTAMP, parse_datetime_ms(body))


def parse_from(text: str, now_ms: int) -> OffsetSpec:
    """Parse a ``--from`` value; raises ``ValueError`` listing the accepted forms."""
    s = text.strip()
    low = s.lower()
    try:
        if low in ("beginning", "earliest", "start"):
            return OffsetSpec(BEGINNING)
        if low in ("end", "latest"):
            return OffsetSpec(END)
        if re.fullmatch(r"\d+", s):
            return OffsetSpec(OFFSET, int(s))
        if re.fullmatch(r"-\d+", s):
            return OffsetSpec(FROM_END, int(s[1:]))
        if s.startswith("@"):
            return _parse_at(s, now_ms)
    except ValueError as e:
        raise ValueError(f"invalid --from {text!r}: {e}") from e
    raise ValueError(
        f"invalid --from {text!r}: use beginning, end, OFFSET, -N, @TIMESTAMP_MS, "
        "@ISO-8601 or @-DURATION (e.g. @-1h)"
    )


def parse_to(text: str, now_ms: int) -> OffsetSpec:
    """Parse a ``--to`` value (an exclusive end bound)."""
    s = text.strip()
    try:
        if s.lower() in ("end", "latest"):
            return OffsetSpec(END)
        if re.fullmatch(r"\d+", s):
            return OffsetSpec(OFFSET, int(s))
        if s.startswith("@"):
            return _parse_at(s, now_ms)
    except ValueError as e:
        raise ValueError(f"invalid --to {text!r}: {e}") from e
    raise ValueError(
        f"invalid --to {text!r}: use OFFSET, end, @TIMESTAMP_MS, @ISO-8601 or @-DURATION"
    )


def resolve_start(spec: OffsetSpec, low: int, high: int, time_offset: int | None = None) -> int:
    """The first offset to read from a partition whose log spans [low, high).

    ``time_offset`` is the lookup answer for a TIMESTAMP spec: the first offset with a
    timestamp >= the instant, or None when every record is older (start at the end).
    """
    if spec.kind == BEGINNING:
        return low
    if spec.kind == END:
        return high
    if spec.kind == OFFSET:
        return min(max(spec.value, low), high)
    if spec.kind == FROM_END:
        return max(low, high - spec.value)
    if spec.kind == TIMESTAMP:
        return high if time_offset is None or time_offset < 0 else min(max(time_offset, low), high)
    raise ValueError(f"unknown offset spec {spec.kind!r}")


def resolve_end(spec: OffsetSpec, high: int, time_offset: int | None = None) -> int:
    """The exclusive end offset for a partition whose log end is ``high`` (captured at start).

    An OFFSET bound beyond ``high`` becomes ``high``: records not yet written are not waited
    for (an empty partition is finished at once). For a TIMESTAMP bound with no record at or
    after the instant, every existing record is older, so the end is ``high``.
    """
    if spec.kind == END:
        return high
    if spec.kind == OFFSET:
        return min(spec.value, high)
    if spec.kind == TIMESTAMP:
        return high if time_offset is None or time_offset < 0 else time_offset
    raise ValueError(f"{spec.kind!r} is not an end bound")
