"""ACLs on transactional ids with a real broker and a real transactional producer: Write on the
id (and on the topic) lets it run; without it init_transactions fails fatally; AddOffsetsToTxn
needs Read on the group."""

from __future__ import annotations

import sys
import uuid

import pytest
from confluent_kafka import KafkaException, Producer
from kio.index import load_request_schema
from kio.schema.errors import ErrorCode as E

from broker.handlers.context import make
from tests.security.acl_helpers import (
    ME,
    authz_args,
    binding,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
    secured_broker,
)
from tests.wire import WireClient


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    bindings = [
        binding("TRANSACTIONAL_ID", "tx-ok", "WRITE"),
        binding("TOPIC", "out", "WRITE"),
        binding("GROUP", "readable", "READ"),
    ]
    with secured_broker(tmp_path_factory.mktemp("txn-acl") / "broker", ["out"], bindings) as b:
        yield b


def test_write_on_the_id_and_topic_lets_a_transaction_run(secured):
    p = Producer({"bootstrap.servers": secured.bootstrap, "transactional.id": "tx-ok"})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce("out", value=b"x")
    p.commit_transaction(30)


def test_without_write_on_the_id_init_fails_fatally(secured):
    p = Producer({"bootstrap.servers": secured.bootstrap, "transactional.id": "tx-denied"})
    with pytest.raises(KafkaException) as raised:
        p.init_transactions(30)
    error = raised.value.args[0]
    assert error.fatal()
    assert error.code() == E.transactional_id_authorization_failed.value


def init_producer_id(w: WireClient, transactional_id: str):
    """InitProducerId v3 for ``transactional_id`` over ``w``: the response."""
    return w.request(
        make(
            load_request_schema(22, 3),
            transactional_id=transactional_id,
            transaction_timeout=60000,
            producer_id=-1,
            producer_epoch=-1,
        )
    )


def test_add_offsets_needs_read_on_the_group(secured):
    with WireClient(secured.bootstrap) as w:
        init = init_producer_id(w, "tx-ok")
        assert init.error_code == E.none

        def add_offsets(group: str, tid: str = "tx-ok") -> E:
            return w.request(
                make(
                    load_request_schema(25, 3),
                    transactional_id=tid,
                    producer_id=init.producer_id,
                    producer_epoch=init.producer_epoch,
                    group_id=group,
                )
            ).error_code

        assert add_offsets(f"g-{uuid.uuid4()}") == E.group_authorization_failed
        assert add_offsets("readable") == E.none
        assert add_offsets("readable", tid="tx-denied") == E.transactional_id_authorization_failed


def test_internal_topics_join_no_transaction_even_for_a_super_user(broker_factory):
    """As Kafka: a client's AddPartitionsToTxn naming an internal topic is refused
    (TOPIC_AUTHORIZATION_FAILED) whatever the ACLs; only the coordinators write there."""
    b = broker_factory(*authz_args(ME))  # the plaintext principal is a super user
    with WireClient(b.bootstrap) as w:
        init = init_producer_id(w, "tx-internal")
        assert init.error_code == E.none
        module = sys.modules[load_request_schema(24, 3).__module__]
        topics = tuple(
            make(module.AddPartitionsToTxnTopic, name=name, partitions=(0,))
            for name in ("__transaction_state", "__consumer_offsets")
        )
        added = w.request(
            make(
                load_request_schema(24, 3),
                v3_and_below_transactional_id="tx-internal",
                v3_and_below_producer_id=init.producer_id,
                v3_and_below_producer_epoch=init.producer_epoch,
                v3_and_below_topics=topics,
                transactions=(),
            )
        )
    codes = {
        (t.name, r.partition_index): r.partition_error_code
        for t in added.results_by_topic_v3_and_below
        for r in t.results_by_partition
    }
    assert codes == {
        ("__transaction_state", 0): E.topic_authorization_failed,
        ("__consumer_offsets", 0): E.topic_authorization_failed,
    }
