"""Which ACLs apply to a resource, and what one ACL says about one action.

The index answers "the ACLs whose pattern covers resource (type, name)" with a few dict
lookups: the literal name, the literal wildcard ``*``, and one lookup per distinct prefix
length among the PREFIXED ACLs of that type (usually a handful), so the cost of a check does
not grow with the number of ACLs on other resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from broker.security.acl.model import (
    WILDCARD,
    WILDCARD_PRINCIPAL,
    AclBinding,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)

Op = AclOperation

# An ALLOW of any of these also allows Describe (resp. DescribeConfigs); DENY implies nothing.
IMPLIES_DESCRIBE = frozenset({Op.DESCRIBE, Op.READ, Op.WRITE, Op.DELETE, Op.ALTER})
IMPLIES_DESCRIBE_CONFIGS = frozenset({Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS})

Key = tuple[ResourceType, str]


def verdict(acl: AclBinding, principal: str, host: str, op: AclOperation) -> bool | None:
    """True (allow), False (deny) or None (the ACL says nothing) for one ACL of the resource.

    Kafka's StandardAuthorizerData.findResult: the principal must be the same or User:*, the
    host the same or *, and the operation the same or All, or (for ALLOW only) one that
    implies it.
    """
    if acl.principal != principal and acl.principal != WILDCARD_PRINCIPAL:
        return None
    if acl.host != WILDCARD and acl.host != host:
        return None
    if acl.operation is not Op.ALL and acl.operation != op:
        if acl.permission is not PermissionType.ALLOW:
            return None
        implied = (op is Op.DESCRIBE and acl.operation in IMPLIES_DESCRIBE) or (
            op is Op.DESCRIBE_CONFIGS and acl.operation in IMPLIES_DESCRIBE_CONFIGS
        )
        if not implied:
            return None
    return acl.permission is PermissionType.ALLOW


@dataclass(frozen=True, slots=True)
class AclIndex:
    """An immutable snapshot of the ACLs, indexed for lookups by resource."""

    literal: dict[Key, tuple[AclBinding, ...]]
    prefixed: dict[Key, tuple[AclBinding, ...]]
    prefix_lengths: dict[ResourceType, tuple[int, ...]]
    by_type: dict[ResourceType, tuple[AclBinding, ...]]

    @classmethod
    def build(cls, bindings: Iterable[AclBinding]) -> AclIndex:
        literal: dict[Key, list[AclBinding]] = {}
        prefixed: dict[Key, list[AclBinding]] = {}
        by_type: dict[ResourceType, list[AclBinding]] = {}
        for b in bindings:
            target = literal if b.pattern_type is PatternType.LITERAL else prefixed
            target.setdefault((b.resource_type, b.resource_name), []).append(b)
            by_type.setdefault(b.resource_type, []).append(b)
        lengths: dict[ResourceType, set[int]] = {}
        for rt, name in prefixed:
            lengths.setdefault(rt, set()).add(len(name))
        return cls(
            literal={k: tuple(v) for k, v in literal.items()},
            prefixed={k: tuple(v) for k, v in prefixed.items()},
            prefix_lengths={rt: tuple(sorted(n)) for rt, n in lengths.items()},
            by_type={rt: tuple(v) for rt, v in by_type.items()},
        )

    def covering(self, rt: ResourceType, name: str) -> Iterator[AclBinding]:
        """Every ACL whose pattern applies to the resource (type, literal name)."""
        yield from self.literal.get((rt, name), ())
        if name != WILDCARD:
            yield from self.literal.get((rt, WILDCARD), ())
        for length in self.prefix_lengths.get(rt, ()):
            if length > len(name):
                break
            yield from self.prefixed.get((rt, name[:length]), ())
