"""The ACL vocabulary, with Apache Kafka's numeric codes (as sent on the wire and stored).

A binding is a resource pattern (type, name, LITERAL or PREFIXED) plus an entry (principal,
host, operation, ALLOW/DENY). A filter has the same shape, where ANY (and, for the pattern
type, MATCH) and null names select many bindings. Codes a client sends that this broker does
not know become UNKNOWN, as Kafka's ``fromCode`` does, so validation can refuse them by name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from broker.errors import ErrorCode, KafkaError
from broker.metadata import records as mr
from broker.protocol.acl_codes import (
    CLUSTER_NAME,
    WILDCARD,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)

WILDCARD_PRINCIPAL = "User:*"


Op = AclOperation

# The operations each resource type supports (Kafka's AclEntry.supportedOperations): the bits
# of an "authorized operations" field are drawn from these.
SUPPORTED_OPERATIONS: dict[ResourceType, tuple[AclOperation, ...]] = {
    ResourceType.TOPIC: (
        Op.READ,
        Op.WRITE,
        Op.CREATE,
        Op.DESCRIBE,
        Op.DELETE,
        Op.ALTER,
        Op.DESCRIBE_CONFIGS,
        Op.ALTER_CONFIGS,
    ),
    ResourceType.GROUP: (Op.READ, Op.DESCRIBE, Op.DELETE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS),
    ResourceType.CLUSTER: (
        Op.CREATE,
        Op.CLUSTER_ACTION,
        Op.DESCRIBE_CONFIGS,
        Op.ALTER_CONFIGS,
        Op.IDEMPOTENT_WRITE,
        Op.ALTER,
        Op.DESCRIBE,
    ),
    ResourceType.TRANSACTIONAL_ID: (Op.DESCRIBE, Op.WRITE),
    ResourceType.DELEGATION_TOKEN: (Op.DESCRIBE,),
    ResourceType.USER: (Op.CREATE_TOKENS, Op.DESCRIBE_TOKENS),
}


def parse_principal(text: str | None) -> tuple[str, str]:
    """'User:alice' -> ('User', 'alice'); KafkaError(INVALID_REQUEST) without a ':'.

    As Kafka's SecurityUtils.parseKafkaPrincipal: split at the first colon, any type.
    """
    kind, sep, name = (text or "").partition(":")
    if not sep:
        raise KafkaError(
            ErrorCode.invalid_request,
            f"principal {text!r} is not of the form principalType:principalName",
        )
    return kind, name


@dataclass(frozen=True, slots=True)
class AclBinding:
    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType
    principal: str
    host: str
    operation: AclOperation
    permission: PermissionType

    @classmethod
    def of_record(cls, rec: mr.AccessControlEntryRecord) -> AclBinding:
        return cls(
            ResourceType.of(rec.resource_type),
            rec.resource_name,
            PatternType.of(rec.pattern_type),
            rec.principal,
            rec.host,
            AclOperation.of(rec.operation),
            PermissionType.of(rec.permission_type),
        )

    def record(self, acl_id: uuid.UUID) -> mr.AccessControlEntryRecord:
        return mr.AccessControlEntryRecord(
            acl_id,
            int(self.resource_type),
            self.resource_name,
            int(self.pattern_type),
            self.principal,
            self.host,
            int(self.operation),
            int(self.permission),
        )

    def validate_new(self) -> None:
        """Refuse what Kafka refuses to store (AclApis and AclControlManager.validateNewAcl)."""
        bad = None
        if self.resource_type in (ResourceType.UNKNOWN, ResourceType.ANY):
            bad = f"invalid resource type {self.resource_type.name}"
        elif self.pattern_type not in (PatternType.LITERAL, PatternType.PREFIXED):
            bad = f"invalid pattern type {self.pattern_type.name}"
        elif self.operation in (AclOperation.UNKNOWN, AclOperation.ANY):
            bad = f"invalid operation {self.operation.name}"
        elif self.permission not in (PermissionType.ALLOW, PermissionType.DENY):
            bad = f"invalid permission type {self.permission.name}"
        elif not self.resource_name:
            bad = "resource name should not be empty"
        elif self.resource_type is ResourceType.CLUSTER and self.resource_name != CLUSTER_NAME:
            bad = f"the only valid name for the CLUSTER resource is {CLUSTER_NAME}"
        if bad:
            raise KafkaError(ErrorCode.invalid_request, bad)
        parse_principal(self.principal)


@dataclass(frozen=True, slots=True)
class AclFilter:
    """Selects bindings (Kafka's AclBindingFilter): None names, hosts, principals match any."""

    resource_type: ResourceType = ResourceType.ANY
    resource_name: str | None = None
    pattern_type: PatternType = PatternType.ANY
    principal: str | None = None
    host: str | None = None
    operation: AclOperation = AclOperation.ANY
    permission: PermissionType = PermissionType.ANY

    def validate(self) -> None:
        if self.pattern_type is PatternType.UNKNOWN or self.resource_type is ResourceType.UNKNOWN:
            raise KafkaError(ErrorCode.invalid_request, "unknown resource pattern filter")
        if self.operation is AclOperation.UNKNOWN or self.permission is PermissionType.UNKNOWN:
            raise KafkaError(ErrorCode.invalid_request, "unknown access control entry filter")

    def matches(self, b: AclBinding) -> bool:
        return self._matches_pattern(b) and self._matches_entry(b)

    def _matches_pattern(self, b: AclBinding) -> bool:
        if self.resource_type is not ResourceType.ANY and self.resource_type != b.resource_type:
            return False
        if self.pattern_type not in (PatternType.ANY, PatternType.MATCH, b.pattern_type):
            return False
        if self.resource_name is None:
            return True
        if self.pattern_type in (PatternType.ANY, b.pattern_type):
            return self.resource_name == b.resource_name
        # MATCH: every binding that would apply to a resource of this literal name
        if b.pattern_type is PatternType.LITERAL:
            return b.resource_name in (self.resource_name, WILDCARD)
        return self.resource_name.startswith(b.resource_name)

    def _matches_entry(self, b: AclBinding) -> bool:
        return (
            (self.principal is None or self.principal == b.principal)
            and (self.host is None or self.host == b.host)
            and self.operation in (AclOperation.ANY, b.operation)
            and self.permission in (PermissionType.ANY, b.permission)
        )
