"""Partition.append stamps a request's own bytes in place and never the caller's immutable ones."""

from __future__ import annotations

import uuid

from broker.partition.partition import Partition
from broker.protocol import records
from tests.log.helpers import batch, open_log, spans


def test_a_writable_view_is_stamped_in_place_and_immutable_input_is_copied(tmp_path):
    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    partition.append(batch(2), acks=-1)

    frame = bytearray(b"head" + batch(1))  # a request frame with a batch in it
    assert partition.append(memoryview(frame)[4:], acks=-1).base_offset == 2
    assert records.parse_header(frame, 4).base_offset == 2

    sent = batch(1)
    assert partition.append(sent, acks=-1).base_offset == 3
    assert records.parse_header(sent).base_offset == 0
    assert spans(partition.log.read(0, 10_000)) == [(0, 1), (2, 2), (3, 3)]
