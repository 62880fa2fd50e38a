"""`kctl produce` against a real broker: lines, keys, headers, tombstones, options, follow,
interactive, and failures."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import termios
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.harness import wait_for
from tests.kctl.kctl_cli import interruptible, signalled
from tests.kctl.records_cli import KCTL, end_offset, kctl_env, new_topic, run


def read(bs: str, topic: str, n: int, partitions: int = 1) -> list:
    c = Consumer({"bootstrap.servers": bs, "group.id": "pt", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = []
    try:
        while len(out) < n:
            m = c.poll(10)
            assert m is not None, f"only {len(out)} of {n} records"
            assert m.error() is None, m.error()
            out.append((m.partition(), m.key(), m.value(), m.headers() or []))
    finally:
        c.close()
    return out


def test_lines_keys_headers_and_tombstones(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "lines")
    data = b"k1:v1\nk2:a:b\nnokey\nk3:NULL\nk4:\n\xff\xfe:bin\r\n"
    res = run(
        bs,
        "produce",
        t,
        "-K",
        ":",
        "--null-value",
        "NULL",
        "-H",
        "a=1",
        "-H",
        "a=2",
        "-H",
        "b=",
        input=data,
        tmp=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr.decode().strip().endswith("6 record(s) produced")
    h = [("a", b"1"), ("a", b"2"), ("b", b"")]
    assert read(bs, t, 6) == [
        (0, b"k1", b"v1", h),
        (0, b"k2", b"a:b", h),
        (0, None, b"nokey", h),
        (0, b"k3", None, h),
        (0, b"k4", b"", h),
        (0, b"\xff\xfe", b"bin", h),
    ]


def test_keys_land_where_the_java_client_puts_them(shared_broker, tmp_path):
    # kafka-python's default partitioner is the Java client's (murmur2 of the key, sign bit
    # cleared, modulo the partition count): an oracle independent of librdkafka. Its CRC32
    # default would put most of these keys elsewhere.
    from kafka.partitioner.default import murmur2

    bs = shared_broker.bootstrap
    t = new_topic(bs, 6, "murmur")
    keys = [f"user-{i}".encode() for i in range(30)]
    res = run(bs, "produce", t, "-K", ":", input=b"".join(k + b":v\n" for k in keys),
              tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    got = {key: p for p, key, _, _ in read(bs, t, len(keys), partitions=6)}
    assert got == {k: (murmur2(k) & 0x7FFFFFFF) % 6 for k in keys}


def test_file_partition_acks_compression_and_quiet(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 3, "opts")
    f = tmp_path / "in.txt"
    f.write_bytes(b"".join(b"line %d\n" % i for i in range(20)))
    for acks, codec in [("1", "gzip"), ("all", "zstd"), ("0", "lz4"), ("all", "snappy")]:
        res = run(
            bs,
            "produce",
            t,
            "--file",
            str(f),
            "-p",
            "2",
            "--acks",
            acks,
            "--compression",
            codec,
            "-q",
            tmp=tmp_path,
        )
        assert res.returncode == 0, res.stderr
        assert res.stderr == b""
    got = read(bs, t, 80, partitions=3)
    assert {p for p, *_ in got} == {2}
    assert [v for _, _, v, _ in got[:20]] == [b"line %d" % i for i in range(20)]


def test_tab_delimiter_and_rate_limit(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "rate")
    start = time.monotonic()
    res = run(
        bs,
        "produce",
        t,
        "-K",
        "\\t",
        "--rate",
        "20/s",
        input=b"".join(b"k%d\tv%d\n" % (i, i) for i in range(30)),
        tmp=tmp_path,
    )
    elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    assert elapsed >= 0.9  # 30 records at 20/s: the last can go no sooner than ~1 s in
    assert read(bs, t, 30)[29][1:3] == (b"k29", b"v29")


def test_failures_exit_codes(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "fail")
    res = run(bs, "produce", "no-such-topic", input=b"x\n", tmp=tmp_path)
    assert res.returncode == 4 and b"does not exist" in res.stderr
    res = run("127.0.0.1:1", "produce", t, input=b"x\n", tmp=tmp_path)
    assert res.returncode == 5 and b"cannot reach" in res.stderr
    res = run(bs, "produce", t, "-p", "3", input=b"x\n", tmp=tmp_path)
    assert res.returncode == 4 and b"no partition 3" in res.stderr
    res = run(bs, "produce", t, "--acks", "2", input=b"x\n", tmp=tmp_path)
    assert res.returncode == 2
    res = run(bs, "produce", t, "--rate", "fast", input=b"x\n", tmp=tmp_path)
    assert res.returncode == 2 and b"invalid rate" in res.stderr
    for r in (res,):
        assert b"Traceback" not in r.stderr


def test_jsonl_records_naming_a_missing_topic_fail_and_create_nothing(shared_broker, tmp_path):
    # The broker auto-creates topics a producer asks about; kctl refuses, as it does for
    # `kctl produce MISSING` (a typo in the data created a topic and exited 0).
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "jsonl-known")
    missing = f"jsonl-missing-{t[-8:]}"
    lines = [{"topic": t, "value": "a"}, {"topic": missing, "value": "b"},
             {"topic": t, "value": "c"}]
    res = run(bs, "produce", "-i", "jsonl", "-o", "json",
              input="".join(json.dumps(r) + "\n" for r in lines), tmp=tmp_path)
    assert res.returncode == 3, res.stderr
    assert json.loads(res.stdout) == {"produced": 2, "failed": 1}
    assert f"{missing}: topic '{missing}' does not exist".encode() in res.stderr
    res = run(bs, "produce", "-i", "jsonl", input=json.dumps(lines[1]) + "\n", tmp=tmp_path)
    assert res.returncode == 4, res.stderr
    assert res.stderr.count(b"\n") == 2 and b"does not exist" in res.stderr  # summary, error
    assert consumed(bs, t) == [b"a", b"c"]
    admin = AdminClient({"bootstrap.servers": bs})
    assert missing not in admin.list_topics(timeout=10).topics


def test_follow_survives_rotation_and_truncation(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "follow")
    log = tmp_path / "app.log"
    log.write_bytes(b"old, not sent\n")
    proc = subprocess.Popen(
        [*KCTL, "produce", t, "--follow", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=kctl_env(tmp_path, bs),
        start_new_session=True,
        preexec_fn=interruptible,
    )
    try:
        os.set_blocking(proc.stderr.fileno(), False)
        seen = b""

        def stderr_has(text: bytes) -> bool:
            nonlocal seen
            chunk = proc.stderr.read()
            seen += chunk or b""
            return text in seen

        wait_for(lambda: stderr_has(b"following"), 30, what="kctl to start following")
        with open(log, "ab") as f:
            f.write(b"one\ntwo\n")
        wait_for(lambda: len(consumed(bs, t)) >= 2, 30, what="appended lines")
        log.rename(tmp_path / "app.log.1")
        log.write_bytes(b"three\n")
        wait_for(lambda: len(consumed(bs, t)) >= 3, 30, what="the line after rotation")
        log.write_bytes(b"")  # truncate, then grow again
        with open(log, "ab") as f:
            f.write(b"four\n")
        wait_for(lambda: len(consumed(bs, t)) >= 4, 30, what="the line after truncation")
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(20)
        wait_for(lambda: stderr_has(b"produced"), 5, what="the summary")
        assert proc.returncode == 130
        assert b"4 record(s) produced" in seen and b"Traceback" not in seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert consumed(bs, t) == [b"one", b"two", b"three", b"four"]


def test_sigterm_mid_produce_delivers_what_was_read_and_exits_143(shared_broker, tmp_path):
    # `timeout 60 kctl produce ...` sends SIGTERM: like Ctrl-C, what librdkafka already holds
    # is delivered and counted in the summary (it used to die at once, summary and all).
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "sigterm")
    lines = tmp_path / "lines"
    lines.write_bytes(b"".join(b"%d\n" % i for i in range(5000)))
    r = signalled(
        [*KCTL, "produce", t, "-f", str(lines), "--rate", "200/s", "-o", "json"],
        ready=lambda _: end_offset(bs, t) >= 50, what="the first records", sig=signal.SIGTERM,
        env=kctl_env(tmp_path, bs),
    )
    assert r.returncode == 143, r.stderr
    assert b"Traceback" not in r.stderr
    summary = json.loads(r.stdout)
    sent = consumed(bs, t)
    assert summary == {"produced": len(sent), "failed": 0}
    assert sent == [b"%d" % i for i in range(len(sent))]


def consumed(bs: str, topic: str) -> list[bytes]:
    c = Consumer({"bootstrap.servers": bs, "group.id": "pt", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    try:
        while (m := c.poll(0.5)) is not None:
            assert m.error() is None, m.error()
            out.append(m.value())
    finally:
        c.close()
    return out


def test_interactive_prompt_with_multiline_json(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "inter")
    env = kctl_env(tmp_path, bs)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")
    env["HOME"] = str(tmp_path)
    env["TERM"] = "dumb"
    pid, fd = pty.fork()
    if pid == 0:  # the child: kctl on a terminal
        os.execvpe(KCTL[0], [*KCTL, "produce", t, "--interactive", "-K", "="], env)
    transcript = b""

    def read_until(text: bytes, timeout: float = 30) -> None:
        nonlocal transcript
        deadline = time.monotonic() + timeout
        while text not in transcript:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} in {transcript!r}"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    transcript += os.read(fd, 4096)
                except OSError:
                    break

    def type_at_prompt(prompt: bytes, keys: bytes) -> None:
        # Type only once the prompt is drawn and the terminal is in raw mode (prompt_toolkit
        # is reading keys); earlier keys would be cooked by the line discipline.
        read_until(prompt)
        wait_for(lambda: not termios.tcgetattr(fd)[3] & termios.ICANON, 10, what="raw mode")
        os.write(fd, keys)

    try:
        type_at_prompt(b"produce>", b"k1=hello\r")
        type_at_prompt(b"offset 0\r\nproduce>", b'k2={"a": 1,\r')
        type_at_prompt(b"...", b' "b": [2, 3]}\r')
        type_at_prompt(b"offset 1\r\nproduce>", b"\x04")  # Ctrl-D ends the session
        read_until(b"2 record(s) produced")

        def exited() -> int | None:
            done, status = os.waitpid(pid, os.WNOHANG)
            return os.waitstatus_to_exitcode(status) + 1 if done else None

        # Keep draining the terminal while waiting, as a real one would.
        code = wait_for(lambda: exited() or (read_until(b"", 0.1) and None), 30, what="exit")
        assert code - 1 == 0, transcript
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
    assert read(bs, t, 2) == [(0, b"k1", b"hello", []), (0, b"k2", b'{"a":1,"b":[2,3]}', [])]


@pytest.mark.parametrize(
    "flags", [["--interactive", "--input", "jsonl"], ["--file", "x", "--interactive"]]
)
def test_conflicting_inputs_are_usage_errors(shared_broker, tmp_path, flags):
    (tmp_path / "x").write_text("")
    res = run(
        shared_broker.bootstrap,
        "produce",
        "t",
        *[str(tmp_path / f) if f == "x" else f for f in flags],
        input=b"",
        tmp=tmp_path,
    )
    assert res.returncode == 2
