"""What a handler knows about the request it answers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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


class _CloseConnection:
    def __repr__(self) -> str:
        return "CLOSE_CONNECTION"


# What a handler returns to send nothing and close the connection (None sends nothing).
CLOSE_CONNECTION = _CloseConnection()


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


def make(cls: type, /, **fields: Any) -> Any:
    """Build a kio message, dropping fields its version lacks and converting ms integers.

    Handlers are written once for all versions of an API; kio's classes differ per version
    only by which fields exist, so unknown names are dropped here rather than in every
    handler. Durations and timestamps may be given as integer milliseconds.
    """
    return _builder(cls, tuple(fields))(fields)


_NO_TIME = timedelta(0)


def _millis(value: Any) -> Any:
    if value == 0:
        return _NO_TIME  # throttle_time in nearly every response
    return timedelta(milliseconds=value) if isinstance(value, int) else value


def _timestamp(value: Any) -> Any:
    if not isinstance(value, int):
        return value
    return None if value < 0 else datetime.fromtimestamp(value / 1000, UTC)


@cache
def _builder(cls: type, names: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    """A function of a ``make`` call's fields that builds ``cls`` from them, made once per
    call-site shape (make runs for every partition of a Produce or Fetch response).

    kio's classes are frozen slotted dataclasses, whose ``__init__`` sets each field through
    ``object.__setattr__``; the builder sets the slots straight (half the cost, which counts
    on the hot path) and produces the same object, defaults included.
    """
    known = {f.name for f in dataclasses.fields(cls)}

    def construct(fields: dict[str, Any]) -> Any:
        return cls(**{k: v for k, v in fields.items() if k in known})

    if "__slots__" not in cls.__dict__:  # not a kio message: its constructor will do
        return construct
    lines = ["def build(fields):", "    obj = new(cls)"]
    env: dict[str, Any] = {"new": object.__new__, "cls": cls, "ms": _millis, "ts": _timestamp}
    for i, f in enumerate(dataclasses.fields(cls)):
        env[f"set{i}"] = cls.__dict__[f.name].__set__
        if f.name in names:
            kind = f.metadata.get("kafka_type", "")
            value = f"fields[{f.name!r}]"
            if kind.startswith("timedelta"):
                value = f"ms({value})"
            elif kind == "datetime_i64":
                value = f"ts({value})"
        elif f.default is not dataclasses.MISSING:
            env[f"default{i}"] = f.default
            value = f"default{i}"
        elif f.default_factory is not dataclasses.MISSING:
            env[f"factory{i}"] = f.default_factory
            value = f"factory{i}()"
        else:  # a required field not given: the class's own constructor says so
            return construct
        lines.append(f"    set{i}(obj, {value})")
    lines.append("    return obj")
    exec("\n".join(lines), env)
    return env["build"]
