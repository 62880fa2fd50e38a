"""The authorizer's rules (Kafka's StandardAuthorizer), the filters, and ACL persistence."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.errors import ErrorCode, KafkaError
from broker.metadata.store import MetadataStore
from broker.security.acl import (
    AclAuthorizer,
    AclBinding,
    AclFilter,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)
from broker.security.acl.authorizer import all_operations
from tests.metadata.helpers import open_controller

Op, Rt, Pt = AclOperation, ResourceType, PatternType
ALLOW, DENY = PermissionType.ALLOW, PermissionType.DENY
LIT, PRE = PatternType.LITERAL, PatternType.PREFIXED
HOST = "10.0.0.1"


def acl(name, op, perm=ALLOW, *, rt=Rt.TOPIC, pattern=LIT, who="User:alice", host="*"):
    return AclBinding(rt, name, pattern, who, host, op, perm)


def authorizer(*bindings, super_users=(), allow_if_no_acl=False) -> AclAuthorizer:
    acls = {uuid.UUID(int=i + 1): b for i, b in enumerate(bindings)}
    return AclAuthorizer(super_users, allow_if_no_acl, acls)


# (ACLs, principal, host, operation, topic, expected)
MATRIX = [
    pytest.param([acl("orders", Op.READ)], "User:alice", HOST, Op.READ, "orders", True, id="allow"),
    pytest.param([acl("orders", Op.READ)], "User:bob", HOST, Op.READ, "orders", False,
                 id="other-principal"),
    pytest.param([acl("orders", Op.READ)], "User:alice", HOST, Op.WRITE, "orders", False,
                 id="other-operation"),
    pytest.param([acl("orders", Op.READ)], "User:alice", HOST, Op.READ, "orders2", False,
                 id="literal-is-exact-no-acl-denies"),
    pytest.param([acl("orders", Op.READ), acl("orders", Op.READ, DENY)], "User:alice", HOST,
                 Op.READ, "orders", False, id="deny-wins"),
    pytest.param([acl("*", Op.ALL), acl("orders", Op.WRITE, DENY)], "User:alice", HOST,
                 Op.WRITE, "orders", False, id="literal-deny-beats-wildcard-allow"),
    pytest.param([acl("*", Op.ALL), acl("orders", Op.WRITE, DENY)], "User:alice", HOST,
                 Op.READ, "orders", True, id="deny-of-other-op-ignored"),
    pytest.param([acl("orders", Op.ALL, DENY), acl("orders", Op.READ)], "User:alice", HOST,
                 Op.DESCRIBE, "orders", False, id="deny-all-denies-describe"),
    pytest.param([acl("orders", Op.READ, DENY), acl("orders", Op.WRITE)], "User:alice", HOST,
                 Op.DESCRIBE, "orders", True, id="deny-read-does-not-deny-describe"),
    pytest.param([acl("ord", Op.WRITE, pattern=PRE)], "User:alice", HOST, Op.WRITE, "orders",
                 True, id="prefixed"),
    pytest.param([acl("ord", Op.WRITE, pattern=PRE)], "User:alice", HOST, Op.WRITE, "ord",
                 True, id="prefixed-whole-name"),
    pytest.param([acl("ord", Op.WRITE, pattern=PRE)], "User:alice", HOST, Op.WRITE, "or",
                 False, id="prefixed-longer-than-name"),
    pytest.param([acl("orders", Op.WRITE, pattern=PRE)], "User:alice", HOST, Op.WRITE,
                 "payments", False, id="prefixed-other"),
    pytest.param([acl("*", Op.WRITE, pattern=PRE)], "User:alice", HOST, Op.WRITE, "orders",
                 False, id="prefixed-star-is-not-a-wildcard"),
    pytest.param([acl("o", Op.ALL, pattern=PRE), acl("ord", Op.READ, DENY, pattern=PRE)],
                 "User:alice", HOST, Op.READ, "orders", False, id="prefixed-deny-wins"),
    pytest.param([acl("*", Op.READ)], "User:alice", HOST, Op.READ, "anything", True,
                 id="wildcard-resource"),
    pytest.param([acl("orders", Op.READ, who="User:*")], "User:bob", HOST, Op.READ, "orders",
                 True, id="wildcard-principal"),
    pytest.param([acl("orders", Op.READ, DENY, who="User:*"), acl("orders", Op.READ)],
                 "User:alice", HOST, Op.READ, "orders", False, id="wildcard-principal-deny"),
    pytest.param([acl("orders", Op.READ, host=HOST)], "User:alice", HOST, Op.READ, "orders",
                 True, id="host-match"),
    pytest.param([acl("orders", Op.READ, host="10.0.0.2")], "User:alice", HOST, Op.READ,
                 "orders", False, id="host-mismatch"),
    pytest.param([acl("orders", Op.READ, DENY, host="10.0.0.2"), acl("orders", Op.READ)],
                 "User:alice", HOST, Op.READ, "orders", True, id="deny-on-other-host"),
    pytest.param([acl("orders", Op.ALL)], "User:alice", HOST, Op.DELETE, "orders", True,
                 id="all-allows"),
    pytest.param([acl("orders", Op.ALTER_CONFIGS)], "User:alice", HOST, Op.DESCRIBE_CONFIGS,
                 "orders", True, id="alterconfigs-implies-describeconfigs"),
    pytest.param([acl("orders", Op.DESCRIBE_CONFIGS)], "User:alice", HOST, Op.ALTER_CONFIGS,
                 "orders", False, id="describeconfigs-implies-nothing"),
    pytest.param([acl("orders", Op.DESCRIBE)], "User:alice", HOST, Op.READ, "orders", False,
                 id="describe-implies-nothing"),
    pytest.param([acl("orders", Op.READ, rt=Rt.GROUP)], "User:alice", HOST, Op.READ, "orders",
                 False, id="resource-type-matters"),
    pytest.param([acl("orders", Op.READ)], "User:Alice", HOST, Op.READ, "orders", False,
                 id="principal-case-sensitive"),
]  # fmt: skip


@pytest.mark.parametrize(("acls", "principal", "host", "op", "topic", "expected"), MATRIX)
def test_decision_matrix(acls, principal, host, op, topic, expected):
    assert authorizer(*acls).authorize(principal, host, op, Rt.TOPIC, topic) is expected


@pytest.mark.parametrize("implying", [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.DESCRIBE])
def test_allows_that_imply_describe(implying):
    a = authorizer(acl("orders", implying))
    assert a.authorize("User:alice", HOST, Op.DESCRIBE, Rt.TOPIC, "orders")


@pytest.mark.parametrize("not_implying", [Op.CREATE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS])
def test_allows_that_do_not_imply_describe(not_implying):
    a = authorizer(acl("orders", not_implying))
    assert not a.authorize("User:alice", HOST, Op.DESCRIBE, Rt.TOPIC, "orders")


def test_super_user_beats_deny():
    a = authorizer(acl("*", Op.ALL, DENY, who="User:*"), super_users=["User:admin"])
    assert a.authorize("User:admin", HOST, Op.ALTER, Rt.CLUSTER, "kafka-cluster")
    assert not a.authorize("User:alice", HOST, Op.READ, Rt.TOPIC, "t")


@pytest.mark.parametrize("allow_if_no_acl", [True, False])
def test_no_acl_found(allow_if_no_acl):
    # an ACL on another resource, and one for another principal on "orders"
    a = authorizer(
        acl("payments", Op.READ), acl("orders", Op.READ, who="User:bob"),
        allow_if_no_acl=allow_if_no_acl,
    )  # fmt: skip
    assert a.authorize("User:alice", HOST, Op.READ, Rt.TOPIC, "other") is allow_if_no_acl
    # ACLs exist for "orders", none for alice: no, whatever the flag says
    assert not a.authorize("User:alice", HOST, Op.READ, Rt.TOPIC, "orders")


def test_empty_authorizer_denies_unless_allow_everyone():
    assert not authorizer().authorize("User:ANONYMOUS", HOST, Op.READ, Rt.TOPIC, "t")
    everyone = authorizer(allow_if_no_acl=True)
    assert everyone.authorize("User:ANONYMOUS", HOST, Op.READ, Rt.TOPIC, "t")


# --- properties over random ACL sets -----------------------------------------------------

names = st.sampled_from(["a", "ab", "abc", "b", "*"])
ops = st.sampled_from([Op.ALL, Op.READ, Op.WRITE, Op.DESCRIBE, Op.ALTER, Op.DELETE])
bindings = st.builds(
    AclBinding,
    st.just(Rt.TOPIC),
    names,
    st.sampled_from([LIT, PRE]),
    st.sampled_from(["User:alice", "User:bob", "User:*"]),
    st.sampled_from(["*", HOST, "10.9.9.9"]),
    ops,
    st.sampled_from([ALLOW, DENY]),
)


def _applies(b: AclBinding, topic: str) -> bool:
    if b.pattern_type is LIT:
        return b.resource_name in (topic, "*")
    return topic.startswith(b.resource_name)


def _reference(acls, principal, op, topic, allow_if_no_acl) -> bool:
    """A direct, unindexed reading of Kafka's rules, to check the index against."""
    covering = [b for b in acls if _applies(b, topic)]
    mine = [b for b in covering if b.principal in (principal, "User:*") and b.host in ("*", HOST)]
    if any(b.permission is DENY and b.operation in (op, Op.ALL) for b in mine):
        return False
    implied = {Op.DESCRIBE: {Op.READ, Op.WRITE, Op.DELETE, Op.ALTER}}.get(op, set())
    if any(b.permission is ALLOW and b.operation in {op, Op.ALL} | implied for b in mine):
        return True
    return not covering and allow_if_no_acl


@given(st.lists(bindings, max_size=8), st.sampled_from(["a", "ab", "abc", "b", "c"]),
       st.sampled_from([Op.READ, Op.WRITE, Op.DESCRIBE, Op.DELETE]), st.booleans())  # fmt: skip
def test_index_agrees_with_the_rules(acls, topic, op, allow_if_no_acl):
    a = authorizer(*acls, allow_if_no_acl=allow_if_no_acl)
    expected = _reference(acls, "User:alice", op, topic, allow_if_no_acl)
    assert a.authorize("User:alice", HOST, op, Rt.TOPIC, topic) is expected


@given(st.lists(bindings, max_size=8), bindings, st.sampled_from(["a", "ab", "b", "c"]))
def test_adding_a_deny_never_grants(acls, extra, topic):
    deny = AclBinding(*[*_fields(extra)[:-1], DENY])
    for op in (Op.READ, Op.WRITE, Op.DESCRIBE):
        before = authorizer(*acls).authorize("User:alice", HOST, op, Rt.TOPIC, topic)
        after = authorizer(*acls, deny).authorize("User:alice", HOST, op, Rt.TOPIC, topic)
        assert before or not after


def _fields(b: AclBinding) -> list:
    return [getattr(b, f) for f in AclBinding.__dataclass_fields__]


# --- authorize by resource type (KIP-679), authorized operations ------------------------


@pytest.mark.parametrize(
    ("acls", "expected"),
    [
        ([], False),
        ([acl("orders", Op.WRITE)], True),
        ([acl("orders", Op.WRITE), acl("orders", Op.WRITE, DENY)], False),
        ([acl("orders", Op.WRITE), acl("ord", Op.WRITE, DENY, pattern=PRE)], False),
        ([acl("ord", Op.WRITE, pattern=PRE), acl("orders", Op.WRITE, DENY)], True),
        ([acl("*", Op.ALL)], True),
        ([acl("orders", Op.WRITE), acl("*", Op.WRITE, DENY)], False),
        ([acl("orders", Op.READ)], False),
        ([acl("orders", Op.WRITE, who="User:bob")], False),
    ],
)
def test_authorize_by_resource_type(acls, expected):
    a = authorizer(*acls)
    assert a.authorize_by_resource_type("User:alice", HOST, Op.WRITE, Rt.TOPIC) is expected


def test_authorize_by_resource_type_super_user_and_no_acl():
    assert authorizer(super_users=["User:alice"]).authorize_by_resource_type(
        "User:alice", HOST, Op.WRITE, Rt.TOPIC
    )
    assert authorizer(allow_if_no_acl=True).authorize_by_resource_type(
        "User:alice", HOST, Op.WRITE, Rt.TOPIC
    )


def test_authorized_operations_bitfield():
    a = authorizer(acl("orders", Op.READ), acl("orders", Op.ALTER_CONFIGS))
    bits = a.authorized_operations("User:alice", HOST, Rt.TOPIC, "orders")
    expected = {Op.READ, Op.DESCRIBE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS}
    assert bits == sum(1 << op for op in expected)
    assert all_operations(Rt.GROUP) == sum(1 << op for op in (3, 8, 6, 10, 11))


# --- filters ------------------------------------------------------------------------------

LITERAL_ORDERS = acl("orders", Op.READ)
WILDCARD_TOPIC = acl("*", Op.READ)
PREFIX_ORD = acl("ord", Op.READ, pattern=PRE)
GROUP_ACL = acl("orders", Op.READ, rt=Rt.GROUP, who="User:bob", host=HOST)
ALL_ACLS = [LITERAL_ORDERS, WILDCARD_TOPIC, PREFIX_ORD, GROUP_ACL]


@pytest.mark.parametrize(
    ("acl_filter", "expected"),
    [
        (AclFilter(), ALL_ACLS),
        (AclFilter(Rt.TOPIC), [LITERAL_ORDERS, WILDCARD_TOPIC, PREFIX_ORD]),
        (AclFilter(Rt.TOPIC, "orders", Pt.MATCH), [LITERAL_ORDERS, WILDCARD_TOPIC, PREFIX_ORD]),
        (AclFilter(Rt.TOPIC, "orders", Pt.ANY), [LITERAL_ORDERS]),
        (AclFilter(Rt.TOPIC, "orders", LIT), [LITERAL_ORDERS]),
        (AclFilter(Rt.TOPIC, "ord", PRE), [PREFIX_ORD]),
        (AclFilter(Rt.TOPIC, "*", LIT), [WILDCARD_TOPIC]),
        (AclFilter(Rt.TOPIC, None, PRE), [PREFIX_ORD]),
        (AclFilter(Rt.TOPIC, "payments", Pt.MATCH), [WILDCARD_TOPIC]),
        (AclFilter(principal="User:bob"), [GROUP_ACL]),
        (AclFilter(principal="User:*"), []),  # filters compare principals exactly
        (AclFilter(host=HOST), [GROUP_ACL]),
        (AclFilter(operation=Op.WRITE), []),
        (AclFilter(permission=DENY), []),
    ],
)
def test_filters(acl_filter, expected):
    assert [b for b in ALL_ACLS if acl_filter.matches(b)] == expected


@pytest.mark.parametrize(
    "bad",
    [
        acl("t", Op.READ, rt=Rt.ANY),
        acl("t", Op.READ, rt=Rt.UNKNOWN),
        acl("t", Op.READ, pattern=Pt.MATCH),
        acl("t", Op.READ, pattern=Pt.ANY),
        acl("t", Op.ANY),
        acl("t", Op.UNKNOWN),
        acl("t", Op.READ, PermissionType.ANY),
        acl("", Op.READ),
        acl("my-cluster", Op.ALTER, rt=Rt.CLUSTER),
        acl("t", Op.READ, who="alice"),
    ],
)
def test_invalid_new_bindings(bad):
    with pytest.raises(KafkaError) as e:
        bad.validate_new()
    assert e.value.code is ErrorCode.invalid_request


def test_unknown_codes_map_to_unknown():
    assert AclOperation.of(99) is AclOperation.UNKNOWN
    assert ResourceType.of(4) is ResourceType.CLUSTER


# --- the controller: persistence, duplicates, deletes -----------------------------------


def test_acls_persist_deduplicate_and_delete(tmp_path):
    c = open_controller(tmp_path)
    bad = acl("", Op.READ)
    results = c.create_acls([LITERAL_ORDERS, LITERAL_ORDERS, bad, PREFIX_ORD])
    assert results[:2] == [None, None] and results[3] is None
    assert results[2].code is ErrorCode.invalid_request
    assert c.create_acls([LITERAL_ORDERS]) == [None]  # exists: succeeds, not stored twice
    assert sorted(map(AclBinding.of_record, c.image.acls.values()), key=repr) == sorted(
        [LITERAL_ORDERS, PREFIX_ORD], key=repr
    )
    c.store.close()

    c = open_controller(tmp_path)
    a = AclAuthorizer.attach(c.store, _with_authorizer(c.config))
    assert a is not None and a.authorize("User:alice", HOST, Op.READ, Rt.TOPIC, "orders")
    match = AclFilter(Rt.TOPIC, "orders", Pt.MATCH)
    results = c.delete_acls([match, AclFilter(Rt.TOPIC, None, PRE), AclFilter(Rt.UNKNOWN)])
    assert sorted(results[0], key=repr) == sorted([LITERAL_ORDERS, PREFIX_ORD], key=repr)
    assert results[1] == [PREFIX_ORD]
    assert isinstance(results[2], KafkaError) and results[2].code is ErrorCode.invalid_request
    assert not c.image.acls
    # the authorizer followed the commit: nothing covers "orders" any more
    assert not a.authorize("User:alice", HOST, Op.READ, Rt.TOPIC, "orders")
    c.store.close()
    store = MetadataStore.open(tmp_path, node_id=1)
    assert not store.image.acls
    store.close()


def _with_authorizer(config):
    config.static["authorizer.class.name"] = "kafka.security.authorizer.AclAuthorizer"
    return config
