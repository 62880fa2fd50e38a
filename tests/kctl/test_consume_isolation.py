"""kctl consume --isolation: read_committed skips aborted transactions, read_uncommitted not."""

from __future__ import annotations

from confluent_kafka import Producer

from tests.kctl.records_cli import jsonl, new_topic, run


def test_isolation_levels(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    topic = new_topic(bs)
    p = Producer({"bootstrap.servers": bs, "transactional.id": f"kctl-{topic}"})
    p.init_transactions(30)
    for value, commit in ((b"kept", True), (b"aborted", False), (b"last", True)):
        p.begin_transaction()
        p.produce(topic, value=value)
        p.flush(30)
        p.commit_transaction(30) if commit else p.abort_transaction(30)

    def values(isolation: str) -> list[str]:
        out = run(bs, "consume", topic, "-e", "-o", "jsonl", "--isolation", isolation, tmp=tmp_path)
        assert out.returncode == 0, out.stderr
        return [r["value"] for r in jsonl(out.stdout)]

    assert values("read_committed") == ["kept", "last"]
    assert values("read_uncommitted") == ["kept", "aborted", "last"]
    bad = run(bs, "consume", topic, "-e", "--isolation", "dirty", tmp=tmp_path)
    assert bad.returncode != 0 and b"--isolation" in bad.stderr
