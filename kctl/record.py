"""The record as kctl's produce and consume commands see it: raw bytes, nothing decoded.

Keys, values and header values stay ``bytes`` (or ``None``) end to end so that no command can
corrupt binary data; text encodings are applied only where a record is rendered or parsed
(``kctl.jsonl_format``, ``kctl.format_template``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kafka's timestamp types, named as librdkafka and the Java client print them.
CREATE_TIME = "CreateTime"
LOG_APPEND_TIME = "LogAppendTime"


@dataclass(frozen=True)
class Record:
    """One Kafka record. ``offset``/``timestamp`` are ``None`` when not (yet) assigned."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    timestamp: int | None = None  # milliseconds since the epoch
    timestamp_type: str | None = None  # CREATE_TIME, LOG_APPEND_TIME or None
    key: bytes | None = None
    value: bytes | None = None
    # Ordered, duplicates kept, header values may be null: exactly what the wire carries.
    headers: tuple[tuple[str, bytes | None], ...] = field(default_factory=tuple)
