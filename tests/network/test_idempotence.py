"""Idempotent producer rules at the wire: retried batches are deduplicated, gaps refused,
old epochs fenced, and the state survives a restart."""

from __future__ import annotations

import datetime

from kio.schema.errors import ErrorCode
from kio.schema.init_producer_id.v4.request import InitProducerIdRequest

from broker.protocol import records
from tests.network.test_bad_input import create, produce
from tests.wire import WireClient


def batch(pid: int, seq: int, n: int = 1, epoch: int = 0) -> bytes:
    return records.build_batch(
        [(None, b"v%d" % (seq + i)) for i in range(n)],
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
    )


def init_pid(c: WireClient) -> int:
    resp = c.request(
        InitProducerIdRequest(
            transactional_id=None,
            transaction_timeout=datetime.timedelta(seconds=60),
            producer_id=-1,
            producer_epoch=-1,
        )
    )
    assert resp.error_code == ErrorCode.none
    return resp.producer_id


def test_retries_deduplicate_and_gaps_are_refused(broker):
    with WireClient(broker.bootstrap) as c:
        create(c, "idem")
        pid = init_pid(c)
        assert init_pid(c) != pid
        first = produce(c, "idem", batch(pid, 0, 3))
        assert (first.error_code, first.base_offset) == (ErrorCode.none, 0)
        retry = produce(c, "idem", batch(pid, 0, 3))
        assert (retry.error_code, retry.base_offset) == (ErrorCode.none, 0)
        assert produce(c, "idem", batch(pid, 3)).base_offset == 3
        gap = produce(c, "idem", batch(pid, 9))
        assert gap.error_code == ErrorCode.out_of_order_sequence_number
        bumped = produce(c, "idem", batch(pid, 0, epoch=1))
        assert bumped.error_code == ErrorCode.none and bumped.base_offset == 4
        fenced = produce(c, "idem", batch(pid, 4, epoch=0))
        assert fenced.error_code == ErrorCode.invalid_producer_epoch
    broker.restart()
    with WireClient(broker.bootstrap) as c:
        again = produce(c, "idem", batch(pid, 0, epoch=1))
        assert (again.error_code, again.base_offset) == (ErrorCode.none, 4)
        assert produce(c, "idem", batch(pid, 1, epoch=1)).base_offset == 5


def test_offset_for_leader_epoch_answers_the_current_epoch(broker):
    from kio.schema.offset_for_leader_epoch.v4.request import (
        OffsetForLeaderEpochRequest,
        OffsetForLeaderPartition,
        OffsetForLeaderTopic,
    )

    with WireClient(broker.bootstrap) as c:
        create(c, "epochs")

        def ask():
            req = OffsetForLeaderEpochRequest(
                replica_id=-1,
                topics=(
                    OffsetForLeaderTopic(
                        topic="epochs",
                        partitions=(
                            OffsetForLeaderPartition(
                                partition=0, current_leader_epoch=-1, leader_epoch=0
                            ),
                        ),
                    ),
                ),
            )
            return c.request(req).topics[0].partitions[0]

        empty = ask()
        assert (empty.error_code, empty.leader_epoch, empty.end_offset) == (ErrorCode.none, 0, 0)
        produce(c, "epochs", records.build_batch([(None, b"a"), (None, b"b")]))
        assert ask().end_offset == 2
