"""What a handler knows about the request it answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from broker.protocol.codec import response_class
from broker.protocol.header import RequestHeader
from broker.security.acl.authorizer import all_operations
from broker.security.acl.model import CLUSTER_NAME, AclOperation, ResourceType

if TYPE_CHECKING:
    from broker.node import Broker


@dataclass(slots=True)
class RequestContext:
    broker: Broker
    header: RequestHeader
    client_host: str
    principal: str = "User:ANONYMOUS"
    listener: str = "PLAINTEXT"  # the listener the request arrived on

    @property
    def version(self) -> int:
        return self.header.api_version

    @property
    def response_type(self) -> type:
        return response_class(self.header.api_key, self.header.api_version)

    @property
    def messages(self) -> ModuleType:
        """The kio module of this response version: its nested classes build the body."""
        import sys

        return sys.modules[self.response_type.__module__]

    def respond(self, **fields: Any) -> Any:
        return make(self.response_type, **fields)

    def make(self, class_name: str, /, **fields: Any) -> Any:
        header = self.header
        return make(_nested_class(header.api_key, header.api_version, class_name), **fields)

    # --- authorization (broker/security/acl): without an authorizer everything is allowed

    def authorize(
        self, op: AclOperation, rt: ResourceType, name: str = CLUSTER_NAME, *, audit: bool = True
    ) -> bool:
        """May this request's principal perform ``op`` on resource (rt, name)?

        A denial is logged (as Kafka's authorizer logger does) unless ``audit`` is off, for
        checks that only filter what a listing shows.
        """
        authorizer = self.broker.authorizer
        if authorizer is None:
            return True
        if authorizer.authorize(self.principal, self.client_host, op, rt, name):
            return True
        if audit:
            authorizer.log_denied(
                self.principal, self.client_host, op, rt, name, self.header.api_key
            )
        return False

    def authorize_cluster(self, op: AclOperation, *, audit: bool = True) -> bool:
        return self.authorize(op, ResourceType.CLUSTER, CLUSTER_NAME, audit=audit)

    def authorize_by_resource_type(self, op: AclOperation, rt: ResourceType) -> bool:
        """May ``op`` be allowed on some resource of type ``rt``? (Kafka's KIP-679 check)"""
        authorizer = self.broker.authorizer
        return authorizer is None or authorizer.authorize_by_resource_type(
            self.principal, self.client_host, op, rt
        )

    def authorized_operations(self, rt: ResourceType, name: str = CLUSTER_NAME) -> int:
        """Kafka's authorized-operations bitfield of one resource for this principal."""
        authorizer = self.broker.authorizer
        if authorizer is None:
            return all_operations(rt)
        return authorizer.authorized_operations(self.principal, self.client_host, rt, name)


@cache
def _nested_class(api_key: int, version: int, class_name: str) -> type:
    """A class of a response version's kio module, looked up once (make runs per partition)."""
    import sys

    return getattr(sys.modules[response_class(api_key, version).__module__], class_name)


_PLAIN, _MILLIS, _TIMESTAMP = 0, 1, 2  # how make converts an int given for a field


@cache
def _fields(cls: type) -> dict[str, int]:
    kinds = {}
    for name, f in cls.__dataclass_fields__.items():  # type: ignore[attr-defined]
        kind = f.metadata.get("kafka_type", "")
        if kind.startswith("timedelta"):
            kinds[name] = _MILLIS
        elif kind == "datetime_i64":
            kinds[name] = _TIMESTAMP
        else:
            kinds[name] = _PLAIN
    return kinds


def make(cls: type, /, **fields: Any) -> Any:
    """Build a kio message, dropping fields its version lacks and converting ms integers.

    Handlers are written once for all versions of an API; kio's classes differ per version
    only by which fields exist, so unknown names are dropped here rather than in every
    handler. Durations and timestamps may be given as integer milliseconds.
    """
    drop, convert = _plan(cls, tuple(fields))
    for name in drop:
        del fields[name]
    for name, kind in convert:
        value = fields[name]
        if isinstance(value, int):
            if kind == _MILLIS:
                fields[name] = timedelta(milliseconds=value)
            else:
                fields[name] = None if value < 0 else datetime.fromtimestamp(value / 1000, UTC)
    return cls(**fields)


@cache
def _plan(cls: type, names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """For a call of make with these field names: which to drop, which may need converting.

    Worked out once per call site shape (make runs for every partition of a Produce or Fetch).
    """
    known = _fields(cls)
    drop = tuple(n for n in names if n not in known)
    convert = tuple((n, known[n]) for n in names if known.get(n, _PLAIN) != _PLAIN)
    return drop, convert
