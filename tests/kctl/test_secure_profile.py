"""kctl through a profile with SASL_SSL (SCRAM) against the real broker; secrets never shown.

The broker (tests/security/secure_broker.py) has a SASL_SSL listener with a throwaway CA and
the SCRAM user alice; the profile names the password only by reference (password_env or
password_file), as users keep it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest

from kctl import profiles
from kctl.client import Cluster
from kctl.options import Settings
from tests.kctl.kctl_cli import Kctl, one_error_line
from tests.security.secure_broker import make_pki, secure_broker
from tui.data.snapshot import fetch_snapshot

PASSWORD = "alice-secret"
WRONG = "not-alices-password"
PW_VAR = "KCTL_TEST_SASL_PASSWORD"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def broker(tmp_path_factory, pki):
    b = secure_broker(tmp_path_factory.mktemp("secure") / "broker", pki,
                      "--set", f"authorizer.class.name={AUTHORIZER}",
                      "--set", "super.users=User:alice;User:admin")
    yield b
    b.kill()


@pytest.fixture
def kctl(broker, pki, tmp_path) -> Kctl:
    k = Kctl(tmp_path)
    r = k.run("profile", "set", "secure", "-b", broker.address("SASL_SSL"),
              "--security-protocol", "SASL_SSL", "--sasl-mechanism", "SCRAM-SHA-512",
              "--sasl-username", "alice", "--password-env", PW_VAR,
              "--ssl-ca", str(pki.ca_pem), "--use")
    assert r.returncode == 0, r.stderr
    return k


def no_secret(*results) -> None:
    for r in results:
        assert PASSWORD not in r.stdout + r.stderr
        assert WRONG not in r.stdout + r.stderr


def test_every_kind_of_command_works_through_a_sasl_ssl_profile(kctl, broker):
    env = {PW_VAR: PASSWORD}
    topic = f"sec-{uuid.uuid4().hex[:8]}"
    runs = [kctl.run("topics", "create", topic, "-p", "2", **env)]
    assert runs[-1].returncode == 0, runs[-1].stderr
    runs.append(kctl.run("produce", topic, "--key-delimiter", ":", input="k1:v1\nk2:v2\n",
                         **env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    runs.append(kctl.run("consume", topic, "--from", "beginning", "-e", "-g", f"g-{topic}",
                         "-o", "jsonl", **env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    assert sorted(json.loads(line)["value"] for line in runs[-1].stdout.splitlines()) == [
        "v1", "v2"]
    runs.append(kctl.run("groups", "describe", f"g-{topic}", "-o", "json", **env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    assert json.loads(runs[-1].stdout)["total_lag"] == 0
    runs.append(kctl.run("topics", "describe", topic, "-o", "json", **env))
    assert [p["records"] for p in json.loads(runs[-1].stdout)] != [None, None]
    runs.append(kctl.run("configs", "describe", "--topic", topic, "-o", "json", **env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    # ACLs over SASL_SSL: alice is a super user, so she may manage them.
    runs.append(kctl.run("acls", "create", "--allow-principal", "User:bob", "--operation",
                         "Read", "-t", topic, "-o", "json", **env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    runs.append(kctl.run("acls", "list", "-t", topic, "-o", "json", **env))
    assert [(b["principal"], b["operation"]) for b in json.loads(runs[-1].stdout)] == [
        ("User:bob", "READ")]
    runs.append(kctl.run("cluster", "info", "-o", "json", **env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    # The brokers are advertised on the listener kctl came in on.
    brokers = json.loads(runs[-1].stdout)["brokers"]
    assert [f"{b['host']}:{b['port']}" for b in brokers] == [broker.address("SASL_SSL")]
    no_secret(*runs)


def test_kctls_own_connection_authenticates_like_librdkafka(kctl, broker, pki):
    # Delegation-token ACLs go over kctl's own connection (librdkafka cannot carry them):
    # TLS with the profile's CA, then SCRAM-SHA-512, then PLAIN without TLS.
    env = {PW_VAR: PASSWORD}
    p = f"User:t-{uuid.uuid4().hex[:8]}"
    runs = [kctl.run("acls", "create", "--allow-principal", p, "--delegation-token", "tok",
                     "-o", "json", **env)]
    assert runs[-1].returncode == 0, runs[-1].stderr
    runs.append(kctl.run("acls", "list", "--delegation-token", "tok", "-o", "json", **env))
    assert [b["principal"] for b in json.loads(runs[-1].stdout)] == [p]
    runs.append(kctl.run("acls", "list", "--delegation-token", "tok", **{PW_VAR: WRONG}))
    assert runs[-1].returncode == 6
    assert "authentication failed" in one_error_line(runs[-1])
    no_secret(*runs)
    r = kctl.run("profile", "set", "plain", "-b", broker.address("SASL_PLAINTEXT"),
                 "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN",
                 "--sasl-username", "admin", "--password-env", PW_VAR)
    assert r.returncode == 0
    r = kctl.run("acls", "delete", "--delegation-token", "tok", "--yes", "-o", "json",
                 "--profile", "plain", **{PW_VAR: "admin-secret"})
    assert r.returncode == 0, r.stderr
    assert [b["principal"] for b in json.loads(r.stdout)] == [p]
    assert "admin-secret" not in r.stdout + r.stderr


def test_password_file_works_too(kctl, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    assert kctl.run("profile", "set", "secure", "--password-file", str(secret)).returncode == 0
    r = kctl.run("topics", "list", "-o", "json")
    assert r.returncode == 0, r.stderr
    no_secret(r)


def test_relative_paths_in_a_profile_work_from_any_directory(kctl, pki, tmp_path):
    # `profile set` ran where ca.pem and pw are; later commands run elsewhere.
    (pki.ca_pem.parent / "pw").write_text(PASSWORD + "\n")
    r = kctl.run("profile", "set", "secure", "--ssl-ca", pki.ca_pem.name, "--password-file",
                 "pw", cwd=pki.ca_pem.parent)
    assert r.returncode == 0, r.stderr
    shown = json.loads(kctl.run("profile", "show", "secure", "-o", "json").stdout)
    assert shown["ssl_ca"] == str(pki.ca_pem)
    assert shown["password_file"] == str(pki.ca_pem.parent / "pw")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = kctl.run("topics", "list", "-o", "json", cwd=elsewhere)
    assert r.returncode == 0, r.stderr


def test_a_wrong_password_is_one_line_and_denied(kctl):
    for args in (["topics", "list"], ["acls", "list"], ["groups", "list"]):
        r = kctl.run(*args, "--timeout", "5", **{PW_VAR: WRONG})
        assert r.returncode == 6, (args, r.returncode, r.stderr)
        line = one_error_line(r)
        assert "authentication failed" in line.lower(), line
        no_secret(r)


def test_a_missing_password_variable_names_it(kctl):
    r = kctl.run("topics", "list")
    assert r.returncode == 7
    assert f"environment variable {PW_VAR} (password_env) is not set" in one_error_line(r)


def test_profile_show_and_list_never_print_secrets(kctl):
    r = kctl.run("profile", "set", "secure", "-X", f"sasl.password={PASSWORD}",
                 "-X", "ssl.key.password=key-secret")
    assert r.returncode == 0
    shown = kctl.run("profile", "show", "-o", "json")
    doc = json.loads(shown.stdout)
    assert doc["password_env"] == PW_VAR and doc["sasl_username"] == "alice"
    assert doc["properties"] == {"sasl.password": "***", "ssl.key.password": "***"}
    for fmt in ("table", "yaml"):
        no_secret(kctl.run("profile", "show", "-o", fmt))
    listed = kctl.run("profile", "list", "-o", "json")
    no_secret(shown, listed)
    assert "key-secret" not in shown.stdout + listed.stdout


def test_the_dashboards_data_comes_through_the_profile(kctl, broker, pki, tmp_path):
    # The TUI gets the same Cluster as the CLI: its fetches use the profile's security.
    profile = profiles.Profile(
        name="secure", bootstrap=broker.address("SASL_SSL"), security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256", sasl_username="alice", password_env=PW_VAR,
        ssl_ca=str(pki.ca_pem),
    )
    settings = Settings(bootstrap=profile.bootstrap, timeout=10, profile=profile)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PW_VAR, PASSWORD)
        snap = fetch_snapshot(Cluster(settings))
        assert snap.brokers and snap.groups_error is None
        mp.setenv(PW_VAR, WRONG)
        bad = Cluster(replace(settings, timeout=5))
        with pytest.raises(Exception) as e:
            fetch_snapshot(bad)
        assert "authentication failed" in str(e.value).lower()
        assert WRONG not in str(e.value)
