"""Shared pieces of the real-broker ACL tests: broker arguments, bindings, client helpers."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from tests.harness import BrokerProcess

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
ME = "User:ANONYMOUS"  # the principal of a plaintext connection


def authz_args(super_users: str | None = None, allow_everyone: bool = False) -> list[str]:
    args = ["--set", f"authorizer.class.name={AUTHORIZER}"]
    if super_users:
        args += ["--set", f"super.users={super_users}"]
    if allow_everyone:
        args += ["--set", "allow.everyone.if.no.acl.found=true"]
    return args


def binding(
    rt: str,
    name: str,
    op: str,
    perm: str = "ALLOW",
    *,
    pattern: str = "LITERAL",
    principal: str = ME,
    host: str = "*",
) -> AclBinding:
    return AclBinding(
        ResourceType["BROKER" if rt == "CLUSTER" else rt],  # confluent's name for code 4
        name,
        ResourcePatternType[pattern],
        principal,
        host,
        AclOperation[op],
        AclPermissionType[perm],
    )


ANY_FILTER = AclBindingFilter(
    ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
    AclPermissionType.ANY,
)  # fmt: skip


@functools.cache
def admin(bootstrap: str) -> AdminClient:
    """One client per broker, kept alive: a collected client cancels its pending futures."""
    return AdminClient({"bootstrap.servers": bootstrap})


@pytest.fixture(autouse=True)
def forget_admin_clients() -> Iterator[None]:
    """Drop the cached clients after each test (imported by the test modules): a client
    left behind keeps reconnecting to a broker that has gone."""
    yield
    admin.cache_clear()


def create_acls(bootstrap: str, bindings: list[AclBinding]) -> None:
    for f in admin(bootstrap).create_acls(bindings, request_timeout=10).values():
        f.result()


def filter_of(b: AclBinding) -> AclBindingFilter:
    """The filter matching exactly this binding."""
    return AclBindingFilter(
        b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation,
        b.permission_type,
    )  # fmt: skip


def delete_acls(bootstrap: str, bindings: list[AclBinding]) -> None:
    filters = [filter_of(b) for b in bindings]
    for f in admin(bootstrap).delete_acls(filters, request_timeout=10).values():
        f.result()


@contextlib.contextmanager
def acls(bootstrap: str, *bindings: AclBinding) -> Iterator[None]:
    """The bindings exist inside the block (the authorizer applies them at once)."""
    if bindings:
        create_acls(bootstrap, list(bindings))
    try:
        yield
    finally:
        if bindings:
            delete_acls(bootstrap, list(bindings))


def error_code(exc: BaseException) -> int:
    """The Kafka error code of a confluent-kafka exception."""
    assert isinstance(exc, KafkaException), exc
    return exc.args[0].code()


def produce(conf: dict, topic: str) -> int:
    """Produce one record; its delivery error code (0 on success), or a fatal error's."""
    p = Producer({**conf, "message.timeout.ms": 5000})
    outcome: list = []
    try:
        p.produce(topic, b"value", on_delivery=lambda err, _msg: outcome.append(err))
        p.flush(15)
    except KafkaException as e:  # a fatal error (idempotent producer) surfaces here
        return error_code(e)
    assert outcome, "no delivery report"
    return outcome[0].code() if outcome[0] is not None else 0


def consume(conf: dict, topic: str, group: str) -> int:
    """Subscribe, read one record and commit it: 0 on success, else the first error code."""
    c = Consumer(
        {**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    try:
        c.subscribe([topic])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                return msg.error().code()
            c.commit(message=msg, asynchronous=False)
            return 0
        raise AssertionError("nothing consumed within 20 s")
    finally:
        c.close()


@contextlib.contextmanager
def secured_broker(
    path: Path,
    topics: Sequence[str],
    bindings: list[AclBinding],
    prepare: Callable[[str], None] | None = None,
) -> Iterator[BrokerProcess]:
    """A broker with an authorizer where ANONYMOUS is an ordinary principal holding
    ``bindings``: it starts with ANONYMOUS as a super user to create ``topics`` (one
    partition each), run ``prepare`` and make the bindings, then restarts with another."""
    b = BrokerProcess(path, extra_args=authz_args(ME))
    b.start()
    try:
        if topics:
            for f in admin(b.bootstrap).create_topics([NewTopic(t, 1, 1) for t in topics]).values():
                f.result(15)
        if prepare is not None:
            prepare(b.bootstrap)
        create_acls(b.bootstrap, bindings)
        b.extra_args = authz_args("User:admin")
        b.restart()
        yield b
    finally:
        b.kill()
