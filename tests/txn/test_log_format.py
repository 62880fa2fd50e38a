"""__transaction_state records: Kafka's byte layout, round trips, damaged records."""

from __future__ import annotations

import struct

import pytest

from broker.txn import log_format as fmt
from broker.txn.loader import load_transactions
from broker.txn.metadata import TxnMetadata
from broker.txn.state import TxnState


def test_key_and_value_have_kafkas_v0_layout():
    assert fmt.key("tx") == b"\x00\x00\x00\x02tx"
    m = TxnMetadata("tx", 42, 3, 60000, TxnState.ONGOING, {("b", 1), ("a", 0), ("b", 0)}, 7, 9)
    expected = (
        struct.pack(">hqhib", 0, 42, 3, 60000, 1)
        + struct.pack(">i", 2)
        + struct.pack(">h", 1) + b"a" + struct.pack(">ii", 1, 0)
        + struct.pack(">h", 1) + b"b" + struct.pack(">iii", 2, 0, 1)
        + struct.pack(">qq", 9, 7)
    )  # fmt: skip
    assert fmt.value(m) == expected


@pytest.mark.parametrize("state", list(TxnState))
def test_round_trip(state):
    m = TxnMetadata("id-é", 2**40, 32766, 1, state, {("t", 3)}, 123, 456)
    back = fmt.decode_value(fmt.decode_key(fmt.key("id-é")), fmt.value(m))
    assert (back.transactional_id, back.producer_id, back.producer_epoch) == ("id-é", 2**40, 32766)
    assert (back.timeout_ms, back.state, back.partitions) == (1, state, {("t", 3)})
    assert (back.txn_start_ms, back.last_update_ms) == (123, 456)


def test_damaged_records_raise_and_the_loader_skips_them():
    value = fmt.value(TxnMetadata("tx", 1, 0, 1000))
    with pytest.raises(fmt.FormatError):
        fmt.decode_value("tx", value[:-3])
    with pytest.raises(fmt.FormatError):
        fmt.decode_value("tx", value[:15] + struct.pack(">i", 10**9) + value[19:])
    with pytest.raises(fmt.FormatError):
        fmt.decode_key(b"\x00\x01\x00\x01x")
    loaded = load_transactions(
        [(fmt.key("tx"), value), (b"\x00\x07junk", b""), (fmt.key("bad"), b"\x00")]
    )
    assert list(loaded) == ["tx"]
