from __future__ import annotations

import base64
import os
import uuid

import pytest

from broker.metadata import records as mr
from broker.metadata.store import MetadataStore, MetadataStoreError, new_cluster_id
from broker.protocol import records

from .helpers import log_file

T1, T2 = uuid.uuid4(), uuid.uuid4()


def topic(name: str, tid: uuid.UUID, partitions: int = 1) -> list[mr.MetadataRecord]:
    return [mr.TopicRecord(name, tid)] + [
        mr.PartitionRecord(tid, i, (1,), (1,), 1) for i in range(partitions)
    ]


def test_each_commit_is_one_fsynced_batch_and_replays_after_reopen(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1, 3))
    before = len(synced)
    store.commit([mr.ConfigRecord(mr.TOPIC_RESOURCE, "a", "retention.ms", "7")])
    assert len(synced) == before + 1
    store.close()
    data = log_file(tmp_path).read_bytes()
    batches = [records.decode_batch(data, pos) for pos, _ in records.iter_batches(data)]
    assert [len(b.records) for b in batches] == [4, 1]
    assert [b.header.base_offset for b in batches] == [0, 4]
    assert all(r.key is None for b in batches for r in b.records)

    again = MetadataStore.open(tmp_path, node_id=1)
    assert again.next_offset == 5
    assert sorted(again.image.topics_by_name["a"].partitions) == [0, 1, 2]
    assert again.image.topics_by_name["a"].configs == {"retention.ms": "7"}
    assert again.cluster_id == store.cluster_id


def test_listeners_run_after_commit_and_a_failing_one_does_not_undo_it(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    seen = []

    def broken(recs, image):
        raise RuntimeError("listener bug")

    store.subscribe(broken)
    store.subscribe(lambda recs, image: seen.append((recs, set(image.topics_by_name))))
    recs = topic("a", T1)
    store.commit(recs)
    assert seen == [(recs, {"a"})]
    assert "a" in store.image.topics_by_name


def test_records_that_do_not_fit_are_not_written(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1))
    size = log_file(tmp_path).stat().st_size
    with pytest.raises(mr.MetadataRecordError):
        store.commit([mr.TopicRecord("b", T2), mr.TopicRecord("a", uuid.uuid4())])
    assert log_file(tmp_path).stat().st_size == size
    assert set(store.image.topics_by_name) == {"a"}  # b did not land half-way


@pytest.mark.parametrize("garbage", [b"\x00" * 30, b"\x01" * 200])
def test_torn_tail_is_truncated_and_later_commits_survive(tmp_path, garbage, caplog):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1))
    store.close()
    good = log_file(tmp_path).stat().st_size
    with open(log_file(tmp_path), "ab") as f:
        f.write(garbage)
    store = MetadataStore.open(tmp_path, node_id=1)
    assert "truncating" in caplog.text
    assert log_file(tmp_path).stat().st_size == good
    store.commit(topic("b", T2))
    store.close()
    assert set(MetadataStore.open(tmp_path, node_id=1).image.topics_by_name) == {"a", "b"}


def test_half_written_last_batch_is_dropped(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1))
    first = log_file(tmp_path).stat().st_size
    store.commit(topic("b", T2))
    store.close()
    with open(log_file(tmp_path), "r+b") as f:
        f.truncate(log_file(tmp_path).stat().st_size - 5)
    store = MetadataStore.open(tmp_path, node_id=1)
    assert set(store.image.topics_by_name) == {"a"} and store.next_offset == 2
    assert log_file(tmp_path).stat().st_size == first


def test_flipped_byte_fails_the_crc_and_cuts_from_there(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1))
    first = log_file(tmp_path).stat().st_size
    store.commit(topic("b", T2))
    store.close()
    data = bytearray(log_file(tmp_path).read_bytes())
    data[first + 70] ^= 0xFF
    log_file(tmp_path).write_bytes(bytes(data))
    assert set(MetadataStore.open(tmp_path, node_id=1).image.topics_by_name) == {"a"}


def test_intact_batch_from_a_newer_version_is_an_error_not_truncated(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1))
    store.close()
    newer = b'{"type":"FancyRecord","version":0,"data":{}}'
    with open(log_file(tmp_path), "ab") as f:
        f.write(records.build_batch([(None, newer)], base_offset=2))
    size = log_file(tmp_path).stat().st_size
    with pytest.raises(MetadataStoreError, match="unknown metadata record type 'FancyRecord'"):
        MetadataStore.open(tmp_path, node_id=1)
    assert log_file(tmp_path).stat().st_size == size


def test_a_failed_write_is_cut_back_and_nothing_applied(tmp_path, monkeypatch):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.commit(topic("a", T1))
    size = log_file(tmp_path).stat().st_size
    real_fsync = os.fsync
    calls = []

    def failing_once(fd):
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_once)
    with pytest.raises(OSError, match="No space"):
        store.commit(topic("b", T2))
    assert log_file(tmp_path).stat().st_size == size
    assert set(store.image.topics_by_name) == {"a"} and store.next_offset == 2
    monkeypatch.setattr(os, "fsync", real_fsync)
    store.commit(topic("c", uuid.uuid4()))
    store.close()
    assert set(MetadataStore.open(tmp_path, node_id=1).image.topics_by_name) == {"a", "c"}


def test_closed_store_refuses_commits(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.commit(topic("a", T1))


def test_meta_properties_is_written_in_kafkas_format(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=3)
    props = dict(
        line.split("=", 1)
        for line in (tmp_path / "meta.properties").read_text().splitlines()
        if not line.startswith("#")
    )
    assert props == {"version": "1", "cluster.id": store.cluster_id, "node.id": "3"}
    assert len(store.cluster_id) == 22
    assert len(base64.urlsafe_b64decode(store.cluster_id + "==")) == 16


def test_cluster_ids_are_random_and_never_start_with_a_dash():
    ids = {new_cluster_id() for _ in range(300)}
    assert len(ids) == 300 and not any(i.startswith("-") for i in ids)


def test_configured_cluster_id_is_used_then_enforced(tmp_path):
    cid = "MkU3OEVBNTcwNTJENDM2Qg"
    assert MetadataStore.open(tmp_path, node_id=1, cluster_id=cid).cluster_id == cid
    assert MetadataStore.open(tmp_path, node_id=1).cluster_id == cid
    with pytest.raises(MetadataStoreError, match=f"belongs to cluster {cid}"):
        MetadataStore.open(tmp_path, node_id=1, cluster_id=new_cluster_id())


def test_a_data_dir_of_another_node_is_refused(tmp_path):
    MetadataStore.open(tmp_path, node_id=1).close()
    with pytest.raises(MetadataStoreError, match=r"belongs to node 1, but node\.id is 2"):
        MetadataStore.open(tmp_path, node_id=2)


def test_damaged_meta_properties_is_a_clear_error(tmp_path):
    (tmp_path / "meta.properties").write_text("version=1\nnode.id=1\n")
    with pytest.raises(MetadataStoreError, match=r"lacks a cluster\.id"):
        MetadataStore.open(tmp_path, node_id=1)
