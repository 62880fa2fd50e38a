"""``make`` builds the same kio messages as their constructors, for every response we send."""

from __future__ import annotations

import dataclasses
import inspect
import sys
from datetime import UTC, datetime, timedelta

import pytest

from broker.handlers.context import make
from broker.protocol.apis import SERVED
from broker.protocol.codec import response_class


def _response_classes() -> list[type]:
    classes = []
    for api_key, versions in SERVED.items():
        for version in range(versions.min, versions.max + 1):
            module = sys.modules[response_class(api_key, version).__module__]
            classes += [
                c
                for _, c in inspect.getmembers(module, inspect.isclass)
                if dataclasses.is_dataclass(c) and c.__module__ == module.__name__
            ]
    return classes


CLASSES = _response_classes()


def _kind(f: dataclasses.Field) -> str:
    return f.metadata.get("kafka_type", "")


def test_covers_the_served_responses():
    assert len(CLASSES) > 300


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_same_object_as_the_constructor(cls):
    fields = dataclasses.fields(cls)
    given = {f.name: object() for f in fields}
    assert make(cls, **given) == cls(**given)
    required = {
        f.name: object()  # not an int: passed through as it is
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    built = make(cls, **required, not_in_this_version=1)
    assert built == cls(**required)  # defaults filled in, unknown names dropped
    for f in fields:
        if _kind(f).startswith("timedelta"):
            assert getattr(make(cls, **{**required, f.name: 1500}), f.name) == timedelta(
                milliseconds=1500
            )
        elif _kind(f) == "datetime_i64":
            assert getattr(make(cls, **{**required, f.name: -1}), f.name) is None
            assert getattr(make(cls, **{**required, f.name: 1_700_000_000_000}), f.name) == (
                datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
            )
    if required:
        missing = dict(required)
        missing.pop(next(iter(required)))
        with pytest.raises(TypeError):
            make(cls, **missing)
