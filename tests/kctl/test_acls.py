"""`kctl acls` against the real broker with Kafka's StandardAuthorizer turned on.

Plaintext connections are User:ANONYMOUS, made a super user, so kctl may manage ACLs. Tests
share one broker: each uses its own principal and resource names, and lists through filters.
"""

from __future__ import annotations

import json
import uuid

import pytest
from kio.schema.create_acls.v1.request import AclCreation, CreateAclsRequest
from kio.static.primitive import i8

from tests.harness import BrokerProcess
from tests.kctl.kctl_cli import Kctl, one_error_line
from tests.wire import WireClient

AUTHORIZER = ["--set", "authorizer.class.name="
              "org.apache.kafka.metadata.authorizer.StandardAuthorizer"]
KEYS = ["resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
        "permission"]


@pytest.fixture(scope="module")
def acl_broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("acls") / "broker",
                      extra_args=[*AUTHORIZER, "--set", "super.users=User:ANONYMOUS"]).start()
    yield b
    b.kill()


@pytest.fixture
def kctl(acl_broker, tmp_path) -> Kctl:
    return Kctl(tmp_path, bootstrap=acl_broker.bootstrap)


def uid() -> str:
    return uuid.uuid4().hex[:8]


def row(rtype, name, op, principal, *, pattern="LITERAL", host="*", perm="ALLOW") -> dict:
    return dict(zip(KEYS, (rtype, name, pattern, principal, host, op, perm), strict=True))


def key(r: dict) -> tuple:
    return tuple(r[k] for k in KEYS)


def as_set(rows: list[dict]) -> set[tuple]:
    return {key(r) for r in rows}


def ok(kctl: Kctl, *args: str) -> list[dict]:
    """Run an acls command with -o json; it must succeed; its bindings."""
    r = kctl.run("acls", *args, "-o", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def listed(kctl: Kctl, *args: str) -> set[tuple]:
    return as_set(ok(kctl, "list", *args))


def test_round_trip_every_resource_kind(kctl):
    p, n = f"User:rt-{uid()}", uid()
    created = ok(
        kctl, "create", "--allow-principal", p, "--operation", "Describe",
        "-t", f"orders-{n}", "-t", "*", "-g", f"billing-{n}", "--cluster",
        "--transactional-id", f"tx-{n}",
    )
    prefixed = ok(kctl, "create", "--allow-principal", p, "--operation", "describe",
                  "-t", f"pay-{n}", "-g", f"grp-{n}", "--transactional-id", f"ptx-{n}",
                  "--resource-pattern-type", "prefixed")
    want = {
        key(row("TOPIC", f"orders-{n}", "DESCRIBE", p)),
        key(row("TOPIC", "*", "DESCRIBE", p)),
        key(row("GROUP", f"billing-{n}", "DESCRIBE", p)),
        key(row("CLUSTER", "kafka-cluster", "DESCRIBE", p)),
        key(row("TRANSACTIONAL_ID", f"tx-{n}", "DESCRIBE", p)),
        key(row("TOPIC", f"pay-{n}", "DESCRIBE", p, pattern="PREFIXED")),
        key(row("GROUP", f"grp-{n}", "DESCRIBE", p, pattern="PREFIXED")),
        key(row("TRANSACTIONAL_ID", f"ptx-{n}", "DESCRIBE", p, pattern="PREFIXED")),
    }
    assert as_set(created) | as_set(prefixed) == want
    assert listed(kctl, "--principal", p) == want
    # Every object has exactly the documented keys, in order.
    assert all(list(r) == KEYS for r in ok(kctl, "list", "--principal", p))
    # Creating the same bindings again is accepted and stores nothing twice.
    ok(kctl, "create", "--allow-principal", p, "--operation", "Describe", "--cluster")
    assert len(ok(kctl, "list", "--principal", p)) == len(want)


def test_allow_deny_hosts_operations_and_principals(kctl):
    n = uid()
    a, b, d = f"User:a-{n}", f"User:b-{n}", f"User:d-{n}"
    topic = f"t-{n}"
    created = ok(kctl, "create", "-t", topic, "--allow-principal", a, "--allow-principal", b,
                 "--allow-host", "10.0.0.1", "--allow-host", "10.0.0.2",
                 "--operation", "Read", "--operation", "WRITE",
                 "--deny-principal", d, "--deny-host", "192.168.1.9")
    want = {key(row("TOPIC", topic, op, p, host=h))
            for p in (a, b) for h in ("10.0.0.1", "10.0.0.2") for op in ("READ", "WRITE")}
    want |= {key(row("TOPIC", topic, op, d, host="192.168.1.9", perm="DENY"))
             for op in ("READ", "WRITE")}
    assert as_set(created) == want and len(created) == 10
    assert listed(kctl, "-t", topic) == want
    # Filters: permission, host, operation, principal; several values mean any of them.
    assert listed(kctl, "-t", topic, "--deny-principal", d) == {
        k for k in want if k[6] == "DENY"}
    assert listed(kctl, "-t", topic, "--allow-principal", a, "--allow-host", "10.0.0.2") == {
        k for k in want if k[3] == a and k[4] == "10.0.0.2"}
    assert listed(kctl, "-t", topic, "--operation", "write") == {k for k in want if k[5] == "WRITE"}
    assert listed(kctl, "--principal", a, "--principal", d) == {
        k for k in want if k[3] in (a, d)}


def test_producer_and_consumer_shortcuts_create_exactly_kafkas_bindings(kctl):
    n = uid()
    p, c = f"User:prod-{n}", f"User:cons-{n}"
    got = ok(kctl, "create", "--allow-principal", p, "--producer", "-t", f"t-{n}",
             "--transactional-id", f"tx-{n}", "--idempotent")
    want = {
        key(row("TOPIC", f"t-{n}", "WRITE", p)), key(row("TOPIC", f"t-{n}", "DESCRIBE", p)),
        key(row("TOPIC", f"t-{n}", "CREATE", p)),
        key(row("TRANSACTIONAL_ID", f"tx-{n}", "WRITE", p)),
        key(row("TRANSACTIONAL_ID", f"tx-{n}", "DESCRIBE", p)),
        key(row("CLUSTER", "kafka-cluster", "IDEMPOTENT_WRITE", p)),
    }
    assert as_set(got) == want == listed(kctl, "--principal", p)
    got = ok(kctl, "create", "--allow-principal", c, "--consumer", "-t", f"t-{n}",
             "-g", f"g-{n}", "--resource-pattern-type", "prefixed")
    want = {
        key(row("TOPIC", f"t-{n}", "READ", c, pattern="PREFIXED")),
        key(row("TOPIC", f"t-{n}", "DESCRIBE", c, pattern="PREFIXED")),
        key(row("GROUP", f"g-{n}", "READ", c, pattern="PREFIXED")),
    }
    assert as_set(got) == want == listed(kctl, "--principal", c)
    # Deleting with the same shortcut removes exactly those, nothing else of the principal.
    ok(kctl, "create", "--allow-principal", c, "--operation", "Alter", "-t", f"t-{n}")
    gone = ok(kctl, "delete", "--allow-principal", c, "--consumer", "-t", f"t-{n}",
              "-g", f"g-{n}", "--resource-pattern-type", "prefixed", "--yes")
    assert as_set(gone) == want
    assert listed(kctl, "--principal", c) == {key(row("TOPIC", f"t-{n}", "ALTER", c))}


def test_pattern_type_filters(kctl):
    n = uid()
    p = f"User:pat-{n}"
    name = f"orders-{n}"
    ok(kctl, "create", "--allow-principal", p, "--operation", "Read", "-t", name)
    ok(kctl, "create", "--allow-principal", p, "--operation", "Read", "-t", "*")
    ok(kctl, "create", "--allow-principal", p, "--operation", "Read", "-t", "orders-",
       "--resource-pattern-type", "prefixed")
    ok(kctl, "create", "--allow-principal", p, "--operation", "Read", "-t", "other-",
       "--resource-pattern-type", "prefixed")
    lit = key(row("TOPIC", name, "READ", p))
    star = key(row("TOPIC", "*", "READ", p))
    pre = key(row("TOPIC", "orders-", "READ", p, pattern="PREFIXED"))
    other = key(row("TOPIC", "other-", "READ", p, pattern="PREFIXED"))
    assert listed(kctl, "-t", name, "--principal", p) == {lit}  # literal by default
    assert listed(kctl, "-t", name, "--principal", p, "--resource-pattern-type", "match") == {
        lit, star, pre}
    assert listed(kctl, "-t", "orders-", "--principal", p,
                  "--resource-pattern-type", "any") == {pre}
    assert listed(kctl, "--principal", p, "--resource-pattern-type", "prefixed") == {pre, other}
    assert listed(kctl, "--principal", p) == {lit, star, pre, other}


def test_delete_removes_only_what_matches_and_confirms(kctl):
    n = uid()
    p, q = f"User:del-{n}", f"User:keep-{n}"
    topic = f"t-{n}"
    ok(kctl, "create", "-t", topic, "-g", f"g-{n}", "--allow-principal", p,
       "--allow-principal", q, "--operation", "Read", "--operation", "Describe")
    before = listed(kctl, "--principal", p, "--principal", q)
    assert len(before) == 8

    # Without --yes and without a terminal: the plan is the output, exit 2, nothing deleted.
    r = kctl.run("acls", "delete", "-t", topic, "--principal", p, "-o", "json")
    assert r.returncode == 2
    assert "plan only: nothing deleted; re-run with --yes" in one_error_line(r)
    assert as_set(json.loads(r.stdout)) == {key(row("TOPIC", topic, "READ", p)),
                                            key(row("TOPIC", topic, "DESCRIBE", p))}
    assert listed(kctl, "--principal", p, "--principal", q) == before

    # With --yes: the bindings deleted on stdout with their status, nothing on stderr.
    r = kctl.run("acls", "delete", "-t", topic, "--principal", p, "--operation", "Read",
                 "--yes", "-o", "json")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    gone = json.loads(r.stdout)
    assert gone == [{**row("TOPIC", topic, "READ", p), "status": "deleted", "error": None}]
    assert listed(kctl, "--principal", p, "--principal", q) == before - as_set(gone)

    # By principal alone, across resources; the other principal keeps everything.
    gone = ok(kctl, "delete", "--principal", p, "--yes")
    assert as_set(gone) == {key(row("TOPIC", topic, "DESCRIBE", p)),
                            key(row("GROUP", f"g-{n}", "READ", p)),
                            key(row("GROUP", f"g-{n}", "DESCRIBE", p))}
    assert listed(kctl, "--principal", q) == {k for k in before if k[3] == q}

    r = kctl.run("acls", "delete", "--principal", p, "--yes")
    assert r.returncode == 0 and r.stdout == ""
    assert "nothing to delete" in r.stderr
    r = kctl.run("acls", "delete", "--principal", p, "--yes", "-o", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_table_yaml_and_jsonl_output(kctl):
    n = uid()
    p = f"User:out-{n}"
    ok(kctl, "create", "--allow-principal", p, "--operation", "IdempotentWrite", "--cluster")
    r = kctl.run("acls", "list", "--principal", p)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["RESOURCE", "TYPE", "RESOURCE", "NAME", "PATTERN", "TYPE",
                                "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"]
    assert lines[1].split() == ["CLUSTER", "kafka-cluster", "LITERAL", p, "*",
                                "IDEMPOTENT_WRITE", "ALLOW"]
    r = kctl.run("acls", "list", "--principal", p, "-o", "jsonl")
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        row("CLUSTER", "kafka-cluster", "IDEMPOTENT_WRITE", p)]
    r = kctl.run("acls", "list", "--principal", p, "-o", "yaml")
    assert r.stdout.startswith("- resource_type: CLUSTER\n  resource_name: kafka-cluster\n")


def test_bad_operation_is_a_usage_error(kctl):
    r = kctl.run("acls", "create", "-t", "x", "--allow-principal", "User:a",
                 "--operation", "Fly")
    assert r.returncode == 2 and "unknown operation 'Fly'" in r.stderr
    assert listed(kctl, "-t", "x") == set()


def test_without_an_authorizer_the_cluster_says_security_disabled(broker, tmp_path):
    # Exit 9, unsupported by the cluster (it was 1, a generic error): the ACL APIs answer
    # SECURITY_DISABLED, and only the cluster's set-up can change that.
    kctl = Kctl(tmp_path, bootstrap=broker.bootstrap)
    for args in (["list"],
                 ["create", "-t", "x", "--allow-principal", "User:a"],
                 ["delete", "-t", "x", "--yes"],
                 ["list", "--delegation-token", "tok"],  # kctl's own connection
                 ["create", "--delegation-token", "tok", "--allow-principal", "User:a"]):
        r = kctl.run("acls", *args)
        assert r.returncode == 9, (args, r.stderr)
        assert r.stdout == ""
        line = one_error_line(r)
        assert "the cluster has no authorizer" in line and "SECURITY_DISABLED" in line, line


def test_not_allowed_to_manage_acls_is_denied(broker_factory, tmp_path):
    # ANONYMOUS is no super user here and no ACL lets it alter the cluster.
    b = broker_factory(*AUTHORIZER, "--set", "super.users=User:admin")
    kctl = Kctl(tmp_path, bootstrap=b.bootstrap)
    r = kctl.run("acls", "create", "-t", "x", "--allow-principal", "User:a",
                 "--operation", "Read", "--operation", "Write")
    assert r.returncode == 6
    line = one_error_line(r)
    assert "CLUSTER_AUTHORIZATION_FAILED" in line and "(and 1 more)" in line
    # librdkafka lists nothing for a refused DescribeAcls; kctl asks again and says why
    r = kctl.run("acls", "list")
    assert r.returncode == 6 and "CLUSTER_AUTHORIZATION_FAILED" in one_error_line(r)


def test_delegation_token_and_user_acls_round_trip(kctl):
    # librdkafka has neither resource type nor the token operations: kctl's own connection.
    n = uid()
    p = f"User:tok-{n}"
    got = ok(kctl, "create", "--allow-principal", p, "--delegation-token", f"tok-{n}",
             "--operation", "Describe")
    got += ok(kctl, "create", "--allow-principal", p, "--user-principal", f"User:x-{n}",
              "--operation", "CreateTokens", "--operation", "describe_tokens")
    want = {key(row("DELEGATION_TOKEN", f"tok-{n}", "DESCRIBE", p)),
            key(row("USER", f"User:x-{n}", "CREATE_TOKENS", p)),
            key(row("USER", f"User:x-{n}", "DESCRIBE_TOKENS", p))}
    assert as_set(got) == want
    # A listing through librdkafka gets a second look that keeps the kinds' names.
    assert listed(kctl, "--principal", p) == want
    assert listed(kctl, "--delegation-token", f"tok-{n}") == {
        key(row("DELEGATION_TOKEN", f"tok-{n}", "DESCRIBE", p))}
    gone = ok(kctl, "delete", "--user-principal", f"User:x-{n}", "--yes")
    assert as_set(gone) == want - {key(row("DELEGATION_TOKEN", f"tok-{n}", "DESCRIBE", p))}
    assert listed(kctl, "--principal", p) == {
        key(row("DELEGATION_TOKEN", f"tok-{n}", "DESCRIBE", p))}
    r = kctl.run("acls", "create", "--allow-principal", p, "--user-principal", "User:y",
                 "--operation", "Read")
    assert r.returncode == 2 and "Read cannot be granted on User resources" in r.stderr


def test_bindings_made_by_other_tools_list_with_their_names(kctl, acl_broker):
    p = f"User:raw-{uid()}"
    with WireClient(acl_broker.bootstrap) as wire:
        answer = wire.request(CreateAclsRequest(creations=(
            AclCreation(resource_type=i8(6), resource_name="tok", resource_pattern_type=i8(3),
                        principal=p, host="*", operation=i8(8), permission_type=i8(3)),
            AclCreation(resource_type=i8(2), resource_name="t", resource_pattern_type=i8(3),
                        principal=p, host="*", operation=i8(3), permission_type=i8(3)),
        )))
    assert [r.error_code for r in answer.results] == [0, 0]
    assert listed(kctl, "--principal", p) == {
        key(row("DELEGATION_TOKEN", "tok", "DESCRIBE", p)), key(row("TOPIC", "t", "READ", p))}
