"""Bound every length in a request by the bytes actually received, before kio parses it.

kio's native reader trusts length prefixes: a 60-byte frame claiming a 40 GB array made it
abort the whole process (the bug class of KAFKA-14063 / CVE-2022-34917). This walker follows
the same kio message classes the reader uses and checks each string, bytes, records and array
length against what remains of the frame, allocating nothing. Cost is proportional to the
number of fields, not to the size of record data (records are one length check).
"""

from __future__ import annotations

import struct
from dataclasses import fields
from functools import cache
from typing import Any

from kio.serial._introspect import (
    EntityField,
    EntityTupleField,
    PrimitiveTupleField,
    classify_field,
    get_field_tag,
    get_schema_field_type,
)

from broker.protocol.varint import read_uvarint

FIXED_SIZES = {
    "bool": 1,
    "int8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "float64": 8,
    "uuid": 16,
    "timedelta_i32": 4,
    "timedelta_i64": 8,
    "datetime_i64": 8,
    "error_code": 2,
}
VARIABLE = ("string", "bytes", "records")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")


class LengthError(ValueError):
    """A length prefix claims more bytes than the frame holds, or is negative."""


# A plan step: (kind, size or nested class, nullable)
Step = tuple[str, Any]


@cache
def _plan(cls: type) -> tuple[tuple[Step, ...], dict[int, Step]]:
    body: list[Step] = []
    tagged: dict[int, Step] = {}
    for f in fields(cls):
        kind = classify_field(f)
        if isinstance(kind, EntityTupleField):
            step: Step = ("entities", kind.type_)
        elif isinstance(kind, EntityField):
            step = ("entity", kind.type_)
        else:
            schema_type = get_schema_field_type(f)
            size = FIXED_SIZES.get(schema_type)
            if isinstance(kind, PrimitiveTupleField):
                step = ("array", size if size is not None else schema_type)
            else:
                step = ("fixed", size) if size is not None else ("var", schema_type)
        tag = get_field_tag(f)
        if tag is None:
            body.append(step)
        else:
            tagged[int(tag)] = step
    return tuple(body), tagged


def check(cls: type, buf: bytes, pos: int) -> int:
    """Walk a message of kio class ``cls`` at ``pos``; return the end position."""
    return _Walker(buf, bool(cls.__flexible__)).entity(cls, pos, len(buf))


class _Walker:
    def __init__(self, buf: bytes, flexible: bool) -> None:
        self.buf = buf
        self.flexible = flexible

    def length(self, pos: int, end: int, wide: bool) -> tuple[int, int]:
        """A length prefix (-1 for null): compact in flexible versions, else int16/int32."""
        if self.flexible:
            n, pos = read_uvarint(self.buf, pos, end)
            return n - 1, pos
        size = 4 if wide else 2
        if pos + size > end:
            raise LengthError("length prefix runs past the frame")
        (n,) = (_I32 if wide else _I16).unpack_from(self.buf, pos)
        return n, pos + size

    def need(self, pos: int, n: int, end: int) -> int:
        if n < -1:
            raise LengthError(f"negative length {n}")
        if n > 0 and pos + n > end:
            raise LengthError(f"length {n} exceeds the {end - pos} bytes left in the frame")
        return pos + max(n, 0)

    def step(self, step: Step, pos: int, end: int) -> int:
        kind, arg = step
        if kind == "fixed":
            return self.need(pos, arg, end)
        if kind == "var":
            n, pos = self.length(pos, end, wide=arg != "string")
            return self.need(pos, n, end)
        if kind == "entity":
            return self.entity(arg, pos, end)
        n, pos = self.length(pos, end, wide=True)
        if kind == "array":
            if isinstance(arg, int):
                # null (-1) is one length, not -1 elements: a cancel's null replica list
                return self.need(pos, n * arg if n > 0 else n, end)
            self.need(pos, n, end)  # each element takes at least one byte
            for _ in range(max(n, 0)):
                pos = self.step(("var", arg), pos, end)
            return pos
        # An array of structs: every element is at least one byte, then walk each.
        self.need(pos, n, end)
        for _ in range(max(n, 0)):
            pos = self.entity(arg, pos, end)
        return pos

    def entity(self, cls: type, pos: int, end: int) -> int:
        body, tagged = _plan(cls)
        for step in body:
            pos = self.step(step, pos, end)
        if self.flexible:
            count, pos = read_uvarint(self.buf, pos, end)
            self.need(pos, count, end)
            for _ in range(count):
                tag, pos = read_uvarint(self.buf, pos, end)
                size, pos = read_uvarint(self.buf, pos, end)
                stop = self.need(pos, size, end)
                if tag in tagged:
                    self.step(tagged[tag], pos, stop)
                pos = stop
        return pos
