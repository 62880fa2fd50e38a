"""kctl's lossless JSONL record format, written by ``consume -o jsonl`` and read by
``produce --input jsonl``.

One record per line, a JSON object (UTF-8). Written with every field; on input only what is
present is used, and an unknown field is an error (a typo must not silently drop data)::

    {"topic": "orders", "partition": 2, "offset": 41, "timestamp": 1718000000123,
     "timestamp_type": "CreateTime",
     "key": "order-7", "key_encoding": "utf8",
     "value": "AP8B", "value_encoding": "base64",
     "headers": [["trace", "a1"], ["trace", null], ["blob", "00ff", "hex"]]}

- ``key`` / ``value``: a string holding the bytes in the field's encoding, or ``null``.
  ``null`` (no key; a tombstone value) is distinct from ``""`` (zero bytes).
- ``key_encoding`` / ``value_encoding``: ``utf8`` (the default when absent), ``base64``
  (RFC 4648 with padding) or ``hex``. The writer uses ``utf8`` when the bytes are valid UTF-8
  and ``base64`` otherwise, so no byte is ever altered.
- ``headers``: an ordered list; duplicates are kept in order. Each entry is ``[name, value]``
  with the value in UTF-8 (or ``null``), or ``[name, value, encoding]`` when the value is
  base64 or hex.
- ``timestamp``: milliseconds since the epoch, or ``null``. ``timestamp_type`` (CreateTime,
  LogAppendTime or null) is informative; a producer can only set CreateTime.
- ``topic``, ``partition``: where the record was read; a producer sends it there unless told
  otherwise. ``offset`` is informative and ignored on input.

Blank lines are skipped. A malformed line raises ``JsonlError`` carrying its line number.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from typing import Any

from kctl.output import to_json
from kctl.record import CREATE_TIME, LOG_APPEND_TIME, Record

UTF8, BASE64, HEX = "utf8", "base64", "hex"
ENCODINGS = (UTF8, BASE64, HEX)
FIELDS = (
    "topic",
    "partition",
    "offset",
    "timestamp",
    "timestamp_type",
    "key",
    "key_encoding",
    "value",
    "value_encoding",
    "headers",
)
TIMESTAMP_TYPES = (CREATE_TIME, LOG_APPEND_TIME)


class JsonlError(ValueError):
    """A JSONL line that is not a valid record; ``line_no`` counts from 1."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"line {line_no}: {message}")
        self.line_no = line_no
        self.reason = message


# --- bytes <-> encoded text ---------------------------------------------------------------------


def best_encoding(data: bytes) -> str:
    """``utf8`` if the bytes decode as UTF-8, else ``base64``."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return BASE64
    return UTF8


def encode_bytes(data: bytes, encoding: str) -> str:
    if encoding == UTF8:
        return data.decode("utf-8")  # callers pick UTF8 only for valid UTF-8
    if encoding == BASE64:
        return base64.b64encode(data).decode("ascii")
    if encoding == HEX:
        return data.hex()
    raise ValueError(f"unknown encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")


def decode_text(text: str, encoding: str) -> bytes:
    if encoding == UTF8:
        # Lone surrogates (from "\ud800" escapes) cannot be UTF-8; refuse rather than mangle.
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError("not encodable as UTF-8 (lone surrogate escape)") from e
    if encoding == BASE64:
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error as e:
            raise ValueError(f"invalid base64: {e}") from e
    if encoding == HEX:
        try:
            return bytes.fromhex(text)
        except ValueError as e:
            raise ValueError(f"invalid hex: {e}") from e
    raise ValueError(f"unknown encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")


# --- writing ------------------------------------------------------------------------------------


def _field(data: bytes | None, forced: str | None) -> tuple[str | None, str]:
    if data is None:
        return None, forced or UTF8
    encoding = forced or best_encoding(data)
    if encoding == UTF8 and best_encoding(data) != UTF8:
        encoding = BASE64  # a forced utf8 must never corrupt bytes
    return encode_bytes(data, encoding), encoding


def record_to_dict(
    record: Record, key_encoding: str | None = None, value_encoding: str | None = None
) -> dict[str, Any]:
    """The record as a JSON-ready dict; encodings are chosen per field unless forced."""
    key, key_enc = _field(record.key, key_encoding)
    value, value_enc = _field(record.value, value_encoding)
    headers: list[list[str | None]] = []
    for name, hvalue in record.headers:
        text, enc = _field(hvalue, value_encoding)
        headers.append([name, text] if enc == UTF8 else [name, text, enc])
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "timestamp_type": record.timestamp_type,
        "key": key,
        "key_encoding": key_enc,
        "value": value,
        "value_encoding": value_enc,
        "headers": headers,
    }


def dumps_record(
    record: Record, key_encoding: str | None = None, value_encoding: str | None = None
) -> str:
    """One JSONL line (without the newline)."""
    return to_json(record_to_dict(record, key_encoding, value_encoding), indent=None)


# --- reading ------------------------------------------------------------------------------------


def _no_duplicate_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"field {k!r} appears twice")
        out[k] = v
    return out


def _int_or_none(obj: dict[str, Any], name: str, minimum: int) -> int | None:
    v = obj.get(name)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise ValueError(f"{name!r} must be an integer >= {minimum} or null, got {v!r}")
    return v


def _encoding(obj: dict[str, Any], name: str) -> str:
    enc = obj.get(name)
    if enc is None:
        return UTF8
    if enc not in ENCODINGS:
        raise ValueError(f"{name!r} must be one of {', '.join(ENCODINGS)}, got {enc!r}")
    return enc


def _bytes_field(obj: dict[str, Any], name: str) -> bytes | None:
    encoding = _encoding(obj, f"{name}_encoding")
    v = obj.get(name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ValueError(f"{name!r} must be a string or null, got {type(v).__name__}")
    try:
        return decode_text(v, encoding)
    except ValueError as e:
        raise ValueError(f"{name!r}: {e}") from e


def _headers(raw: Any) -> tuple[tuple[str, bytes | None], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("'headers' must be a list of [name, value] or [name, value, encoding]")
    out = []
    for i, entry in enumerate(raw):
        where = f"headers[{i}]"
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise ValueError(f"{where} must be [name, value] or [name, value, encoding]")
        name, value = entry[0], entry[1]
        encoding = entry[2] if len(entry) == 3 else UTF8
        if not isinstance(name, str):
            raise ValueError(f"{where}: the name must be a string")
        if encoding not in ENCODINGS:
            raise ValueError(f"{where}: encoding must be one of {', '.join(ENCODINGS)}")
        if value is None:
            out.append((name, None))
        elif isinstance(value, str):
            try:
                out.append((name, decode_text(value, encoding)))
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from e
        else:
            raise ValueError(f"{where}: the value must be a string or null")
    return tuple(out)


def parse_record(text: str) -> Record:
    """Parse one JSONL line; raises ``ValueError`` with a reason (no line number)."""
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_fields)
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON: {e.msg} at column {e.colno}") from e
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    topic = obj.get("topic")
    if topic is not None and (not isinstance(topic, str) or not topic):
        raise ValueError("'topic' must be a non-empty string or null")
    ts_type = obj.get("timestamp_type")
    if ts_type is not None and ts_type not in TIMESTAMP_TYPES:
        raise ValueError(f"'timestamp_type' must be one of {', '.join(TIMESTAMP_TYPES)} or null")
    return Record(
        topic=topic,
        partition=_int_or_none(obj, "partition", 0),
        offset=_int_or_none(obj, "offset", 0),
        timestamp=_int_or_none(obj, "timestamp", 0),
        timestamp_type=ts_type,
        key=_bytes_field(obj, "key"),
        value=_bytes_field(obj, "value"),
        headers=_headers(obj.get("headers")),
    )


def read_records(
    lines: Iterable[bytes | str], first_line: int = 1, require_topic: bool = False
) -> Iterator[Record]:
    """Yield records from JSONL lines, lazily, so nothing after a bad line is consumed.

    Raises ``JsonlError`` at the first malformed line (including non-UTF-8 bytes, and a
    record without a topic when ``require_topic``).
    """
    for line_no, line in enumerate(lines, start=first_line):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as e:
                raise JsonlError(line_no, f"not UTF-8 text (byte {e.start})") from e
        if not line.strip():
            continue
        try:
            record = parse_record(line)
        except ValueError as e:
            raise JsonlError(line_no, str(e)) from e
        if require_topic and record.topic is None:
            raise JsonlError(line_no, "the record has no 'topic' and no topic was given")
        yield record
