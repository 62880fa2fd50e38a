"""`kctl consume -o jsonl -e | kctl produce --input jsonl --topic T2` copies a topic exactly."""

from __future__ import annotations

import json

from confluent_kafka import Consumer, Producer, TopicPartition

from tests.kctl.records_cli import jsonl, new_topic, run

PARTITIONS = 3
BASE_TS = 1_700_000_000_000


def sample() -> list[tuple[int, bytes | None, bytes | None, list, int]]:
    """(partition, key, value, headers, timestamp): binary, null vs empty, duplicate headers."""
    out = []
    for i in range(30):
        key = [None, b"", b"\x00\xff\xfe key", "ключ-%d".encode() % i][i % 4]
        value = [b"plain %d" % i, None, b"", bytes(range(256)), b'{"json": "\\u00e9"}'][i % 5]
        headers = [
            [],
            [("h", b"1"), ("h", b"2"), ("h", None)],
            [("bin", b"\x80\x81"), ("empty", b""), ("a", b"x")],
        ][i % 3]
        out.append((i % PARTITIONS, key, value, headers, BASE_TS + i))
    return out


def read_all(bootstrap: str, topic: str, n: int) -> list[tuple]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "rt", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    got = []
    try:
        while len(got) < n:
            m = c.poll(10)
            assert m is not None, f"only {len(got)} of {n} records arrived"
            assert m.error() is None, m.error()
            got.append((m.partition(), m.key(), m.value(), m.headers() or [], m.timestamp()[1]))
    finally:
        c.close()
    return sorted(got, key=lambda r: (r[0], r[4]))


def test_copy_topic_byte_exact(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    src, dst = new_topic(bs, PARTITIONS, "src"), new_topic(bs, PARTITIONS, "dst")
    sent = sample()
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0})
    for part, key, value, headers, ts in sent:
        p.produce(src, key=key, value=value, headers=headers, partition=part, timestamp=ts)
        p.flush(10)  # one record per batch: offsets and watermarks stay simple
    assert p.flush(10) == 0

    dump = run(bs, "consume", src, "-o", "jsonl", "-e", tmp=tmp_path)
    assert dump.returncode == 0, dump.stderr
    lines = jsonl(dump.stdout)
    assert len(lines) == len(sent)
    by_ts = {r["timestamp"]: r for r in lines}
    nullish = by_ts[BASE_TS + 1]
    assert nullish["key"] == "" and nullish["value"] is None  # empty key, null value
    assert by_ts[BASE_TS]["key"] is None
    assert by_ts[BASE_TS + 2]["key_encoding"] == "base64"
    assert by_ts[BASE_TS + 1]["headers"] == [["h", "1"], ["h", "2"], ["h", None]]
    assert by_ts[BASE_TS + 2]["headers"][0] == ["bin", "gIE=", "base64"]

    load = run(bs, "produce", "--input", "jsonl", "--topic", dst, input=dump.stdout, tmp=tmp_path)
    assert load.returncode == 0, load.stderr
    assert f"{len(sent)} record(s) produced" in load.stderr.decode()

    want = sorted([(pt, k, v, h, ts) for pt, k, v, h, ts in sent], key=lambda r: (r[0], r[4]))
    assert read_all(bs, dst, len(sent)) == want

    # And the copy dumps to the same lines, but for the topic name.
    again = run(bs, "consume", dst, "-o", "jsonl", "-e", tmp=tmp_path)
    assert again.returncode == 0, again.stderr

    def strip(rows):
        return sorted(
            json.dumps({k: v for k, v in r.items() if k != "topic"}, sort_keys=True) for r in rows
        )

    assert strip(jsonl(again.stdout)) == strip(lines)


def test_jsonl_records_route_to_their_own_topic_and_partition(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 2, "route")
    data = "\n".join(
        json.dumps(r)
        for r in [
            {"topic": t, "partition": 1, "key": "/wE=", "key_encoding": "base64", "value": "v"},
            {
                "topic": t,
                "partition": 0,
                "value": "6869",
                "value_encoding": "hex",
                "headers": [["x", "ff", "hex"]],
            },
        ]
    )
    res = run(bs, "produce", "--input", "jsonl", input=data + "\n", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    out = jsonl(run(bs, "consume", t, "-o", "jsonl", "-e", tmp=tmp_path).stdout)
    got = {r["partition"]: r for r in out}
    assert got[1]["key"] == "/wE=" and got[1]["key_encoding"] == "base64"
    assert got[0]["value"] == "hi" and got[0]["headers"] == [["x", "/w==", "base64"]]


def test_malformed_jsonl_names_the_line_and_sends_nothing_after(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "bad")
    data = '{"value": "first"}\n\n{"value": "second", "oops": 1}\n{"value": "third"}\n'
    res = run(bs, "produce", t, "--input", "jsonl", input=data, tmp=tmp_path)
    err = res.stderr.decode()
    assert res.returncode == 7, err
    assert "line 3" in err and "oops" in err and "Traceback" not in err
    assert "1 record(s) produced" in err
    out = jsonl(run(bs, "consume", t, "-o", "jsonl", "-e", tmp=tmp_path).stdout)
    assert [r["value"] for r in out] == ["first"]


def test_jsonl_without_topic_is_an_error_with_line_number(shared_broker, tmp_path):
    res = run(
        shared_broker.bootstrap,
        "produce",
        "--input",
        "jsonl",
        input='{"value": "x"}\n',
        tmp=tmp_path,
    )
    assert res.returncode == 7
    assert "line 1" in res.stderr.decode() and "topic" in res.stderr.decode()
