"""The metadata quorum of one voter: a new epoch per start, the log end as high watermark."""

from __future__ import annotations

import json

import pytest

from broker.metadata.quorum import QUORUM_STATE, MetadataQuorum, ReplicaState
from broker.metadata.store import MetadataStore, MetadataStoreError
from tests.metadata.helpers import open_controller


def state_file(data_dir):
    return data_dir / "__cluster_metadata-0" / QUORUM_STATE


def test_each_election_is_a_new_epoch_kept_on_disk(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=7)
    assert MetadataQuorum.elect(store).leader_epoch == 1
    state = json.loads(state_file(tmp_path).read_text())
    assert (state["leaderId"], state["leaderEpoch"], state["currentVoters"]) == (
        7,
        1,
        [{"voterId": 7}],
    )
    store.close()
    again = MetadataStore.open(tmp_path, node_id=7)
    quorum = MetadataQuorum.elect(again)
    assert (quorum.leader_id, quorum.leader_epoch, quorum.voters) == (7, 2, (7,))


def test_the_high_watermark_is_the_metadata_log_end(tmp_path):
    c = open_controller(tmp_path)
    quorum = MetadataQuorum.elect(c.store)
    before = quorum.describe(now_ms=1000)
    c.create_topic("t", 3, 1)  # a topic record and three partition records
    info = quorum.describe(now_ms=2000)
    assert info.high_watermark == before.high_watermark + 4 == c.store.next_offset
    assert info.leader_id == 1 and info.leader_epoch == 1
    # Kafka reports the leader's own fetch and caught-up times as "now"
    assert info.voters == (ReplicaState(1, c.store.next_offset, 2000, 2000),)
    assert info.observers == ()


@pytest.mark.parametrize("text", ["{", "[]", '{"leaderEpoch": -1}', '{"leaderEpoch": "2"}'])
def test_an_unreadable_quorum_state_stops_the_start(tmp_path, text):
    store = MetadataStore.open(tmp_path, node_id=1)
    state_file(tmp_path).write_text(text)
    with pytest.raises(MetadataStoreError, match=QUORUM_STATE):
        MetadataQuorum.elect(store)
    assert state_file(tmp_path).read_text() == text  # left for the operator to look at
