"""`kctl consume` following a topic that is deleted under it stops with exit 4, group or not.

librdkafka (2.x) reports nothing to a consumer whose assigned partitions vanish with their
topic, so without a check of its own kctl would wait silently for ever.
"""

from __future__ import annotations

import subprocess

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from tests.kctl.records_cli import KCTL, kctl_env, new_topic


@pytest.mark.parametrize("group", [[], ["-g", "deleted-topic-reader"]], ids=["assigned", "group"])
def test_following_a_deleted_topic_exits_not_found(shared_broker, tmp_path, group):
    bs = shared_broker.bootstrap
    topic = new_topic(bs, 2, "doomed")
    p = Producer({"bootstrap.servers": bs})
    p.produce(topic, value=b"first", partition=0)
    assert p.flush(10) == 0
    proc = subprocess.Popen(
        [*KCTL, "consume", topic, "--from", "beginning", *group],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=kctl_env(tmp_path, bs),
        start_new_session=True,
    )
    try:
        assert proc.stdout.readline() == b"first\n"
        admin = AdminClient({"bootstrap.servers": bs})
        admin.delete_topics([topic])[topic].result(30)
        proc.wait(30)
        err = proc.stderr.read().decode()
        assert proc.returncode == 4, err
        assert topic in err and "does not exist" in err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
