"""Durations and points in time as users type them, converted to epoch milliseconds.

Durations: ISO-8601 (``PT1H``, ``P1DT2H30M``, ``PT0.5S``, as Kafka's ``--by-duration`` takes)
or compact (``1h``, ``30m``, ``1h30m``, ``90s``, ``500ms``, ``2d``, ``1w``).
Datetimes: ISO-8601 (``2024-05-01T12:00:00Z``, ``2024-05-01T12:00:00.250+02:00``,
``2024-05-01``); a time without a zone is local time, as in Kafka's ``--to-datetime``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_COMPACT = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_ISO = re.compile(
    r"P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration_ms(text: str) -> int:
    """A non-negative duration in milliseconds; raises ``ValueError`` with the accepted forms."""
    s = text.strip()
    iso = _ISO.fullmatch(s.upper())
    if iso and s.upper() not in ("P", "PT") and not s.upper().endswith("T"):
        return round(
            sum(
                float(iso[g]) * _UNIT_MS[u]
                for g, u in (("w", "w"), ("d", "d"), ("h", "h"), ("m", "m"), ("s", "s"))
                if iso[g]
            )
        )
    pos, total, found = 0, 0.0, False
    for m in _COMPACT.finditer(s.lower()):
        if m.start() != pos:
            break
        total += float(m[1]) * _UNIT_MS[m[2]]
        pos, found = m.end(), True
    if found and pos == len(s):
        return round(total)
    raise ValueError(
        f"invalid duration {text!r}: use ISO-8601 (PT1H, P1DT2H) or units (1h, 30m, 1h30m, 500ms)"
    )


def parse_datetime_ms(text: str) -> int:
    """An ISO-8601 date or datetime as epoch milliseconds (naive means local time)."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError as e:
        raise ValueError(
            f"invalid datetime {text!r}: use ISO-8601 like 2024-05-01T12:00:00Z or 2024-05-01"
        ) from e
    if dt.tzinfo is None:
        dt = dt.astimezone()  # local time, like Kafka's tool
    return (dt - _EPOCH) // timedelta(milliseconds=1)
