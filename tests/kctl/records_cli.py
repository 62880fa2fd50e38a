"""Helpers for the produce/consume/groups/perf CLI tests: run the real kctl, make topics."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.kctl.kctl_cli import KCTL


def kctl_env(tmp: Path, bootstrap: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KCTL_")}
    env.update({"NO_COLOR": "1", "KCTL_CONFIG": str(tmp / "kctl-config.toml")})
    if bootstrap:
        env["KCTL_BOOTSTRAP"] = bootstrap
    if "KCTL_TEST_BROKER_CMD" in os.environ:  # harmless for kctl; kept for child fixtures
        env["KCTL_TEST_BROKER_CMD"] = os.environ["KCTL_TEST_BROKER_CMD"]
    return env


def run(
    bootstrap: str | None,
    *args: str,
    input: bytes | str | None = None,
    tmp: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``kctl ARGS`` to completion; stdout/stderr as bytes."""
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(
        [*KCTL, *args],
        input=data,
        capture_output=True,
        timeout=timeout,
        env=kctl_env(tmp or Path("/tmp"), bootstrap),
        stdin=None if data is not None else subprocess.DEVNULL,
    )


def jsonl(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def new_topic(bootstrap: str, partitions: int = 1, prefix: str = "t") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)
    return name


def end_offset(bs: str, topic: str) -> int:
    """The log end offset of ``topic``'s partition 0."""
    c = Consumer({"bootstrap.servers": bs, "group.id": "watermarks"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        c.close()
