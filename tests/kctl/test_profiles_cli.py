"""`kctl profile ...` against a temporary KCTL_CONFIG, and profiles applied to commands."""

from __future__ import annotations

import json
import stat
import tomllib

import pytest

from tests.kctl.kctl_cli import Kctl, closed_port, one_error_line

SECRET = "s3cr3t-value-never-printed"


@pytest.fixture
def kctl(tmp_path) -> Kctl:
    return Kctl(tmp_path, env_extra={"PROD_PW": SECRET})


def test_set_list_show_use_delete(kctl):
    assert kctl.run("profile", "list", "-o", "json").stdout.strip() == "[]"
    r = kctl.run("profile", "set", "local", "-b", "127.0.0.1:9092")
    assert r.returncode == 0, r.stderr
    r = kctl.run("profile", "set", "prod", "-b", "kafka-1:9093", "--security-protocol",
                 "sasl_ssl", "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-username", "ops",
                 "--password-env", "PROD_PW", "--ssl-ca", "/etc/ca.pem", "--read-only",
                 "-X", "client.id=ops-kctl")
    assert r.returncode == 0, r.stderr

    rows = json.loads(kctl.run("profile", "list", "-o", "json").stdout)
    assert [(p["name"], p["current"], p["read_only"]) for p in rows] == [
        ("local", True, False), ("prod", False, True)]  # the first profile becomes current
    assert rows[1]["security_protocol"] == "SASL_SSL"

    shown = kctl.run("profile", "show", "prod", "-o", "json")
    doc = json.loads(shown.stdout)
    assert doc["password_env"] == "PROD_PW" and doc["sasl_username"] == "ops"
    assert doc["properties"] == {"client.id": "ops-kctl"}
    assert SECRET not in shown.stdout + shown.stderr

    assert kctl.run("profile", "use", "prod").returncode == 0
    assert json.loads(kctl.run("profile", "show", "-o", "json").stdout)["name"] == "prod"

    data = tomllib.loads(kctl.config.read_text())
    assert data["current"] == "prod"
    assert data["profiles"]["prod"]["password_env"] == "PROD_PW"
    assert SECRET not in kctl.config.read_text()
    assert stat.S_IMODE(kctl.config.stat().st_mode) == 0o600

    assert kctl.run("profile", "delete", "prod").returncode == 0
    rows = json.loads(kctl.run("profile", "list", "-o", "json").stdout)
    assert [p["name"] for p in rows] == ["local"]


def test_set_updates_only_given_fields_and_unset(kctl):
    kctl.run("profile", "set", "p", "-b", "h:1", "--ssl-key", "/k.pem", "-X", "a=1")
    kctl.run("profile", "set", "p", "--sasl-username", "u", "--unset", "ssl_key", "--unset", "a")
    doc = json.loads(kctl.run("profile", "show", "p", "-o", "json").stdout)
    assert doc["bootstrap"] == "h:1" and doc["sasl_username"] == "u"
    assert "ssl_key" not in doc and "properties" not in doc


def test_secret_properties_are_masked(kctl):
    kctl.run("profile", "set", "p", "-X", f"sasl.password={SECRET}")
    r = kctl.run("profile", "show", "p")
    assert r.returncode == 0 and SECRET not in r.stdout and "***" in r.stdout


def test_profile_bootstrap_is_used_and_flags_win(kctl):
    via_profile, via_flag = closed_port(), closed_port()
    kctl.run("profile", "set", "dev", "-b", f"127.0.0.1:{via_profile}")
    r = kctl.run("topics", "list")
    assert f"127.0.0.1:{via_profile}" in one_error_line(r) and r.returncode == 5
    r = kctl.run("topics", "list", "-b", f"127.0.0.1:{via_flag}")
    assert f"127.0.0.1:{via_flag}" in one_error_line(r)


def test_missing_password_env_is_a_config_error(kctl):
    port = closed_port()
    kctl.run("profile", "set", "x", "-b", f"127.0.0.1:{port}", "--password-env", "UNSET_VAR_X")
    r = kctl.run("--profile", "x", "topics", "list", UNSET_VAR_X="")
    # set but empty is still a value; unset is the error
    assert "UNSET_VAR_X" not in r.stderr
    r = kctl.run("--profile", "x", "topics", "list")
    assert r.returncode == 7
    assert "UNSET_VAR_X" in one_error_line(r)


def test_unknown_profile_exit_4(kctl):
    r = kctl.run("topics", "list", "--profile", "nope")
    assert r.returncode == 4
    assert one_error_line(r) == "kctl: error: no profile named 'nope' (see `kctl profile list`)"
    r = kctl.run("topics", "list", KCTL_PROFILE="nope")
    assert r.returncode == 4


@pytest.mark.parametrize("args", [
    ["topics", "create", "t1"],
    ["topics", "delete", "t1", "--yes"],
    ["topics", "alter", "t1", "--set", "retention.ms=1"],
    ["topics", "add-partitions", "t1", "--total", "3"],
    ["configs", "alter", "--topic", "t1", "--set", "retention.ms=1"],
])
def test_read_only_profile_refuses_changes(kctl, args):
    kctl.run("profile", "set", "prod", "-b", f"127.0.0.1:{closed_port()}", "--read-only")
    r = kctl.run("--profile", "prod", *args)
    assert r.returncode == 6
    assert "profile 'prod' is read-only" in one_error_line(r)


def test_broken_config_file_is_one_clear_line(kctl):
    kctl.config.write_text("current = \n")
    r = kctl.run("topics", "list")
    assert r.returncode == 7
    assert "is not valid TOML" in one_error_line(r)
    kctl.config.write_text('[profiles.a]\nbootstrap = "h:1"\ncolour = "red"\n')
    r = kctl.run("profile", "list")
    assert r.returncode == 7
    assert "profiles.a: unknown key(s) colour" in one_error_line(r)
