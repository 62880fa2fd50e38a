"""Small conversions shared by the group handlers."""

from __future__ import annotations

from datetime import timedelta


def ms(value: timedelta | int | None, default: int = -1) -> int:
    """kio gives durations as timedelta; the coordinator counts integer milliseconds."""
    if value is None:
        return default
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return int(value)
