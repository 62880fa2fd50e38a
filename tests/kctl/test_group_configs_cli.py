"""`kctl configs describe|alter --group`: a consumer group's own configs (KIP-848)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.kctl.kctl_cli import Kctl, one_error_line

SESSION, INTERVAL = "consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"


@pytest.fixture
def kctl(shared_broker, tmp_path) -> Kctl:
    return Kctl(tmp_path, bootstrap=shared_broker.bootstrap)


def described(kctl: Kctl, group: str, *extra: str) -> dict[str, dict]:
    r = kctl.run("configs", "describe", "--group", group, "-o", "json", *extra)
    assert r.returncode == 0, r.stderr
    return {row["name"]: row for row in json.loads(r.stdout)}


def test_a_groups_configs_are_planned_set_and_deleted(kctl):
    group = f"cli-{uuid.uuid4().hex[:8]}"  # configs may be given before the group forms
    before = described(kctl, group)
    assert {n: (c["value"], c["source"], c["default"]) for n, c in before.items()} == {
        SESSION: ("45000", "DEFAULT_CONFIG", True),
        INTERVAL: ("5000", "DEFAULT_CONFIG", True),
    }
    assert described(kctl, group, "--changed") == {}

    alter = ("configs", "alter", "-g", group)
    r = kctl.run(*alter, "--set", f"{SESSION}=50000", "--dry-run", "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [
        {"name": SESSION, "op": "set", "current": "45000", "new": "50000", "applied": False}
    ]
    assert described(kctl, group)[SESSION]["value"] == "45000"

    r = kctl.run(*alter, "--set", f"{SESSION}=50000", "--set", f"{INTERVAL}=8000")
    assert r.returncode == 0, r.stderr
    changed = described(kctl, group, "--changed")
    assert {n: (c["value"], c["source"]) for n, c in changed.items()} == {
        SESSION: ("50000", "GROUP_CONFIG"),
        INTERVAL: ("8000", "GROUP_CONFIG"),
    }

    assert kctl.run(*alter, "--delete", INTERVAL).returncode == 0
    after = described(kctl, group)
    assert (after[INTERVAL]["value"], after[INTERVAL]["source"]) == ("5000", "DEFAULT_CONFIG")
    assert after[SESSION]["value"] == "50000"


def test_what_the_broker_refuses_exits_7_with_its_reason(kctl):
    group = f"cli-{uuid.uuid4().hex[:8]}"
    alter = ("configs", "alter", "--group", group)
    for args, says in [
        (("--set", f"{SESSION}=1000"), "below group.consumer.min.session.timeout.ms"),
        (("--set", "share.record.lock.duration.ms=30000"), "unknown group config"),
        (("--append", f"{INTERVAL}=6000"), "only to list configs"),
    ]:
        r = kctl.run(*alter, *args)
        line = one_error_line(r)
        assert r.returncode == 7 and "INVALID_CONFIG" in line and says in line, line
    assert described(kctl, group, "--changed") == {}


def test_one_target_only(kctl):
    r = kctl.run("configs", "describe", "--group", "g", "--broker", "1")
    assert r.returncode == 2
    assert "exactly one of" in one_error_line(r)
