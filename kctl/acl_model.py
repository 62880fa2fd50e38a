"""Kafka's ACL vocabulary as kctl names it: resource types, pattern types, operations.

The enum values are Kafka's wire codes (AclResourceType, PatternType, AclOperation,
AclPermissionType), so a binding means the same thing whichever client carries it. Names are
printed as Kafka's Java enums spell them (``TOPIC``, ``IDEMPOTENT_WRITE``, ``ALLOW``), which is
what ``kafka-acls.sh`` prints; on input they are case-insensitive and may also be written in
Kafka's PascalCase (``IdempotentWrite``), as ``kafka-acls.sh --operation`` accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.protocol.acl_codes import AclOperation as Operation
from broker.protocol.acl_codes import PatternType, ResourceType
from broker.protocol.acl_codes import PermissionType as Permission

# What kafka-acls.sh lets each resource type be granted (AclCommand's table).
VALID_OPERATIONS: dict[ResourceType, frozenset[Operation]] = {
    ResourceType.TOPIC: frozenset({
        Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE, Operation.DELETE,
        Operation.ALTER, Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS, Operation.ALL,
    }),
    ResourceType.GROUP: frozenset({
        Operation.READ, Operation.DESCRIBE, Operation.DELETE, Operation.ALL,
    }),
    ResourceType.CLUSTER: frozenset({
        Operation.CREATE, Operation.CLUSTER_ACTION, Operation.DESCRIBE_CONFIGS,
        Operation.ALTER_CONFIGS, Operation.IDEMPOTENT_WRITE, Operation.ALTER,
        Operation.DESCRIBE, Operation.ALL,
    }),
    ResourceType.TRANSACTIONAL_ID: frozenset({
        Operation.DESCRIBE, Operation.WRITE, Operation.ALL,
    }),
    ResourceType.DELEGATION_TOKEN: frozenset({Operation.DESCRIBE, Operation.ALL}),
    ResourceType.USER: frozenset({
        Operation.CREATE_TOKENS, Operation.DESCRIBE_TOKENS, Operation.ALL,
    }),
}


def pascal(name: str) -> str:
    """``IDEMPOTENT_WRITE`` -> ``IdempotentWrite`` (how kafka-acls.sh documents names)."""
    return "".join(part.capitalize() for part in name.split("_"))


# Operation names a user may type: everything except the filter-only ANY.
OPERATION_NAMES = tuple(pascal(op.name) for op in Operation if op > Operation.ANY)


def _key(text: str) -> str:
    return text.replace("_", "").replace("-", "").lower()


def parse_operation(text: str) -> Operation:
    """``read``, ``Read``, ``IdempotentWrite``, ``idempotent_write`` -> the operation."""
    for op in Operation:
        if op > Operation.ANY and _key(op.name) == _key(text.strip()):
            return op
    raise ValueError(
        f"unknown operation {text!r} (expected one of {', '.join(OPERATION_NAMES)})"
    )


def parse_pattern_type(text: str) -> PatternType:
    name = text.strip().upper()
    if name in PatternType.__members__ and name != "UNKNOWN":
        return PatternType[name]
    raise ValueError(
        f"unknown resource pattern type {text!r} (expected literal, prefixed, any or match)"
    )


def check_principal(principal: str) -> str:
    """Kafka principals are ``Type:name`` (``User:alice``, ``User:*``)."""
    kind, sep, name = principal.partition(":")
    if not sep or not kind or not name:
        raise ValueError(f"principal {principal!r} must look like User:NAME (or User:*)")
    return principal


@dataclass(frozen=True, order=True)
class Binding:
    """One ACL: a resource pattern and an access control entry (all fields concrete)."""

    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType
    principal: str
    host: str
    operation: Operation
    permission: Permission

    def row(self) -> dict[str, Any]:
        """The stable JSON object printed for a binding."""
        return {
            "resource_type": self.resource_type.name,
            "resource_name": self.resource_name,
            "pattern_type": self.pattern_type.name,
            "principal": self.principal,
            "host": self.host,
            "operation": self.operation.name,
            "permission": self.permission.name,
        }


@dataclass(frozen=True)
class BindingFilter:
    """What list/delete match: None and the ANY members mean "any value"."""

    resource_type: ResourceType = ResourceType.ANY
    resource_name: str | None = None
    pattern_type: PatternType = PatternType.ANY
    principal: str | None = None
    host: str | None = None
    operation: Operation = Operation.ANY
    permission: Permission = Permission.ANY


ROW_KEYS = (
    "resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
    "permission",
)
