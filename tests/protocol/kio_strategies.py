"""Hypothesis strategies that build any kio message (response or request) field by field.

Values stay inside each Kafka type's range, so kio's own writer accepts them; tagged fields
are mostly left at their default (what brokers send) and sometimes set, so encoders that
leave unusual bodies to kio are exercised both ways.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st
from kio.schema.errors import ErrorCode
from kio.serial._introspect import (
    EntityField,
    EntityTupleField,
    classify_field,
    get_field_tag,
    get_schema_field_type,
    is_optional,
)

MAX_ITEMS = 3


def _int(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "bool": st.booleans(),
    "int8": _int(8),
    "int16": _int(16),
    "int32": _int(32),
    "int64": _int(64),
    "uint16": st.integers(0, 2**16 - 1),
    "uint32": st.integers(0, 2**32 - 1),
    "uint64": st.integers(0, 2**64 - 1),
    "float64": st.floats(allow_nan=False),
    "string": st.text(max_size=20),
    "bytes": st.binary(max_size=40),
    "records": st.binary(max_size=200),
    "uuid": st.uuids(),
    "error_code": st.sampled_from(list(ErrorCode)),
    "timedelta_i32": st.integers(0, 2**31 - 1).map(lambda ms: timedelta(milliseconds=ms)),
    "timedelta_i64": st.integers(0, 2**40).map(lambda ms: timedelta(milliseconds=ms)),
    "datetime_i64": st.integers(0, 2**42).map(lambda ms: datetime.fromtimestamp(ms / 1000, UTC)),
}


@cache
def entities(cls: type, tags: bool = True) -> st.SearchStrategy[Any]:
    """Instances of the kio class ``cls`` with every field drawn at random (tagged fields
    always at their defaults with ``tags=False``: what clients send)."""
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in dataclasses.fields(cls):
        kind = classify_field(f)
        if isinstance(kind, EntityTupleField | EntityField):
            inner = st.deferred(lambda t=kind.type_: entities(t, tags))
        else:
            inner = _PRIMITIVES[get_schema_field_type(f)]
        value = st.lists(inner, max_size=MAX_ITEMS).map(tuple) if kind.is_array else inner
        if get_field_tag(f) is not None:
            if f.default is not dataclasses.MISSING:
                value = st.one_of(st.just(f.default), value) if tags else st.just(f.default)
        elif is_optional(f):
            value = st.one_of(st.none(), value)
        kwargs[f.name] = value
    return st.builds(cls, **kwargs)
