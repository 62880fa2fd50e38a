"""Response writers generated once per kio class: kio's bytes, without kio's overhead.

kio's writer calls a chain of closures per field into an io.BytesIO, and gives every flexible
entity a temporary buffer for its tagged fields: 20-30 µs for a one-partition Produce or
Fetch response, and 24 ms for a full Metadata answer of 3,000 partitions (the event loop
blocked meanwhile). Each class here gets one function, generated from the same field
metadata kio reads (kind, Kafka type, nullability, tag) and compiled with ``exec``, that
packs its fields straight into a bytearray: 2.5 µs for the Produce response, 4 µs for the
Fetch one, as fast as the hand-written encoders they replaced, and 6 ms for that Metadata.

The bytes are kio's (tests/protocol/test_compiled_writer.py compares them for every served
response version): an entity whose tagged fields are not all at their defaults, which the
broker's answers do not set, is written by kio's own writer. Record sets of DETACH_BYTES or
more are not copied: each is listed in ``detached`` with the position where its bytes go.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import Field, fields
from functools import cache
from typing import Any

from kio.serial import entity_writer
from kio.serial._implicit_defaults import get_tagged_field_default
from kio.serial._introspect import (
    EntityField,
    EntityTupleField,
    PrimitiveTupleField,
    classify_field,
    get_field_tag,
    get_schema_field_type,
    is_optional,
)

from broker.protocol.varint import write_uvarint

Writer = Callable[[bytearray, Any, list["Detached"]], None]

# Record sets from this size on are not copied into the response: the transport writes them
# from their own buffer (a fetch's megabytes, read from a segment, are not copied again).
# Below it a copy costs less than one more buffer handed to the transport.
DETACH_BYTES = 16 * 1024
Detached = tuple[int, "bytes | memoryview"]  # (position in the encoded bytes, value)

_FORMATS = {
    "int8": "b",
    "int16": "h",
    "int32": "i",
    "int64": "q",
    "uint8": "B",
    "uint16": "H",
    "uint32": "I",
    "uint64": "Q",
    "float64": "d",
    "bool": "?",
    "error_code": "h",
}
_PACK = {kafka_type: struct.Struct(">" + f).pack for kafka_type, f in _FORMATS.items()}
_pack_i32 = _PACK["int32"]
_pack_i16 = _PACK["int16"]
_pack_i64 = _PACK["int64"]
_ZERO_UUID = bytes(16)


def _compact_len(out: bytearray, items: Any) -> None:
    if items is None:
        out.append(0)
    elif len(items) < 127:
        out.append(len(items) + 1)
    else:
        write_uvarint(out, len(items) + 1)


def _legacy_len(out: bytearray, items: Any) -> None:
    out += _pack_i32(-1 if items is None else len(items))


def _compact_bytes(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(0)
        return
    if isinstance(value, str):
        value = value.encode()
    _compact_len(out, value)
    out += value


def _legacy_string(out: bytearray, value: str | None) -> None:
    if value is None:
        out += _pack_i16(-1)
        return
    encoded = value.encode()
    out += _pack_i16(len(encoded))
    out += encoded


def _legacy_bytes(out: bytearray, value: Any) -> None:
    if value is None:
        out += _pack_i32(-1)
        return
    out += _pack_i32(len(value))
    out += value


def _records(out: bytearray, value: Any, flexible: bool, detached: list[Detached]) -> None:
    if value is None or len(value) < DETACH_BYTES:
        if flexible:
            _compact_bytes(out, value)
        else:
            _legacy_bytes(out, value)
        return
    if flexible:
        write_uvarint(out, len(value) + 1)
    else:
        out += _pack_i32(len(value))
    detached.append((len(out), value))


def _millis(value: Any) -> int:
    return round(value.total_seconds() * 1000)


def _epoch_millis(value: Any) -> int:
    return -1 if value is None else round(value.timestamp() * 1000)


# what the generated source calls
_HELPERS: dict[str, Any] = {
    "_compact_len": _compact_len,
    "_legacy_len": _legacy_len,
    "_compact_bytes": _compact_bytes,
    "_legacy_string": _legacy_string,
    "_legacy_bytes": _legacy_bytes,
    "_records": _records,
    "_millis": _millis,
    "_epoch_millis": _epoch_millis,
    "_ZERO_UUID": _ZERO_UUID,
    **{f"_pack_{kafka_type}": pack for kafka_type, pack in _PACK.items()},
}


@cache
def writer(cls: type) -> Writer:
    """The function that appends an entity of ``cls`` to a bytearray as kio would."""
    flexible = bool(cls.__flexible__)
    names: dict[str, Any] = {"_kio": _kio_fallback(cls), **_HELPERS}
    body: list[str] = []
    tagged: list[str] = []
    for i, field in enumerate(fields(cls)):
        if get_field_tag(field) is not None:
            names[f"_d{i}"] = get_tagged_field_default(field)  # what kio leaves out
            # most often the very default object (ctx.make leaves it): identity first
            tagged.append(f"(e.{field.name} is not _d{i} and e.{field.name} != _d{i})")
            continue
        body += _field_lines(field, f"e.{field.name}", flexible, names, f"f{i}")
    lines = ["def write(out, e, detached):"]
    if tagged:  # a tagged field set: kio writes the entity (the condition of its writer)
        lines += [f"    if {' or '.join(tagged)}:", "        _kio(out, e)", "        return"]
    lines += ["    " + line for line in body]
    if flexible:
        lines.append("    out.append(0)")  # no tagged fields
    lines.append("    return")
    exec("\n".join(lines), names)  # the source is built above, from kio's field metadata
    return names["write"]


def _field_lines(
    field: Field, value: str, flexible: bool, names: dict[str, Any], key: str
) -> list[str]:
    kind = classify_field(field)
    if isinstance(kind, EntityField | EntityTupleField):
        names[f"_w{key}"] = writer(kind.type_)
        if isinstance(kind, EntityTupleField):
            return _array_lines(value, flexible, f"_w{key}(out, x, detached)")
        if is_optional(field):  # KIP-893: a nullable struct: an int8 marker, then it
            return [
                f"if {value} is None: out += b'\\xff'",
                f"else: out += b'\\x01'; _w{key}(out, {value}, detached)",
            ]
        return [f"_w{key}(out, {value}, detached)"]
    kafka_type = get_schema_field_type(field)
    if isinstance(kind, PrimitiveTupleField):
        return _array_lines(value, flexible, _primitive(kafka_type, "x", flexible))
    # None is written as null whatever the schema says (kio would refuse it where it may
    # not be null; the broker's answers never put it there)
    return [_primitive(kafka_type, value, flexible)]


def _array_lines(value: str, flexible: bool, item: str) -> list[str]:
    length = "_compact_len" if flexible else "_legacy_len"
    return [f"items = {value}", f"{length}(out, items)", "if items:", f"    for x in items: {item}"]


def _primitive(kafka_type: str, value: str, flexible: bool) -> str:
    if kafka_type in _PACK:
        return f"out += _pack_{kafka_type}({value})"
    if kafka_type == "records":
        return f"_records(out, {value}, {flexible}, detached)"
    if kafka_type in ("string", "bytes"):
        if flexible:
            return f"_compact_bytes(out, {value})"
        return f"_legacy_{'string' if kafka_type == 'string' else 'bytes'}(out, {value})"
    if kafka_type == "uuid":
        return f"out += _ZERO_UUID if {value} is None else {value}.bytes"
    if kafka_type == "timedelta_i32":
        return f"out += _pack_int32(_millis({value}))"
    if kafka_type == "timedelta_i64":
        return f"out += _pack_int64(_millis({value}))"
    if kafka_type == "datetime_i64":
        return f"out += _pack_int64(_epoch_millis({value}))"
    raise NotImplementedError(f"no writer for Kafka type {kafka_type}")


def _kio_fallback(cls: type) -> Callable[[bytearray, Any], None]:
    kio_write = entity_writer(cls)

    def write(out: bytearray, entity: Any) -> None:
        buf = io.BytesIO()
        kio_write(buf, entity)
        out += buf.getvalue()

    return write
