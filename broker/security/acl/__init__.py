"""ACL authorization with Apache Kafka's model (see authorizer.py for the rules)."""

from broker.security.acl.authorizer import AclAuthorizer
from broker.security.acl.model import (
    CLUSTER_NAME,
    AclBinding,
    AclFilter,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)

__all__ = [
    "CLUSTER_NAME",
    "AclAuthorizer",
    "AclBinding",
    "AclFilter",
    "AclOperation",
    "PatternType",
    "PermissionType",
    "ResourceType",
]
