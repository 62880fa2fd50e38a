"""CreateAcls / DescribeAcls / DeleteAcls (v1) over kctl's own connection (kctl.kafka_wire).

Used for what librdkafka cannot carry: DelegationToken and User resources, the CreateTokens /
DescribeTokens operations, and the real names of such bindings in a listing. Answers come back
as kctl bindings; error codes as :class:`kctl.kafka_wire.WireError` (a whole request) or in
each result (one creation, one delete filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from typing import Any

from kio.schema.create_acls.v1.request import AclCreation, CreateAclsRequest
from kio.schema.delete_acls.v1.request import DeleteAclsFilter, DeleteAclsRequest
from kio.schema.describe_acls.v1.request import DescribeAclsRequest
from kio.static.primitive import i8

from kctl.acl_model import Binding, BindingFilter, Operation, PatternType, Permission, ResourceType
from kctl.kafka_wire import WireError, check, connect


def _enum(cls: type, value: int) -> Any:
    try:
        return cls(int(value))
    except ValueError:
        return cls(0)  # UNKNOWN: a code newer than kctl


def _binding(rtype: int, name: str, pattern: int, principal: str, host: str, op: int,
             perm: int) -> Binding:
    return Binding(_enum(ResourceType, rtype), name, _enum(PatternType, pattern), principal,
                   host, _enum(Operation, op), _enum(Permission, perm))


def _filter_fields(f: BindingFilter) -> dict[str, Any]:
    return dict(
        resource_type_filter=i8(f.resource_type), resource_name_filter=f.resource_name,
        pattern_type_filter=i8(f.pattern_type), principal_filter=f.principal,
        host_filter=f.host, operation=i8(f.operation), permission_type=i8(f.permission),
    )


def describe(conf: dict[str, Any], timeout: float,
             filters: Sequence[BindingFilter]) -> list[Binding]:
    """Every binding matching any of ``filters`` (one connection, one request each)."""
    found: list[Binding] = []
    with closing(connect(conf, timeout)) as conn:
        for f in filters:
            answer = conn.request(DescribeAclsRequest(**_filter_fields(f)))
            check(answer.error_code, answer.error_message)
            found += [
                _binding(r.resource_type, r.resource_name, r.pattern_type, a.principal, a.host,
                         a.operation, a.permission_type)
                for r in answer.resources for a in r.acls
            ]
    return found


def create(conf: dict[str, Any], timeout: float,
           bindings: Sequence[Binding]) -> list[WireError | None]:
    """One result per binding, in order: None (created) or its error."""
    creations = tuple(
        AclCreation(resource_type=i8(b.resource_type), resource_name=b.resource_name,
                    resource_pattern_type=i8(b.pattern_type), principal=b.principal,
                    host=b.host, operation=i8(b.operation), permission_type=i8(b.permission))
        for b in bindings
    )
    with closing(connect(conf, timeout)) as conn:
        answer = conn.request(CreateAclsRequest(creations=creations))
    return [WireError(int(r.error_code), r.error_message) if r.error_code else None
            for r in answer.results]


def delete(conf: dict[str, Any], timeout: float,
           filters: Sequence[BindingFilter]) -> list[list[Binding] | WireError]:
    """Per filter, in order: the bindings it deleted, or its error."""
    request = DeleteAclsRequest(filters=tuple(DeleteAclsFilter(**_filter_fields(f))
                                              for f in filters))
    with closing(connect(conf, timeout)) as conn:
        answer = conn.request(request)
    results: list[list[Binding] | WireError] = []
    for r in answer.filter_results:
        if r.error_code:
            results.append(WireError(int(r.error_code), r.error_message))
            continue
        results.append([
            _binding(m.resource_type, m.resource_name, m.pattern_type, m.principal, m.host,
                     m.operation, m.permission_type)
            for m in r.matching_acls if not m.error_code
        ])
    return results
