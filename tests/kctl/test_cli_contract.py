"""The CLI contract across commands: the same topic and global options everywhere, one JSON
Lines style, exit codes by kind of failure (partial 3, not found 4, unsupported 9), errors as
one line with nothing printed before them."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
import uuid
from types import SimpleNamespace

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from kctl.perf_run import ProducePerf, run_produce
from tests.kctl.api_filter_proxy import broker_without
from tests.kctl.kctl_cli import KCTL, Kctl, one_error_line


@pytest.fixture
def kctl(shared_broker, tmp_path) -> Kctl:
    return Kctl(tmp_path, bootstrap=shared_broker.bootstrap)


def topic(kctl: Kctl, partitions: int = 1, *config: str) -> str:
    name = f"c-{uuid.uuid4().hex[:8]}"
    args = [a for c in config for a in ("-c", c)]
    r = kctl.run("topics", "create", name, "-p", str(partitions), *args)
    assert r.returncode == 0, r.stderr
    return name


def fill(kctl: Kctl, name: str, partition: int, count: int) -> None:
    p = Producer({"bootstrap.servers": kctl.bootstrap})
    for i in range(count):
        p.produce(name, value=f"v{i}".encode(), partition=partition)
    assert p.flush(30) == 0


# --- item: -t/--topic and TOPIC are accepted by every command that takes a topic -----------


def test_every_topic_command_takes_t_and_the_positional(kctl):
    a, b = topic(kctl), topic(kctl)
    fill(kctl, a, 0, 2)
    fill(kctl, b, 0, 1)
    for args in (["consume", "-e", "-o", "jsonl"], ["topics", "describe", "-o", "json"]):
        both = kctl.run(*args, a, "-t", b)
        opts = kctl.run(*args, "-t", a, "--topic", b)
        assert both.returncode == opts.returncode == 0, both.stderr + opts.stderr
        # consume interleaves topics in no fixed order
        assert sorted(both.stdout.splitlines()) == sorted(opts.stdout.splitlines())
        assert b in both.stdout and a in both.stdout
    r = kctl.run("configs", "describe", a, "--changed", "-o", "json")
    assert r.returncode == 0, r.stderr
    assert r.stdout == kctl.run("configs", "describe", "-t", a, "--changed", "-o", "json").stdout
    for args in (["topics", "alter", "-t", a, "--set", "retention.ms=60000", "--dry-run"],
                 ["topics", "add-partitions", "--topic", a, "--total", "2", "--dry-run"],
                 ["perf", "consume", "-t", a, "--count", "2"]):
        r = kctl.run(*args)
        assert r.returncode == 0, (args, r.stderr)


def test_missing_or_conflicting_topic_is_a_usage_error(kctl):
    for args, text in (
        (["consume", "-e"], "which topic? give TOPIC or -t TOPIC"),
        (["topics", "describe"], "which topic?"),
        (["perf", "produce", "-n", "1"], "which topic?"),
        (["configs", "describe", "a", "-t", "b"], "give the topic once"),
        (["produce", "a", "-t", "b"], "give the topic once"),
        (["configs", "describe", "a", "--broker", "1"], "exactly one of TOPIC"),
    ):
        r = kctl.run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert text in one_error_line(r)


def test_usage_errors_are_one_line_naming_the_help_to_read(kctl):
    for args, text, command in (
        (["topics", "list", "-o", "xml"], "'xml' is not one of table, json", "topics list"),
        (["consume", "x", "-n", "0"], "invalid value for '--count' / '-n'", "consume"),
        (["topics", "lst"], "no such command 'lst'. Did you mean 'list'?", "topics"),
        (["groups", "describe", "--nope"], "no such option: --nope", "groups describe"),
    ):
        r = kctl.run(*args)
        assert r.returncode == 2, (args, r.stderr)
        line = one_error_line(r)
        assert text in line and line.endswith(f"(see 'kctl {command} -h')"), line
    assert "Usage: kctl topics" in kctl.run("topics").stderr  # a group alone shows its help


# --- perf takes produce's names; -o after produce; JSON Lines in one style -------------------


def test_perf_produce_takes_produce_option_names(kctl):
    name = topic(kctl)
    r = kctl.run("perf", "produce", name, "-n", "20", "-z", "gzip", "--rate", "1000/s",
                 "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] == 20


def test_produce_takes_output_after_the_subcommand(kctl):
    name = topic(kctl)
    for args in (["produce", name, "-o", "json"], ["-o", "json", "produce", name]):
        r = kctl.run(*args, input="a\nb\n")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == {"produced": 2, "failed": 0}


def test_dashboard_refuses_output_wherever_given(kctl):
    for args in (["-o", "json", "tui"], ["tui", "-o", "json"]):
        assert kctl.run(*args).returncode == 2


def test_json_lines_are_compact_everywhere(kctl):
    name = topic(kctl, 1, "retention.ms=60000")
    fill(kctl, name, 0, 1)
    lines = [kctl.run(*args, "-o", "jsonl").stdout for args in (
        ["topics", "list"], ["topics", "describe", name], ["consume", name, "-e"],
        ["configs", "describe", name, "--changed"],
    )]
    assert all(lines)
    for text in lines:
        for line in text.splitlines():
            assert line == json.dumps(json.loads(line), ensure_ascii=False,
                                      separators=(",", ":")), line


# --- exit codes by kind ------------------------------------------------------------------------


def test_configs_of_an_unknown_broker_is_not_found_at_once(kctl):
    r = kctl.run("configs", "describe", "--broker", "7", "--timeout", "30", timeout=15)
    assert r.returncode == 4
    assert "broker 7 does not exist" in one_error_line(r)


def test_produce_all_failed_exits_with_the_reason_code(kctl):
    name = topic(kctl, 1, "max.message.bytes=200")
    r = kctl.run("produce", name, input="x" * 1000 + "\n")
    assert r.returncode == 7, r.stderr  # MSG_SIZE_TOO_LARGE: invalid value, not partial
    err = [line for line in r.stderr.splitlines() if line.startswith("kctl: error:")]
    assert err == [f"kctl: error: no record was produced (1 failed): {name}[0]: "
                   "Message size too large (MSG_SIZE_TOO_LARGE)"]
    assert "warning" not in r.stderr


def test_groups_describe_shows_what_exists(kctl):
    name = topic(kctl)
    fill(kctl, name, 0, 2)
    group = f"g-{uuid.uuid4().hex[:8]}"
    assert kctl.run("consume", name, "-g", group, "-e").returncode == 0
    r = kctl.run("groups", "describe", group, "nope-group", "-o", "json")
    assert r.returncode == 3
    docs = json.loads(r.stdout)
    assert [d["group"] for d in docs] == [group]
    assert "'nope-group' does not exist" in one_error_line(r)
    r = kctl.run("topics", "describe", name, "nope-topic")
    assert r.returncode == 3 and name in r.stdout
    assert "nope-topic" in one_error_line(r)


@pytest.fixture
def old_broker(tmp_path):
    """A broker that lacks CreatePartitions and OffsetDelete (behind ApiFilterProxy)."""
    with broker_without(tmp_path / "old", frozenset({37, 47})) as bootstrap:
        yield bootstrap


def test_unsupported_api_is_one_exit_code_and_message(old_broker, tmp_path):
    kctl = Kctl(tmp_path, bootstrap=old_broker)
    assert kctl.run("topics", "create", "t", "-p", "1").returncode == 0
    assert kctl.run("produce", "t", input="a\n").returncode == 0
    assert kctl.run("consume", "t", "-g", "g", "-e").returncode == 0
    for args in (["topics", "add-partitions", "t", "--total", "2"],
                 ["groups", "delete-offsets", "g", "-t", "t", "--yes"]):
        r = kctl.run(*args)
        assert r.returncode == 9, (args, r.stderr)
        assert re.search(r": the cluster does not support it \(.*not supported by broker",
                         one_error_line(r))


# --- deleting: one rule for where the plan goes, one shape for the results ------------------


def committed_group(kctl: Kctl, name: str) -> str:
    group = f"g-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": kctl.bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition(name, 0, 1)], asynchronous=False)
    c.close()
    return group


def test_delete_commands_share_the_plan_rule_and_the_result_shape(kctl):
    # groups delete printed its plan on stdout and topics delete on stderr; groups delete
    # answered {"group","deleted","error"} and topics delete {"topic","status","error"}.
    name = topic(kctl)
    fill(kctl, name, 0, 2)
    group, other = committed_group(kctl, name), committed_group(kctl, name)
    cases = [  # (command, its plan in a script, its result with --yes); topic last
        (["groups", "delete-offsets", "-g", other, "-t", name],
         [{"topic": name, "partition": 0, "committed_offset": 1}],
         [{"topic": name, "partition": 0, "status": "deleted", "error": None}]),
        (["groups", "delete", group],
         [{"group": group, "state": "EMPTY", "members": 0}],
         [{"group": group, "status": "deleted", "error": None}]),
        (["topics", "delete", name],
         [{"topic": name, "partitions": 1, "records": 2}],
         [{"topic": name, "status": "deleted", "error": None}]),
    ]
    for args, plan, _ in cases:
        # In a script without --yes: the plan is the output (-o json), exit 2, nothing done.
        r = kctl.run(*args, "-o", "json")
        assert r.returncode == 2, (args, r.stderr)
        assert json.loads(r.stdout) == plan, args
        assert "plan only: nothing deleted; re-run with --yes" in one_error_line(r)
    for args, _, result in cases:
        # With --yes: only the results, on stdout; stderr stays for errors.
        r = kctl.run(*args, "--yes", "-o", "json")
        assert r.returncode == 0 and r.stderr == "", (args, r.stderr)
        assert json.loads(r.stdout) == result, args
    r = kctl.run("groups", "delete", group, "--yes", "-o", "json")  # gone: a failed result
    assert r.returncode == 4
    one_error_line(r)
    [row] = json.loads(r.stdout)
    assert row["group"] == group and row["status"] == "failed" and row["error"]


def test_a_read_only_profile_plans_a_deletion_but_refuses_it(kctl):
    name = topic(kctl)
    kctl.run("profile", "set", "ro", "-b", kctl.bootstrap, "--read-only", "--use")
    r = kctl.run("topics", "delete", name, "-o", "json")
    assert r.returncode == 2, r.stderr
    assert json.loads(r.stdout) == [{"topic": name, "partitions": 1, "records": 0}]
    r = kctl.run("topics", "delete", name, "--yes")
    assert r.returncode == 6 and "read-only" in one_error_line(r)


def ask_on_terminal(kctl: Kctl, args: list[str], answer: bytes) -> tuple[int, str, bytes]:
    """Run kctl with stdin and stderr on a pseudo-terminal, stdout on a pipe; answer its
    question. Returns the exit code, stdout, and what the terminal showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*KCTL, *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=slave, env=kctl.env())
    os.close(slave)
    shown = b""
    try:
        deadline = time.monotonic() + 30
        while b"[y/N]" not in shown:
            assert time.monotonic() < deadline, shown
            if select.select([master], [], [], 0.5)[0]:
                shown += os.read(master, 4096)
        os.write(master, answer + b"\n")
        out, _ = proc.communicate(timeout=30)
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: kctl exited and the terminal is drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return proc.returncode, out.decode(), shown


def test_at_a_terminal_delete_commands_show_the_plan_and_ask(kctl):
    # groups delete only planned (it never asked, unlike topics and acls delete)
    name = topic(kctl)
    group = committed_group(kctl, name)
    args = ["groups", "delete", group, "-o", "json"]
    code, out, shown = ask_on_terminal(kctl, args, b"n")
    assert code == 2 and out == ""  # the plan went to the terminal, with the question
    assert [group, "EMPTY", "0"] in [line.split() for line in shown.decode().splitlines()]
    assert b"Delete 1 group(s)? [y/N]" in shown and b"nothing deleted" in shown
    code, out, shown = ask_on_terminal(kctl, args, b"y")
    assert code == 0, shown
    assert json.loads(out) == [{"group": group, "status": "deleted", "error": None}]


# --- one line, nothing before it ----------------------------------------------------------------


def test_broker_start_blames_listen(tmp_path):
    r = Kctl(tmp_path).run("broker", "start", "--listen", "bad", "--data-dir", str(tmp_path))
    assert r.returncode == 2
    assert one_error_line(r) == "kctl: error: --listen 'bad' is not HOST:PORT (e.g. 127.0.0.1:9092)"


def test_follow_in_a_missing_directory(kctl, tmp_path):
    name = topic(kctl)
    r = kctl.run("produce", name, "--follow", str(tmp_path / "nodir" / "x.log"))
    assert r.returncode == 2
    assert one_error_line(r).endswith(f"no directory {tmp_path / 'nodir'}")


def test_acls_create_without_authorizer_prints_only_the_error(kctl):
    r = kctl.run("acls", "create", "--allow-principal", "User:a", "--operation", "Read",
                 "-t", "x")
    assert r.returncode != 0 and r.stdout == ""
    assert "no authorizer" in one_error_line(r)


# --- consume / produce / perf behaviour ---------------------------------------------------------


def test_consume_to_finishes_when_a_partition_is_empty(kctl):
    name = topic(kctl, 2)
    fill(kctl, name, 0, 3)  # partition 1 stays empty
    r = kctl.run("consume", name, "--to", "2", "-o", "jsonl", timeout=30)
    assert r.returncode == 0, r.stderr
    assert [(d["partition"], d["offset"]) for d in map(json.loads, r.stdout.splitlines())] == [
        (0, 0), (0, 1)]


def test_perf_consume_short_of_n_is_partial(kctl):
    name = topic(kctl)
    fill(kctl, name, 0, 5)
    r = kctl.run("perf", "consume", name, "-n", "50", "--idle-timeout", "0.5", "-o", "json")
    assert r.returncode == 3
    assert json.loads(r.stdout)["records"] == 5
    assert "only 5 of 50 record(s) read" in one_error_line(r)


class _FakeProducer:
    """Acknowledges on flush; the first record waits 500 ms (connection set-up)."""

    def __init__(self):
        self.pending, self.sent = [], 0

    def produce(self, topic, value, on_delivery):
        latency = 0.5 if self.sent == 0 else 0.001
        self.sent += 1
        self.pending.append((on_delivery, SimpleNamespace(latency=lambda: latency,
                                                          value=lambda: value)))

    def poll(self, timeout):
        return 0

    def flush(self, timeout):
        for callback, msg in self.pending:
            callback(None, msg)
        self.pending = []
        return 0


def test_perf_produce_latency_leaves_out_start_up(monkeypatch):
    monkeypatch.setattr("kctl.perf_run.Producer", lambda conf: _FakeProducer())
    summary = run_produce({}, ProducePerf("t", 10, 4, -1), flush_timeout=1).summary
    assert summary.records == 10 and summary.bytes == 40
    assert summary.latency_max_ms == 1.0


def test_interactive_with_piped_stdin_reads_lines(kctl):
    name = topic(kctl)
    r = kctl.run("produce", name, "--interactive", input='a\n{"x": 1}\n')
    assert r.returncode == 0, r.stderr
    assert "produce>" not in r.stdout + r.stderr
    out = kctl.run("consume", name, "-e")
    assert out.stdout.splitlines() == ["a", '{"x": 1}']


def test_read_only_profile_refuses_group_consume(kctl):
    name = topic(kctl)
    kctl.run("profile", "set", "ro", "-b", kctl.bootstrap, "--read-only", "--use")
    r = kctl.run("consume", name, "-g", "g-ro", "-e")
    assert r.returncode == 6
    assert "read-only; refusing to consume as a member of group 'g-ro'" in one_error_line(r)
    assert kctl.run("consume", name, "-e").returncode == 0  # reading without a group is fine
