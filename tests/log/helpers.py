"""Builders shared by the log tests."""

from __future__ import annotations

from pathlib import Path

from broker.log.log import AppendResult, Log, LogConfig
from broker.protocol import records

SMALL = LogConfig(segment_bytes=1024, index_interval_bytes=128, segment_index_bytes=4096)


def batch(
    n: int = 1,
    *,
    ts: int = 1000,
    size: int = 10,
    timestamps: list[int] | None = None,
    compression: int = records.NONE,
) -> bytes:
    """A batch of ``n`` records (values of ``size`` bytes), one timestamp or one per record."""
    stamps = timestamps if timestamps is not None else [ts] * n
    recs = [
        records.Record(i, t, None, b"%d" % i + b"x" * max(0, size - len(b"%d" % i)))
        for i, t in enumerate(stamps)
    ]
    return records.build_batch(recs, compression=compression)


def append(
    log: Log, *batches: bytes, epoch: int = 0, append_time: int | None = None
) -> AppendResult:
    buf = bytearray(b"".join(batches))
    return log.append(
        buf, list(records.iter_batches(buf)), leader_epoch=epoch, log_append_time_ms=append_time
    )


def spans(data: bytes) -> list[tuple[int, int]]:
    """(base offset, last offset) of each batch in ``data`` (all must be whole and valid)."""
    out = []
    for pos, h in records.iter_batches(data):
        records.validate_batch(data, pos, h)
        out.append((h.base_offset, h.last_offset))
    return out


def open_log(
    path: Path,
    config: LogConfig = SMALL,
    *,
    recover: bool = False,
    recovery_point: int | None = None,
    **kw,
) -> Log:
    return Log.open(path, config, recovery_point=recovery_point, needs_recovery=recover, **kw)
