"""The generated response writers write exactly what kio's writer does, for every served
version of every API, tagged fields set or not."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kio.index import load_response_schema
from kio.serial import entity_writer

from broker.protocol import compiled_writer
from broker.protocol.apis import SERVED
from tests.protocol.kio_strategies import entities

VERSIONS = [(key, v) for key, served in SERVED.items() for v in range(served.min, served.max + 1)]


def kio_encoding(body: object) -> bytes:
    buf = io.BytesIO()
    entity_writer(type(body))(buf, body)
    return buf.getvalue()


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=[f"{k.name}-v{v}" for k, v in VERSIONS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_bytes_as_kio(key, version, data):
    body = data.draw(entities(load_response_schema(key, version), tags=data.draw(st.booleans())))
    out = bytearray()
    compiled_writer.writer(type(body))(out, body)
    assert bytes(out) == kio_encoding(body)
