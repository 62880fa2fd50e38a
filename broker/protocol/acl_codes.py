"""Kafka's ACL vocabulary as wire codes (AclResourceType, PatternType, AclOperation,
AclPermissionType), shared by the broker's authorizer and kctl's ``acls`` commands.

Member names are those of Kafka's Java enums (``TOPIC``, ``IDEMPOTENT_WRITE``, ``ALLOW``).
ANY (and, for pattern types, MATCH) appear only in filters; UNKNOWN stands for a code the
reader does not know, as Kafka's ``fromCode`` does. No imports beyond the standard library:
kctl loads this without the broker.
"""

from __future__ import annotations

from enum import IntEnum

CLUSTER_NAME = "kafka-cluster"  # the one Cluster resource's name
WILDCARD = "*"  # a LITERAL resource name, principal name or host matching every one


class KafkaCode(IntEnum):
    @classmethod
    def of(cls, code: int):
        """The member for a wire code; UNKNOWN (0) for codes not known here."""
        try:
            return cls(code)
        except ValueError:
            return cls(0)


class ResourceType(KafkaCode):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(KafkaCode):
    UNKNOWN = 0
    ANY = 1  # filters: any pattern type, the name compared exactly
    MATCH = 2  # filters: every pattern that applies to the name (literal, *, prefixes)
    LITERAL = 3
    PREFIXED = 4


class AclOperation(KafkaCode):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class PermissionType(KafkaCode):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3
