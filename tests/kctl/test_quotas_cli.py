"""`kctl quotas describe|alter` against a real broker: tables and JSON, default entities,
--exact, --dry-run, one-line errors with their exit codes, and exit 9 from a broker that
lacks the client quota APIs."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.kctl.api_filter_proxy import broker_without
from tests.kctl.kctl_cli import Kctl, closed_port, one_error_line


@pytest.fixture
def kctl(shared_broker, tmp_path) -> Kctl:
    return Kctl(tmp_path, bootstrap=shared_broker.bootstrap)


def name() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


def as_json(kctl: Kctl, *args: str):
    r = kctl.run(*args, "-o", "json")
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout)


def test_alter_then_describe(kctl):
    user = name()
    rows = as_json(kctl, "quotas", "alter", "--user", user,
                   "--add", "producer_byte_rate=1048576,consumer_byte_rate=2e6",
                   "--add", "request_percentage=12.5")
    assert rows == [
        {"entity": {"user": user}, "quota": "producer_byte_rate", "op": "set", "current": None,
         "new": 1048576, "applied": True},
        {"entity": {"user": user}, "quota": "consumer_byte_rate", "op": "set", "current": None,
         "new": 2000000, "applied": True},
        {"entity": {"user": user}, "quota": "request_percentage", "op": "set", "current": None,
         "new": 12.5, "applied": True},
    ]
    r = kctl.run("quotas", "alter", "--user", user, "--client-default",
                 "--add", "producer_byte_rate=4096")
    assert r.returncode == 0, r.stderr
    assert "applied" in r.stdout and "4096" in r.stdout

    docs = as_json(kctl, "quotas", "describe", "--user", user)
    assert docs == [
        {"entity": {"user": user}, "quotas": {"producer_byte_rate": 1048576,
                                              "consumer_byte_rate": 2000000,
                                              "request_percentage": 12.5}},
        {"entity": {"user": user, "client-id": None}, "quotas": {"producer_byte_rate": 4096}},
    ]
    exact = as_json(kctl, "quotas", "describe", "--user", user, "--client-default", "--exact")
    assert exact == [docs[1]]

    table = kctl.run("quotas", "describe", "--user", user)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["USER", "CLIENT", "ID", "PRODUCER", "BYTE", "RATE", "CONSUMER",
                                "BYTE", "RATE", "REQUEST", "PERCENTAGE"]
    assert lines[1].split() == [user, "-", "1048576", "2000000", "12.5"]
    assert lines[2].split() == [user, "<default>", "4096", "-", "-"]


def test_delete_and_dry_run(kctl):
    user = name()
    assert kctl.run("quotas", "alter", "--user", user, "--add", "consumer_byte_rate=100",
                    "--add", "producer_byte_rate=200").returncode == 0
    dry = kctl.run("quotas", "alter", "--user", user, "--delete", "consumer_byte_rate",
                   "--add", "producer_byte_rate=300", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing changed" in dry.stdout
    assert [line.split() for line in dry.stdout.splitlines()[2:]] == [
        ["producer_byte_rate", "set", "200", "300"],
        ["consumer_byte_rate", "delete", "100", "-"],
    ]
    assert as_json(kctl, "quotas", "describe", "--user", user)[0]["quotas"] == {
        "producer_byte_rate": 200, "consumer_byte_rate": 100}
    rows = as_json(kctl, "quotas", "alter", "--user", user, "--delete", "consumer_byte_rate")
    assert rows[0]["current"] == 100 and rows[0]["new"] is None and rows[0]["applied"]
    assert as_json(kctl, "quotas", "describe", "--user", user)[0]["quotas"] == {
        "producer_byte_rate": 200}
    assert as_json(kctl, "quotas", "alter", "--user", user,
                   "--delete", "producer_byte_rate")[0]["applied"]
    assert as_json(kctl, "quotas", "describe", "--user", user) == []


def test_client_and_ip_entities(kctl):
    client = name()
    assert kctl.run("quotas", "alter", "--client-id", client,
                    "--add", "controller_mutation_rate=5").returncode == 0
    assert kctl.run("quotas", "alter", "--ip", "127.0.0.9",
                    "--add", "connection_creation_rate=20").returncode == 0
    assert as_json(kctl, "quotas", "describe", "--client-id", client) == [
        {"entity": {"client-id": client}, "quotas": {"controller_mutation_rate": 5}}]
    assert {"entity": {"ip": "127.0.0.9"}, "quotas": {"connection_creation_rate": 20}} in (
        as_json(kctl, "quotas", "describe", "--ip", "127.0.0.9"))


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["--user", "x", "--add", "bogus=1"], 7, "Invalid configuration key bogus"),
        (["--user", "x", "--add", "producer_byte_rate=1.5"], 7,
         "producer_byte_rate cannot be a fractional value."),
        (["--user", "x", "--add", "consumer_byte_rate=0"], 7,
         "Quota consumer_byte_rate must be greater than 0"),
        (["--ip", "1.2.3.4", "--user", "x", "--add", "connection_creation_rate=1"], 7,
         "IP entity should not be combined"),
        (["--add", "producer_byte_rate=1"], 2, "name the entity"),
        (["--user", "x"], 2, "nothing to change"),
        (["--user", "x", "--user-default", "--add", "producer_byte_rate=1"], 2,
         "give --user or --user-default, not both"),
        (["--user", "x", "--add", "producer_byte_rate=lots"], 2, "is not a number"),
        (["--user", "x", "--add", "producer_byte_rate=1", "--delete", "producer_byte_rate"], 2,
         "changed twice"),
    ],
)
def test_alter_errors_are_one_line_with_their_exit_code(kctl, args, code, text):
    r = kctl.run("quotas", "alter", *args)
    assert r.returncode == code, r.stderr
    assert text in one_error_line(r)
    assert r.stdout == ""


def test_nothing_described_and_unreachable(kctl, tmp_path):
    assert as_json(kctl, "quotas", "describe", "--user", name()) == []
    r = Kctl(tmp_path, bootstrap=f"127.0.0.1:{closed_port()}").run("quotas", "describe")
    assert r.returncode == 5 and "cannot reach" in one_error_line(r)


def test_read_only_profile_refuses_alter_but_not_dry_run(kctl):
    assert kctl.run("profile", "set", "ro", "-b", kctl.bootstrap, "--read-only",
                    "--use").returncode == 0
    r = kctl.run("quotas", "alter", "--user", "x", "--add", "producer_byte_rate=1")
    assert r.returncode == 6 and "read-only" in one_error_line(r)
    assert kctl.run("quotas", "alter", "--user", "x", "--add", "producer_byte_rate=1",
                    "--dry-run").returncode == 0


def test_a_broker_without_the_apis_is_exit_9(tmp_path):
    with broker_without(tmp_path / "old", frozenset({48, 49})) as bootstrap:
        kctl = Kctl(tmp_path, bootstrap=bootstrap)
        for args, api in ((["describe"], "DescribeClientQuotas"),
                          (["alter", "--user", "x", "--add", "producer_byte_rate=1"],
                           "AlterClientQuotas")):
            r = kctl.run("quotas", *args)
            assert r.returncode == 9, (args, r.stderr)
            line = one_error_line(r)
            assert "the cluster does not support it" in line and api in line, line
