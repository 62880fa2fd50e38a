"""`kctl consume` against a real broker: every --from form, --to, filters, formats, groups."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from confluent_kafka import Producer

from tests.harness import wait_for
from tests.kctl.kctl_cli import interruptible
from tests.kctl.records_cli import KCTL, jsonl, kctl_env, new_topic, run

N = 10
BASE_TS = 1_600_000_000_000  # 2020-09-13T12:26:40Z


@pytest.fixture(scope="module")
def filled(shared_broker):
    """A 2-partition topic: partition 0 holds 10 records with timestamps BASE_TS + i*1000."""
    bs = shared_broker.bootstrap
    topic = new_topic(bs, 2, "cons")
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0})
    for i in range(N):
        headers = [("trace", b"id-%d" % i)] + ([("kind", b"error")] if i % 3 == 0 else [])
        p.produce(
            topic,
            key=b"user-%d" % i,
            value=b"value %d" % i,
            headers=headers,
            partition=0,
            timestamp=BASE_TS + i * 1000,
        )
        p.flush(10)
    p.produce(topic, key=b"other", value=b"on p1", partition=1, timestamp=BASE_TS)
    assert p.flush(10) == 0
    return bs, topic


def offsets(bs, tmp, *args):
    res = run(bs, "consume", *args, "-o", "jsonl", tmp=tmp)
    assert res.returncode == 0, res.stderr
    return [(r["partition"], r["offset"]) for r in jsonl(res.stdout)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("beginning", list(range(10))),
        ("end", []),
        ("7", [7, 8, 9]),
        ("-3", [7, 8, 9]),
        ("-30", list(range(10))),
        (f"@{BASE_TS + 5000}", [5, 6, 7, 8, 9]),
        (f"@{BASE_TS + 4500}", [5, 6, 7, 8, 9]),
        ("@2020-09-13T12:26:48Z", [8, 9]),
        ("@2020-09-13T14:26:48+02:00", [8, 9]),
        ("@-1h", []),  # every record is years old
    ],
)
def test_from_forms(filled, tmp_path, spec, expected):
    bs, topic = filled
    got = offsets(bs, tmp_path, topic, "-p", "0", "--from", spec, "-e")
    assert got == [(0, o) for o in expected]


def test_relative_time_finds_recent_records(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    topic = new_topic(bs, 1, "recent")
    p = Producer({"bootstrap.servers": bs})
    now = int(time.time() * 1000)
    for ts in (now - 7_200_000, now - 60_000):  # two hours ago, one minute ago
        p.produce(topic, value=str(ts).encode(), timestamp=ts)
        p.flush(10)
    assert offsets(bs, tmp_path, topic, "--from", "@-1h", "-e") == [(0, 1)]
    assert offsets(bs, tmp_path, topic, "--from", "@-PT3H", "-e") == [(0, 0), (0, 1)]


def test_to_bounds_and_count(filled, tmp_path):
    bs, topic = filled
    assert offsets(bs, tmp_path, topic, "-p", "0", "--from", "2", "--to", "5") == [
        (0, 2),
        (0, 3),
        (0, 4),
    ]
    assert offsets(bs, tmp_path, topic, "-p", "0", "--to", f"@{BASE_TS + 2000}") == [(0, 0), (0, 1)]
    assert len(offsets(bs, tmp_path, topic, "-n", "4")) == 4


def test_all_partitions_exit_at_end(filled, tmp_path):
    bs, topic = filled
    got = offsets(bs, tmp_path, topic, "-e")
    assert sorted(got) == [(0, i) for i in range(N)] + [(1, 0)]


def test_filters(filled, tmp_path):
    bs, topic = filled
    assert offsets(bs, tmp_path, topic, "-e", "--grep-key", "user-[12]$") == [(0, 1), (0, 2)]
    assert offsets(bs, tmp_path, topic, "-e", "--grep-value", "^on p") == [(1, 0)]
    got = offsets(bs, tmp_path, topic, "-e", "--header-filter", "kind=^err")
    assert got == [(0, 0), (0, 3), (0, 6), (0, 9)]
    got = offsets(
        bs, tmp_path, topic, "-e", "--header-filter", "kind=err", "--header-filter", "trace=-6$"
    )
    assert got == [(0, 6)]


def test_format_template_and_default_output(filled, tmp_path):
    bs, topic = filled
    res = run(
        bs,
        "consume",
        topic,
        "-p",
        "0",
        "--from",
        "-2",
        "-e",
        "--format",
        r"%t|%p|%o|%T|%k|%v|%h|%K|%S\n",
        tmp=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == [
        f"{topic}|0|8|{BASE_TS + 8000}|user-8|value 8|trace=id-8|6|7",
        f"{topic}|0|9|{BASE_TS + 9000}|user-9|value 9|trace=id-9,kind=error|6|7",
    ]
    res = run(
        bs,
        "consume",
        topic,
        "-p",
        "0",
        "--from",
        "-1",
        "-e",
        "--format",
        "%k %v\n",
        "--key-encoding",
        "hex",
        "--value-encoding",
        "base64",
        tmp=tmp_path,
    )
    assert res.stdout == b"757365722d39 dmFsdWUgOQ==\n"
    default = run(bs, "consume", topic, "-p", "0", "--from", "-2", "-e", tmp=tmp_path)
    assert default.stdout == b"value 8\nvalue 9\n"


def test_output_json_and_table(filled, tmp_path):
    import json

    bs, topic = filled
    res = run(bs, "consume", topic, "-p", "0", "--from", "-2", "-e", "-o", "json", tmp=tmp_path)
    doc = json.loads(res.stdout)
    assert [r["offset"] for r in doc] == [8, 9] and doc[0]["key"] == "user-8"
    empty = run(bs, "consume", topic, "-p", "0", "--from", "end", "-e", "-o", "json", tmp=tmp_path)
    assert json.loads(empty.stdout) == []
    table = run(
        bs, "consume", topic, "-p", "0", "--from", "-1", "-e", "-o", "table", tmp=tmp_path
    ).stdout.decode()
    assert "OFFSET" in table and "user-9" in table and "kind=error" in table


def test_group_consume_commits_and_resumes(filled, tmp_path):
    bs, topic = filled
    first = offsets(bs, tmp_path, topic, "-g", "cg-resume", "-e")
    assert len(first) == N + 1
    again = offsets(bs, tmp_path, topic, "-g", "cg-resume", "-e")
    assert again == []  # everything was committed


def test_kafka_console_consumer_spelling(filled, tmp_path):
    # `kafka-console-consumer --bootstrap-server B --topic T --from-beginning` as typed
    bs, topic = filled
    res = run(None, "consume", "--bootstrap-server", bs, "--topic", topic, "--from-beginning",
              "-p", "0", "-e", "-o", "jsonl", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    assert [r["offset"] for r in jsonl(res.stdout)] == list(range(N))
    res = run(bs, "consume", topic, "--from-beginning", "--from", "end", tmp=tmp_path)
    assert res.returncode == 2 and b"not both" in res.stderr


def test_errors(filled, tmp_path):
    bs, topic = filled
    res = run(bs, "consume", "no-such-topic", "-e", tmp=tmp_path)
    assert res.returncode == 4 and b"no-such-topic" in res.stderr
    res = run(bs, "consume", topic, "-p", "7", "-e", tmp=tmp_path)
    assert res.returncode == 4 and b"partition 7" in res.stderr
    res = run(bs, "consume", topic, "--from", "yesterday", tmp=tmp_path)
    assert res.returncode == 2 and b"--from" in res.stderr
    res = run("127.0.0.1:1", "consume", topic, "-e", tmp=tmp_path)
    assert res.returncode == 5 and b"cannot reach" in res.stderr
    assert b"Traceback" not in res.stderr


def test_ctrl_c_exits_130_cleanly(filled, tmp_path):
    bs, topic = filled
    proc = subprocess.Popen(
        [*KCTL, "consume", topic, "--from", "beginning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=kctl_env(tmp_path, bs),
        start_new_session=True,
        preexec_fn=interruptible,
    )
    try:
        first = proc.stdout.readline()  # records are flushed as they arrive
        assert first == b"value 0\n" or first == b"on p1\n"
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(20)
        err = proc.stderr.read()
        assert proc.returncode == 130, err
        assert b"Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        wait_for(lambda: proc.poll() is not None, 5, what="consumer to exit")
