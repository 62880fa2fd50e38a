"""`kctl acls` without a cluster: option -> binding mapping, filters, names, usage errors."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AclOperation, ResourcePatternType
from confluent_kafka.admin import ResourceType as CKResourceType

from kctl import acl_admin
from kctl.acl_model import (
    OPERATION_NAMES,
    Binding,
    BindingFilter,
    Operation,
    PatternType,
    Permission,
    ResourceType,
    parse_operation,
    parse_pattern_type,
)
from kctl.acl_spec import AclOptions, SpecError, create_bindings, filters
from kctl.commands.acls import complete_operations
from kctl.console import KctlError
from tests.kctl.kctl_cli import Kctl, closed_port, one_error_line

T, G, C, X = (ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER,
              ResourceType.TRANSACTIONAL_ID)
LIT, PRE = PatternType.LITERAL, PatternType.PREFIXED
ALLOW, DENY = Permission.ALLOW, Permission.DENY
Op = Operation


def b(kind, name, op, principal="User:a", host="*", perm=ALLOW, pattern=LIT) -> Binding:
    return Binding(kind, name, pattern, principal, host, op, perm)


@pytest.mark.parametrize("text,op", [
    ("Read", Op.READ), ("read", Op.READ), ("READ", Op.READ),
    ("IdempotentWrite", Op.IDEMPOTENT_WRITE),
    ("idempotent_write", Op.IDEMPOTENT_WRITE), ("describe-configs", Op.DESCRIBE_CONFIGS),
    ("ClusterAction", Op.CLUSTER_ACTION), ("all", Op.ALL), ("DescribeTokens", Op.DESCRIBE_TOKENS),
])
def test_operation_names_are_case_insensitive(text, op):
    assert parse_operation(text) is op


@pytest.mark.parametrize("text", ["Any", "Unknown", "Reed", ""])
def test_unknown_operations_are_refused(text):
    with pytest.raises(ValueError, match="unknown operation"):
        parse_operation(text)


def test_operation_completion_offers_kafkas_names():
    assert len(OPERATION_NAMES) == 13
    assert complete_operations("de") == ["Delete", "Describe", "DescribeConfigs",
                                         "DescribeTokens"]
    assert complete_operations("IDEM") == ["IdempotentWrite"]
    assert parse_pattern_type("Prefixed") is PRE
    with pytest.raises(ValueError):
        parse_pattern_type("unknown")


def test_plain_create_is_the_cross_product_with_defaults():
    got = create_bindings(AclOptions(
        topics=["orders", "pay"], allow_principals=["User:a", "User:b"],
        allow_hosts=["10.0.0.1", "10.0.0.2"], operations=[Op.READ, Op.WRITE],
    ))
    assert len(got) == 2 * 2 * 2 * 2
    assert got[0] == b(T, "orders", Op.READ, host="10.0.0.1")
    assert b(T, "pay", Op.WRITE, principal="User:b", host="10.0.0.2") in got
    # Defaults: operation All, host *.
    assert create_bindings(AclOptions(groups=["g"], deny_principals=["User:*"])) == [
        b(G, "g", Op.ALL, principal="User:*", perm=DENY)]


def test_allow_and_deny_together_each_with_their_hosts():
    got = create_bindings(AclOptions(
        topics=["t"], allow_principals=["User:a"], deny_principals=["User:d"],
        deny_hosts=["10.1.1.1"], operations=[Op.DESCRIBE],
    ))
    assert got == [b(T, "t", Op.DESCRIBE), b(T, "t", Op.DESCRIBE, "User:d", "10.1.1.1", DENY)]


def test_every_resource_kind_and_prefixed_patterns():
    got = create_bindings(AclOptions(
        topics=["t-"], groups=["g-"], cluster=True, transactional_ids=["tx-"],
        pattern_type=PRE, allow_principals=["User:a"], operations=[Op.DESCRIBE],
    ))
    assert got == [
        b(T, "t-", Op.DESCRIBE, pattern=PRE), b(G, "g-", Op.DESCRIBE, pattern=PRE),
        b(C, "kafka-cluster", Op.DESCRIBE),  # the cluster is always literal
        b(X, "tx-", Op.DESCRIBE, pattern=PRE),
    ]
    tokens = create_bindings(AclOptions(delegation_tokens=["tok"], user_principals=["User:x"],
                                        allow_principals=["User:a"]))
    assert [(x.resource_type, x.resource_name) for x in tokens] == [
        (ResourceType.DELEGATION_TOKEN, "tok"), (ResourceType.USER, "User:x")]


def test_producer_shortcut_creates_kafkas_bindings():
    got = create_bindings(AclOptions(topics=["t"], transactional_ids=["tx"], producer=True,
                                     idempotent=True, allow_principals=["User:p"]))
    assert got == [
        b(T, "t", Op.WRITE, "User:p"), b(T, "t", Op.DESCRIBE, "User:p"),
        b(T, "t", Op.CREATE, "User:p"),
        b(X, "tx", Op.WRITE, "User:p"), b(X, "tx", Op.DESCRIBE, "User:p"),
        b(C, "kafka-cluster", Op.IDEMPOTENT_WRITE, "User:p"),
    ]


def test_consumer_shortcut_and_both_together():
    got = create_bindings(AclOptions(topics=["t"], groups=["g"], consumer=True,
                                     allow_principals=["User:c"], allow_hosts=["1.2.3.4"]))
    assert got == [b(T, "t", Op.READ, "User:c", "1.2.3.4"),
                   b(T, "t", Op.DESCRIBE, "User:c", "1.2.3.4"),
                   b(G, "g", Op.READ, "User:c", "1.2.3.4")]
    both = create_bindings(AclOptions(topics=["t"], groups=["g"], consumer=True, producer=True,
                                      allow_principals=["User:c"], pattern_type=PRE))
    assert [x.operation for x in both] == [Op.WRITE, Op.DESCRIBE, Op.CREATE, Op.READ, Op.READ]
    assert {x.pattern_type for x in both} == {PRE}


@pytest.mark.parametrize("opts,message", [
    (dict(topics=["t"]), "--allow-principal or --deny-principal"),
    (dict(allow_principals=["User:a"]), "give --topic, --group"),
    (dict(topics=["t"], allow_principals=["alice"]), "must look like User:NAME"),
    (dict(cluster=True, allow_principals=["User:a"], operations=[Op.READ]),
     "Read cannot be granted on Cluster"),
    (dict(groups=["g"], allow_principals=["User:a"], operations=[Op.WRITE, Op.READ]),
     "Write cannot be granted on Group"),
    (dict(topics=["t"], allow_principals=["User:a"], pattern_type=PatternType.MATCH),
     "create takes literal or prefixed"),
    (dict(topics=["t"], allow_principals=["User:a"], principals=["User:b"]), "--principal"),
    (dict(topics=["t"], allow_hosts=["1.1.1.1"], deny_principals=["User:a"]), "--allow-host"),
    (dict(topics=["t"], allow_principals=["User:a"], idempotent=True), "--idempotent only"),
    (dict(groups=["g"], allow_principals=["User:a"], producer=True), "need --topic"),
    (dict(topics=["t"], allow_principals=["User:a"], consumer=True), "--consumer needs --group"),
    (dict(topics=["t"], allow_principals=["User:a"], producer=True, operations=[Op.READ]),
     "leave out --operation"),
    (dict(topics=["t"], deny_principals=["User:a"], producer=True), "only grant"),
    (dict(topics=["t"], groups=["g"], allow_principals=["User:a"], producer=True),
     "do not use --group"),
    (dict(topics=["t"], groups=["g"], cluster=True, allow_principals=["User:a"], consumer=True),
     "do not use --cluster"),
    (dict(topics=[""], allow_principals=["User:a"]), "empty Topic name"),
])
def test_bad_create_combinations(opts, message):
    with pytest.raises(SpecError, match=message):
        create_bindings(AclOptions(**opts))


def test_list_filters():
    assert filters(AclOptions()) == [BindingFilter()]
    assert filters(AclOptions(pattern_type=PRE)) == [BindingFilter(pattern_type=PRE)]
    got = filters(AclOptions(topics=["t"], groups=["g"], principals=["User:a"],
                             operations=[Op.READ, Op.WRITE]))
    assert got == [
        BindingFilter(T, "t", LIT, "User:a", None, Op.READ),
        BindingFilter(T, "t", LIT, "User:a", None, Op.WRITE),
        BindingFilter(G, "g", LIT, "User:a", None, Op.READ),
        BindingFilter(G, "g", LIT, "User:a", None, Op.WRITE),
    ]
    got = filters(AclOptions(topics=["t"], pattern_type=PatternType.MATCH,
                             allow_principals=["User:a"], allow_hosts=["1.1.1.1"],
                             deny_principals=["User:d"]))
    assert got == [
        BindingFilter(T, "t", PatternType.MATCH, "User:a", "1.1.1.1", permission=ALLOW),
        BindingFilter(T, "t", PatternType.MATCH, "User:d", None, permission=DENY),
    ]
    with pytest.raises(SpecError, match="not list"):
        filters(AclOptions(topics=["t"], groups=["g"], consumer=True,
                           allow_principals=["User:a"]))


def test_delete_filters():
    with pytest.raises(SpecError, match="say what to delete"):
        filters(AclOptions(), for_delete=True)
    assert filters(AclOptions(principals=["User:a"]), for_delete=True) == [
        BindingFilter(principal="User:a")]
    # --producer on delete: exactly the bindings create --producer made, nothing broader.
    got = filters(AclOptions(topics=["t"], producer=True, allow_principals=["User:p"]),
                  for_delete=True)
    assert got == [BindingFilter(T, "t", LIT, "User:p", "*", op, ALLOW)
                   for op in (Op.WRITE, Op.DESCRIBE, Op.CREATE)]


def test_confluent_kafka_translation_round_trips():
    for kind in (T, G, C, X):
        binding = b(kind, "n", Op.DESCRIBE, pattern=PRE)
        ck = acl_admin._to_ck(binding)
        assert acl_admin.from_ck(ck) == binding
    ck = acl_admin._to_ck(b(C, "kafka-cluster", Op.IDEMPOTENT_WRITE))
    assert ck.restype is CKResourceType.BROKER  # Kafka's Cluster is librdkafka's BROKER
    assert ck.operation is AclOperation.IDEMPOTENT_WRITE
    f = acl_admin._to_ck(BindingFilter(pattern_type=PatternType.MATCH))
    assert (f.restype, f.resource_pattern_type) == (CKResourceType.ANY, ResourcePatternType.MATCH)


@pytest.mark.parametrize("item,wire", [
    (b(ResourceType.DELEGATION_TOKEN, "tok", Op.DESCRIBE), True),
    (b(ResourceType.USER, "User:x", Op.ALL), True),
    (b(T, "t", Op.CREATE_TOKENS), True),
    (BindingFilter(operation=Op.DESCRIBE_TOKENS), True),
    (BindingFilter(), False),
    (b(C, "kafka-cluster", Op.IDEMPOTENT_WRITE), False),
])
def test_what_librdkafka_cannot_carry_goes_over_kctls_own_connection(item, wire):
    assert acl_admin.needs_wire([item]) is wire


@pytest.mark.parametrize("args,needle", [
    (["list", "--operation", "Fly"], "unknown operation 'Fly'"),
    (["create", "-t", "x", "--allow-principal", "User:a", "--operation", "reed"],
     "unknown operation 'reed'"),
    (["delete", "-t", "x", "--resource-pattern-type", "fuzzy"], "'fuzzy' is not one of"),
    (["create", "-t", "x", "--allow-principal", "User:a", "--resource-pattern-type", "any"],
     "'any' is not one of literal, prefixed"),
])
def test_cli_usage_errors_never_touch_the_cluster(tmp_path, args, needle):
    # Nothing listens on the bootstrap port: exit 2 (not 5) shows no connection was tried.
    kctl = Kctl(tmp_path, bootstrap=f"127.0.0.1:{closed_port()}")
    r = kctl.run("acls", *args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args,needle", [
    (["create", "-t", "x", "--allow-principal", "User:a", "--operation", "Read", "--cluster"],
     "Read cannot be granted on Cluster resources"),
    (["create", "--consumer", "-t", "x", "--allow-principal", "User:a"], "needs --group"),
    (["delete", "--operation", "Read"], "say what to delete"),
])
def test_cli_spec_errors_are_one_line_usage_errors(tmp_path, args, needle):
    kctl = Kctl(tmp_path, bootstrap=f"127.0.0.1:{closed_port()}")
    r = kctl.run("acls", *args)
    assert r.returncode == 2
    assert needle in one_error_line(r)


def test_cli_token_acls_say_when_the_cluster_is_unreachable(tmp_path):
    kctl = Kctl(tmp_path, bootstrap=f"127.0.0.1:{closed_port()}")
    r = kctl.run("acls", "create", "--delegation-token", "tok", "--allow-principal", "User:a")
    assert r.returncode == 5
    assert "cannot reach cluster" in one_error_line(r)


def test_read_only_profile_refuses_create_and_delete(tmp_path):
    kctl = Kctl(tmp_path)
    port = closed_port()
    assert kctl.run("profile", "set", "ro", "-b", f"127.0.0.1:{port}", "--read-only",
                    "--use").returncode == 0
    r = kctl.run("acls", "create", "-t", "x", "--allow-principal", "User:a")
    assert r.returncode == 6 and "read-only" in one_error_line(r)
    r = kctl.run("acls", "delete", "-t", "x", "--yes")
    assert r.returncode == 6 and "read-only" in one_error_line(r)


def test_shell_completion_offers_operation_names(tmp_path):
    kctl = Kctl(tmp_path, bootstrap=f"127.0.0.1:{closed_port()}")
    r = kctl.run(COMP_WORDS="kctl acls create --operation Describe", COMP_CWORD="4",
                 _KCTL_COMPLETE="complete_bash")
    assert r.returncode == 0
    assert r.stdout.split() == ["Describe", "DescribeConfigs", "DescribeTokens"]
    r = kctl.run(COMP_WORDS="kctl acls list --resource-pattern-type ", COMP_CWORD="4",
                 _KCTL_COMPLETE="complete_bash")
    assert r.stdout.split() == ["literal", "prefixed", "any", "match"]


def test_kctls_own_connection_reads_librdkafkas_settings(tmp_path):
    import ssl

    from kctl import kafka_wire

    strict = kafka_wire._tls_context({})
    assert strict.verify_mode is ssl.CERT_REQUIRED and strict.check_hostname
    loose = kafka_wire._tls_context({"enable.ssl.certificate.verification": "false"})
    assert loose.verify_mode is ssl.CERT_NONE and not loose.check_hostname
    assert not kafka_wire._tls_context(
        {"ssl.endpoint.identification.algorithm": "none"}).check_hostname
    # Mechanisms it cannot speak are refused before any connection is tried.
    with pytest.raises(KctlError, match="not OAUTHBEARER"):
        kafka_wire.connect({"bootstrap.servers": f"127.0.0.1:{closed_port()}",
                            "security.protocol": "SASL_SSL",
                            "sasl.mechanism": "OAUTHBEARER"}, 1.0)
    with pytest.raises(KctlError, match="cannot reach cluster") as e:
        kafka_wire.connect({"bootstrap.servers": f"127.0.0.1:{closed_port()}"}, 1.0)
    assert e.value.code == 5
