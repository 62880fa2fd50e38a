"""Errors that carry a Kafka error code, so any layer can raise and the handler answers."""

from __future__ import annotations

from kio.schema.errors import ErrorCode

__all__ = ["ErrorCode", "KafkaError", "RecordError"]


class KafkaError(Exception):
    """A failure the client should see as ``code`` with ``message``."""

    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        super().__init__(message or code.name)
        self.code = code
        self.message = message or code.name

    def __repr__(self) -> str:
        return f"KafkaError({self.code.name}, {self.message!r})"


class RecordError(KafkaError):
    """A batch refused for one of its records: Produce v8+ names it in ``record_errors``
    (KIP-467) by its index in the batch."""

    def __init__(self, code: ErrorCode, message: str, index: int) -> None:
        super().__init__(code, message)
        self.index = index
