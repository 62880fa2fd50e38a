"""CreateAcls / DescribeAcls / DeleteAcls through confluent-kafka's AdminClient.

Translates kctl's bindings (Kafka's codes, ``kctl.acl_model``) to confluent-kafka's
AclBinding / AclBindingFilter and back, waits for the futures, and turns failures into
one-line :class:`kctl.console.KctlError`s. SECURITY_DISABLED (the cluster runs without an
authorizer) gets a message that says so and exit code 9, unsupported by the cluster: like a
missing API, it is the cluster's set-up, not the request, that has to change.

librdkafka (and so confluent-kafka) knows resource types up to TransactionalId and operations
up to IdempotentWrite: requests naming DelegationToken or User resources, or the CreateTokens /
DescribeTokens operations, go over kctl's own connection instead (kctl.acl_wire, same
security settings), and so does a second look when librdkafka lists bindings it cannot name.

librdkafka also drops the error code of a DescribeAcls answer: SECURITY_DISABLED and
CLUSTER_AUTHORIZATION_FAILED both arrive as an empty list. :func:`describe` therefore asks
again over kctl's own connection when the list is empty; only where that connection cannot
authenticate (GSSAPI, OAUTHBEARER) is an empty list all that can be said.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
)
from confluent_kafka.admin import ResourceType as CKResourceType

from kctl.acl_model import (
    Binding,
    BindingFilter,
    Operation,
    PatternType,
    Permission,
    ResourceType,
)
from kctl.client import Cluster, exit_code_for, kafka_error
from kctl.console import ExitCode, KctlError

# Kafka's Cluster resource type (4) is confluent-kafka's BROKER; the other codes are equal.
_TO_CK = {
    ResourceType.ANY: CKResourceType.ANY,
    ResourceType.TOPIC: CKResourceType.TOPIC,
    ResourceType.GROUP: CKResourceType.GROUP,
    ResourceType.CLUSTER: CKResourceType.BROKER,
    ResourceType.TRANSACTIONAL_ID: CKResourceType.TRANSACTIONAL_ID,
}
_FROM_CK = {v: k for k, v in _TO_CK.items()}

NO_AUTHORIZER = (
    "the cluster has no authorizer, so it keeps no ACLs (SECURITY_DISABLED); "
    "enable one on the brokers with authorizer.class.name"
)


@dataclass(frozen=True)
class CreateResult:
    binding: Binding
    error: KctlError | None


def needs_wire(items: Sequence[Binding | BindingFilter]) -> bool:
    """Whether any item names a resource type or operation librdkafka lacks."""
    return any(i.resource_type not in _TO_CK or i.operation > Operation.IDEMPOTENT_WRITE
               for i in items)


def _unknown(b: Binding) -> bool:
    return b.resource_type is ResourceType.UNKNOWN or b.operation is Operation.UNKNOWN


def _to_ck(item: Binding | BindingFilter) -> AclBinding:
    cls = AclBinding if isinstance(item, Binding) else AclBindingFilter
    return cls(
        _TO_CK[item.resource_type], item.resource_name,
        ResourcePatternType(int(item.pattern_type)), item.principal, item.host,
        AclOperation(int(item.operation)), AclPermissionType(int(item.permission)),
    )


def _enum(cls: type, value: object) -> object:
    try:
        return cls(int(getattr(value, "value", value)))
    except ValueError:
        return cls(0)  # UNKNOWN


def from_ck(b: AclBinding) -> Binding:
    return Binding(
        _FROM_CK.get(b.restype, ResourceType.UNKNOWN), b.name,
        _enum(PatternType, b.resource_pattern_type), b.principal, b.host,
        _enum(Operation, b.operation), _enum(Permission, b.permission_type),
    )


# librdkafka gives up after request_timeout; wait a little longer for it to say why.
RESULT_SLACK = 2.0


def _result(cluster: Cluster, future: Future, what: str) -> Any:
    """A future's value; its failure as a KctlError (a silent cluster: unreachable)."""
    try:
        return future.result(cluster.timeout + RESULT_SLACK)
    except KafkaException as e:
        raise _error(cluster, e, what) from e
    except TimeoutError as e:
        raise cluster.unreachable() from e


def _wire(cluster: Cluster, what: str, name: str, *args: Any) -> Any:
    """Run acl_wire's ``name`` with kctl's client settings; its failures as KctlErrors.

    acl_wire (and kio under it) is imported here, when an ACL call needs it: importing kio
    costs every kctl command a few tenths of a second.
    """
    from kctl import acl_wire
    from kctl.kafka_wire import WireError

    try:
        return getattr(acl_wire, name)(cluster.config(), cluster.timeout, *args)
    except WireError as e:
        raise _error(cluster, KafkaException(e.error), what) from e
    except (OSError, ConnectionError) as e:  # socket timeouts are OSErrors too
        raise KctlError(f"cannot reach cluster at {cluster.bootstrap} ({str(e) or 'timed out'})",
                        ExitCode.UNREACHABLE) from e


def _error(cluster: Cluster, exc: KafkaException, what: str) -> KctlError:
    err = exc.args[0] if exc.args else None
    if isinstance(err, KafkaError) and err.code() == KafkaError.SECURITY_DISABLED:
        return KctlError(f"{what}: {NO_AUTHORIZER}", ExitCode.UNSUPPORTED)
    if isinstance(err, KafkaError) and exit_code_for(err) is ExitCode.UNREACHABLE:
        # A timeout may hide a refused login or TLS handshake: the client's log says which.
        return cluster.unreachable(exc)
    return kafka_error(exc, what)


def describe(cluster: Cluster, filters: Sequence[BindingFilter]) -> list[Binding]:
    """Every binding matching any of ``filters``, sorted, without repeats."""
    what = "cannot list ACLs"
    if needs_wire(filters):
        # kctl's own connection gets the answer's error code too: nothing to explain.
        return sorted(set(_wire(cluster, what, "describe", filters)))
    found: set[Binding] = set()
    for f in filters:
        fut = cluster.admin().describe_acls(_to_ck(f), request_timeout=cluster.timeout)
        found.update(from_ck(b) for b in _result(cluster, fut, what))
    if found and not any(_unknown(b) for b in found):
        return sorted(found)
    # An empty list may hide an error, and librdkafka cannot name some bindings: ask again
    # where the answer keeps both.
    from kctl.kafka_wire import UnsupportedMechanism

    try:
        return sorted(set(_wire(cluster, what, "describe", filters)))
    except UnsupportedMechanism:
        return sorted(found)


def create(cluster: Cluster, bindings: Sequence[Binding]) -> list[CreateResult]:
    """Create ``bindings``; one result per binding, in order (creating is idempotent)."""
    if needs_wire(bindings):
        errors = _wire(cluster, "cannot create ACLs", "create", bindings)
        return [
            CreateResult(b, None if e is None else _error(
                cluster, KafkaException(e.error), f"cannot create ACL {describe_one(b)}"))
            for b, e in zip(bindings, errors, strict=True)
        ]
    ck = [_to_ck(b) for b in bindings]
    futures = cluster.admin().create_acls(ck, request_timeout=cluster.timeout)
    results = []
    for b, c in zip(bindings, ck, strict=True):
        try:
            _result(cluster, futures[c], f"cannot create ACL {describe_one(b)}")
            results.append(CreateResult(b, None))
        except KctlError as e:
            if e.code is ExitCode.UNREACHABLE:
                raise
            results.append(CreateResult(b, e))
    return results


@dataclass(frozen=True)
class DeleteResult:
    deleted: list[Binding]  # what the cluster removed, sorted
    errors: list[KctlError]  # filters the cluster refused


def delete(cluster: Cluster, filters: Sequence[BindingFilter]) -> DeleteResult:
    """Delete what matches ``filters``; a refused filter does not hide what others removed."""
    deleted: set[Binding] = set()
    errors: list[KctlError] = []
    if needs_wire(filters):
        from kctl.kafka_wire import WireError

        for r in _wire(cluster, "cannot delete ACLs", "delete", filters):
            if isinstance(r, WireError):
                errors.append(_error(cluster, KafkaException(r.error), "cannot delete ACLs"))
            else:
                deleted.update(r)
        return DeleteResult(sorted(deleted), errors)
    ck = [_to_ck(f) for f in filters]
    futures = cluster.admin().delete_acls(ck, request_timeout=cluster.timeout)
    for c in ck:
        try:
            deleted.update(from_ck(b) for b in _result(cluster, futures[c], "cannot delete ACLs"))
        except KctlError as e:
            if e.code is ExitCode.UNREACHABLE:
                raise
            errors.append(e)
    return DeleteResult(sorted(deleted), errors)


def describe_one(b: Binding) -> str:
    """A binding in one phrase, for messages."""
    return (f"{b.permission.name} {b.principal} {b.operation.name} on "
            f"{b.resource_type.name} {b.pattern_type.name}:{b.resource_name} from {b.host}")
