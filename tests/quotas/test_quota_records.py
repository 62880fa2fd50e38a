"""ClientQuotaRecord in the metadata log: encoded and decoded losslessly, replayed into the
image's quotas, and kept across a reopened store."""

from __future__ import annotations

import json

import pytest

from broker.metadata import records as mr
from broker.metadata.image import MetadataImage
from broker.metadata.store import MetadataStore

ALICE = (("user", "alice"),)
PAIR = (("client-id", None), ("user", "bob"))


@pytest.mark.parametrize(
    "record",
    [
        mr.ClientQuotaRecord(ALICE, "producer_byte_rate", 1048576.0),
        mr.ClientQuotaRecord(PAIR, "request_percentage", 12.5),
        mr.ClientQuotaRecord((("ip", "10.0.0.1"),), "connection_creation_rate", remove=True),
    ],
)
def test_round_trip(record):
    assert mr.decode(mr.encode(record)) == record


def test_integral_json_numbers_are_read_as_floats_and_bad_shapes_refused():
    doc = {"type": "ClientQuotaRecord", "version": 0,
           "data": {"entity": [["user", "alice"]], "key": "producer_byte_rate", "value": 5}}
    rec = mr.decode(json.dumps(doc).encode())
    assert rec.value == 5.0 and isinstance(rec.value, float) and rec.remove is False
    for entity in ([["user"]], [["user", 5]], "user=alice", [[1, "a"]]):
        doc["data"]["entity"] = entity
        with pytest.raises(mr.MetadataRecordError, match=r"ClientQuotaRecord\.entity"):
            mr.decode(json.dumps(doc).encode())
    doc["data"]["entity"], doc["data"]["remove"] = [["user", "a"]], 1
    with pytest.raises(mr.MetadataRecordError, match=r"ClientQuotaRecord\.remove"):
        mr.decode(json.dumps(doc).encode())


def test_image_sets_and_removes_and_forgets_empty_entities():
    image = MetadataImage()
    image.apply(mr.ClientQuotaRecord(ALICE, "producer_byte_rate", 10.0))
    image.apply(mr.ClientQuotaRecord(ALICE, "consumer_byte_rate", 20.0))
    image.apply(mr.ClientQuotaRecord(ALICE, "producer_byte_rate", 30.0))
    assert image.client_quotas == {ALICE: {"producer_byte_rate": 30.0, "consumer_byte_rate": 20.0}}
    image.apply(mr.ClientQuotaRecord(ALICE, "producer_byte_rate", remove=True))
    image.apply(mr.ClientQuotaRecord(ALICE, "no_such_key", remove=True))  # as Kafka: no error
    assert image.client_quotas == {ALICE: {"consumer_byte_rate": 20.0}}
    image.apply(mr.ClientQuotaRecord(ALICE, "consumer_byte_rate", remove=True))
    assert image.client_quotas == {}


def test_replayed_when_the_store_reopens(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit([mr.ClientQuotaRecord(PAIR, "producer_byte_rate", 100.0),
                  mr.ClientQuotaRecord(ALICE, "request_percentage", 50.0)])
    store.commit([mr.ClientQuotaRecord(ALICE, "request_percentage", remove=True)])
    store.close()
    reopened = MetadataStore.open(tmp_path, node_id=1)
    assert reopened.image.client_quotas == {PAIR: {"producer_byte_rate": 100.0}}
    reopened.close()
