"""The transaction APIs on the wire, at the versions clients use: error codes as Kafka gives
them, transactional offsets and require_stable, the admin listing, WriteTxnMarkers."""

from __future__ import annotations

import sys
import uuid

from kio.index import load_request_schema
from kio.schema.errors import ErrorCode as E

from broker.handlers.context import make
from broker.protocol.apis import SERVED, ApiKey
from tests.compat.test_transactions import create
from tests.wire import WireClient

INIT, ADD_PARTS, ADD_OFFSETS, END, MARKERS, TXN_COMMIT = 22, 24, 25, 26, 27, 28


def req(api_key: int, version: int, **fields):
    return make(load_request_schema(api_key, version), **fields)


def part(api_key: int, version: int, class_name: str, **fields):
    module = sys.modules[load_request_schema(api_key, version).__module__]
    return make(getattr(module, class_name), **fields)


def init(w: WireClient, tid: str, version: int = 3, timeout: int = 60000, pid=-1, epoch=-1):
    return w.request(
        req(
            INIT,
            version,
            transactional_id=tid,
            transaction_timeout=timeout,
            producer_id=pid,
            producer_epoch=epoch,
        )
    )


def add_partitions(w: WireClient, tid: str, pid: int, epoch: int, topic: str, parts, version=1):
    r = w.request(
        req(
            ADD_PARTS,
            version,
            v3_and_below_transactional_id=tid,
            v3_and_below_producer_id=pid,
            v3_and_below_producer_epoch=epoch,
            v3_and_below_topics=(
                part(ADD_PARTS, version, "AddPartitionsToTxnTopic", name=topic, partitions=parts),
            ),
        )
    )
    return {
        p.partition_index: p.partition_error_code
        for t in r.results_by_topic_v3_and_below
        for p in t.results_by_partition
    }


def end(w: WireClient, tid: str, pid: int, epoch: int, commit: bool, version: int = 3):
    r = w.request(
        req(
            END,
            version,
            transactional_id=tid,
            producer_id=pid,
            producer_epoch=epoch,
            committed=commit,
        )
    )
    return r.error_code


def test_served_ranges_are_client_versions_only():
    assert (SERVED[ApiKey.ADD_PARTITIONS_TO_TXN].min, SERVED[ApiKey.ADD_PARTITIONS_TO_TXN].max) == (
        0,
        3,
    )
    assert SERVED[ApiKey.END_TXN].max == 4


def test_errors_as_kafka_gives_them(shared_broker):
    bs, topic, tid = shared_broker.bootstrap, f"w-{uuid.uuid4().hex[:6]}", f"tx-{uuid.uuid4()}"
    create(bs, topic)
    with WireClient(bs) as w:
        assert init(w, tid, timeout=900001).error_code == E.invalid_transaction_timeout
        first = init(w, tid)
        assert first.error_code == E.none
        pid, epoch = first.producer_id, first.producer_epoch
        assert add_partitions(w, tid, pid + 1, epoch, topic, (0,)) == {
            0: E.invalid_producer_id_mapping
        }
        assert add_partitions(w, tid, pid, epoch, topic, (0, 9)) == {
            0: E.operation_not_attempted,
            9: E.unknown_topic_or_partition,
        }
        assert end(w, tid, pid, epoch, True) == E.invalid_txn_state  # nothing added yet
        assert add_partitions(w, tid, pid, epoch, topic, (0,)) == {0: E.none}

        second = init(w, tid)  # fences the first and aborts its transaction
        assert (second.producer_id, second.producer_epoch) == (pid, epoch + 2)
        assert end(w, tid, pid, epoch, True, version=1) == E.invalid_producer_epoch
        assert end(w, tid, pid, epoch, True, version=3) == E.producer_fenced
        assert add_partitions(w, tid, pid, epoch, topic, (0,), version=2) == {0: E.producer_fenced}
        # KIP-360: the current producer re-initialises with its id and epoch
        third = init(w, tid, pid=pid, epoch=epoch + 2)
        assert (third.error_code, third.producer_epoch) == (E.none, epoch + 3)
        stale = init(w, tid, version=4, pid=pid, epoch=epoch)
        assert stale.error_code == E.producer_fenced


def test_txn_offsets_are_unstable_until_the_commit(shared_broker):
    bs = shared_broker.bootstrap
    topic, tid, group = f"w-{uuid.uuid4().hex[:6]}", f"tx-{uuid.uuid4()}", f"g-{uuid.uuid4()}"
    create(bs, topic)
    with WireClient(bs) as w:
        r = init(w, tid)
        pid, epoch = r.producer_id, r.producer_epoch
        added = w.request(
            req(
                ADD_OFFSETS,
                3,
                transactional_id=tid,
                producer_id=pid,
                producer_epoch=epoch,
                group_id=group,
            )
        )
        assert added.error_code == E.none
        committed = w.request(
            req(
                TXN_COMMIT,
                3,
                transactional_id=tid,
                group_id=group,
                producer_id=pid,
                producer_epoch=epoch,
                generation_id=-1,
                member_id="",
                group_instance_id=None,
                topics=(
                    part(
                        TXN_COMMIT,
                        3,
                        "TxnOffsetCommitRequestTopic",
                        name=topic,
                        partitions=(
                            part(
                                TXN_COMMIT,
                                3,
                                "TxnOffsetCommitRequestPartition",
                                partition_index=0,
                                committed_offset=42,
                                committed_leader_epoch=-1,
                                committed_metadata="m",
                            ),
                        ),
                    ),
                ),
            )
        )
        assert committed.topics[0].partitions[0].error_code == E.none

        def fetch(stable: bool):
            r = w.request(
                req(
                    9,
                    7,
                    group_id=group,
                    topics=(
                        part(9, 7, "OffsetFetchRequestTopic", name=topic, partition_indexes=(0,)),
                    ),
                    require_stable=stable,
                )
            )
            p = r.topics[0].partitions[0]
            return p.error_code, p.committed_offset

        assert fetch(True) == (E.unstable_offset_commit, -1)
        assert fetch(False) == (E.none, -1)
        listed = w.request(
            req(66, 1, state_filters=("Ongoing",), producer_id_filters=(), duration_filter=-1)
        )
        assert tid in {t.transactional_id for t in listed.transaction_states}
        described = w.request(req(65, 0, transactional_ids=(tid,)))
        (found,) = described.transaction_states
        assert (found.transaction_state, found.producer_id) == ("Ongoing", pid)
        assert [t.topic for t in found.topics] == ["__consumer_offsets"]

        assert end(w, tid, pid, epoch, True) == E.none
        assert fetch(True) == (E.none, 42)


def test_write_txn_markers_ends_a_transaction_on_the_partition(shared_broker):
    from confluent_kafka import Producer

    bs, topic = shared_broker.bootstrap, f"w-{uuid.uuid4().hex[:6]}"
    create(bs, topic)
    tid = f"tx-{uuid.uuid4()}"
    p = Producer({"bootstrap.servers": bs, "transactional.id": tid})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, value=b"x")
    p.flush(30)
    with WireClient(bs) as w:
        inits = w.request(req(INIT, 0, transactional_id=None, transaction_timeout=60000))
        assert inits.error_code == E.none  # an idempotent producer still gets a fresh id

        def latest(isolation: int) -> int:
            r = w.request(
                req(
                    2,
                    2,
                    replica_id=-1,
                    isolation_level=isolation,
                    topics=(
                        part(
                            2,
                            2,
                            "ListOffsetsTopic",
                            name=topic,
                            partitions=(
                                part(2, 2, "ListOffsetsPartition", partition_index=0, timestamp=-1),
                            ),
                        ),
                    ),
                )
            )
            return r.topics[0].partitions[0].offset

        assert (latest(0), latest(1)) == (1, 0)
        # the transactional producer's id/epoch are in the batch; the coordinator knows them
        txn = producer_of(bs, tid)
        r = w.request(
            req(
                MARKERS,
                1,
                markers=(
                    part(
                        MARKERS,
                        1,
                        "WritableTxnMarker",
                        producer_id=txn[0],
                        producer_epoch=txn[1],
                        transaction_result=False,
                        topics=(
                            part(
                                MARKERS,
                                1,
                                "WritableTxnMarkerTopic",
                                name=topic,
                                partition_indexes=(0,),
                            ),
                        ),
                        coordinator_epoch=0,
                    ),
                ),
            )
        )
        assert r.markers[0].topics[0].partitions[0].error_code == E.none
        assert (latest(0), latest(1)) == (2, 2)


def producer_of(bs: str, tid: str) -> tuple[int, int]:
    """(producer id, epoch) of a transactional id, from ListTransactions/DescribeTransactions."""
    with WireClient(bs) as w:
        listed = w.request(req(66, 0, state_filters=("Ongoing",), producer_id_filters=()))
        assert tid in {t.transactional_id for t in listed.transaction_states}
        (found,) = w.request(req(65, 0, transactional_ids=(tid,))).transaction_states
        return found.producer_id, found.producer_epoch


def test_describe_producers_shows_the_open_transaction_and_its_end(shared_broker):
    from confluent_kafka import Producer

    bs, topic = shared_broker.bootstrap, f"w-{uuid.uuid4().hex[:6]}"
    create(bs, topic)
    p = Producer({"bootstrap.servers": bs, "transactional.id": f"tx-{uuid.uuid4()}"})
    p.init_transactions(15)
    p.begin_transaction()
    p.produce(topic, b"one")
    p.produce(topic, b"two")
    p.flush(15)

    def producers(partitions=(0,)):
        with WireClient(bs) as w:
            topics = (part(61, 0, "TopicRequest", name=topic, partition_indexes=partitions),)
            (t,) = w.request(req(61, 0, topics=topics)).topics
            return {x.partition_index: x for x in t.partitions}

    (state,) = producers()[0].active_producers
    assert (state.current_txn_start_offset, state.last_sequence) == (0, 1)
    assert state.coordinator_epoch == -1  # no marker yet
    p.commit_transaction(15)
    (state,) = producers()[0].active_producers
    assert state.current_txn_start_offset == -1 and state.coordinator_epoch >= 0
    assert producers((0, 7))[7].error_code == E.unknown_topic_or_partition
