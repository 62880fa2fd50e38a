"""The ACL authorizer: Apache Kafka's StandardAuthorizer semantics over the metadata log's ACLs.

Rules, in order: a super user (``super.users``) may do anything; a matching DENY (for the
operation or All) wins over any ALLOW; a matching ALLOW (the operation, All, or one implying
it) allows; if ACLs exist for the resource but none allowed, the answer is no; if no ACL at
all covers the resource, ``allow.everyone.if.no.acl.found`` decides.

The index is rebuilt from the image after each metadata commit that touches ACLs and swapped
in whole; decisions are never cached, so a new or deleted ACL applies to the next request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from broker.metadata import records as mr
from broker.protocol.apis import ApiKey
from broker.security.acl.matching import AclIndex, verdict
from broker.security.acl.model import (
    SUPPORTED_OPERATIONS,
    WILDCARD,
    WILDCARD_PRINCIPAL,
    AclBinding,
    AclFilter,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)

if TYPE_CHECKING:
    from broker.config import BrokerConfig
    from broker.metadata.image import MetadataImage
    from broker.metadata.store import MetadataStore

log = logging.getLogger("broker.authorizer")

# authorize_by_resource_type first asks about this made-up name, as Kafka's Authorizer does,
# so super users and allow.everyone.if.no.acl.found answer before the ACLs are scanned.
PROBE_NAME = "hardcode"


class AclAuthorizer:
    def __init__(
        self,
        super_users: Iterable[str] = (),
        allow_if_no_acl: bool = False,
        acls: dict[uuid.UUID, AclBinding] | None = None,
    ) -> None:
        self.super_users = frozenset(super_users)
        self.allow_if_no_acl = allow_if_no_acl
        self._set(acls or {})

    @classmethod
    def attach(cls, store: MetadataStore, config: BrokerConfig) -> AclAuthorizer | None:
        """The broker's authorizer, following the store; None without authorizer.class.name."""
        if not config.authorizer_enabled:
            return None
        authorizer = cls(config.super_users, bool(config.get("allow.everyone.if.no.acl.found")))
        authorizer.load(store.image)
        store.subscribe(authorizer._on_commit)
        return authorizer

    def load(self, image: MetadataImage) -> None:
        self._set({acl_id: AclBinding.of_record(rec) for acl_id, rec in image.acls.items()})

    def _on_commit(self, records: list[mr.MetadataRecord], image: MetadataImage) -> None:
        kinds = (mr.AccessControlEntryRecord, mr.RemoveAccessControlEntryRecord)
        if any(isinstance(r, kinds) for r in records):
            self.load(image)

    def _set(self, acls: dict[uuid.UUID, AclBinding]) -> None:
        # built aside, then swapped in (handlers run on one event loop, so none sees a mix)
        self.bindings = dict(acls)
        self.index = AclIndex.build(acls.values())

    # --- decisions ------------------------------------------------------------------------

    def authorize(
        self, principal: str, host: str, op: AclOperation, rt: ResourceType, name: str
    ) -> bool:
        if principal in self.super_users:
            return True
        allowed = False
        found = False
        for acl in self.index.covering(rt, name):
            found = True
            answer = verdict(acl, principal, host, op)
            if answer is False:
                return False
            allowed = allowed or bool(answer)
        if allowed:
            return True
        return not found and self.allow_if_no_acl

    def authorize_by_resource_type(
        self, principal: str, host: str, op: AclOperation, rt: ResourceType
    ) -> bool:
        """Could ``op`` be allowed on some resource of type ``rt``? (KIP-679)

        Kafka's Authorizer.authorizeByResourceType: allowed if a wildcard ALLOW applies, or an
        ALLOW of a literal name that no literal DENY of the same name and no prefixed DENY
        covers, or an ALLOW of a prefix that no shorter-or-equal prefixed DENY covers; any
        wildcard DENY refuses.
        """
        if self.authorize(principal, host, op, rt, PROBE_NAME):
            return True
        kinds = (PatternType.LITERAL, PatternType.PREFIXED)
        deny: dict[PatternType, set[str]] = {k: set() for k in kinds}
        allow: dict[PatternType, set[str]] = {k: set() for k in kinds}
        wildcard_allow = False
        for acl in self.index.by_type.get(rt, ()):
            if acl.host != WILDCARD and acl.host != host:
                continue
            if acl.principal != principal and acl.principal != WILDCARD_PRINCIPAL:
                continue
            if acl.operation is not AclOperation.ALL and acl.operation != op:
                continue
            literal_wildcard = (
                acl.pattern_type is PatternType.LITERAL and acl.resource_name == WILDCARD
            )
            if acl.permission is PermissionType.DENY:
                if literal_wildcard:
                    return False
                deny[acl.pattern_type].add(acl.resource_name)
            elif acl.permission is PermissionType.ALLOW:
                if literal_wildcard:
                    wildcard_allow = True
                else:
                    allow[acl.pattern_type].add(acl.resource_name)
        if wildcard_allow:
            return True
        for kind, names in allow.items():
            for name in names:
                if kind is PatternType.LITERAL and name in deny[PatternType.LITERAL]:
                    continue
                if not any(name[:i] in deny[PatternType.PREFIXED] for i in range(1, len(name) + 1)):
                    return True
        return False

    def authorized_operations(self, principal: str, host: str, rt: ResourceType, name: str) -> int:
        """The bitfield of the type's supported operations this principal may perform."""
        bits = 0
        for op in SUPPORTED_OPERATIONS[rt]:
            if self.authorize(principal, host, op, rt, name):
                bits |= 1 << op
        return bits

    def log_denied(
        self,
        principal: str,
        host: str,
        op: AclOperation,
        rt: ResourceType,
        name: str,
        api_key: int,
    ) -> None:
        log.info(
            "Principal = %s is Denied operation = %s from host = %s on resource = %s:%s "
            "for request = %s",
            principal,
            op.name,
            host,
            rt.name,
            name,
            _api_name(api_key),
        )

    def acls(self, acl_filter: AclFilter) -> list[tuple[uuid.UUID, AclBinding]]:
        return [(i, b) for i, b in self.bindings.items() if acl_filter.matches(b)]


def all_operations(rt: ResourceType) -> int:
    """The bitfield Kafka reports without an authorizer: every supported operation."""
    bits = 0
    for op in SUPPORTED_OPERATIONS[rt]:
        bits |= 1 << op
    return bits


def _api_name(api_key: int) -> str:
    try:
        return ApiKey(api_key).name
    except ValueError:
        return str(api_key)
