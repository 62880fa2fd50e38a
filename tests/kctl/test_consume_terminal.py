"""`kctl consume` output that people read: control bytes escaped, null headers told apart,
and SIGTERM finishing the output as Ctrl-C does."""

from __future__ import annotations

import base64
import json
import os
import pty
import signal
import subprocess
import tty

import pytest
from confluent_kafka import Producer

from tests.harness import wait_for
from tests.kctl.records_cli import KCTL, jsonl, kctl_env, new_topic, run

KEY = b"k\x1b[31m\x00\r"
VALUE = b"v\x1b]0;owned\x07\x00\rX\x9b"  # \x9b: invalid UTF-8 (C1 CSI in latin-1)
HEADERS = [("h\x1b", b"a\x00\x1b[2J\r"), ("nul", None), ("empty", b"")]
CONTROL_BYTES = (b"\x1b", b"\x00", b"\r", b"\x07")


@pytest.fixture(scope="module")
def hostile(shared_broker):
    """A topic with one record whose key, value and headers carry terminal control bytes."""
    bs = shared_broker.bootstrap
    topic = new_topic(bs, 1, "ctl")
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0})
    p.produce(topic, key=KEY, value=VALUE, headers=HEADERS, partition=0)
    assert p.flush(10) == 0
    return bs, topic


def test_table_escapes_control_bytes_jsonl_keeps_them(hostile, tmp_path):
    bs, topic = hostile
    res = run(bs, "consume", topic, "-e", "-o", "table", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for b in CONTROL_BYTES:
        assert b not in out.replace(b"\n", b""), out
    text = out.decode()
    assert r"k\x1b[31m\x00\r" in text
    assert r"v\x1b]0;owned\x07\x00\rX\x9b" in text
    assert r"h\x1b=a\x00\x1b[2J\r" in text
    # null is shown as a null key or value is ("-"), empty as nothing
    assert "nul=-,empty=" in text and "empty=-" not in text
    # the machine format keeps every byte
    res = run(bs, "consume", topic, "-e", "-o", "jsonl", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    [rec] = jsonl(res.stdout)
    assert rec["key"] == KEY.decode() and rec["key_encoding"] == "utf8"
    assert rec["value_encoding"] == "base64"
    assert base64.b64decode(rec["value"]) == VALUE
    assert rec["headers"] == [[n, None if v is None else v.decode()] for n, v in HEADERS]


def _run_on_terminal(bs, tmp_path, *args):
    """Run kctl with stdout on a pseudo-terminal (raw: no newline translation)."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    try:
        proc = subprocess.run(
            [*KCTL, *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=kctl_env(tmp_path, bs),
            timeout=60,
        )
        os.close(slave)
        slave = -1
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            out += chunk
        return proc, out
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)


def test_default_output_escapes_on_a_terminal_and_stays_raw_in_a_pipe(hostile, tmp_path):
    bs, topic = hostile
    proc, out = _run_on_terminal(bs, tmp_path, "consume", topic, "-e")
    assert proc.returncode == 0, proc.stderr
    assert out == rb"v\x1b]0;owned\x07\x00\rX\x9b" + b"\n"
    piped = run(bs, "consume", topic, "-e", tmp=tmp_path)
    assert piped.stdout == VALUE + b"\n"  # a template's bytes, untouched for scripts


def test_sigterm_closes_the_json_array_and_exits_143(hostile, tmp_path):
    bs, topic = hostile
    proc = subprocess.Popen(
        [*KCTL, "consume", topic, "-o", "json"],  # no -e: runs until signalled
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=kctl_env(tmp_path, bs),
    )
    try:
        head = b""
        while b'"offset"' not in head:  # the record is streamed out before the signal
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            head += line
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()  # to EOF; keeps what readline() already buffered
        proc.wait(20)
        err = proc.stderr.read()
        assert proc.returncode == 143, err
        assert b"Traceback" not in err
        doc = json.loads(head + rest)
        assert [r["offset"] for r in doc] == [0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        wait_for(lambda: proc.poll() is not None, 5, what="consumer to exit")
