"""KafkaJS (the pure-JavaScript client, its own protocol code) against the real broker.

Each test runs a node script of tests/compat/kafkajs/ (installed by `npm ci --prefix
tests/compat/kafkajs`) that drives the broker and prints one JSON document; the test checks
it, and where it matters reads back independently (confluent-kafka, the segment files).
Without node or the modules the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from broker.protocol import records
from tests.harness import BrokerProcess, wait_for
from tests.security.acl_helpers import authz_args
from tests.security.secure_broker import make_pki, secure_broker

SCRIPTS = Path(__file__).parent / "kafkajs"
CODECS = {"none": records.NONE, "gzip": records.GZIP, "snappy": records.SNAPPY}
CODECS |= {"lz4": records.LZ4, "zstd": records.ZSTD}
ACKS = (0, 1, -1)

Record = dict[str, Any]  # key, value (base64 or None), headers [[name, base64]], timestamp


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, once the modules are installed; missing ones fail under CI."""
    path = shutil.which("node")
    missing = (
        "node is not installed"
        if path is None
        else "run `npm ci --prefix tests/compat/kafkajs`"
        if not (SCRIPTS / "node_modules" / "kafkajs").is_dir()
        else None
    )
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"KafkaJS tests cannot run: {missing}")
        pytest.skip(missing)
    return path


def run(
    node: str,
    script: str,
    broker: BrokerProcess,
    timeout: float = 60,
    closes_expected: bool = False,
    **args,
) -> Any:
    """Run a KafkaJS script against ``broker``; its JSON result. A failing script fails the
    test with its stderr (KafkaJS's warnings and errors) and the broker's log tail; so does a
    connection KafkaJS saw closed, unless the test provokes it."""
    proc = subprocess.run(
        [node, str(SCRIPTS / script)],
        input=json.dumps({"bootstrap": broker.bootstrap, **args}),
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{script} exited {proc.returncode}\n--- stderr\n{proc.stderr[-6000:]}"
            f"\n--- broker log\n{broker.log()[-3000:]}"
        )
    assert_clean_log(broker)
    if not closes_expected:
        closed = [line for line in proc.stderr.splitlines() if _lost_connection(line)]
        assert not closed, closed
    return json.loads(proc.stdout)


def _lost_connection(log_line: str) -> bool:
    """A KafkaJS log line telling of a connection closed, refused or timed out."""
    try:
        entry = json.loads(log_line)
    except ValueError:
        return False
    text = f"{entry.get('message', '')} {entry.get('error', '')}"
    return any(s in text for s in ("Connection error", "Closed connection", "Connection timeout"))


def assert_clean_log(broker: BrokerProcess) -> None:
    text = broker.log()
    assert not any(s in text for s in ("Traceback", " ERROR ", " WARNING ")), text[-4000:]


def new_topic(prefix: str) -> str:
    return f"kjs-{prefix}-{uuid.uuid4().hex[:8]}"


def create_topics(bs: str, partitions: int, *names: str, config: dict | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": bs})
    futures = admin.create_topics([NewTopic(n, partitions, 1, config=config or {}) for n in names])
    for f in futures.values():
        f.result(15)


def b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def sample(n: int, seed: int) -> list[Record]:
    """Keyed and unkeyed records with binary bytes, empty and null keys and values, repeated
    header names and timestamps out of order within a batch. No null header value: KafkaJS
    cannot send one (its header size computation throws on null)."""
    rnd = random.Random(seed)
    base = int(time.time() * 1000) - 60_000
    out = []
    for i in range(n):
        key = [None, b"", b"\x00k\xff-%d" % (i % 5), "clé-%d".encode() % i][i % 4]
        value = rnd.randbytes(rnd.choice([0, 1, 17, 300, 5000])) if i % 9 else b"x" * 20_000
        if i == n - 1:
            value = None
        headers = [] if i % 3 else [["trace", b64(b"%d" % i)], ["h", b64(b"")], ["h", b64(b"\x00")]]
        headers += [["ünï", b64(rnd.randbytes(8))]] if i % 5 == 0 else []
        out.append(
            {"key": b64(key), "value": b64(value), "headers": headers, "timestamp": base - i}
        )
    return out


def confluent_read(bs: str, topic: str, partition: int, count: int, **conf) -> list[Record]:
    """``count`` records of one partition read by librdkafka, in the script's record form."""
    consumer = Consumer(
        {"bootstrap.servers": bs, "group.id": f"cf-{topic}", "enable.auto.commit": False, **conf}
    )
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    got: list[Record] = []

    def read() -> bool:
        msg = consumer.poll(0.2)
        if msg is not None and not msg.error():
            got.append(
                {
                    "key": b64(msg.key()),
                    "value": b64(msg.value()),
                    "headers": [[k, b64(v)] for k, v in msg.headers() or []],
                    "timestamp": msg.timestamp()[1],
                }
            )
        return len(got) >= count

    try:
        wait_for(read, 20, interval=0, what=f"{count} records of {topic}-{partition}")
        return got
    finally:
        consumer.close()


def stored_codecs(broker: BrokerProcess, topic: str, partition: int) -> list[int]:
    """The codec of every stored batch of a partition, from its segment files (CRC-checked)."""
    out = []
    for segment in sorted(Path(broker.data_dir, f"{topic}-{partition}").glob("*.log")):
        data = segment.read_bytes()
        for pos, h in records.iter_batches(data):
            records.validate_batch(data, pos, h)
            out.append(h.compression)
    return out


def strip_offsets(got: list[Record]) -> list[Record]:
    return [{k: v for k, v in r.items() if k != "offset"} for r in got]


# --- records --------------------------------------------------------------------------------


def test_every_codec_and_acks_round_trip_byte_exact(node, shared_broker):
    """KafkaJS sends one batch per codec to each partition (partition = acks 0, 1, -1); what
    KafkaJS and librdkafka read back is what was sent, and each batch is stored in its codec."""
    bs, topic = shared_broker.bootstrap, new_topic("codecs")
    create_topics(bs, 3, topic)
    sent = sample(24, seed=1)
    sends = [
        {"topic": topic, "partition": p, "codec": codec, "acks": acks, "records": sent}
        for codec in CODECS
        for p, acks in enumerate(ACKS)
    ]
    out = run(node, "records.js", shared_broker, sends=sends, read={topic: 3 * 5 * len(sent)})
    for i, (result, s) in enumerate(zip(out["produced"], sends, strict=True)):
        if s["acks"] != 0:  # acks=0 has no answer: KafkaJS resolves with []
            base = (i // len(ACKS)) * len(sent)
            assert [(r["errorCode"], r["baseOffset"]) for r in result] == [(0, str(base))]
        else:
            assert result == []
    want = sent * len(CODECS)
    for p in range(3):
        got = out["read"][topic][str(p)]
        assert [r["offset"] for r in got] == list(range(len(want)))
        assert strip_offsets(got) == want
        assert confluent_read(bs, topic, p, len(want)) == want
        assert stored_codecs(shared_broker, topic, p) == list(CODECS.values())


def test_kafkajs_reads_batches_it_did_not_write_as_stored(node, shared_broker):
    """For each codec: librdkafka's batches (null header values included), and KafkaJS's own
    gzip batches that the broker re-encodes for a topic with compression.type=<codec>; and
    batches the broker stamps with LogAppendTime."""
    bs, codecs = shared_broker.bootstrap, ["gzip", "snappy", "lz4", "zstd"]
    from_rdkafka = {c: new_topic(f"rd-{c}") for c in codecs}
    reencoded = {c: new_topic(f"re-{c}") for c in codecs}
    append_time = new_topic("append-time")
    create_topics(bs, 1, *from_rdkafka.values())
    for codec, topic in reencoded.items():
        create_topics(bs, 1, topic, config={"compression.type": codec})
    create_topics(bs, 1, append_time, config={"message.timestamp.type": "LogAppendTime"})
    sent = sample(30, seed=2)
    with_null_header = [{**r, "headers": [*r["headers"], ["null", None]]} for r in sent]
    for codec, topic in from_rdkafka.items():
        producer = Producer({"bootstrap.servers": bs, "compression.type": codec, "linger.ms": 50})
        for r in with_null_header:
            producer.produce(
                topic,
                value=None if r["value"] is None else base64.b64decode(r["value"]),
                key=None if r["key"] is None else base64.b64decode(r["key"]),
                headers=[(k, None if v is None else base64.b64decode(v)) for k, v in r["headers"]],
                timestamp=r["timestamp"],
                partition=0,
            )
        assert producer.flush(15) == 0
    sends = [
        {"topic": topic, "partition": 0, "codec": "gzip", "acks": -1, "records": sent}
        for topic in [*reencoded.values(), append_time]
    ]
    read = dict.fromkeys([*from_rdkafka.values(), *reencoded.values(), append_time], len(sent))
    before = int(time.time() * 1000)
    out = run(node, "records.js", shared_broker, sends=sends, read=read)
    [[appended]] = out["produced"][-1:]
    stamped = int(appended["logAppendTime"])
    assert before <= stamped <= int(time.time() * 1000)
    got = strip_offsets(out["read"][append_time]["0"])
    assert got == [{**r, "timestamp": stamped} for r in sent]
    for codec in codecs:
        assert strip_offsets(out["read"][from_rdkafka[codec]]["0"]) == with_null_header
        # librdkafka may send a batch uncompressed where the codec would grow it
        assert CODECS[codec] in stored_codecs(shared_broker, from_rdkafka[codec], 0)
        assert strip_offsets(out["read"][reencoded[codec]]["0"]) == sent
        assert stored_codecs(shared_broker, reencoded[codec], 0) == [CODECS[codec]]


def test_idempotent_producer_concurrent_sends_store_each_record_once(node, shared_broker):
    """Forty sends in flight at once from one idempotent producer: one producer id, gapless
    sequences per partition, every record stored exactly once."""
    bs, topic = shared_broker.bootstrap, new_topic("idem")
    create_topics(bs, 4, topic)
    sends = [
        {
            "topic": topic,
            "partition": i % 4,
            "codec": "gzip" if i % 2 else "none",
            "acks": -1,
            "records": [{"key": None, "value": b64(b"%d-%d" % (i, j)), "headers": []}
                        for j in range(5)],
        }
        for i in range(40)
    ]  # fmt: skip
    run(node, "records.js", shared_broker, sends=sends, idempotent=True, concurrent=True)
    producer_ids = set()
    for p in range(4):
        headers = []
        for segment in sorted(Path(shared_broker.data_dir, f"{topic}-{p}").glob("*.log")):
            headers += [h for _, h in records.iter_batches(segment.read_bytes())]
        producer_ids |= {h.producer_id for h in headers}
        assert [h.base_sequence for h in headers] == [5 * i for i in range(len(headers))]
        values = [r["value"] for r in confluent_read(bs, topic, p, 50)]
        assert sorted(values) == sorted(b64(b"%d-%d" % (i, j))
                                        for i in range(p, 40, 4) for j in range(5))  # fmt: skip
    assert len(producer_ids) == 1 and producer_ids.pop() >= 0


# --- admin ----------------------------------------------------------------------------------


def offsets(result: list[dict]) -> dict[int, tuple[str, ...]]:
    return {p["partition"]: tuple(v for k, v in p.items() if k != "partition") for p in result}


def test_admin_client(node, shared_broker):
    topic, group, t0 = new_topic("admin"), new_topic("group"), 1_700_000_000_000
    out = run(node, "admin.js", shared_broker, topic=topic, group=group, timestamp=t0)
    ok = {name: step["ok"] for name, step in out.items() if "ok" in step}
    errors = {name: step["error"] for name, step in out.items() if "error" in step}
    assert set(errors) == {
        "createBadConfig",
        "createPartitionsFewer",
        "alterConfigsBad",
        "deleteUnknownGroup",
        "describeAclsWithoutAuthorizer",
    }, errors
    # topics: validateOnly created nothing, configs applied, partitions added
    assert ok["createValidateOnly"] is True and ok["listTopics"] == [topic]
    assert ok["create"] is True and ok["createAgain"] is False  # exists: KafkaJS says false
    assert [e["type"] for e in errors["createBadConfig"]["errors"]] == ["INVALID_CONFIG"]
    assert errors["createPartitionsFewer"]["type"] == "INVALID_PARTITIONS"
    assert ok["metadata"] == [[topic, [[p, 1, 0] for p in range(4)]]]
    assert ok["describeConfigs"] == [
        ["cleanup.policy", "delete", False],
        ["retention.ms", "123456", False],
        ["segment.bytes", "1073741824", True],
    ]
    assert ok["describeAfterValidateOnly"] == [["retention.ms", "123456", False]]
    assert ok["describeAfterAlter"] == [["retention.ms", "999000", False]]
    assert errors["alterConfigsBad"]["type"] == "INVALID_CONFIG"
    # offsets: three records on partition 0 at t0, t0+1s, t0+2s, one on partition 1 at t0+3s
    ends = {0: ("3", "3", "0"), 1: ("1", "1", "0"), 2: ("0", "0", "0"), 3: ("0", "0", "0")}
    assert offsets(ok["topicOffsets"]) == ends
    assert offsets(ok["offsetsByTimestamp"]) == {0: ("1",), 1: ("0",), 2: ("0",), 3: ("0",)}
    assert offsets(ok["offsetsByLateTimestamp"]) == {p: (e[0],) for p, e in ends.items()}
    # group offsets
    unset, earliest = ("-1", None), ("-2", None)
    set_offsets = {0: ("2", None), 1: ("1", None), 2: unset, 3: unset}
    [fetched] = ok["fetchOffsets"]
    assert fetched["topic"] == topic and offsets(fetched["partitions"]) == set_offsets
    [every] = ok["fetchOffsetsAllTopics"]  # OffsetFetch with no topics: those committed
    assert offsets(every["partitions"]) == {0: ("2", None), 1: ("1", None)}
    [reset] = ok["fetchOffsetsReset"]
    assert offsets(reset["partitions"]) == dict.fromkeys(range(4), earliest)
    [resolved] = ok["fetchOffsetsResolved"]  # nothing committed: resolved to the latest
    assert offsets(resolved["partitions"]) == {p: (e[0], None) for p, e in ends.items()}
    assert ok["describeGroups"] == [[f"{group}-set", "Empty", "consumer", 0]]
    groups = [f"{group}-{g}" for g in ("reset", "resolve", "set")]
    assert ok["listGroups"] == [[g, "consumer"] for g in groups]
    # records deleted up to offset 2 on partition 0 and to the high watermark (-1) on 1
    lows = {p: o[2] for p, o in offsets(ok["deleteRecords"]).items()}
    assert lows == {0: "2", 1: "1", 2: "0", 3: "0"}
    assert ok["deleteGroups"] == [
        {"groupId": f"{group}-set", "errorCode": 0},
        {"groupId": f"{group}-reset", "errorCode": 0},
    ]
    assert errors["deleteUnknownGroup"]["groups"] == ["GROUP_ID_NOT_FOUND"]
    assert ok["listGroupsAfter"] == [f"{group}-resolve"]
    cluster = ok["describeCluster"]
    assert cluster["brokers"] == [{"nodeId": 1, "host": "127.0.0.1", "port": shared_broker.port}]
    assert cluster["controller"] == 1 and cluster["clusterId"]
    assert errors["describeAclsWithoutAuthorizer"]["type"] == "SECURITY_DISABLED"
    assert ok["deleteTopics"] is None and ok["listTopicsAfter"] == []


# --- transactions ---------------------------------------------------------------------------


def test_transactions(node, shared_broker):
    """Commit, abort and sendOffsets; an open transaction holds read_committed consumers at
    the last stable offset; a zombie is fenced (INVALID_PRODUCER_EPOCH before KIP-588's
    PRODUCER_FENCED: KafkaJS speaks the v1 transaction APIs)."""
    bs, topic, source = shared_broker.bootstrap, new_topic("txn"), new_topic("txn-src")
    create_topics(bs, 2, topic)
    create_topics(bs, 1, source)
    out = run(
        node, "txn.js", shared_broker, topic=topic, source=source,
        group=new_topic("txn-group"), txnId=new_topic("txn-id"),
    )  # fmt: skip
    # the aborted transaction's offsets (5) never count
    [committed] = out["committedOffsets"]
    assert committed["partitions"] == [{"partition": 0, "offset": "3", "metadata": None}]
    committed_records = [[0, 0, "c1"], [1, 0, "c2"], [1, 4, "c3"]]
    assert sorted(out["beforeCommit"]) == committed_records
    assert sorted(out["afterCommit"]) == sorted(
        [*committed_records, [0, 4, "open"], [0, 5, "after-open"]]
    )
    assert {op: e["type"] for op, e in out["fenced"].items()} == {
        "send": "INVALID_PRODUCER_EPOCH",
        "commit": "INVALID_PRODUCER_EPOCH",
    }
    want_committed = sorted(
        [*committed_records, [0, 4, "open"], [0, 5, "after-open"], [1, 8, "successor"]]
    )
    assert out["readCommitted"] == want_committed
    aborted = [[0, 2, "a1"], [1, 2, "a2"], [1, 6, "zombie-1"]]
    assert out["readUncommitted"] == sorted(want_committed + aborted)
    # each transaction ended with a marker per partition: commit, abort, commit, commit
    # (and the fencing abort and the successor's commit on partition 1)
    assert offsets(out["endOffsets"]) == {0: ("7", "7", "0"), 1: ("10", "10", "0")}
    for p in (0, 1):
        want = [base64.b64encode(v.encode()).decode() for q, _, v in want_committed if q == p]
        got = confluent_read(bs, topic, p, len(want), **{"isolation.level": "read_committed"})
        assert [r["value"] for r in got] == want


# --- consumer groups ------------------------------------------------------------------------


def test_consumer_group_members_come_and_go(node, shared_broker):
    """Members join and leave one by one while records flow: after each change the live
    members share every partition, no record is lost or delivered twice, and the committed
    offsets reach the end. A custom assignor's userData crosses JoinGroup, SyncGroup and
    DescribeGroups byte for byte; a member takes partitions added to its topic."""
    bs = shared_broker.bootstrap
    topic, custom, grow = new_topic("members"), new_topic("custom"), new_topic("grow")
    create_topics(bs, 6, topic)
    create_topics(bs, 4, custom)
    create_topics(bs, 1, grow)
    group = new_topic("members-group")
    out = run(
        node, "groups.js", shared_broker, topic=topic, group=group, partitions=6,
        customTopic=custom, growTopic=grow,
    )  # fmt: skip
    assert out["produced"] == 300
    assert {v: len(by) for v, by in out["seenBy"].items()} == {str(i): 1 for i in range(300)}
    live = [sorted(p) for p in out["phases"]]
    assert live == [["A"], ["A", "B"], ["A", "B", "C"], ["B", "C"], ["C"]]
    for phase in out["phases"]:
        shares = [len(ps) for ps in phase.values()]
        assert max(shares) - min(shares) <= 1  # the round robin of KafkaJS's default
    ends = {p: e[0] for p, e in offsets(out["ends"]).items()}
    assert sum(map(int, ends.values())) == 300
    [committed] = out["committed"]
    assert {p: o[0] for p, o in offsets(committed["partitions"]).items()} == ends
    # the custom assignor
    assert out["customProtocol"] == "EvenOdd"
    assert {name for name, _ in out["joins"]} == {"X", "Y"}
    assert {protocol for _, protocol in out["joins"]} == {"EvenOdd"}
    members = sorted(out["customMembers"], key=lambda m: m["assignmentUserData"])
    assert [m["assignment"] for m in members] == [{custom: [0, 2]}, {custom: [1, 3]}]
    assert [m["assignmentUserData"] for m in members] == ["dead0000ff", "dead0100ff"]
    assert {m["metadataUserData"] for m in members} == {"meta-é\0".encode().hex()}
    assert {tuple(m["version"]) for m in members} == {(7, 7)}
    # partitions added while a member consumes
    assert out["growAssignments"][0] == [0] and out["growAssignments"][-1] == [0, 1, 2]
    assert sorted(out["grownRecords"]) == [[0, "before"], [1, "p1"], [2, "p2"]]


def test_consumer_controls_and_start_positions(node, shared_broker):
    topic, group = new_topic("controls"), new_topic("controls-group")
    create_topics(shared_broker.bootstrap, 2, topic)
    out = run(node, "consumer.js", shared_broker, topic=topic, group=group)
    assert out["paused"] == [{"topic": topic, "partitions": [0]}]
    assert out["whilePaused"] == [f"p1-{i}" for i in range(10, 15)]
    assert out["afterResume"] == [f"p0-{i}" for i in range(10, 15)]
    [committed] = out["committed"]
    assert offsets(committed["partitions"]) == {0: ("12", None), 1: ("15", None)}
    assert out["afterSeek"] == [f"p1-{i}" for i in range(3, 15)]
    assert out["resumed"] == ["p0-12", "p0-13", "p0-14", "p1-15"]
    assert out["lowAfterDelete"] == [[0, "13"], [1, "0"]]
    assert out["outOfRange-true"] == [13, 14]
    assert out["outOfRange-false"] == [15]


# --- security -------------------------------------------------------------------------------


def test_tls_sasl_and_acls(node, tmp_path):
    """SASL PLAIN and SCRAM-SHA-256/512 over plaintext and TLS, TLS alone and with a client
    certificate, against a broker with an authorizer: ACLs created, described and deleted
    with KafkaJS's admin client decide what each user may do."""
    pki = make_pki(tmp_path / "pki")
    broker = secure_broker(tmp_path / "broker", pki, *authz_args("User:admin;User:ANONYMOUS"))
    try:
        prefix, principal = new_topic("sec"), "User:CN=alice,OU=eng,O=acme"
        out = run(
            node, "security.js", broker, closes_expected=True, prefix=prefix,
            mtlsPrincipal=principal,
            listeners={n: broker.address(n) for n in broker.listener_ports},
            ca=str(pki.ca_pem), clientCert=str(pki.client_cert), clientKey=str(pki.client_key),
        )  # fmt: skip
    finally:
        broker.kill()
    assert out["created"] is True
    allow, deny, prefixed, literal = 3, 2, 4, 3  # KafkaJS's enum values
    bindings = {
        (r["resourceType"], r["resourceName"], r["resourcePatternType"], a["principal"],
         a["operation"], a["permissionType"])
        for r in out["described"] for a in r["acls"]
    }  # fmt: skip
    users = {"User:alice", "User:bob", principal}
    assert bindings == {
        *((2, prefix, prefixed, u, 2, allow) for u in users),  # topic prefix: All
        *((3, prefix, prefixed, u, 3, allow) for u in users),  # group prefix: Read
        (2, f"{prefix}denied", literal, "User:alice", 3, deny),
    }
    # a MATCH filter finds the literal binding and the prefixed ones covering the name
    matching = {(r["resourceName"], r["resourcePatternType"]) for r in out["matching"]}
    assert matching == {(f"{prefix}denied", literal), (prefix, prefixed)}
    trips = out["roundTrips"]
    assert trips == {name: {"ok": [f"from {name}"]} for name in trips}
    assert len(trips) == 7
    assert out["badPlain"]["error"]["name"] == "KafkaJSSASLAuthenticationError"
    assert out["badScram"]["error"]["name"] == "KafkaJSSASLAuthenticationError"
    assert out["aliceDescribeAcls"]["error"]["type"] == "CLUSTER_AUTHORIZATION_FAILED"
    assert "Topic authorization failed" in out["aliceOtherTopic"]["error"]["message"]
    assert out["aliceDeniedWrite"] == {"ok": [0]}
    assert "Topic authorization failed" in out["aliceDeniedRead"]["error"]["message"]
    denied_fetch = "User:alice is Denied operation = READ from host = 127.0.0.1 on resource = "
    assert f"{denied_fetch}TOPIC:{prefix}denied for request = FETCH" in broker.log()
    [deleted] = out["deleted"]["filterResponses"]
    assert {(m["resourceName"], m["permissionType"]) for m in deleted["matchingAcls"]} == {
        (prefix, allow),
        (f"{prefix}denied", deny),
    }
    assert "Topic authorization failed" in out["aliceAfterDelete"]["error"]["message"]
    assert out["bobAfterDelete"] == {"ok": ["from plain-bob"]}
