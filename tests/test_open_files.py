"""The open-files limit: raised at start-up; when it still runs out, the partitions that
cannot open are offline (KAFKA_STORAGE_ERROR) and everything else keeps serving."""

from __future__ import annotations

import datetime
import resource
import sys
from pathlib import Path

import pytest
from kio.schema.delete_topics.v6.request import DeleteTopicsRequest, DeleteTopicState
from kio.schema.errors import ErrorCode
from kio.schema.metadata.v12.request import MetadataRequest, MetadataRequestTopic

from broker.protocol import records
from tests.harness import BrokerProcess, wait_for
from tests.network.test_bad_input import create, produce
from tests.wire import WireClient

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/<pid>/limits")

HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def _soft_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open files line")


@pytest.fixture
def started(tmp_path):
    brokers: list[BrokerProcess] = []

    def start(soft: int, hard: int) -> BrokerProcess:
        b = BrokerProcess(tmp_path / f"b{len(brokers)}", open_files=(soft, hard))
        brokers.append(b)
        return b.start()

    yield start
    for b in brokers:
        b.kill()


@pytest.mark.skipif(HARD != resource.RLIM_INFINITY and HARD < 2048, reason="hard limit too low")
def test_the_soft_limit_is_raised_to_the_hard_one(started):
    hard = min(HARD, 1 << 20) if HARD != resource.RLIM_INFINITY else 1 << 20
    b = started(256, hard)
    assert _soft_limit(b.proc.pid) == hard
    assert "open files limit is" not in b.log()  # no warning: the limit is not low


def _metadata(c: WireClient, topic: str):
    req = MetadataRequest(
        topics=(MetadataRequestTopic(name=topic, topic_id=None),),
        allow_auto_topic_creation=False,
        include_topic_authorized_operations=False,
    )
    return c.request(req).topics[0]


def _delete(c: WireClient, name: str) -> None:
    req = DeleteTopicsRequest(
        topics=(DeleteTopicState(name=name, topic_id=None),),
        timeout=datetime.timedelta(seconds=5),
    )
    assert c.request(req).responses[0].error_code == ErrorCode.none


@pytest.mark.skipif(HARD != resource.RLIM_INFINITY and HARD < 600, reason="hard limit too low")
def test_partitions_without_files_left_are_offline_and_the_rest_serve(started):
    b = started(600, 600)  # a hard limit the broker cannot raise
    assert "open files limit is 600" in b.log()
    batch = records.build_batch([(b"k", b"v")], producer_id=-1)
    with WireClient(b.bootstrap) as c:
        assert create(c, "ballast", partitions=100).error_code == ErrorCode.none
        # more partitions than the files left allow: some stay offline
        assert create(c, "many", partitions=40).error_code == ErrorCode.none
        partitions = _metadata(c, "many").partitions
        offline = [p for p in partitions if p.offline_replicas]
        assert offline and len(offline) < 40
        assert all(p.error_code == ErrorCode.leader_not_available for p in offline)
        assert all(p.offline_replicas == p.replica_nodes for p in offline)
        assert b.log().count("is offline: too few open files left") == len(offline)
        # the rest serve, and so do new connections
        assert produce(c, "many", batch).error_code == ErrorCode.none  # many-0 opened
        with WireClient(b.bootstrap) as other:
            assert _metadata(other, "ballast").partitions[0].error_code == ErrorCode.none

        # files freed: the offline partitions open at the next metadata change
        _delete(c, "ballast")
        wait_for(lambda: not any(p.offline_replicas for p in _metadata(c, "many").partitions))
        assert "partition many-39 is online" in b.log()
        assert create(c, "after", partitions=1).error_code == ErrorCode.none
        assert produce(c, "after", batch).error_code == ErrorCode.none
    assert "Traceback" not in b.log()
