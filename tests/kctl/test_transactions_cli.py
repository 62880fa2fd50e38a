"""`kctl transactions` against a real broker: an open transaction seen by list, describe and
producers, the states after commit, JSON shapes, exit codes for unknown ids and partitions,
and exit 9 from a broker that lacks the transaction admin APIs."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from confluent_kafka import Producer

from tests.kctl.api_filter_proxy import broker_without
from tests.kctl.kctl_cli import Kctl, one_error_line

TXN_TIMEOUT_MS = 45_000


@pytest.fixture
def kctl(shared_broker, tmp_path) -> Kctl:
    return Kctl(tmp_path, bootstrap=shared_broker.bootstrap)


def new_topic(kctl: Kctl, partitions: int) -> str:
    name = f"tx-{uuid.uuid4().hex[:8]}"
    r = kctl.run("topics", "create", name, "-p", str(partitions))
    assert r.returncode == 0, r.stderr
    return name


def transactional(kctl: Kctl, tid: str) -> Producer:
    p = Producer({"bootstrap.servers": kctl.bootstrap, "transactional.id": tid,
                  "transaction.timeout.ms": TXN_TIMEOUT_MS})
    p.init_transactions(30)
    return p


def as_json(kctl: Kctl, *args: str) -> object:
    r = kctl.run(*args, "-o", "json")
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout)


def listed(kctl: Kctl, *filters: str) -> dict[str, dict]:
    return {t["transactional_id"]: t for t in as_json(kctl, "transactions", "list", *filters)}


def test_open_transaction_then_commit(kctl):
    topic = new_topic(kctl, 2)
    plain = Producer({"bootstrap.servers": kctl.bootstrap})
    for v in (b"a", b"b"):
        plain.produce(topic, value=v, partition=0)
    assert plain.flush(30) == 0
    tid = f"tid-{uuid.uuid4().hex[:8]}"
    p = transactional(kctl, tid)
    before = int(time.time() * 1000)
    p.begin_transaction()
    p.produce(topic, value=b"t0", partition=0)
    p.produce(topic, value=b"t1", partition=1)
    assert p.flush(30) == 0

    row = listed(kctl)[tid]
    assert row["state"] == "Ongoing" and row["coordinator"] == 1
    pid = row["producer_id"]
    assert isinstance(pid, int) and pid >= 0
    assert tid in listed(kctl, "--state", "Ongoing", "--producer-id", str(pid))
    assert tid not in listed(kctl, "--state", "CompleteCommit")
    assert tid not in listed(kctl, "--producer-id", str(pid + 1000))
    assert tid in listed(kctl, "--duration-ms", "0")
    assert tid not in listed(kctl, "--duration-ms", str(10**9))

    doc = as_json(kctl, "transactions", "describe", tid)
    assert doc["transactional_id"] == tid and doc["state"] == "Ongoing"
    assert doc["producer_id"] == pid and doc["producer_epoch"] >= 0
    assert doc["timeout_ms"] == TXN_TIMEOUT_MS and doc["coordinator"] == 1
    started = doc["start_time_ms"]
    assert before - 1000 <= started <= int(time.time() * 1000)
    assert doc["start_time"].endswith("Z") and doc["duration_ms"] >= 0
    assert doc["partitions"] == [{"topic": topic, "partition": 0},
                                 {"topic": topic, "partition": 1}]
    table = kctl.run("transactions", "describe", tid)
    assert table.returncode == 0 and "Ongoing" in table.stdout and f"{topic}:1" in table.stdout

    rows = as_json(kctl, "transactions", "producers", topic)
    mine = {r["partition"]: r for r in rows if r["producer_id"] == pid}
    assert mine[0]["current_txn_start_offset"] == 2  # after the two plain records
    assert mine[1]["current_txn_start_offset"] == 0
    assert mine[0]["producer_epoch"] == doc["producer_epoch"]
    assert mine[0]["last_sequence"] == 0 and mine[0]["last_timestamp_ms"] >= before - 1000
    assert {r["partition"] for r in as_json(kctl, "transactions", "producers", "-t", topic,
                                            "-p", "1")} == {1}
    # An ongoing transaction that counts its partitions is not hanging, however old.
    for where in ([topic], ["--broker", "1"]):
        assert as_json(kctl, "transactions", "find-hanging", *where,
                       "--max-transaction-timeout", "0") == []

    p.commit_transaction(30)
    assert listed(kctl)[tid]["state"] == "CompleteCommit"
    doc = as_json(kctl, "transactions", "describe", tid)
    assert doc["state"] == "CompleteCommit" and doc["partitions"] == []
    # the last transaction's start stays, as Kafka reports it; no duration once it ended
    assert doc["start_time_ms"] == started and doc["duration_ms"] is None
    rows = as_json(kctl, "transactions", "producers", topic)
    assert all(r["current_txn_start_offset"] is None for r in rows if r["producer_id"] == pid)
    jsonl = kctl.run("transactions", "list", "-o", "jsonl").stdout.splitlines()
    assert any(json.loads(line)["transactional_id"] == tid for line in jsonl)


def test_unknown_ids_and_partitions(kctl):
    tid = f"tid-{uuid.uuid4().hex[:8]}"
    transactional(kctl, tid)
    missing = f"missing-{uuid.uuid4().hex[:6]}"
    r = kctl.run("transactions", "describe", tid, missing, "-o", "json")
    assert r.returncode == 3
    docs = json.loads(r.stdout)
    assert [d["transactional_id"] for d in docs] == [tid] and docs[0]["state"] == "Empty"
    assert f"transactional id {missing!r} does not exist" in one_error_line(r)
    r = kctl.run("transactions", "describe", missing)
    assert r.returncode == 4 and r.stdout == ""
    one_error_line(r)

    topic = new_topic(kctl, 1)
    r = kctl.run("transactions", "producers", topic, "-p", "0", "-p", "5", "-o", "json")
    assert r.returncode == 3 and json.loads(r.stdout) == []
    assert f"partition {topic}:5 does not exist" in one_error_line(r)
    r = kctl.run("transactions", "producers", f"nope-{uuid.uuid4().hex[:6]}")
    assert r.returncode == 4
    one_error_line(r)


def test_usage_errors(kctl):
    r = kctl.run("transactions", "find-hanging")
    assert r.returncode == 2 and "--broker" in one_error_line(r)
    r = kctl.run("transactions", "find-hanging", "--broker", "99")
    assert r.returncode == 4 and "broker 99" in one_error_line(r)
    assert kctl.run("transactions", "producers").returncode == 2
    assert kctl.run("transactions", "describe").returncode == 2


def test_completion_offers_transactional_ids(kctl):
    tid = f"complete-{uuid.uuid4().hex[:8]}"
    transactional(kctl, tid)
    words = f"kctl transactions describe {tid[:12]}"
    r = kctl.run(COMP_WORDS=words, COMP_CWORD="3", _KCTL_COMPLETE="complete_bash")
    assert r.returncode == 0 and tid in r.stdout.split(), (r.stdout, r.stderr)


@pytest.fixture
def no_txn_apis(tmp_path):
    """A broker whose ApiVersions leave out DescribeProducers, DescribeTransactions and
    ListTransactions, as Kafka before 3.0 does."""
    with broker_without(tmp_path / "old", frozenset({61, 65, 66})) as bootstrap:
        yield bootstrap


def test_a_broker_without_the_apis_is_exit_9(no_txn_apis, tmp_path):
    kctl = Kctl(tmp_path, bootstrap=no_txn_apis)
    assert kctl.run("topics", "create", "t", "-p", "1").returncode == 0
    for args, api in ((["list"], "ListTransactions"), (["describe", "x"], "DescribeTransactions"),
                      (["producers", "t"], "DescribeProducers")):
        r = kctl.run("transactions", *args)
        assert r.returncode == 9, (args, r.stderr)
        line = one_error_line(r)
        assert "the cluster does not support it" in line and api in line, line
