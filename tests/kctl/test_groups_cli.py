"""`kctl groups` against a real broker: list, describe with lag, every reset mode (plan, then
--execute), the active-group refusal, delete and delete-offsets."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import UTC, datetime

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from tests.harness import wait_for
from tests.kctl.records_cli import KCTL, kctl_env, new_topic, run

N = 10
COMMITTED = 5


@pytest.fixture(scope="module")
def topic(shared_broker):
    """One partition, N records a minute apart, the last one a minute ago."""
    bs = shared_broker.bootstrap
    name = new_topic(bs, 1, "grp")
    t0 = (int(time.time()) - (N + 1) * 60) * 1000
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0})
    for i in range(N):
        p.produce(name, value=b"r%d" % i, timestamp=t0 + i * 60_000)
        p.flush(10)
    assert p.flush(10) == 0
    return bs, name, t0


def make_group(bs: str, topic: str, offset: int = COMMITTED) -> str:
    group = f"g-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": bs, "group.id": group, "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    c.close()
    return group


def committed(bs: str, group: str, tmp) -> dict:
    res = run(bs, "groups", "describe", group, "-o", "json", tmp=tmp)
    assert res.returncode == 0, res.stderr
    return {
        (r["topic"], r["partition"]): r["committed_offset"]
        for r in json.loads(res.stdout)["partitions"]
    }


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


MODES = [
    (["--to-earliest"], 0),
    (["--to-latest"], N),
    (["--to-offset", "3"], 3),
    (["--to-offset", "50"], N),  # clamped to the log end
    (["--shift-by", "-2"], 3),
    (["--shift-by", "-20"], 0),  # clamped to the log start
    (["--to-current"], COMMITTED),
    (["--to-datetime", "RECORD7"], 7),
    # DURATION reaches back to halfway between records 5 and 6, however long the suite ran.
    (["--by-duration", "DURATION"], 6),
    (["--by-duration", "1h"], 0),
    (["--from-file", "FILE"], 4),
]


@pytest.mark.parametrize(("mode", "new"), MODES, ids=[" ".join(m) for m, _ in MODES])
def test_reset_mode_plans_then_executes(topic, tmp_path, mode, new):
    bs, name, t0 = topic
    group = make_group(bs, name)
    back_s = int(time.time() - (t0 + 5.5 * 60_000) / 1000)
    args = [a.replace("RECORD7", iso(t0 + 7 * 60_000)).replace("DURATION", f"PT{back_s}S")
            for a in mode]
    if "FILE" in args:
        f = tmp_path / "offsets.csv"
        f.write_text(f"{name},0,4\n")
        args[args.index("FILE")] = str(f)
    scope = [] if "--from-file" in mode else ["--topic", name]
    plan = run(bs, "groups", "reset", "-g", group, *scope, *args, "-o", "json", tmp=tmp_path)
    assert plan.returncode == 0, plan.stderr
    (row,) = json.loads(plan.stdout)
    assert (row["current_offset"], row["new_offset"]) == (COMMITTED, new)
    assert (row["lag_before"], row["lag_after"]) == (N - COMMITTED, N - new)
    assert b"--execute" in plan.stderr
    assert committed(bs, group, tmp_path) == {(name, 0): COMMITTED}  # a plan changes nothing

    done = run(bs, "groups", "reset", group, *scope, *args, "--execute", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "NEW OFFSET" in done.stdout.decode()
    assert committed(bs, group, tmp_path) == {(name, 0): new}


def test_reset_scopes_and_bad_requests(topic, tmp_path):
    bs, name, _ = topic
    group = make_group(bs, name)
    res = run(
        bs,
        "groups",
        "reset",
        "-g",
        group,
        "--all-topics",
        "--to-earliest",
        "-o",
        "json",
        tmp=tmp_path,
    )
    assert [(r["topic"], r["partition"]) for r in json.loads(res.stdout)] == [(name, 0)]
    res = run(
        bs,
        "groups",
        "reset",
        "-g",
        group,
        "--topic",
        f"{name}:0",
        "--to-latest",
        "-o",
        "json",
        tmp=tmp_path,
    )
    assert json.loads(res.stdout)[0]["new_offset"] == N
    cases = [
        (["--topic", name], 2, b"exactly one"),
        (["--topic", name, "--to-earliest", "--to-latest"], 2, b"exactly one"),
        (["--to-earliest"], 2, b"--all-topics"),
        (["--topic", "no-such-topic", "--to-earliest"], 4, b"unknown topic"),
        (["--topic", f"{name}:9", "--to-earliest"], 2, b"no partition 9"),
        (["--topic", name, "--by-duration", "soon"], 2, b"invalid duration"),
    ]
    for args, code, text in cases:
        res = run(bs, "groups", "reset", "-g", group, *args, tmp=tmp_path)
        assert (res.returncode, text in res.stderr) == (code, True), (args, res.stderr)
        assert b"Traceback" not in res.stderr


def test_describe_lag_and_list(topic, tmp_path):
    bs, name, _ = topic
    group = make_group(bs, name, 3)
    res = run(bs, "groups", "describe", group, "-o", "json", tmp=tmp_path)
    doc = json.loads(res.stdout)
    assert doc["partitions"][0]["lag"] == N - 3 and doc["total_lag"] == N - 3
    assert doc["partitions"][0]["log_end_offset"] == N
    table = run(bs, "groups", "describe", group, tmp=tmp_path).stdout.decode()
    assert f"total lag {N - 3}" in table and "LAG" in table
    listed = json.loads(run(bs, "groups", "list", "-o", "json", tmp=tmp_path).stdout)
    assert group in {g["group"] for g in listed}
    # -g names a group here as in reset and delete-offsets (repeatable, with positionals)
    other = make_group(bs, name, 1)
    both = json.loads(
        run(bs, "groups", "describe", "-g", group, other, "-o", "json", tmp=tmp_path).stdout
    )
    assert [d["group"] for d in both] == [other, group]
    none = run(bs, "groups", "describe", tmp=tmp_path)
    assert none.returncode == 2 and b"which group?" in none.stderr


def test_shell_completion_offers_group_names(topic, tmp_path):
    bs, name, _ = topic
    group = make_group(bs, name)
    for words in (f"kctl groups describe {group[:4]}", f"kctl groups reset -g {group[:4]}"):
        env = {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1),
               "_KCTL_COMPLETE": "complete_bash"}
        r = subprocess.run([*KCTL], env={**kctl_env(tmp_path, bs), **env},
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and group in r.stdout.split(), (words, r.stdout, r.stderr)


def test_reset_refuses_an_active_group(topic, tmp_path):
    bs, name, _ = topic
    group = f"active-{uuid.uuid4().hex[:6]}"
    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    c.subscribe([name])
    try:
        wait_for(lambda: c.poll(0.5) is not None and c.assignment(), 60, what="an assignment")

        def is_active() -> bool:
            c.poll(0.1)
            res = run(bs, "groups", "describe", group, "-o", "json", tmp=tmp_path)
            doc = json.loads(res.stdout) if res.returncode == 0 else {}
            return bool(doc.get("members")) or doc.get("state") == "STABLE"

        wait_for(is_active, 60, what="the group to be stable")
        # Assigned, nothing committed: the lag is unknown, not 0 (a script would read 0 as
        # caught up).
        doc = json.loads(run(bs, "groups", "describe", group, "-o", "json", tmp=tmp_path).stdout)
        assert [p["lag"] for p in doc["partitions"]] == [None]
        assert doc["total_lag"] is None
        table = run(bs, "groups", "describe", group, tmp=tmp_path).stdout.decode()
        assert "total lag -" in table
        plan = run(bs, "groups", "reset", group, "--topic", name, "--to-earliest", tmp=tmp_path)
        assert plan.returncode == 0  # showing a plan is harmless
        res = run(
            bs,
            "groups",
            "reset",
            group,
            "--topic",
            name,
            "--to-earliest",
            "--execute",
            tmp=tmp_path,
        )
        assert res.returncode == 1 and b"is active" in res.stderr, res.stderr
    finally:
        c.close()


def test_delete_plans_then_deletes(topic, tmp_path):
    bs, name, _ = topic
    group = make_group(bs, name)
    plan = run(bs, "groups", "delete", group, "-o", "json", tmp=tmp_path)
    # a destructive command without --yes shows its plan and exits 2 (the README's contract)
    assert plan.returncode == 2 and b"--yes" in plan.stderr
    assert json.loads(plan.stdout) == [{"group": group, "state": "EMPTY", "members": 0}]
    assert committed(bs, group, tmp_path)
    res = run(bs, "groups", "delete", group, "--yes", "-o", "json", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [{"group": group, "status": "deleted", "error": None}]
    listed = json.loads(run(bs, "groups", "list", "-o", "json", tmp=tmp_path).stdout)
    assert group not in {g["group"] for g in listed}


def test_delete_offsets(topic, tmp_path):
    bs, name, _ = topic
    group = make_group(bs, name)
    plan = run(bs, "groups", "delete-offsets", "-g", group, "-t", f"{name}:0", tmp=tmp_path)
    assert plan.returncode == 2 and b"--yes" in plan.stderr
    res = run(bs, "groups", "delete-offsets", "-g", group, "-t", f"{name}:0", "--yes", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    gone = run(bs, "groups", "delete-offsets", "-g", group, "-t", name, tmp=tmp_path)
    assert gone.returncode == 4 and b"no committed offsets" in gone.stderr
