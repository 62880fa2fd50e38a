"""The length walker that guards kio's reader takes a null primitive array (a reassignment's
cancel) and still refuses arrays longer than the frame."""

from __future__ import annotations

import io

import pytest
from kio.serial import entity_writer

from broker.protocol import bounds
from tests.cluster import wire_requests as w


def encoded(replicas) -> tuple[type, bytes]:
    body = w.alter_reassignments({"t": {0: replicas}})
    buf = io.BytesIO()
    entity_writer(type(body))(buf, body)
    return type(body), buf.getvalue()


def test_a_null_replica_list_passes():
    cls, data = encoded(None)
    assert bounds.check(cls, data, 0) == len(data)


def test_a_replica_list_longer_than_the_frame_is_refused():
    cls, data = encoded([1])
    # the compact length of [1] is 2 (n + 1); claim 100 elements instead
    at = data.index(bytes([2, 0, 0, 0, 1]))
    forged = data[:at] + bytes([101]) + data[at + 1 :]
    with pytest.raises(bounds.LengthError, match="exceeds"):
        bounds.check(cls, forged, 0)
