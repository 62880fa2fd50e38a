"""From `kctl acls` options to ACL bindings (create) and binding filters (list, delete).

Pure functions, no cluster: the rules follow Kafka's ``kafka-acls.sh`` (AclCommand):

* create: every resource x every allowed principal x allowed host x operation (ALLOW), and
  the same for denied ones (DENY). Hosts default to ``*``, operations to ``All``; an operation
  a resource type cannot have is refused (e.g. Read on the cluster).
* ``--producer``: Write, Describe, Create on each topic; Write, Describe on each transactional
  id; with ``--idempotent`` IdempotentWrite on the cluster. ``--consumer``: Read, Describe on
  each topic and Read on each group (a group is required). Both only grant (no deny options)
  and take no ``--operation``.
* list/delete: each given resource (or every resource) x each principal condition x host x
  operation; whatever is not given matches anything. ``--resource-pattern-type`` defaults to
  literal when a resource is named, as in Kafka.

Bad combinations raise :class:`SpecError`, whose message names the options involved.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from broker.protocol.acl_codes import CLUSTER_NAME
from kctl.acl_model import (
    VALID_OPERATIONS,
    Binding,
    BindingFilter,
    Operation,
    PatternType,
    Permission,
    ResourceType,
    check_principal,
    pascal,
)

T = TypeVar("T")

PRODUCER_TOPIC_OPS = (Operation.WRITE, Operation.DESCRIBE, Operation.CREATE)
PRODUCER_TXN_OPS = (Operation.WRITE, Operation.DESCRIBE)
CONSUMER_TOPIC_OPS = (Operation.READ, Operation.DESCRIBE)
CONSUMER_GROUP_OPS = (Operation.READ,)


class SpecError(ValueError):
    """The options do not describe a valid set of ACLs (a usage error)."""


@dataclass
class AclOptions:
    """The `kctl acls` options, as given (lists may be empty)."""

    topics: Sequence[str] = ()
    groups: Sequence[str] = ()
    cluster: bool = False
    transactional_ids: Sequence[str] = ()
    delegation_tokens: Sequence[str] = ()
    user_principals: Sequence[str] = ()
    pattern_type: PatternType | None = None
    allow_principals: Sequence[str] = ()
    deny_principals: Sequence[str] = ()
    allow_hosts: Sequence[str] = ()
    deny_hosts: Sequence[str] = ()
    operations: Sequence[Operation] = ()
    principals: Sequence[str] = ()  # list/delete filter: a principal, either permission
    producer: bool = False
    consumer: bool = False
    idempotent: bool = False

    def resources(self) -> list[tuple[ResourceType, str]]:
        """(type, name) for every resource named, in option order, without repeats."""
        named = [
            *((ResourceType.TOPIC, n) for n in self.topics),
            *((ResourceType.GROUP, n) for n in self.groups),
            *([(ResourceType.CLUSTER, CLUSTER_NAME)] if self.cluster else []),
            *((ResourceType.TRANSACTIONAL_ID, n) for n in self.transactional_ids),
            *((ResourceType.DELEGATION_TOKEN, n) for n in self.delegation_tokens),
            *((ResourceType.USER, n) for n in self.user_principals),
        ]
        for kind, name in named:
            if not name:
                raise SpecError(f"empty {pascal(kind.name)} name")
        return _unique(named)


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def _principals(values: Sequence[str]) -> list[str]:
    try:
        return _unique(check_principal(p) for p in values)
    except ValueError as e:
        raise SpecError(str(e)) from None


def _hosts_need_principals(o: AclOptions) -> None:
    if o.allow_hosts and not o.allow_principals:
        raise SpecError("--allow-host applies to --allow-principal; give one")
    if o.deny_hosts and not o.deny_principals:
        raise SpecError("--deny-host applies to --deny-principal; give one")


# --- create ---------------------------------------------------------------------------------


def create_bindings(o: AclOptions) -> list[Binding]:
    """The exact bindings `kctl acls create` adds for these options."""
    pattern = o.pattern_type or PatternType.LITERAL
    if pattern not in (PatternType.LITERAL, PatternType.PREFIXED):
        raise SpecError("--resource-pattern-type any|match only filter (list, delete); "
                        "create takes literal or prefixed")
    if o.principals:
        raise SpecError("--principal filters list/delete; create takes --allow-principal "
                        "or --deny-principal")
    allow, deny = _principals(o.allow_principals), _principals(o.deny_principals)
    if not allow and not deny:
        raise SpecError("say who: give --allow-principal or --deny-principal (e.g. User:alice)")
    _hosts_need_principals(o)
    if o.idempotent and not o.producer:
        raise SpecError("--idempotent only goes with --producer")
    grants = (_shortcut_grants if o.producer or o.consumer else _plain_grants)(o, pattern)
    bindings = []
    for (kind, name, pat), ops in grants:
        for op in ops:
            for principal, host in itertools.product(allow, o.allow_hosts or ["*"]):
                bindings.append(Binding(kind, name, pat, principal, host, op, Permission.ALLOW))
            for principal, host in itertools.product(deny, o.deny_hosts or ["*"]):
                bindings.append(Binding(kind, name, pat, principal, host, op, Permission.DENY))
    return _unique(bindings)


Grant = tuple[tuple[ResourceType, str, PatternType], Sequence[Operation]]


def _pattern_for(kind: ResourceType, pattern: PatternType) -> PatternType:
    # There is one cluster, named kafka-cluster: a prefix of it would mean nothing.
    return PatternType.LITERAL if kind is ResourceType.CLUSTER else pattern


def _plain_grants(o: AclOptions, pattern: PatternType) -> list[Grant]:
    resources = o.resources()
    if not resources:
        raise SpecError("say on what: give --topic, --group, --cluster, --transactional-id, "
                        "--delegation-token or --user-principal")
    ops = _unique(o.operations) or [Operation.ALL]
    for kind, _ in resources:
        bad = [op for op in ops if op not in VALID_OPERATIONS[kind]]
        if bad:
            valid = ", ".join(sorted(pascal(v.name) for v in VALID_OPERATIONS[kind]))
            raise SpecError(
                f"{', '.join(pascal(b.name) for b in bad)} cannot be granted on "
                f"{pascal(kind.name)} resources (valid: {valid})"
            )
    return [((kind, name, _pattern_for(kind, pattern)), ops) for kind, name in resources]


def _shortcut_grants(o: AclOptions, pattern: PatternType) -> list[Grant]:
    which = " and ".join(n for n, on in (("--producer", o.producer),
                                          ("--consumer", o.consumer)) if on)
    if o.operations:
        raise SpecError(f"{which} choose the operations; leave out --operation")
    if o.deny_principals or o.deny_hosts:
        raise SpecError(f"{which} only grant access; use --allow-principal")
    if not o.topics:
        raise SpecError(f"{which} need --topic")
    if o.consumer and not o.groups:
        raise SpecError("--consumer needs --group (its consumers read their group)")
    unused = [
        opt for opt, given, used in (
            ("--group", o.groups, o.consumer),
            ("--cluster", o.cluster, False),
            ("--transactional-id", o.transactional_ids, o.producer),
            ("--delegation-token", o.delegation_tokens, False),
            ("--user-principal", o.user_principals, False),
        ) if given and not used
    ]
    if unused:
        hint = " (--idempotent grants IdempotentWrite on the cluster)" if o.cluster else ""
        raise SpecError(f"{which} do not use {', '.join(unused)}{hint}")
    grants: list[Grant] = []
    for kind, name in o.resources():
        ops: list[Operation] = []
        if kind is ResourceType.TOPIC:
            ops += PRODUCER_TOPIC_OPS if o.producer else ()
            ops += CONSUMER_TOPIC_OPS if o.consumer else ()
        elif kind is ResourceType.TRANSACTIONAL_ID:
            ops += PRODUCER_TXN_OPS
        elif kind is ResourceType.GROUP:
            ops += CONSUMER_GROUP_OPS
        grants.append(((kind, name, pattern), _unique(ops)))
    if o.idempotent:
        cluster = (ResourceType.CLUSTER, CLUSTER_NAME, PatternType.LITERAL)
        grants.append((cluster, [Operation.IDEMPOTENT_WRITE]))
    return grants


# --- list / delete --------------------------------------------------------------------------


def filters(o: AclOptions, *, for_delete: bool = False) -> list[BindingFilter]:
    """Filters matching what list shows or delete removes; together they mean "any of"."""
    if o.producer or o.consumer or o.idempotent:
        if not for_delete:
            raise SpecError("--producer/--consumer select ACLs to create or delete, not list")
        # Delete exactly what the same create added.
        return [_exact(b) for b in create_bindings(o)]
    resources = o.resources()
    principals = _principals(o.principals)
    allow, deny = _principals(o.allow_principals), _principals(o.deny_principals)
    _hosts_need_principals(o)
    if for_delete and not resources and not (principals or allow or deny):
        raise SpecError("say what to delete: give a resource (--topic, --group, --cluster, "
                        "...) or a principal")
    if resources:
        pattern = o.pattern_type or PatternType.LITERAL
        targets = [(kind, name, pattern) for kind, name in resources]
    else:
        targets = [(ResourceType.ANY, None, o.pattern_type or PatternType.ANY)]
    who: list[tuple[str | None, str | None, Permission]] = [
        *((p, None, Permission.ANY) for p in principals),
        *((p, h, Permission.ALLOW) for p in allow for h in (o.allow_hosts or [None])),
        *((p, h, Permission.DENY) for p in deny for h in (o.deny_hosts or [None])),
    ] or [(None, None, Permission.ANY)]
    ops = _unique(o.operations) or [Operation.ANY]
    return _unique(
        BindingFilter(kind, name, pattern, principal, host, op, permission)
        for (kind, name, pattern), (principal, host, permission), op
        in itertools.product(targets, who, ops)
    )


def _exact(b: Binding) -> BindingFilter:
    return BindingFilter(b.resource_type, b.resource_name, b.pattern_type, b.principal, b.host,
                         b.operation, b.permission)

