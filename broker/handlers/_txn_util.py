"""Small things shared by the transaction handlers."""

from __future__ import annotations

from broker.errors import ErrorCode


def fenced_code(code: ErrorCode, version: int, fenced_since: int) -> ErrorCode:
    """PRODUCER_FENCED as a request version knows it: versions before ``fenced_since``
    (KIP-588) get INVALID_PRODUCER_EPOCH, which older clients treat as fatal the same way."""
    if code == ErrorCode.producer_fenced and version < fenced_since:
        return ErrorCode.invalid_producer_epoch
    return code
