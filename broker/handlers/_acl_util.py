"""What the ACL handlers share: the gate of the two that change ACLs, and the filter of a
DescribeAcls request or a DeleteAcls filter."""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.security.acl import (
    AclFilter,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)


def alter_refusal(ctx) -> KafkaError | None:
    """Why CreateAcls and DeleteAcls refuse every entry, or None: Alter on the cluster is
    needed, and without an authorizer Kafka answers SECURITY_DISABLED."""
    if not ctx.authorize_cluster(AclOperation.ALTER):
        return KafkaError(ErrorCode.cluster_authorization_failed, "Alter on the cluster denied")
    if ctx.broker.authorizer is None:
        return KafkaError(ErrorCode.security_disabled, "No Authorizer is configured.")
    return None


def acl_filter(f) -> AclFilter:
    """The AclFilter of a DescribeAcls request or a DeleteAcls filter (same field names)."""
    return AclFilter(
        ResourceType.of(f.resource_type_filter),
        f.resource_name_filter,
        PatternType.of(f.pattern_type_filter),
        f.principal_filter,
        f.host_filter,
        AclOperation.of(f.operation),
        PermissionType.of(f.permission_type),
    )
